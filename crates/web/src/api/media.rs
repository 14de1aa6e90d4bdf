//! Media attachments over HTTP: `POST /api/v1/media` and `/api/v2/media`
//! (upload), `GET` and `PUT /api/v1/media/{id}`, and the files themselves at
//! `/system/media/{name}` on the tenant's host. The images are processed by
//! `kereru_media` and the attachments recorded by `kereru_service::media`;
//! this module reads the multipart bodies and renders Mastodon's JSON.
//!
//! Files are served only on their tenant's hosts.

use super::instance::{IMAGE_MATRIX_LIMIT, IMAGE_SIZE_LIMIT};
use crate::auth::Auth;
use crate::error::WebError;
use crate::multipart::{self, Value as Part};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::Method;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use kereru_core::TenantUrls;
pub use kereru_media::ProfileImage;
use kereru_media::params::{self as media_params, InvalidParam};
use kereru_media::{ProcessError, files};
use kereru_service::media::{self as actions, Change, MediaActionError, Upload};
use kereru_service::media_av::{AvOptions, Finish};
use kereru_store::media::{MediaAttachment, MediaError, Processing, StoredFile};
use serde_json::{Value, json};

/// The whole upload request: a file (a video at most) and a thumbnail at their limit, and the text fields.
pub const UPLOAD_BODY_LIMIT: u64 = VIDEO_SIZE_LIMIT + IMAGE_SIZE_LIMIT + 1024 * 1024;
/// The largest video or audio upload (the instance document's `video_size_limit`).
pub const VIDEO_SIZE_LIMIT: u64 = kereru_media::av::VIDEO_SIZE_LIMIT;
const TEXT_FIELD_LIMIT: usize = 64 * 1024;
const PART_LIMIT: usize = 32;

// The instance document announces the limits the pipeline applies.
const _: () = assert!(IMAGE_SIZE_LIMIT == kereru_media::IMAGE_SIZE_LIMIT);
const _: () = assert!(IMAGE_MATRIX_LIMIT == kereru_media::IMAGE_MATRIX_LIMIT);

/// The body limit for the media upload paths, which the tenant middleware
/// applies instead of `[http] max_body_bytes` (these handlers enforce it
/// again while reading, for bodies that declare no length). `None` elsewhere.
pub fn upload_body_limit(method: &Method, path: &str) -> Option<u64> {
    let upload = *method == Method::POST && (path == "/api/v1/media" || path == "/api/v2/media");
    let update = *method == Method::PUT
        && path
            .strip_prefix("/api/v1/media/")
            .is_some_and(|id| !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()));
    // Avatars and headers come with the profile.
    let profile = *method == Method::PATCH && path.trim_end_matches('/') == "/api/v1/accounts/update_credentials";
    if *method == Method::POST && path == "/statuses" {
        // The web interface's compose form: the text and up to four images.
        return Some(crate::pages::posting::COMPOSE_BODY_LIMIT);
    }
    (upload || update || profile).then_some(UPLOAD_BODY_LIMIT)
}

fn too_large_file(field: &str) -> WebError {
    let field = if field == "file" { "File" } else { "Thumbnail" };
    WebError::Unprocessable(format!(
        "Validation failed: {field} file size must be less than {} MB",
        IMAGE_SIZE_LIMIT / (1024 * 1024)
    ))
}

/// The multipart reader's refusal of a part over the video limit.
fn too_large_part(field: &str) -> WebError {
    if field == "file" {
        WebError::Unprocessable(kereru_media::av::AvError::TooLarge.to_string())
    } else {
        too_large_file(field)
    }
}

/// Maps the store's attachment errors to responses. Status creation uses it
/// for `attach_to_status`: Mastodon's 422 names the ids it could not take.
pub fn media_error(error: MediaError) -> WebError {
    match error {
        MediaError::NotFound(id) | MediaError::AlreadyAttached(id) => {
            WebError::Unprocessable(format!("Media {id} not found or already attached to another post"))
        }
        MediaError::Dimension(_) | MediaError::NotProcessed(_) | MediaError::VideoWithOthers => {
            WebError::Unprocessable(error.to_string())
        }
        MediaError::Store(error) => error.into(),
    }
}

/// A bad image is the client's fault (422); failing to encode or store one is ours.
fn process_error(error: ProcessError) -> WebError {
    if error.is_client_error() {
        WebError::Unprocessable(error.to_string())
    } else {
        WebError::Internal(error.to_string())
    }
}

fn action_error(error: MediaActionError) -> WebError {
    match error {
        MediaActionError::NotFound => crate::error::not_found(),
        MediaActionError::Image(error) => process_error(error),
        MediaActionError::ImageTooLarge(field) => too_large_file(field),
        MediaActionError::Av(error) if error.is_client_error() => WebError::Unprocessable(error.to_string()),
        MediaActionError::Av(error) => WebError::Internal(error.to_string()),
        MediaActionError::Attachment(error) => media_error(error),
        MediaActionError::Store(error) => error.into(),
    }
}

fn invalid(error: InvalidParam) -> WebError {
    WebError::Unprocessable(error.0)
}

// ---------------------------------------------------------------------------
// JSON

/// The URL a stored file of tenant `domain_id` is published at: under
/// `[media] public_base_url` when one is set (a CDN), else on this tenant
/// (`/system/media/...`, which every node serves from the store either way).
pub fn file_url(urls: &TenantUrls, domain_id: i64, file_name: &str) -> String {
    kereru_media::store::published_url(domain_id, file_name)
        .unwrap_or_else(|| format!("{}/system/media/{file_name}", urls.base()))
}

fn geometry(file: &StoredFile) -> Value {
    let aspect = if file.height == 0 { 0.0 } else { f64::from(file.width) / f64::from(file.height) };
    json!({
        "width": file.width,
        "height": file.height,
        "size": format!("{}x{}", file.width, file.height),
        "aspect": aspect,
    })
}

/// `meta.original` of a video (or gifv) and of audio, as Mastodon gives them.
fn av_original(attachment: &MediaAttachment) -> Option<Value> {
    let probe: kereru_media::av::Probe = serde_json::from_str(attachment.av_meta.as_deref()?).ok()?;
    let bitrate = probe.bitrate.unwrap_or_else(|| (attachment.file_size as f64 * 8.0 / probe.duration) as i64);
    Some(match &probe.video {
        Some(video) => json!({
            "width": video.width,
            "height": video.height,
            "frame_rate": video.frame_rate,
            "duration": probe.duration,
            "bitrate": bitrate,
        }),
        None => json!({ "duration": probe.duration, "bitrate": bitrate }),
    })
}

/// Mastodon's MediaAttachment entity; also what a Status's `media_attachments` lists.
/// `url` is null while the file is being processed (as Mastodon's).
pub fn attachment_json(urls: &TenantUrls, attachment: &MediaAttachment) -> Value {
    let mut meta = serde_json::Map::new();
    if let Some(focus) = attachment.focus {
        meta.insert("focus".into(), json!({ "x": focus.x, "y": focus.y }));
    }
    let original = if attachment.media_type.is_av() { av_original(attachment) } else { None };
    meta.insert("original".into(), original.unwrap_or_else(|| geometry(&attachment.file)));
    meta.insert("small".into(), geometry(&attachment.thumbnail));
    let url = match attachment.processing {
        Processing::Done => Some(file_url(urls, attachment.domain_id.0, &attachment.file.file_name)),
        Processing::Pending | Processing::Failed => None,
    };
    json!({
        "id": attachment.id.to_string(),
        "type": attachment.media_type.as_str(),
        "url": url,
        "preview_url": file_url(urls, attachment.domain_id.0, &attachment.thumbnail.file_name),
        "remote_url": null,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": attachment.description,
        "blurhash": attachment.blurhash,
    })
}

/// A remote status's attachment: the file stays on its server.
pub fn remote_attachment_json(attachment: &kereru_store::statuses::RemoteAttachment) -> Value {
    let kind = match attachment.media_type.as_deref().and_then(|m| m.split('/').next()) {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "unknown",
    };
    let mut meta = serde_json::Map::new();
    if let (Some(width), Some(height)) = (attachment.width, attachment.height)
        && height > 0
    {
        let size = json!({ "width": width, "height": height, "size": format!("{width}x{height}"),
                           "aspect": f64::from(width) / f64::from(height) });
        meta.insert("original".into(), size.clone());
        meta.insert("small".into(), size);
    }
    json!({
        "id": attachment.id.to_string(),
        "type": kind,
        "url": attachment.url,
        "preview_url": attachment.url,
        "remote_url": attachment.url,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": attachment.description,
        "blurhash": attachment.blurhash,
    })
}

// ---------------------------------------------------------------------------
// Parameters

fn upload_limits() -> multipart::Limits {
    multipart::Limits {
        body: UPLOAD_BODY_LIMIT,
        file: VIDEO_SIZE_LIMIT as usize,
        text: TEXT_FIELD_LIMIT,
        parts: PART_LIMIT,
    }
}

/// A file part: its bytes, `None` when absent, an error when over the limit.
fn file_part(form: &multipart::Form, name: &str) -> Result<Option<Bytes>, WebError> {
    match form.get(name) {
        None => Ok(None),
        Some(Part::File(bytes)) => Ok(Some(bytes.clone())),
        Some(Part::TooLarge) => Err(too_large_part(name)),
        // Only possible for a name the query string gave.
        Some(Part::Text(_)) => Err(WebError::Unprocessable(format!("{name} must be a file"))),
    }
}

fn tenant_files(state: &AppState, tenant: &Tenant) -> kereru_media::TenantFiles {
    state.media.tenant(tenant.id.0)
}

// ---------------------------------------------------------------------------
// Handlers

/// `POST /api/v1/media`: as [`upload`], but video and audio are finished
/// before the answer (200), as Mastodon's v1.
pub async fn upload_v1(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    upload_with(req, state, tenant, auth, payload, Finish::Now).await
}

/// `POST /api/v2/media`: multipart `file` (required), `thumbnail`,
/// `description`, `focus`. Images are processed before the answer (200);
/// video and audio are checked and answered with 202 and `url: null`, then
/// finished by the worker (`GET /api/v1/media/{id}` answers 206 until then).
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    upload_with(req, state, tenant, auth, payload, Finish::Later).await
}

/// The status an attachment is answered with: 206 while it is processed, as Mastodon.
fn processing_status(
    attachment: &MediaAttachment,
    pending: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    match attachment.processing {
        Processing::Done => Ok(HttpResponse::Ok().finish()),
        Processing::Pending => Ok(HttpResponse::build(pending).finish()),
        Processing::Failed => Err(WebError::Unprocessable("Error processing thumbnail for uploaded media".into())),
    }
}

fn answer(
    urls: &TenantUrls,
    attachment: &MediaAttachment,
    pending: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let status = processing_status(attachment, pending)?.status();
    Ok(HttpResponse::build(status).json(attachment_json(urls, attachment)))
}

async fn upload_with(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    payload: web::Payload,
    finish: Finish,
) -> Result<HttpResponse, WebError> {
    let account = auth.user(crate::extract::Scope::WriteMedia)?;
    let mut form = multipart::read(req.headers(), payload, upload_limits(), &["file", "thumbnail"]).await?;
    form.merge_query(req.query_string())?;
    let description = media_params::description(form.text("description")?).map_err(invalid)?.flatten();
    let focus = media_params::focus(form.text("focus")?).map_err(invalid)?;
    let file = file_part(&form, "file")?
        .ok_or_else(|| WebError::Unprocessable("Validation failed: File can't be blank".into()))?;
    let thumbnail = file_part(&form, "thumbnail")?;
    drop(form);
    let upload = Upload { file, thumbnail, description, focus };
    let av = AvOptions { tools: state.settings.av_tools.as_ref(), finish };
    let attachment = actions::upload(&state.pool, tenant_files(&state, &tenant), tenant.id, account.id, upload, av)
        .await
        .map_err(action_error)?;
    answer(&tenant.urls, &attachment, actix_web::http::StatusCode::ACCEPTED)
}

/// `account`'s media `id` on this tenant, while no status has it (as Mastodon finds it).
async fn find_unattached(
    state: &AppState,
    tenant: &Tenant,
    auth: &Auth,
    id: &str,
) -> Result<MediaAttachment, WebError> {
    let account = auth.user(crate::extract::Scope::WriteMedia)?;
    let id = kereru_store::MediaId(crate::extract::parse_id(id)?);
    actions::unattached(&state.pool, tenant.id, account.id, id).await.map_err(action_error)
}

/// `GET /api/v1/media/{id}`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let attachment = find_unattached(&state, &tenant, &auth, &id).await?;
    answer(&tenant.urls, &attachment, actix_web::http::StatusCode::PARTIAL_CONTENT)
}

/// `PUT /api/v1/media/{id}`: `description`, `focus`, `thumbnail`, as a form,
/// JSON or multipart (with a thumbnail file).
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let existing = find_unattached(&state, &tenant, &auth, &id).await?;
    processing_status(&existing, actix_web::http::StatusCode::PARTIAL_CONTENT)?;
    let account = auth.user(crate::extract::Scope::WriteMedia)?;
    let change = if multipart::is_multipart(req.headers()) {
        let mut form = multipart::read(req.headers(), payload, upload_limits(), &["thumbnail"]).await?;
        form.merge_query(req.query_string())?;
        Change {
            description: media_params::description(form.text("description")?).map_err(invalid)?,
            focus: media_params::focus(form.text("focus")?).map_err(invalid)?,
            thumbnail: file_part(&form, "thumbnail")?,
        }
    } else {
        let params = Params::from_request(&req, &mut payload.into_inner()).await?;
        Change {
            description: media_params::description(params.str("description")).map_err(invalid)?,
            focus: media_params::focus(params.str("focus")).map_err(invalid)?,
            thumbnail: None,
        }
    };
    let files = tenant_files(&state, &tenant);
    let attachment =
        actions::update(&state.pool, files, tenant.id, account.id, existing.id, change).await.map_err(action_error)?;
    answer(&tenant.urls, &attachment, actix_web::http::StatusCode::PARTIAL_CONTENT)
}

/// `GET /system/media/{name}`: a stored file, from this tenant's prefix of
/// the store only (another tenant's file is not found here). Only names of
/// the exact shape `kereru_media` gives are served, so no key can escape.
pub async fn serve_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    name: web::Path<String>,
) -> HttpResponse {
    match files::read(&state.media, tenant.id.0, &name).await {
        Ok(Some((content_type, bytes))) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header(CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(31_536_000),
                CacheDirective::Extension("immutable".into(), None),
            ]))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .body(bytes),
        Ok(None) => WebError::NotFound("the file you are looking for isn't here".into()).respond_to(&req),
        Err(error) => WebError::Internal(format!("reading media file: {error}")).respond_to(&req),
    }
}

// ---------------------------------------------------------------------------
// Profile images

/// Processes and stores a profile image on the tenant; returns its file name and size.
pub(crate) async fn store_profile_image(
    state: &AppState,
    tenant: &Tenant,
    bytes: Bytes,
    kind: ProfileImage,
) -> Result<actions::StoredProfileImage, WebError> {
    actions::store_profile_image(tenant_files(state, tenant), bytes, kind).await.map_err(process_error)
}

/// The URL of a profile image stored on the account's tenant (`domain_id`).
pub fn profile_image_url(urls: &TenantUrls, domain_id: i64, file_name: &str) -> String {
    file_url(urls, domain_id, file_name)
}

/// `GET /avatars/original/missing.png` and `/headers/original/missing.png`:
/// the image accounts show until they upload one.
pub async fn missing_image() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(&include_bytes!("../../assets/missing.png")[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_paths_alone_get_the_larger_body_limit() {
        assert_eq!(upload_body_limit(&Method::POST, "/api/v2/media"), Some(UPLOAD_BODY_LIMIT));
        assert_eq!(upload_body_limit(&Method::POST, "/api/v1/media"), Some(UPLOAD_BODY_LIMIT));
        assert_eq!(upload_body_limit(&Method::PUT, "/api/v1/media/123"), Some(UPLOAD_BODY_LIMIT));
        assert_eq!(upload_body_limit(&Method::GET, "/api/v2/media"), None);
        assert_eq!(upload_body_limit(&Method::POST, "/api/v1/statuses"), None);
        assert_eq!(upload_body_limit(&Method::POST, "/api/v2/media/"), None);
        assert_eq!(upload_body_limit(&Method::PUT, "/api/v1/media/1/x"), None);
        assert_eq!(upload_body_limit(&Method::PUT, "/api/v1/media/"), None);
    }
}
