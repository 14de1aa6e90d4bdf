//! Remote HTML, reduced to what Mastodon itself keeps (its "strict" policy):
//! paragraphs, line breaks, links, mentions and hashtags as spans, simple
//! formatting and lists. Everything else — scripts, styles, images, forms,
//! event handlers, other URL schemes — is dropped before storing or showing.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const TAGS: &[&str] = &[
    "p",
    "br",
    "span",
    "a",
    "del",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
    "ruby",
    "rt",
    "rp",
];
const URL_SCHEMES: &[&str] =
    &["http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"];

/// Microformat classes (`h-card`, `u-url`, ...) and Mastodon's own; others are removed.
fn allowed_class(class: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"].iter().any(|prefix| class.starts_with(prefix))
        || matches!(class, "mention" | "hashtag" | "ellipsis" | "invisible")
}

fn policy() -> &'static ammonia::Builder<'static> {
    static POLICY: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    POLICY.get_or_init(|| {
        let mut attributes: HashMap<&'static str, HashSet<&'static str>> = HashMap::new();
        attributes.insert("a", ["href", "class", "translate"].into_iter().collect());
        attributes.insert("span", ["class", "translate"].into_iter().collect());
        attributes.insert("ol", ["start", "reversed"].into_iter().collect());
        attributes.insert("li", ["value"].into_iter().collect());
        let mut builder = ammonia::Builder::default();
        builder
            .tags(TAGS.iter().copied().collect())
            .tag_attributes(attributes)
            .generic_attributes(HashSet::new())
            .url_schemes(URL_SCHEMES.iter().copied().collect())
            .link_rel(Some("nofollow noopener noreferrer"))
            .attribute_filter(|_element, attribute, value| {
                if attribute != "class" {
                    return Some(value.into());
                }
                let kept: Vec<&str> = value.split_whitespace().filter(|c| allowed_class(c)).collect();
                (!kept.is_empty()).then(|| kept.join(" ").into())
            });
        builder
    })
}

/// Sanitized HTML, safe to store and to show.
pub fn sanitize_html(html: &str) -> String {
    policy().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize_html;

    #[test]
    fn keeps_what_mastodon_keeps() {
        let mention = r#"<p><span class="h-card"><a href="https://a.example/@x" class="u-url mention">@<span>x</span></a></span> hi</p>"#;
        let cleaned = sanitize_html(mention);
        assert!(cleaned.contains(r#"class="h-card""#), "{cleaned}");
        assert!(cleaned.contains(r#"href="https://a.example/@x""#), "{cleaned}");
        assert!(cleaned.contains(r#"class="u-url mention""#), "{cleaned}");
        assert!(cleaned.contains(r#"rel="nofollow noopener noreferrer""#), "{cleaned}");
    }

    #[test]
    fn drops_what_could_hurt() {
        for (dirty, banned) in [
            (r#"<script>alert(1)</script><p>ok</p>"#, "script"),
            (r#"<p onclick="alert(1)">x</p>"#, "onclick"),
            (r#"<a href="javascript:alert(1)">x</a>"#, "javascript"),
            (r#"<img src="https://a.example/x.png" onerror="alert(1)">"#, "img"),
            (r#"<p style="position:fixed">x</p>"#, "style"),
            (r#"<iframe src="https://a.example"></iframe>"#, "iframe"),
            (r#"<span class="evil h-card">x</span>"#, "evil"),
            (r#"<form action="x"><input name="p"></form>"#, "input"),
        ] {
            let cleaned = sanitize_html(dirty);
            assert!(!cleaned.contains(banned), "{dirty} gave {cleaned}");
        }
        assert_eq!(sanitize_html("<p>a &amp; b</p>"), "<p>a &amp; b</p>");
    }
}
