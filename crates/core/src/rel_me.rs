//! `rel="me"` links: the HTML scanning behind verified profile links
//! (`kereru_service::verify_links` fetches the pages and stores the result).
//!
//! [`rel_me_links`] is a small scanner written for this rather than a full
//! HTML5 parser: it only has to find start tags and their attributes, skip
//! comments and the raw-text elements (`script`, `style`, `textarea`, ...)
//! where markup is only text, and decode character references in attribute
//! values. It runs in linear time (the caller caps the page's size) and adds
//! no dependency. Only the page's owner decides what it links to, so a
//! scanner that is laxer than a browser at worst finds a link its owner wrote.

/// Whether the page has a `rel="me"` link to one of `targets` (compared
/// ignoring ASCII case, as Mastodon does).
pub fn links_back(html: &str, targets: &[String]) -> bool {
    rel_me_links(html).iter().any(|href| targets.iter().any(|target| href.eq_ignore_ascii_case(target)))
}

/// Elements whose content is text, not markup: a `<a rel=me>` inside them
/// is no link.
const RAW_TEXT: [&str; 10] =
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"];

/// The `href` (trimmed, character references decoded) of every `<a>` and
/// `<link>` start tag whose `rel` holds the token `me`.
pub fn rel_me_links(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut links = Vec::new();
    let mut position = 0;
    while let Some(start) = find(bytes, position, b"<") {
        let rest = bytes.get(start..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            position = find(bytes, start + 4, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            position = find(bytes, start + 2, b">").map_or(bytes.len(), |end| end + 1);
            continue;
        }
        let (name_start, is_end_tag) = if rest.starts_with(b"</") { (start + 2, true) } else { (start + 1, false) };
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // A lone `<` is text.
            position = start + 1;
            continue;
        }
        let tag = parse_tag(html, bytes, name_start);
        position = tag.end;
        if is_end_tag {
            continue;
        }
        match tag.name.as_str() {
            "a" | "link" => {
                let rel_me = tag.attribute("rel").is_some_and(|rel| {
                    rel.split(|c: char| c.is_ascii_whitespace()).any(|token| token.eq_ignore_ascii_case("me"))
                });
                if rel_me && let Some(href) = tag.attribute("href") {
                    links.push(href.trim_matches(|c: char| c.is_ascii_whitespace()).to_string());
                }
            }
            "plaintext" => break,
            name if RAW_TEXT.contains(&name) => {
                let closing = format!("</{name}");
                position = find(bytes, position, closing.as_bytes()).unwrap_or(bytes.len());
            }
            _ => {}
        }
    }
    links
}

struct Tag {
    /// Lower case.
    name: String,
    /// Names in lower case; the first of duplicate attributes wins, as in HTML.
    attributes: Vec<(String, String)>,
    /// Just past the tag's `>` (or the end of the input).
    end: usize,
}

impl Tag {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Parses a tag from its name (at `start`) to its `>`. `bytes` is `html`
/// in ASCII lower case (same length, same char boundaries): structure is
/// read from it, attribute values from `html`.
fn parse_tag(html: &str, bytes: &[u8], start: usize) -> Tag {
    let at = |i: usize| bytes.get(i).copied();
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let text = |from: usize, to: usize| html.get(from..to).unwrap_or_default();
    let mut p = start;
    while at(p).is_some_and(|b| !is_space(b) && b != b'/' && b != b'>') {
        p += 1;
    }
    let name = text(start, p).to_ascii_lowercase();
    let mut attributes: Vec<(String, String)> = Vec::new();
    loop {
        while at(p).is_some_and(|b| is_space(b) || b == b'/') {
            p += 1;
        }
        match at(p) {
            None => return Tag { name, attributes, end: bytes.len() },
            Some(b'>') => return Tag { name, attributes, end: p + 1 },
            Some(_) => {}
        }
        // An attribute name: at least one byte, which may even be `=`.
        let name_start = p;
        p += 1;
        while at(p).is_some_and(|b| !is_space(b) && b != b'/' && b != b'>' && b != b'=') {
            p += 1;
        }
        let attribute = text(name_start, p).to_ascii_lowercase();
        while at(p).is_some_and(is_space) {
            p += 1;
        }
        let mut value = "";
        if at(p) == Some(b'=') {
            p += 1;
            while at(p).is_some_and(is_space) {
                p += 1;
            }
            match at(p) {
                Some(quote @ (b'"' | b'\'')) => {
                    let value_start = p + 1;
                    let value_end = find(bytes, value_start, &[quote]).unwrap_or(bytes.len());
                    value = text(value_start, value_end);
                    p = (value_end + 1).min(bytes.len());
                }
                _ => {
                    let value_start = p;
                    while at(p).is_some_and(|b| !is_space(b) && b != b'>') {
                        p += 1;
                    }
                    value = text(value_start, p);
                }
            }
        }
        if !attributes.iter().any(|(n, _)| *n == attribute) {
            attributes.push((attribute, decode_references(value)));
        }
    }
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = haystack.get(from..)?;
    rest.windows(needle.len()).position(|window| window == needle).map(|offset| from + offset)
}

/// Decodes the character references that can appear in a URL written in
/// an attribute: numeric ones and the common named ones. Others stay as
/// they are.
fn decode_references(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        let (before, from_amp) = rest.split_at(amp);
        out.push_str(before);
        match reference(from_amp) {
            Some((decoded, used)) => {
                out.push(decoded);
                rest = from_amp.get(used..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = from_amp.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character `text` (starting with `&`) begins with, and the bytes used.
fn reference(text: &str) -> Option<(char, usize)> {
    // References are short: look no further than 16 bytes, so a value of
    // many `&` without `;` costs linear time, not quadratic.
    let semicolon = text.bytes().take(16).position(|b| b == b';')?;
    let body = text.get(1..semicolon)?;
    let decoded = match body {
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "lt" => '<',
        "gt" => '>',
        "sol" => '/',
        "colon" => ':',
        "period" => '.',
        "commat" => '@',
        "num" => '#',
        "quest" => '?',
        "equals" => '=',
        "percnt" => '%',
        _ => {
            let number = body.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((decoded, semicolon + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = "https://a.test/@alice";

    fn targets() -> Vec<String> {
        vec![PROFILE.to_string(), "https://a.test/users/alice".to_string()]
    }

    #[test]
    fn finds_rel_me_on_a_and_link_with_any_quoting_and_case() {
        let html = r#"<!DOCTYPE html><html><head>
            <LINK REL="me" HREF="https://a.test/@alice">
            <link rel=me href=https://one.test/>
            <link rel='authn me' href=' https://two.test/ '>
            </head><body>
            <a href="https://three.test/" rel="nofollow noopener me">three</a>
            <a rel="met" href="https://no.test/1">no</a>
            <a rel="me"></a>
            <a href="https://no.test/2">no</a>
            <p rel=me href="https://no.test/3">not a link element</p>
            </body></html>"#;
        assert_eq!(
            rel_me_links(html),
            ["https://a.test/@alice", "https://one.test/", "https://two.test/", "https://three.test/"]
        );
        assert!(links_back(html, &targets()));
    }

    #[test]
    fn markup_in_comments_scripts_and_attribute_values_is_not_a_link() {
        let html = r#"
            <!-- <a rel="me" href="https://a.test/@alice"> -->
            <script>document.write('<a rel="me" href="https://a.test/@alice">')</script>
            <textarea><a rel="me" href="https://a.test/@alice"></textarea>
            <STYLE>/* <link rel=me href=https://a.test/@alice> */</STYLE>
            <img alt='<a rel="me" href="https://a.test/@alice">'>
            &lt;a rel="me" href="https://a.test/@alice"&gt;
            <a rel="me" href="https://elsewhere.test/">x</a>
        "#;
        assert_eq!(rel_me_links(html), ["https://elsewhere.test/"]);
        assert!(!links_back(html, &targets()));
    }

    #[test]
    fn links_after_raw_text_are_found_and_case_of_the_url_is_ignored() {
        let html = r#"<script>if (a < b) {}</script><a rel="me" href="HTTPS://A.TEST/@alice">me</a>"#;
        assert!(links_back(html, &targets()));
        assert!(links_back(r#"<a rel="me" href="https://a.test/users/alice">"#, &targets()), "the actor URL counts");
        assert!(!links_back(r#"<a rel="me" href="https://a.test/@alice2">"#, &targets()));
        assert!(!links_back(r#"<a rel="me" href="https://a.test/@alice/">"#, &targets()));
    }

    #[test]
    fn first_attribute_wins_and_references_are_decoded() {
        assert!(links_back(r#"<a rel="me" href="https://a.test/&#64;alice">"#, &targets()));
        assert!(links_back(r#"<a rel="me" href="https&colon;&sol;&sol;a.test/&commat;alice">"#, &targets()));
        assert!(links_back(r#"<a rel="me" href="https://a.test/&#x40;alice">"#, &targets()));
        assert!(!links_back(r#"<a rel="me" href="https://evil.test/" href="https://a.test/@alice">"#, &targets()));
        assert!(!links_back(r#"<a rel="nofollow" rel="me" href="https://a.test/@alice">"#, &targets()));
        assert_eq!(decode_references("a&b&amp;c&#0;&#xZZ;&unknown;"), "a&b&c&#0;&#xZZ;&unknown;");
    }

    #[test]
    fn broken_markup_ends_without_panicking() {
        for html in [
            "<",
            "<a",
            "<a rel",
            "<a rel=",
            "<a rel=\"me",
            "<a rel=me href=\"https://a.test/@alice",
            "<!--",
            "<!",
            "</",
            "<script>",
            "<a =x rel=me href=y>",
            "<a/rel=me/href=y>",
            "é<a rel=me href=ü>€",
            "&",
            "<a rel=me href=&#99999999;>",
        ] {
            let _ = rel_me_links(html);
        }
        assert_eq!(rel_me_links("<a/rel=\"me\"/href=y>"), ["y"]);
        assert!(rel_me_links("<a/rel=me/href=y>").is_empty(), "an unquoted value runs to the next space");
        assert_eq!(rel_me_links("é<a rel=me href=ü>€"), ["ü"]);
        assert_eq!(rel_me_links("<a rel=me href=\"https://a.test/@alice"), ["https://a.test/@alice"]);
    }
}
