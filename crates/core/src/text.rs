//! Status text as people type it, turned into the HTML Mastodon sends:
//! escaped, paragraphs and line breaks, with links, @mentions and #hashtags.

use crate::actor::escape_html;

/// `@name` or `@name@host` as written in a status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub username: String,
    pub host: Option<String>,
}

/// A mention the caller could resolve to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMention {
    pub profile_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Text(&'a str),
    Mention(MentionRef, &'a str),
    Hashtag(&'a str),
    Link(&'a str),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits text into plain runs and the entities Mastodon links.
fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let at_boundary =
            i == 0 || !text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/');
        let rest = &text[i..];
        let found = if !at_boundary {
            None
        } else if rest.starts_with("https://") || rest.starts_with("http://") {
            let end = rest.find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"').unwrap_or(rest.len());
            // Trailing punctuation belongs to the sentence, not the URL.
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
            let scheme_len = if url.starts_with("https://") { 8 } else { 7 };
            (url.len() > scheme_len).then_some((Token::Link(url), url.len()))
        } else if bytes[i] == b'@' {
            mention_at(rest)
        } else if bytes[i] == b'#' {
            let name_len: usize = rest[1..].chars().take_while(|c| is_tag_char(*c)).map(char::len_utf8).sum();
            let name = &rest[1..1 + name_len];
            // A tag needs a letter: `#1` is a number, not a tag.
            (name_len > 0 && name.chars().any(|c| !c.is_ascii_digit()) && name.chars().count() <= 100)
                .then(|| (Token::Hashtag(name), 1 + name_len))
        } else {
            None
        };
        match found {
            Some((token, len)) => {
                if plain_start < i {
                    tokens.push(Token::Text(&text[plain_start..i]));
                }
                tokens.push(token);
                i += len;
                plain_start = i;
            }
            None => i += rest.chars().next().map(char::len_utf8).unwrap_or(1),
        }
    }
    if plain_start < text.len() {
        tokens.push(Token::Text(&text[plain_start..]));
    }
    tokens
}

fn mention_at(rest: &str) -> Option<(Token<'_>, usize)> {
    let name_len =
        rest[1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '-').count();
    let name = rest[1..1 + name_len].trim_end_matches(['.', '-']);
    if name.is_empty() {
        return None;
    }
    let mut len = 1 + name.len();
    let mut host = None;
    if rest[len..].starts_with('@') {
        let host_len = rest[len + 1..].chars().take_while(|c| is_name_char(*c)).count();
        let candidate = rest[len + 1..len + 1 + host_len].trim_end_matches(['.', '-']);
        if candidate.contains('.') {
            host = Some(candidate.to_ascii_lowercase());
            len += 1 + candidate.len();
        }
    }
    let raw = &rest[..len];
    Some((Token::Mention(MentionRef { username: name.to_string(), host }, raw), len))
}

/// The mentions in `text`, each once, in order.
pub fn mentions(text: &str) -> Vec<MentionRef> {
    let mut seen = Vec::new();
    for token in tokenize(text) {
        if let Token::Mention(mention, _) = token
            && !seen.contains(&mention)
        {
            seen.push(mention);
        }
    }
    seen
}

/// The hashtags in `text`, lower-cased, each once.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for token in tokenize(text) {
        if let Token::Hashtag(name) = token {
            let name = name.to_lowercase();
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
    }
    seen
}

/// The status HTML. `resolve` links the mentions it knows (others stay text);
/// `tag_url` gives a hashtag's page.
pub fn to_html(
    text: &str,
    resolve: impl Fn(&MentionRef) -> Option<ResolvedMention>,
    tag_url: impl Fn(&str) -> String,
) -> String {
    let text = text.replace("\r\n", "\n");
    let mut html = String::new();
    for paragraph in text.trim().split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        for token in tokenize(paragraph) {
            match token {
                Token::Text(plain) => html.push_str(&escape_html(plain).replace('\n', "<br />")),
                Token::Link(url) => {
                    let url = escape_html(url);
                    html.push_str(&format!("<a href=\"{url}\" rel=\"nofollow noopener\" target=\"_blank\">{url}</a>"));
                }
                Token::Hashtag(name) => {
                    let href = escape_html(&tag_url(&name.to_lowercase()));
                    let name = escape_html(name);
                    html.push_str(&format!("<a href=\"{href}\" class=\"mention hashtag\" rel=\"tag\">#<span>{name}</span></a>"));
                }
                Token::Mention(mention, raw) => match resolve(&mention) {
                    Some(found) => html.push_str(&format!(
                        "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                        escape_html(&found.profile_url),
                        escape_html(&mention.username)
                    )),
                    None => html.push_str(&escape_html(raw)),
                },
            }
        }
        html.push_str("</p>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_mentions(_: &MentionRef) -> Option<ResolvedMention> {
        None
    }

    fn tag(name: &str) -> String {
        format!("https://a.test/tags/{name}")
    }

    #[test]
    fn escapes_and_keeps_paragraphs() {
        assert_eq!(
            to_html("<b>hi</b> & bye\nnext\n\npara", no_mentions, tag),
            "<p>&lt;b&gt;hi&lt;/b&gt; &amp; bye<br />next</p><p>para</p>"
        );
    }

    #[test]
    fn finds_mentions_with_and_without_host() {
        assert_eq!(
            mentions("hi @alice and @Bob@B.test, mail me@x.test, @alice again"),
            vec![
                MentionRef { username: "alice".into(), host: None },
                MentionRef { username: "Bob".into(), host: Some("b.test".into()) },
            ]
        );
        assert!(mentions("email@example.com").is_empty(), "an address is not a mention");
    }

    #[test]
    fn links_resolved_mentions_only() {
        let html = to_html(
            "@alice @ghost",
            |m| (m.username == "alice").then(|| ResolvedMention { profile_url: "https://a.test/@alice".into() }),
            tag,
        );
        assert!(
            html.contains("<a href=\"https://a.test/@alice\" class=\"u-url mention\">@<span>alice</span></a>"),
            "{html}"
        );
        assert!(html.contains(" @ghost</p>"), "{html}");
    }

    #[test]
    fn hashtags_and_links() {
        assert_eq!(hashtags("#Rust and #rust, #1 not, a#b not, #über"), vec!["rust".to_string(), "über".to_string()]);
        let html = to_html("see https://example.com/x?a=1&b=2. #Tag", no_mentions, tag);
        assert!(html.contains("<a href=\"https://example.com/x?a=1&amp;b=2\""), "{html}");
        assert!(html.contains("</a>. "), "trailing dot stays outside: {html}");
        assert!(html.contains("href=\"https://a.test/tags/tag\""), "{html}");
        assert!(!to_html("javascript:alert(1)", no_mentions, tag).contains("<a"));
    }
}
