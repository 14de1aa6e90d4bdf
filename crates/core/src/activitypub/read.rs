//! Remote statuses, read from whatever shape their server sent into what
//! Kererū stores: checked ids, sanitized HTML, plain-text content warning.

use super::origin::is_http_url;
use crate::activitystreams::{Object, OneOrMany, Reference, STATUS_TYPES, sanitize_html};
use crate::actor::{escape_html, text_to_html};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Why a document is not a status Kererū can take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the status has no id")]
    MissingId,
    #[error("the status has no author")]
    MissingAuthor,
    #[error("a {0:?} is not a status")]
    NotAStatus(String),
    #[error("not an http(s) URL: {0:?}")]
    BadUrl(String),
    #[error("the document is malformed: {0}")]
    Malformed(String),
}

/// A media attachment of a remote status.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAttachment {
    pub url: String,
    pub media_type: Option<String>,
    /// Alt text (the attachment's `name`).
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Mastodon's `focalPoint`.
    pub focus: Option<(f64, f64)>,
}

/// A remote status, as Kererū stores and shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteNote {
    pub id: String,
    /// The HTML page, when the server names one.
    pub url: Option<String>,
    pub attributed_to: String,
    pub in_reply_to: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    /// The content warning, plain text; empty when there is none.
    pub summary: String,
    pub sensitive: bool,
    /// Sanitized with [`sanitize_html`]: safe to store and show.
    pub content_html: String,
    pub language: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The `href`s of the Mention tags.
    pub mentions: Vec<String>,
    /// Hashtag names, lower case, without `#`.
    pub hashtags: Vec<String>,
    pub attachments: Vec<RemoteAttachment>,
    /// The object's type (`Note`, `Article`, `Video`…).
    pub type_name: String,
}

/// Types Mastodon shows as a status made of their title, their text and a
/// link to the original, instead of their content as a Note's.
const CONVERTED_TYPES: &[&str] = &["Article", "Page", "Video", "Event", "Audio", "Image"];
/// Types that may be the author in a multi-valued `attributedTo`.
const AUTHOR_TYPES: &[&str] = &["Person", "Service", "Application"];

/// [`read_note`] of a JSON document.
pub fn read_note_json(document: &Value) -> Result<RemoteNote, ReadError> {
    let object: Object = serde_json::from_value(document.clone()).map_err(|e| ReadError::Malformed(e.to_string()))?;
    read_note(&object)
}

/// Reads any of [`STATUS_TYPES`] as a status. Notes (and ChatMessages,
/// Questions) keep their content; Articles, Pages, Videos, Events… are shown
/// as Mastodon shows them: their title in bold, their text (or summary), and a
/// link to the original. A Question's options follow its text as a list.
///
/// The id, the author, `inReplyTo` and `url` must be http(s) URLs; mentions
/// and attachments that are not are left out.
pub fn read_note(object: &Object) -> Result<RemoteNote, ReadError> {
    let Some(type_name) = object.kind.iter().find(|kind| STATUS_TYPES.contains(&kind.as_str())) else {
        return Err(ReadError::NotAStatus(object.primary_type().unwrap_or_default().to_string()));
    };
    let id = object.id.clone().ok_or(ReadError::MissingId)?;
    if !is_http_url(&id) {
        return Err(ReadError::BadUrl(id));
    }
    let attributed_to = author(object).ok_or(ReadError::MissingAuthor)?;
    if !is_http_url(attributed_to) {
        return Err(ReadError::BadUrl(attributed_to.to_string()));
    }
    let url = match &object.url {
        Some(url) => first_http_link(url)?,
        None => None,
    };
    let in_reply_to = match object.in_reply_to.as_ref().and_then(OneOrMany::first).and_then(Reference::id) {
        Some(parent) if is_http_url(parent) => Some(parent.to_string()),
        Some(parent) => return Err(ReadError::BadUrl(parent.to_string())),
        None => None,
    };

    let name = Object::text(&object.name).map(str::trim).filter(|name| !name.is_empty());
    let summary_html = Object::text(&object.summary).filter(|summary| !summary.trim().is_empty());
    let content = object.content_html().filter(|content| !content.trim().is_empty()).map(|content| {
        // PeerTube and others send Markdown or plain text; shown as text, not parsed as HTML.
        let is_html = object.media_type.as_deref().is_none_or(|media_type| media_type.starts_with("text/html"));
        if is_html { content.to_string() } else { text_to_html(content) }
    });

    let (summary, html) = if CONVERTED_TYPES.contains(&type_name.as_str()) {
        // Mastodon shows no content warning for these: their summary is an excerpt, or their text.
        let mut html = String::new();
        if let Some(name) = name {
            html.push_str(&format!("<p><strong>{}</strong></p>", escape_html(name)));
        }
        match (content, summary_html) {
            (Some(content), _) => html.push_str(&content),
            (None, Some(summary)) if Some(html_to_text(summary).as_str()) != name => html.push_str(summary),
            _ => {}
        }
        let link = url.as_deref().unwrap_or(&id);
        html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape_html(link)));
        (String::new(), html)
    } else {
        let mut html = content.unwrap_or_default();
        if type_name == "Question" {
            html.push_str(&poll_options(object));
        }
        (summary_html.map(html_to_text).unwrap_or_default(), html)
    };
    let sensitive = object.sensitive.unwrap_or(false) || !summary.is_empty();

    let mut mentions = Vec::new();
    let mut hashtags = Vec::new();
    for tag in object.tag.iter() {
        match tag_type(tag) {
            Some("Mention") => {
                if let Some(href) = tag.get("href").and_then(Value::as_str).filter(|href| is_http_url(href)) {
                    push_new(&mut mentions, href.to_string());
                }
            }
            Some("Hashtag") => {
                let name = tag.get("name").and_then(Value::as_str).unwrap_or_default();
                let name = name.trim().trim_start_matches('#').to_lowercase();
                if !name.is_empty() {
                    push_new(&mut hashtags, name);
                }
            }
            _ => {}
        }
    }

    Ok(RemoteNote {
        id: id.clone(),
        url,
        attributed_to: attributed_to.to_string(),
        in_reply_to,
        published: object.published.clone(),
        updated: object.updated.clone(),
        summary,
        sensitive,
        content_html: sanitize_html(&html),
        language: language(object),
        to: ids(&object.to),
        cc: ids(&object.cc),
        mentions,
        hashtags,
        attachments: object.attachment.iter().filter_map(attachment).collect(),
        type_name: type_name.clone(),
    })
}

/// The author: among several attributions (PeerTube lists the channel too),
/// the first that is a person or a bot, else the first; without any, the
/// `actor` (Mobilizon, Pleroma send one on objects).
fn author(object: &Object) -> Option<&str> {
    if let Some(attributions) = &object.attributed_to {
        let is_author = |reference: &&Reference| {
            reference.object().and_then(Object::primary_type).is_some_and(|kind| AUTHOR_TYPES.contains(&kind))
        };
        let found = attributions.iter().find(is_author).and_then(Reference::id);
        if let Some(id) = found.or_else(|| attributions.iter().find_map(Reference::id)) {
            return Some(id);
        }
    }
    object.actor_id()
}

/// The href of a link given as a string, a Link object or an array of them:
/// the first http(s) one. Links that are all something else are an error.
fn first_http_link(links: &OneOrMany<Reference>) -> Result<Option<String>, ReadError> {
    let mut rejected = None;
    for link in links.iter() {
        let href = match link {
            Reference::Id(href) => Some(href.as_str()),
            Reference::Object(object) => object.href.as_deref().or(object.id.as_deref()),
        };
        match href {
            Some(href) if is_http_url(href) => return Ok(Some(href.to_string())),
            Some(href) => rejected = rejected.or(Some(href)),
            None => {}
        }
    }
    rejected.map_or(Ok(None), |href| Err(ReadError::BadUrl(href.to_string())))
}

fn ids(references: &OneOrMany<Reference>) -> Vec<String> {
    references.iter().filter_map(Reference::id).map(str::to_string).collect()
}

fn push_new(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn tag_type(tag: &Value) -> Option<&str> {
    match tag.get("type")? {
        Value::String(kind) => Some(kind),
        Value::Array(kinds) => kinds.first()?.as_str(),
        _ => None,
    }
}

/// The language: `contentMap`'s (as Mastodon reads it), else the
/// `language` PeerTube and Lemmy send, else Mobilizon's `inLanguage`.
fn language(object: &Object) -> Option<String> {
    let from_map = object.content_map.as_ref().and_then(|map| map.keys().find(|key| is_language(key)).cloned());
    from_map
        .or_else(|| {
            let identifier = object.extra.get("language")?.get("identifier")?.as_str()?;
            is_language(identifier).then(|| identifier.to_string())
        })
        .or_else(|| object.extra.get("inLanguage")?.as_str().filter(|l| is_language(l)).map(str::to_string))
}

fn is_language(tag: &str) -> bool {
    !tag.is_empty()
        && tag != "und"
        && tag.len() <= 35
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A Question's options (`oneOf`, or `anyOf` for multiple choice) as a list.
fn poll_options(object: &Object) -> String {
    let options = object.extra.get("oneOf").or_else(|| object.extra.get("anyOf"));
    let names: Vec<&str> = match options {
        Some(Value::Array(options)) => {
            options.iter().filter_map(|option| option.get("name")?.as_str()).filter(|n| !n.is_empty()).collect()
        }
        Some(option @ Value::Object(_)) => option.get("name").and_then(Value::as_str).into_iter().collect(),
        _ => Vec::new(),
    };
    if names.is_empty() {
        return String::new();
    }
    let items: String = names.iter().map(|name| format!("<li>{}</li>", escape_html(name))).collect();
    format!("<ul>{items}</ul>")
}

/// A media attachment; `None` for one without an http(s) `url`.
fn attachment(value: &Value) -> Option<RemoteAttachment> {
    if let Value::String(url) = value {
        return is_http_url(url).then(|| RemoteAttachment {
            url: url.clone(),
            media_type: None,
            description: None,
            blurhash: None,
            width: None,
            height: None,
            focus: None,
        });
    }
    let object: Object = serde_json::from_value(value.clone()).ok()?;
    let (url, link_media_type) = object.url.as_ref()?.iter().find_map(|link| match link {
        Reference::Id(href) => is_http_url(href).then(|| (href.clone(), None)),
        Reference::Object(link) => {
            let href = link.href.as_deref().or(link.id.as_deref()).filter(|href| is_http_url(href))?;
            Some((href.to_string(), link.media_type.clone()))
        }
    })?;
    let text = |key: &str| object.extra.get(key).and_then(Value::as_str).map(str::to_string);
    let dimension = |key: &str| object.extra.get(key).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
    let focus = match object.extra.get("focalPoint") {
        Some(Value::Array(point)) if point.len() == 2 => point[0].as_f64().zip(point[1].as_f64()),
        _ => None,
    };
    Some(RemoteAttachment {
        url,
        media_type: object.media_type.clone().or(link_media_type),
        description: Object::text(&object.name).map(str::to_string).filter(|d| !d.is_empty()),
        blurhash: text("blurhash"),
        width: dimension("width"),
        height: dimension("height"),
        focus,
    })
}

/// HTML (or text that may contain some) as plain text: tags dropped, with
/// the content of scripts and styles; paragraphs and `<br>` become line breaks.
pub fn html_to_text(html: &str) -> String {
    static STRIP: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let strip = STRIP.get_or_init(|| {
        let mut builder = ammonia::Builder::empty();
        builder.clean_content_tags(["script", "style"].into_iter().collect::<HashSet<_>>());
        builder
    });
    let stripped = strip.clean(&mark_line_breaks(html)).to_string();
    let text = decode_entities(&stripped);
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A newline before each `<br` and after each `</p>`, so that they survive as line breaks.
fn mark_line_breaks(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = 0;
    let mut index = 0;
    while index < html.len() {
        if lower[index..].starts_with("<br") {
            out.push_str(&html[rest..index]);
            out.push('\n');
            rest = index;
            index += 3;
        } else if lower[index..].starts_with("</p>") {
            index += 4;
            out.push_str(&html[rest..index]);
            out.push('\n');
            rest = index;
        } else {
            index += lower[index..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&html[rest..]);
    out
}

/// Undoes the escaping of the serializer's text output (`&amp;`, `&lt;`, `&gt;`, `&nbsp;`, `&quot;`).
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, length) = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&nbsp;", ' '), ("&quot;", '"')]
            .iter()
            .find(|(entity, _)| rest.starts_with(entity))
            .map_or(('&', 1), |(entity, c)| (*c, entity.len()));
        out.push(decoded);
        rest = &rest[length..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_become_plain_text() {
        assert_eq!(html_to_text("<p>Spoilers &amp; <b>more</b></p><p>second</p>"), "Spoilers & more\nsecond");
        assert_eq!(html_to_text("a<br>b<BR/>c"), "a\nb\nc");
        assert_eq!(html_to_text("<script>alert(1)</script>cw <style>x{}</style>here"), "cw here");
        assert_eq!(html_to_text("I <3 you & 1 < 2"), "I <3 you & 1 < 2");
        assert_eq!(html_to_text("plain   text\n\n "), "plain text");
        assert_eq!(html_to_text("caf\u{e9} &amp;amp; ünïcode"), "caf\u{e9} &amp; ünïcode");
    }
}
