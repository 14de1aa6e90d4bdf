//! What one Web Push carries: Mastodon's JSON (`Web::NotificationSerializer`:
//! access_token, preferred_locale, notification_id, notification_type, icon,
//! title, body), encrypted for the subscription, with the VAPID
//! authorization, `TTL` and `Urgency` headers Mastodon sends.

use kereru_core::urls::TenantUrls;
use kereru_core::webpush::{self, Encoding, PushCryptoError, Receiver, VapidKeys};
use kereru_store::push::queue::{Claimed, Facts};
use serde_json::json;

/// How long a push service keeps an undelivered message (Mastodon's 48 hours).
pub const TTL_SECONDS: u64 = 48 * 60 * 60;
/// Mastodon's urgency for every push.
pub const URGENCY: &str = "normal";
/// How long the VAPID JWT is valid (RFC 8292 allows at most 24 hours).
const JWT_LIFETIME_SECONDS: i64 = 12 * 60 * 60;
/// Mastodon truncates the body to this many characters.
const BODY_LENGTH: usize = 140;

/// A push ready to POST.
#[derive(Debug, Clone)]
pub struct Message {
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// Mastodon's title for a notification type (its `notification_mailer.*.subject`).
pub fn title(kind: &str, name: &str) -> String {
    match kind {
        "mention" => format!("{name} mentioned you"),
        "status" => format!("{name} just posted"),
        "reblog" => format!("{name} boosted your post"),
        "follow" => format!("{name} is now following you"),
        "follow_request" => format!("Pending follower: {name}"),
        "favourite" => format!("{name} favorited your post"),
        "poll" => format!("A poll by {name} has ended"),
        "update" => format!("{name} edited a post"),
        "admin.sign_up" => format!("{name} signed up"),
        "admin.report" => format!("{name} submitted a report"),
        "quote" => format!("{name} quoted your post"),
        _ => format!("New notification from {name}"),
    }
}

/// The body: the status's content warning, else its text, else the sender's bio; plain, 140 characters at most.
pub fn body(facts: &Facts) -> String {
    let spoiler = facts.spoiler_text.as_deref().filter(|s| !s.is_empty());
    let text = match (spoiler, facts.text.as_deref().filter(|t| !t.is_empty())) {
        (Some(spoiler), _) => spoiler.to_string(),
        (None, Some(text)) => kereru_core::filters::plain_text(text),
        (None, None) => kereru_core::filters::plain_text(facts.content.as_deref().unwrap_or(&facts.summary)),
    };
    truncate(text.trim(), BODY_LENGTH)
}

/// Rails' `truncate`: at most `length` characters, the last three `...` when cut.
fn truncate(text: &str, length: usize) -> String {
    if text.chars().count() <= length {
        return text.to_string();
    }
    let mut out: String = text.chars().take(length.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// The JSON a push carries. `notification_id` is a string: ids here are
/// 64-bit and a JavaScript number would round them.
pub fn payload(claimed: &Claimed, facts: &Facts, icon: &str) -> serde_json::Value {
    let name = if facts.display_name.trim().is_empty() { &facts.username } else { &facts.display_name };
    json!({
        "access_token": claimed.access_token,
        "preferred_locale": claimed.locale.as_deref().filter(|l| !l.is_empty()).unwrap_or("en"),
        "notification_id": claimed.notification_id.to_string(),
        "notification_type": claimed.notification_type,
        "icon": icon,
        "title": title(&claimed.notification_type, name),
        "body": body(facts),
    })
}

/// The sender's avatar as an absolute URL: a remote account's own, a local
/// one's file on its tenant (`sender_urls`), else the default picture.
pub fn icon(facts: &Facts, sender_urls: &TenantUrls, recipient_urls: &TenantUrls) -> String {
    if let Some(url) = &facts.avatar_remote_url {
        return url.clone();
    }
    match &facts.avatar_file {
        Some(file) => format!("{}/system/media/{file}", sender_urls.base()),
        None => format!("{}/avatars/original/missing.png", recipient_urls.base()),
    }
}

/// The origin of the endpoint (the JWT's `aud`).
pub fn audience(endpoint: &str) -> Option<String> {
    let url = url::Url::parse(endpoint).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Encrypts `payload` for the subscription and adds the headers its encoding needs.
pub fn build(
    claimed: &Claimed,
    payload: &serde_json::Value,
    vapid: &VapidKeys,
    subject: &str,
    now: i64,
) -> Result<Message, PushCryptoError> {
    let audience = audience(&claimed.endpoint).ok_or(PushCryptoError::Crypto)?;
    let jwt = webpush::vapid_jwt(vapid, &audience, now + JWT_LIFETIME_SECONDS, subject)?;
    let receiver = Receiver { p256dh: &claimed.key_p256dh, auth: &claimed.key_auth };
    let text = payload.to_string();
    let encoding = if claimed.standard { Encoding::Aes128gcm } else { Encoding::Aesgcm };
    let encrypted = webpush::encrypt(&receiver, text.as_bytes(), encoding)?;
    let key = webpush::b64url(&vapid.public);
    let mut headers = vec![("TTL", TTL_SECONDS.to_string()), ("Urgency", URGENCY.to_string())];
    match encoding {
        Encoding::Aes128gcm => {
            headers.push(("Content-Encoding", "aes128gcm".into()));
            headers.push(("Authorization", format!("vapid t={jwt},k={key}")));
        }
        Encoding::Aesgcm => {
            headers.push(("Content-Encoding", "aesgcm".into()));
            headers.push(("Encryption", format!("salt={}", webpush::b64url(&encrypted.salt))));
            headers.push(("Crypto-Key", format!("dh={};p256ecdsa={key}", webpush::b64url(&encrypted.sender_public))));
            headers.push(("Authorization", format!("WebPush {jwt}")));
        }
    }
    Ok(Message { body: encrypted.body, headers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            username: "bob".into(),
            display_name: String::new(),
            summary: "<p>bio</p>".into(),
            avatar_file: None,
            avatar_remote_url: None,
            from_domain_id: None,
            spoiler_text: Some(String::new()),
            text: Some("x".repeat(200)),
            content: None,
        }
    }

    #[test]
    fn titles_bodies_and_audiences_are_mastodons() {
        assert_eq!(title("favourite", "Bob"), "Bob favorited your post");
        let body = body(&facts());
        assert_eq!(body.chars().count(), 140);
        assert!(body.ends_with("..."));
        let mut bio_only = facts();
        bio_only.text = None;
        assert_eq!(super::body(&bio_only), "bio");
        assert_eq!(audience("https://push.example:8443/a/b?c").as_deref(), Some("https://push.example:8443"));
        assert_eq!(audience("http://127.0.0.1:9/x").as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(audience("mailto:x@y"), None);
    }
}
