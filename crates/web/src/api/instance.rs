//! `GET /api/v1/instance` and `/api/v2/instance`: the tenant as an instance.

use super::version_string;
use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_store::accounts;
use kereru_store::domains::Registrations;
use serde_json::{Value, json};

pub const MAX_STATUS_CHARACTERS: u32 = 500;
pub const MAX_MEDIA_ATTACHMENTS: u32 = 4;
pub const IMAGE_SIZE_LIMIT: u64 = 16 * 1024 * 1024;
pub const IMAGE_MATRIX_LIMIT: u64 = 33_177_600;
pub const SUPPORTED_MIME_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Where clients open streams: this same host and port, as the client
/// reached it (the tenant host it asked, and the Host header's port, if any),
/// with `ws`/`wss` for the public scheme. Clients (Mastodon.py) turn it back
/// into `http(s)` for server-sent events, so it must lead to this server
/// exactly as the API's own URL does, behind a port mapping too.
fn streaming_url(req: &HttpRequest, tenant: &Tenant) -> String {
    let scheme = match tenant.urls.scheme {
        kereru_core::Scheme::Https => "wss",
        kereru_core::Scheme::Http => "ws",
    };
    let raw_host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    // The tenant middleware accepted this host, port included; only a valid port is kept.
    let port = raw_host.and_then(|h| h.trim().rsplit_once(':')).and_then(|(_, port)| port.parse::<u16>().ok());
    match port {
        Some(port) => format!("{scheme}://{}:{port}", tenant.requested_host),
        None => format!("{scheme}://{}", tenant.requested_host),
    }
}

fn account_configuration() -> Value {
    json!({
        "max_featured_tags": 10,
        "max_pinned_statuses": 5,
        "max_display_name_length": 30,
        "max_note_length": 500,
        "max_avatar_description_length": 150,
        "max_header_description_length": 150,
        "max_profile_fields": 4,
        "profile_field_name_limit": 255,
        "profile_field_value_limit": 255,
    })
}

/// Video and audio types and limits, announced only where ffmpeg is installed.
const AV_MIME_TYPES: &[&str] = &[
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "audio/mpeg",
    "audio/mp3",
    "audio/mp4",
    "audio/x-m4a",
    "audio/ogg",
    "audio/wav",
    "audio/wave",
    "audio/x-wav",
    "audio/flac",
    "audio/webm",
];

fn shared_configuration(av: bool) -> Value {
    let mime_types: Vec<&str> =
        SUPPORTED_MIME_TYPES.iter().chain(if av { AV_MIME_TYPES } else { &[] }).copied().collect();
    let (video_size, frame_rate, matrix) = if av {
        (
            kereru_media::av::VIDEO_SIZE_LIMIT,
            kereru_media::av::VIDEO_FRAME_RATE_LIMIT as u64,
            kereru_media::av::VIDEO_MATRIX_LIMIT,
        )
    } else {
        (0, 0, 0)
    };
    json!({
        "accounts": account_configuration(),
        "statuses": {
            "max_characters": MAX_STATUS_CHARACTERS,
            "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": mime_types,
            "image_size_limit": IMAGE_SIZE_LIMIT,
            "image_matrix_limit": IMAGE_MATRIX_LIMIT,
            "video_size_limit": video_size,
            "video_frame_rate_limit": frame_rate,
            "video_matrix_limit": matrix,
            "description_limit": 1500,
        },
        "polls": {
            "max_options": 4,
            "max_characters_per_option": 50,
            "min_expiration": 300,
            "max_expiration": 2_629_746,
        },
    })
}

/// The contact account (its first admin, else its first account) and the tenant's figures.
async fn contact_and_usage(
    state: &AppState,
    tenant: &Tenant,
) -> Result<(Value, kereru_core::nodeinfo::Usage, i64), WebError> {
    let mut conn = state.pool.get().await?;
    let contact = accounts::contact_account(&mut conn, tenant.id).await?;
    let usage = accounts::usage(&mut conn, tenant.id).await?;
    let domains = accounts::known_domain_count(&mut conn, tenant.id).await?;
    let contact = match contact {
        Some(account) => super::render::Renderer::new(tenant, None).account(&mut conn, &account).await?,
        None => Value::Null,
    };
    Ok((contact, usage, domains))
}

/// The tenant's description and its rules as Mastodon's Rule entities.
async fn about(state: &AppState, tenant: &Tenant) -> Result<(String, Vec<Value>), WebError> {
    let mut conn = state.pool.get().await?;
    let description = kereru_store::about::description(&mut conn, tenant.id).await?;
    let rules = kereru_store::about::rules(&mut conn, tenant.id)
        .await?
        .into_iter()
        .map(|rule| json!({ "id": rule.id.to_string(), "text": rule.text, "hint": "", "translations": {} }))
        .collect();
    Ok((description, rules))
}

pub async fn v1(req: HttpRequest, state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let (contact, usage, domains) = contact_and_usage(&state, &tenant).await?;
    let (description, rules) = about(&state, &tenant).await?;
    let mut configuration = shared_configuration(state.settings.av_tools.is_some());
    configuration["accounts"] = json!({ "max_featured_tags": 10, "max_pinned_statuses": 5 });
    Ok(HttpResponse::Ok().json(json!({
        "uri": tenant.account_host.as_str(),
        "title": tenant.name,
        "short_description": description,
        "description": description,
        "email": tenant.owner_email.clone().unwrap_or_default(),
        "version": version_string(),
        "urls": { "streaming_api": streaming_url(&req, &tenant) },
        "stats": { "user_count": usage.users_total, "status_count": usage.local_posts, "domain_count": domains },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": tenant.registrations != Registrations::Closed,
        "approval_required": tenant.registrations == Registrations::Approval,
        "invites_enabled": false,
        "configuration": configuration,
        "contact_account": contact,
        "rules": rules,
    })))
}

pub async fn v2(req: HttpRequest, state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let (contact, usage, _) = contact_and_usage(&state, &tenant).await?;
    let (description, rules) = about(&state, &tenant).await?;
    let limited = {
        let mut conn = state.pool.get().await?;
        kereru_store::limited_federation::is_on(&mut conn, tenant.id).await?
    };
    let mut configuration = shared_configuration(state.settings.av_tools.is_some());
    configuration["urls"] = json!({ "streaming": streaming_url(&req, &tenant), "status": null });
    configuration["vapid"] = json!({ "public_key": super::push::server_key(&state, tenant.id).await? });
    configuration["translation"] = json!({ "enabled": false });
    configuration["limited_federation"] = json!(limited);
    let feed = json!({ "local": "public", "remote": "public" });
    configuration["timelines_access"] =
        json!({ "live_feeds": feed, "hashtag_feeds": feed, "trending_link_feeds": feed });
    Ok(HttpResponse::Ok().json(json!({
        "domain": tenant.account_host.as_str(),
        "title": tenant.name,
        "version": version_string(),
        // No public repository yet: an empty string, which the entity allows.
        "source_url": "",
        "description": description,
        "usage": { "users": { "active_month": usage.active_month } },
        "thumbnail": null,
        "icon": [],
        "languages": ["en"],
        "configuration": configuration,
        "registrations": {
            "enabled": tenant.registrations != Registrations::Closed,
            "approval_required": tenant.registrations == Registrations::Approval,
            "reason_required": tenant.registrations == Registrations::Approval,
            "message": null,
            "url": null,
            "min_age": null,
        },
        "api_versions": { "mastodon": 2 },
        "contact": { "email": tenant.owner_email.clone().unwrap_or_default(), "account": contact },
        "rules": rules,
    })))
}
