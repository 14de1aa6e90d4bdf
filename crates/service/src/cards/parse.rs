//! Reading HTML with html5ever (through `scraper`): a status's first link,
//! and what a page says about itself (OpenGraph, Twitter cards, `<title>`).

use kereru_store::cards::CardFields;
use scraper::{Html, Selector};
use url::Url;

const TITLE_LIMIT: usize = 255;
const DESCRIPTION_LIMIT: usize = 1000;

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// An http(s) URL, or nothing.
fn web_url(raw: &str, base: Option<&Url>) -> Option<Url> {
    let url = match base {
        Some(base) => base.join(raw.trim()).ok()?,
        None => Url::parse(raw.trim()).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The first link of a status's content that is not a mention or a hashtag (as Mastodon picks it).
pub fn first_link(content: &str) -> Option<String> {
    let html = Html::parse_fragment(content);
    let links = selector("a[href]")?;
    html.select(&links)
        .filter(|a| {
            let class = a.value().attr("class").unwrap_or_default();
            let rel = a.value().attr("rel").unwrap_or_default();
            let text: String = a.text().collect();
            !class.split_whitespace().any(|c| c == "mention" || c == "hashtag" || c == "u-url")
                && !rel.split_whitespace().any(|r| r == "tag")
                && !text.starts_with('#')
                && !text.starts_with('@')
        })
        .find_map(|a| web_url(a.value().attr("href")?, None))
        .map(String::from)
}

fn clip(text: &str, limit: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The page at `url` as a card; `None` when it has no title to show.
pub fn card(html: &str, url: &Url) -> Option<CardFields> {
    let document = Html::parse_document(html);
    let meta = |keys: &[&str]| -> Option<String> {
        let tags = selector("meta[content]")?;
        keys.iter().find_map(|key| {
            document
                .select(&tags)
                .find(|m| {
                    let element = m.value();
                    element
                        .attr("property")
                        .or_else(|| element.attr("name"))
                        .is_some_and(|p| p.eq_ignore_ascii_case(key))
                })
                .and_then(|m| m.value().attr("content"))
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
        })
    };
    let title_tag = selector("title").and_then(|s| document.select(&s).next()).map(|t| t.text().collect::<String>());
    let title = meta(&["og:title", "twitter:title"]).or(title_tag).map(|t| clip(&t, TITLE_LIMIT))?;
    if title.is_empty() {
        return None;
    }
    let number = |keys: &[&str]| meta(keys).and_then(|v| v.parse::<i32>().ok()).filter(|v| *v > 0).unwrap_or(0);
    let image = meta(&["og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"])
        .and_then(|raw| web_url(&raw, Some(url)));
    let author_url = meta(&["article:author"]).and_then(|raw| web_url(&raw, Some(url)));
    let language = selector("html[lang]")
        .and_then(|s| document.select(&s).next())
        .and_then(|h| h.value().attr("lang"))
        .and_then(|lang| lang.split(['-', '_']).next())
        .filter(|lang| (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_lowercase);
    Some(CardFields {
        card_type: "link".into(),
        title,
        description: meta(&["og:description", "twitter:description", "description"])
            .map(|d| clip(&d, DESCRIPTION_LIMIT))
            .unwrap_or_default(),
        width: if image.is_some() { number(&["og:image:width"]) } else { 0 },
        height: if image.is_some() { number(&["og:image:height"]) } else { 0 },
        image_description: meta(&["og:image:alt", "twitter:image:alt"])
            .map(|d| clip(&d, TITLE_LIMIT))
            .unwrap_or_default(),
        image_url: image.map(String::from),
        author_name: meta(&["author", "twitter:creator"]).map(|a| clip(&a, TITLE_LIMIT)).unwrap_or_default(),
        author_url: author_url.map(String::from).unwrap_or_default(),
        provider_name: meta(&["og:site_name"]).map(|p| clip(&p, TITLE_LIMIT)).unwrap_or_default(),
        provider_url: String::new(),
        language,
        published_at: meta(&["article:published_time"])
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_link_skips_mentions_and_hashtags() {
        let content = r##"<p><span class="h-card"><a href="https://a.test/@bob" class="u-url mention">@<span>bob</span></a></span>
            <a href="https://a.test/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a>
            <a href="javascript:alert(1)">x</a>
            <a href="https://example.org/page?x=1&amp;y=2" rel="nofollow noopener" target="_blank">example.org/page</a>
            <a href="https://second.example/">second</a></p>"##;
        assert_eq!(first_link(content).as_deref(), Some("https://example.org/page?x=1&y=2"));
        assert_eq!(first_link("<p>no links</p>"), None);
    }

    #[test]
    fn opengraph_first_then_twitter_then_title() {
        let page = r#"<!doctype html><html lang="en-NZ"><head>
            <title>The title tag</title>
            <meta property="og:title" content="  OpenGraph   title ">
            <meta name="twitter:title" content="Twitter title">
            <meta name="description" content="Plain description">
            <meta property="og:image" content="/img/card.png">
            <meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
            <meta property="og:site_name" content="Example">
            <meta property="article:published_time" content="2026-12-01T10:00:00Z">
            </head><body><script>var t = "<meta property='og:title' content='no'>";</script></body></html>"#;
        let url = Url::parse("https://example.org/a/b").unwrap();
        let card = card(page, &url).unwrap();
        assert_eq!(card.title, "OpenGraph title");
        assert_eq!(card.description, "Plain description");
        assert_eq!(card.image_url.as_deref(), Some("https://example.org/img/card.png"));
        assert_eq!((card.width, card.height), (1200, 630));
        assert_eq!(card.provider_name, "Example");
        assert_eq!(card.language.as_deref(), Some("en"));
        assert!(card.published_at.is_some());

        let only_title = card_or_none("<html><head><title>Just a title</title></head></html>");
        assert_eq!(only_title.map(|c| c.title).as_deref(), Some("Just a title"));
        assert!(card_or_none("<html><body>nothing</body></html>").is_none());
    }

    fn card_or_none(html: &str) -> Option<CardFields> {
        card(html, &Url::parse("https://example.org/").unwrap())
    }
}
