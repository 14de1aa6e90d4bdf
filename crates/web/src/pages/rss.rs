//! `GET /@{name}.rss`: a profile's public posts as RSS 2.0, shaped as
//! Mastodon's feed (no item titles; the description is the post's HTML;
//! images as `media:content`). Replies, boosts and anything not public stay out.

use super::PageError;
use super::profile::owner;
use super::view::{StatusView, Views};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use chrono::DateTime;
use kereru_store::page::Page as StorePage;
use kereru_store::statuses::{self, Feed, Visibility};
use std::fmt::Write as _;

/// Items in the feed (Mastodon's number).
const ITEMS: i64 = 20;

/// `&`, `<`, `>`, `"` and `'` as XML entities.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 822 dates, as RSS has them.
fn rfc822(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map(|at| at.to_rfc2822()).unwrap_or_default()
}

pub async fn feed(
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let account = owner(&state, &tenant, &username).await?;
    let mut conn = state.pool.get().await?;
    let feed = Feed::Account {
        account: account.id,
        exclude_replies: true,
        exclude_reblogs: true,
        pinned: false,
        tagged: None,
        only_media: false,
    };
    // Read as a visitor would; unlisted posts are left out of the feed too.
    let page = StorePage { limit: ITEMS, ..StorePage::default() };
    let list: Vec<_> = statuses::visible(&mut conn, tenant.id, None, &feed, page)
        .await?
        .into_iter()
        .filter(|s| s.visibility == Visibility::Public)
        .collect();
    let mut views = Views::new(&tenant, None);
    let profile = views.account(&mut conn, &account).await?;
    let posts = views.statuses(&mut conn, list).await?;
    let base = tenant.urls.base();
    let absolute = |url: &str| if url.starts_with('/') { format!("{base}{url}") } else { url.to_string() };
    let link = tenant.urls.profile_page(&account.username);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(
        "<rss version=\"2.0\" xmlns:webfeeds=\"http://webfeeds.org/rss/1.0\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n",
    );
    let _ = writeln!(xml, "<title>{}</title>", xml_escape(&profile.display_name));
    let _ =
        writeln!(xml, "<description>{}</description>", xml_escape(&format!("Public posts from {}", profile.handle)));
    let _ = writeln!(xml, "<link>{}</link>", xml_escape(&link));
    let _ = writeln!(
        xml,
        "<image><url>{}</url><title>{}</title><link>{}</link></image>",
        xml_escape(&profile.avatar),
        xml_escape(&profile.display_name),
        xml_escape(&link)
    );
    if let Some(newest) = posts.first() {
        let _ = writeln!(xml, "<lastBuildDate>{}</lastBuildDate>", rfc822(&newest.created_at));
    }
    let _ = writeln!(xml, "<webfeeds:icon>{}</webfeeds:icon>", xml_escape(&profile.avatar));
    xml.push_str("<generator>Kererū</generator>\n");
    for post in &posts {
        item(&mut xml, post, &absolute(&post.url));
    }
    xml.push_str("</channel>\n</rss>\n");
    Ok(HttpResponse::Ok()
        .content_type("application/rss+xml; charset=utf-8")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(xml))
}

fn item(xml: &mut String, post: &StatusView, url: &str) {
    xml.push_str("<item>\n");
    let _ = writeln!(xml, "<guid isPermaLink=\"true\">{}</guid>", xml_escape(url));
    let _ = writeln!(xml, "<link>{}</link>", xml_escape(url));
    let _ = writeln!(xml, "<pubDate>{}</pubDate>", rfc822(&post.created_at));
    // A content warning goes first, as Mastodon's feed has it.
    let html = if post.spoiler_text.is_empty() {
        post.content.clone()
    } else {
        format!("<p>{}</p>{}", kereru_core::actor::escape_html(&post.spoiler_text), post.content)
    };
    let _ = writeln!(xml, "<description>{}</description>", xml_escape(&html));
    for media in &post.media {
        let medium = match media.kind.as_str() {
            "image" => "image",
            "video" | "gifv" => "video",
            "audio" => "audio",
            _ => continue,
        };
        let _ = write!(xml, "<media:content url=\"{}\" medium=\"{medium}\">", xml_escape(&media.url));
        let rating = if post.sensitive { "adult" } else { "nonadult" };
        let _ = write!(xml, "<media:rating scheme=\"urn:simple\">{rating}</media:rating>");
        if !media.description.is_empty() {
            let _ =
                write!(xml, "<media:description type=\"plain\">{}</media:description>", xml_escape(&media.description));
        }
        xml.push_str("</media:content>\n");
    }
    for tag in &post.tags {
        let _ = writeln!(xml, "<category>{}</category>", xml_escape(tag));
    }
    xml.push_str("</item>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml_escape("<p>a & \"b\"</p>\u{1}"), "&lt;p&gt;a &amp; &quot;b&quot;&lt;/p&gt;");
        assert_eq!(rfc822("2026-12-04T21:05:00Z"), "Fri, 4 Dec 2026 21:05:00 +0000");
    }
}
