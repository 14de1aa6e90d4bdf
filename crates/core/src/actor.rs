//! The ActivityPub actor document of a local account, shaped like Mastodon's
//! so that every server that reads Mastodon actors reads ours.

use crate::urls::TenantUrls;
use serde_json::{Value, json};

/// What an actor document is made from.
pub struct LocalActor<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    /// Plain text as the account owner wrote it; rendered to HTML here.
    pub summary: &'a str,
    pub locked: bool,
    pub discoverable: bool,
    /// RFC 3339.
    pub published: &'a str,
    pub public_key_pem: &'a str,
    /// The avatar (`icon`) and header (`image`), when the person set them.
    pub avatar: Option<ActorImage<'a>>,
    pub header: Option<ActorImage<'a>>,
    /// Profile fields (name, value as written), sent as `PropertyValue`s.
    pub fields: &'a [(String, String)],
}

/// A profile image: its absolute URL and media type.
pub struct ActorImage<'a> {
    pub url: String,
    pub media_type: &'a str,
}

fn image(image: &ActorImage<'_>) -> Value {
    json!({ "type": "Image", "mediaType": image.media_type, "url": image.url })
}

/// A profile field's value as Mastodon shows it, to servers and to apps:
/// escaped HTML with links made clickable, no paragraph around it.
pub fn field_value_html(value: &str) -> String {
    let html = crate::text::to_html(value, |_| None, |_| String::new());
    html.trim_start_matches("<p>").trim_end_matches("</p>").to_string()
}

pub fn person(urls: &TenantUrls, actor: &LocalActor<'_>) -> Value {
    let id = urls.actor(actor.username);
    let mut context = vec![
        json!("https://www.w3.org/ns/activitystreams"),
        json!("https://w3id.org/security/v1"),
        json!({
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
        }),
    ];
    let mut doc = json!({
        "id": id,
        "type": "Person",
        "preferredUsername": actor.username,
        "name": actor.display_name,
        "summary": text_to_html(actor.summary),
        "url": urls.profile_page(actor.username),
        "inbox": urls.inbox(actor.username),
        "outbox": urls.outbox(actor.username),
        "followers": urls.followers(actor.username),
        "following": urls.following(actor.username),
        "featured": format!("{}/collections/featured", urls.actor(actor.username)),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "manuallyApprovesFollowers": actor.locked,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        "published": actor.published,
        "publicKey": {
            "id": urls.actor_key_id(actor.username),
            "owner": id,
            "publicKeyPem": actor.public_key_pem,
        },
        "attachment": actor.fields.iter().map(|(name, value)| json!({
            "type": "PropertyValue",
            "name": name,
            "value": field_value_html(value),
        })).collect::<Vec<_>>(),
    });
    if let Some(avatar) = &actor.avatar {
        doc["icon"] = image(avatar);
    }
    if let Some(header) = &actor.header {
        doc["image"] = image(header);
    }
    if urls.delegates_service() {
        // FEP-2c59: the handle lives on another host than the actor, so say which.
        context.push(json!("https://purl.archive.org/socialweb/webfinger"));
        doc["webfinger"] = json!(format!("{}@{}", actor.username, urls.account_host));
    }
    doc["@context"] = Value::Array(context);
    doc
}

/// Plain text to the small HTML subset Mastodon uses: escaped, paragraphs on
/// blank lines, `<br>` on single newlines.
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p.trim()).replace('\n', "<br />")))
        .collect()
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HostName, Scheme};

    fn actor() -> LocalActor<'static> {
        LocalActor {
            username: "alice",
            display_name: "Alice",
            summary: "Hi <b>there</b>\n\nsecond",
            locked: true,
            discoverable: false,
            published: "2026-11-25T00:00:00Z",
            public_key_pem: "PEM",
            avatar: None,
            header: None,
            fields: &[],
        }
    }

    #[test]
    fn person_has_the_fields_servers_read() {
        let urls = TenantUrls::new(Scheme::Https, HostName::parse("a.test").unwrap(), None);
        let doc = person(&urls, &actor());
        assert_eq!(doc["id"], "https://a.test/users/alice");
        assert_eq!(doc["publicKey"]["owner"], doc["id"]);
        assert_eq!(doc["publicKey"]["id"], "https://a.test/users/alice#main-key");
        assert_eq!(doc["endpoints"]["sharedInbox"], "https://a.test/inbox");
        assert_eq!(doc["manuallyApprovesFollowers"], true);
        assert_eq!(doc["summary"], "<p>Hi &lt;b&gt;there&lt;/b&gt;</p><p>second</p>");
        assert!(doc.get("webfinger").is_none());
    }

    #[test]
    fn avatar_header_and_fields_are_shown_to_other_servers() {
        let urls = TenantUrls::new(Scheme::Https, HostName::parse("a.test").unwrap(), None);
        assert!(person(&urls, &actor()).get("icon").is_none(), "no avatar set: no icon");
        let fields = [
            ("Site".to_string(), "https://alice.example/".to_string()),
            ("Likes".to_string(), "<script>tea</script>".to_string()),
        ];
        let doc = person(
            &urls,
            &LocalActor {
                avatar: Some(ActorImage { url: "https://a.test/system/media/a.png".into(), media_type: "image/png" }),
                header: Some(ActorImage { url: "https://a.test/system/media/h.jpg".into(), media_type: "image/jpeg" }),
                fields: &fields,
                ..actor()
            },
        );
        assert_eq!(
            doc["icon"],
            json!({ "type": "Image", "mediaType": "image/png", "url": "https://a.test/system/media/a.png" })
        );
        assert_eq!(doc["image"]["mediaType"], "image/jpeg");
        assert_eq!(doc["attachment"][0]["type"], "PropertyValue");
        assert_eq!(doc["attachment"][0]["name"], "Site");
        let link = doc["attachment"][0]["value"].as_str().unwrap();
        assert!(link.contains("href=\"https://alice.example/\""), "{link}");
        assert_eq!(doc["attachment"][1]["value"], "&lt;script&gt;tea&lt;/script&gt;");
        let terms = &doc["@context"][2];
        assert_eq!(terms["PropertyValue"], "schema:PropertyValue");
        assert_eq!(terms["value"], "schema:value");
    }

    #[test]
    fn delegated_service_host_adds_the_webfinger_property() {
        let urls = TenantUrls::new(
            Scheme::Https,
            HostName::parse("example.com").unwrap(),
            Some(HostName::parse("social.example.com").unwrap()),
        );
        let doc = person(&urls, &actor());
        assert_eq!(doc["webfinger"], "alice@example.com");
        assert_eq!(doc["id"], "https://social.example.com/users/alice");
        let context = doc["@context"].as_array().unwrap();
        assert!(context.contains(&json!("https://purl.archive.org/socialweb/webfinger")));
    }

    #[test]
    fn text_to_html_escapes_and_breaks_lines() {
        assert_eq!(text_to_html(""), "");
        assert_eq!(text_to_html("a\nb & \"c\""), "<p>a<br />b &amp; &quot;c&quot;</p>");
    }
}
