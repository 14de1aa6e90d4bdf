//! Content negotiation between ActivityPub JSON and HTML on the same URL.

use actix_web::HttpRequest;
use actix_web::http::header;

pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

/// True when the client asks for an ActivityStreams document:
/// `application/activity+json`, `application/ld+json` (with or without the
/// ActivityStreams profile) or plain `application/json`, as Mastodon serves.
pub fn wants_activity_json(req: &HttpRequest) -> bool {
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    accept.split(',').any(|item| {
        let media = item.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        matches!(media.as_str(), "application/activity+json" | "application/ld+json" | "application/json")
    })
}
