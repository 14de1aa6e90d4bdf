//! Content filters as Mastodon applies them: where a filter applies (its
//! contexts), what it does (warn or hide), and whether a keyword matches a
//! status's text (case-insensitive; a "whole word" keyword must start and
//! end at word boundaries, Mastodon's `\b` around the escaped keyword).

use std::fmt;
use std::str::FromStr;

/// Where a filter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The home timeline (and lists).
    Home,
    Notifications,
    /// The public and hashtag timelines.
    Public,
    /// A status's own view and its thread.
    Thread,
    /// An account's statuses.
    Account,
}

impl Context {
    pub const ALL: [Context; 5] =
        [Context::Home, Context::Notifications, Context::Public, Context::Thread, Context::Account];

    pub fn as_str(self) -> &'static str {
        match self {
            Context::Home => "home",
            Context::Notifications => "notifications",
            Context::Public => "public",
            Context::Thread => "thread",
            Context::Account => "account",
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown filter context {0:?}")]
pub struct UnknownContext(pub String);

impl FromStr for Context {
    type Err = UnknownContext;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Context::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownContext(s.to_string()))
    }
}

/// What a matching filter does to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Shown, with `filtered` naming the filter (clients collapse it).
    Warn,
    /// Left out entirely.
    Hide,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Warn => "warn",
            Action::Hide => "hide",
        }
    }

    /// Mastodon treats anything unknown as `warn`.
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "warn" => Some(Action::Warn),
            "hide" => Some(Action::Hide),
            _ => None,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `keyword` occurs in `text`, ignoring case. With `whole_word`, an
/// occurrence counts only if it is not glued to a word character on a side
/// where the keyword itself begins or ends with one (so "#tag" or "c++"
/// still match as Mastodon's regex does).
pub fn keyword_matches(text: &str, keyword: &str, whole_word: bool) -> bool {
    let keyword = keyword.trim().to_lowercase();
    if keyword.is_empty() {
        return false;
    }
    let haystack = text.to_lowercase();
    let check_start = whole_word && keyword.chars().next().is_some_and(is_word_char);
    let check_end = whole_word && keyword.chars().next_back().is_some_and(is_word_char);
    let mut from = 0;
    while let Some(found) = haystack[from..].find(&keyword) {
        let start = from + found;
        let end = start + keyword.len();
        let before_ok = !check_start || !haystack[..start].chars().next_back().is_some_and(is_word_char);
        let after_ok = !check_end || !haystack[end..].chars().next().is_some_and(is_word_char);
        if before_ok && after_ok {
            return true;
        }
        // Step one character on, staying on a char boundary.
        from = start + haystack[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The text a filter looks at: the content warning, the content as plain
/// text and the media descriptions, separated by blank lines (as Mastodon).
pub fn searchable_text(spoiler_text: &str, content_html: &str, media_descriptions: &[&str]) -> String {
    let mut parts = vec![spoiler_text.to_string(), plain_text(content_html)];
    parts.extend(media_descriptions.iter().map(|d| d.to_string()));
    parts.join("\n\n")
}

/// HTML to plain text: tags dropped (line breaks and paragraph ends become
/// newlines), the common entities decoded. Stored content is sanitized, so a
/// simple scanner is enough.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag == "/p" {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_round_trip() {
        for c in Context::ALL {
            assert_eq!(c.as_str().parse::<Context>(), Ok(c));
        }
        assert!("everywhere".parse::<Context>().is_err());
    }

    #[test]
    fn actions_parse() {
        assert_eq!(Action::parse("hide"), Some(Action::Hide));
        assert_eq!(Action::parse("warn"), Some(Action::Warn));
        assert_eq!(Action::parse("blur"), None);
    }

    #[test]
    fn partial_match_ignores_case_and_boundaries() {
        assert!(keyword_matches("I love Cats", "cat", false));
        assert!(keyword_matches("CONCATENATE", "cat", false));
        assert!(!keyword_matches("dogs only", "cat", false));
    }

    #[test]
    fn whole_word_needs_boundaries() {
        assert!(keyword_matches("a cat sat", "cat", true));
        assert!(keyword_matches("Cat!", "cat", true));
        assert!(keyword_matches("cat", "cat", true));
        assert!(!keyword_matches("concatenate", "cat", true));
        assert!(!keyword_matches("cats", "cat", true));
        assert!(!keyword_matches("cat_food", "cat", true));
        // A later occurrence may match when an earlier one doesn't.
        assert!(keyword_matches("cats and a cat", "cat", true));
    }

    #[test]
    fn whole_word_with_punctuation_at_the_edges() {
        assert!(keyword_matches("I write c++ daily", "c++", true));
        assert!(keyword_matches("see #rust.", "#rust", true));
        assert!(keyword_matches("x#rusty", "#rust", false));
        assert!(!keyword_matches("see #rusty", "#rust", true));
    }

    #[test]
    fn phrases_and_unicode() {
        assert!(keyword_matches("the Spoiler Alert is here", "spoiler alert", true));
        assert!(keyword_matches("Ärger im Büro", "ärger", true));
        assert!(!keyword_matches("Ärgerlich", "ärger", true));
        assert!(keyword_matches("kererū", "KERERŪ", true));
    }

    #[test]
    fn empty_keyword_never_matches() {
        assert!(!keyword_matches("anything", "  ", false));
    }

    #[test]
    fn plain_text_from_html() {
        assert_eq!(
            plain_text("<p>Hello &amp; <a href=\"x\">world</a></p><p>two<br>lines</p>"),
            "Hello & world\ntwo\nlines\n"
        );
        let text = searchable_text("CW", "<p>body</p>", &["a photo"]);
        assert!(keyword_matches(&text, "photo", true));
        assert!(keyword_matches(&text, "cw", true));
        assert!(!keyword_matches(&plain_text("<p>class</p>"), "p", true), "tags are not text");
    }
}
