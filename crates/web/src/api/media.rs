//! Media attachments: `POST /api/v1/media` and `/api/v2/media` (upload),
//! `GET` and `PUT /api/v1/media/{id}`, and the files themselves at
//! `/system/media/{name}` on the tenant's host.
//!
//! Images only for now (JPEG, PNG, GIF, WebP), recognized by their bytes,
//! never by the name or type the client gives. Every upload is decoded and
//! re-encoded, which drops EXIF (GPS positions included), XMP, comments and
//! colour profiles; the EXIF orientation is applied to the pixels first.
//! Like Mastodon, originals over 3840×2160 pixels' worth are scaled down and
//! the preview (`small`) has at most 640×360 pixels' worth. Static GIFs
//! become PNG; animated GIFs stay animated GIFs; WebP becomes JPEG (PNG if it
//! has an alpha channel).
//!
//! Files live in `<media_dir>/<domain id>/` under random 128-bit names, and
//! are served only on their tenant's hosts.

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
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use kereru_core::TenantUrls;
use kereru_store::media::{
    self, Focus, MediaAttachment, MediaError, MediaType, MediaUpdate, NewMediaAttachment, StoredFile,
};
use serde_json::{Value, json};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Mastodon's `original` style: larger images are scaled down to this many pixels (3840×2160).
pub const ORIGINAL_PIXEL_LIMIT: u64 = 8_294_400;
/// Mastodon's `small` style, the preview: at most this many pixels (640×360).
pub const SMALL_PIXEL_LIMIT: u64 = 230_400;
/// Characters in a description (the instance document's `description_limit`).
pub const DESCRIPTION_LIMIT: usize = 1500;
/// The whole upload request: a file and a thumbnail at their limit, and the text fields.
pub const UPLOAD_BODY_LIMIT: u64 = 2 * IMAGE_SIZE_LIMIT + 1024 * 1024;
/// Animated GIFs are re-encoded frame by frame; this bounds the work.
pub const GIF_FRAME_LIMIT: usize = 1000;
pub const GIF_TOTAL_PIXEL_LIMIT: u64 = IMAGE_MATRIX_LIMIT;
const TEXT_FIELD_LIMIT: usize = 64 * 1024;
const PART_LIMIT: usize = 32;
/// What a decoder may allocate: an image at the matrix limit in 16-bit RGBA, with room to spare.
const DECODE_ALLOC_LIMIT: u64 = 320 * 1024 * 1024;
const JPEG_QUALITY: u8 = 90;
const GIF_SPEED: i32 = 10;
/// Mastodon's blurhash: 4×4 components.
const BLURHASH_COMPONENTS: u32 = 4;

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
    (upload || update || profile).then_some(UPLOAD_BODY_LIMIT)
}

fn not_found() -> WebError {
    WebError::NotFound("Record not found".into())
}

fn too_large_file(field: &str) -> WebError {
    let field = if field == "file" { "File" } else { "Thumbnail" };
    WebError::Unprocessable(format!(
        "Validation failed: {field} file size must be less than {} MB",
        IMAGE_SIZE_LIMIT / (1024 * 1024)
    ))
}

/// Maps the store's attachment errors to responses. Status creation uses it
/// for `attach_to_status`: Mastodon's 422 names the ids it could not take.
pub fn media_error(error: MediaError) -> WebError {
    match error {
        MediaError::NotFound(id) | MediaError::AlreadyAttached(id) => {
            WebError::Unprocessable(format!("Media {id} not found or already attached to another post"))
        }
        MediaError::Dimension(_) => WebError::Unprocessable(error.to_string()),
        MediaError::Store(error) => error.into(),
    }
}

// ---------------------------------------------------------------------------
// JSON

/// The URL a stored file is served at on this tenant.
pub fn file_url(urls: &TenantUrls, file_name: &str) -> String {
    format!("{}/system/media/{file_name}", urls.base())
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

/// Mastodon's MediaAttachment entity; also what a Status's `media_attachments` lists.
pub fn attachment_json(urls: &TenantUrls, attachment: &MediaAttachment) -> Value {
    let mut meta = serde_json::Map::new();
    if let Some(focus) = attachment.focus {
        meta.insert("focus".into(), json!({ "x": focus.x, "y": focus.y }));
    }
    meta.insert("original".into(), geometry(&attachment.file));
    meta.insert("small".into(), geometry(&attachment.thumbnail));
    json!({
        "id": attachment.id.to_string(),
        "type": attachment.media_type.as_str(),
        "url": file_url(urls, &attachment.file.file_name),
        "preview_url": file_url(urls, &attachment.thumbnail.file_name),
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

/// `Some(None)` clears (an empty description), `None` leaves it as it is.
fn parse_description(value: Option<&str>) -> Result<Option<Option<String>>, WebError> {
    let Some(text) = value else { return Ok(None) };
    if text.trim().is_empty() {
        return Ok(Some(None));
    }
    if text.chars().count() > DESCRIPTION_LIMIT {
        return Err(WebError::Unprocessable(format!(
            "Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT} characters)"
        )));
    }
    if text.contains('\0') {
        return Err(WebError::Unprocessable("Validation failed: Description contains a NUL character".into()));
    }
    Ok(Some(Some(text.to_string())))
}

/// `"x,y"`, each in [-1, 1]. A blank value changes nothing, as in Mastodon.
fn parse_focus(value: Option<&str>) -> Result<Option<Focus>, WebError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let invalid = || WebError::Unprocessable("focus must be two numbers from -1.0 to 1.0, as \"x,y\"".into());
    let (x, y) = text.split_once(',').ok_or_else(invalid)?;
    let x: f64 = x.trim().parse().map_err(|_| invalid())?;
    let y: f64 = y.trim().parse().map_err(|_| invalid())?;
    Focus::new(x, y).map(Some).ok_or_else(invalid)
}

fn upload_limits() -> multipart::Limits {
    multipart::Limits {
        body: UPLOAD_BODY_LIMIT,
        file: IMAGE_SIZE_LIMIT as usize,
        text: TEXT_FIELD_LIMIT,
        parts: PART_LIMIT,
    }
}

/// A file part: its bytes, `None` when absent, an error when over the limit.
fn file_part(form: &multipart::Form, name: &str) -> Result<Option<Bytes>, WebError> {
    match form.get(name) {
        None => Ok(None),
        Some(Part::File(bytes)) => Ok(Some(bytes.clone())),
        Some(Part::TooLarge) => Err(too_large_file(name)),
        // Only possible for a name the query string gave.
        Some(Part::Text(_)) => Err(WebError::Unprocessable(format!("{name} must be a file"))),
    }
}

// ---------------------------------------------------------------------------
// Image processing (CPU-bound: runs on a blocking thread, a few at a time)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputFormat {
    Jpeg,
    Png,
    Gif,
    WebP,
}

/// The format by its magic number.
fn sniff(bytes: &[u8]) -> Option<InputFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(InputFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(InputFormat::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(InputFormat::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(InputFormat::WebP)
    } else {
        None
    }
}

impl InputFormat {
    fn image_format(self) -> ImageFormat {
        match self {
            InputFormat::Jpeg => ImageFormat::Jpeg,
            InputFormat::Png => ImageFormat::Png,
            InputFormat::Gif => ImageFormat::Gif,
            InputFormat::WebP => ImageFormat::WebP,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Jpeg,
    Png,
    Gif,
}

impl OutputFormat {
    fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
            OutputFormat::Gif => "gif",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Gif => "image/gif",
        }
    }

    /// A still image in the format its source suggests: JPEG stays JPEG, the
    /// rest is PNG, except opaque WebP (usually a photo), which becomes JPEG.
    fn for_still(input: InputFormat, image: &DynamicImage) -> OutputFormat {
        match input {
            InputFormat::Jpeg => OutputFormat::Jpeg,
            InputFormat::WebP if !image.color().has_alpha() => OutputFormat::Jpeg,
            _ => OutputFormat::Png,
        }
    }

    /// Previews are JPEG unless transparency must survive.
    fn for_preview(image: &DynamicImage) -> OutputFormat {
        if image.color().has_alpha() { OutputFormat::Png } else { OutputFormat::Jpeg }
    }
}

#[derive(Debug, thiserror::Error)]
enum ProcessError {
    #[error("File type of uploaded media could not be verified")]
    Unrecognized,
    #[error("{0}x{1} images are not supported")]
    Dimensions(u32, u32),
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    #[error("animated GIFs may have at most {GIF_FRAME_LIMIT} frames and {GIF_TOTAL_PIXEL_LIMIT} pixels in all frames")]
    AnimationTooLarge,
    #[error("Error processing thumbnail for uploaded media: {0}")]
    Encode(String),
    #[error("storing the media file failed: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ProcessError> for WebError {
    fn from(error: ProcessError) -> Self {
        match error {
            ProcessError::Encode(_) | ProcessError::Io(_) => WebError::Internal(error.to_string()),
            other => WebError::Unprocessable(other.to_string()),
        }
    }
}

fn decode_error(error: image::ImageError) -> ProcessError {
    match error {
        image::ImageError::Limits(_) => ProcessError::Corrupt("it needs too much memory to decode".into()),
        other => ProcessError::Corrupt(other.to_string().chars().take(200).collect()),
    }
}

fn encode_error(error: image::ImageError) -> ProcessError {
    ProcessError::Encode(error.to_string())
}

fn decode_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_ALLOC_LIMIT);
    limits
}

fn check_matrix(width: u32, height: u32) -> Result<(), ProcessError> {
    if width == 0 || height == 0 {
        return Err(ProcessError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > IMAGE_MATRIX_LIMIT {
        return Err(ProcessError::Dimensions(width, height));
    }
    Ok(())
}

/// 8 bits per channel: what browsers show, and half the memory.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

/// The (first) image, upright by its EXIF orientation, 8 bits per channel.
fn decode_still(bytes: &[u8], format: InputFormat) -> Result<DynamicImage, ProcessError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(decode_limits());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_matrix(width, height)?;
    if decoder.total_bytes() > DECODE_ALLOC_LIMIT {
        return Err(ProcessError::Dimensions(width, height));
    }
    // An unreadable orientation is no orientation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    Ok(to_8bit(image))
}

/// The size that fits `max_pixels`, keeping the aspect ratio; never larger.
fn fit(width: u32, height: u32, max_pixels: u64) -> (u32, u32) {
    let pixels = u64::from(width) * u64::from(height);
    if pixels <= max_pixels {
        return (width, height);
    }
    let scale = (max_pixels as f64 / pixels as f64).sqrt();
    let side = |v: u32| ((f64::from(v) * scale + 1e-6).floor() as u32).clamp(1, v);
    (side(width), side(height))
}

fn scaled(image: &DynamicImage, max_pixels: u64) -> Option<DynamicImage> {
    let (width, height) = fit(image.width(), image.height(), max_pixels);
    ((width, height) != (image.width(), image.height()))
        .then(|| image.resize_exact(width, height, FilterType::Triangle))
}

#[derive(Debug)]
struct Encoded {
    bytes: Vec<u8>,
    format: OutputFormat,
    width: u32,
    height: u32,
}

fn encode_still(image: &DynamicImage, format: OutputFormat) -> Result<Encoded, ProcessError> {
    let mut bytes = Vec::new();
    let (width, height) = (image.width(), image.height());
    // Stills are never GIF: a single GIF frame is stored as PNG.
    let format = if format == OutputFormat::Gif { OutputFormat::Png } else { format };
    match format {
        OutputFormat::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
            match image {
                DynamicImage::ImageLuma8(gray) => {
                    encoder.write_image(gray.as_raw(), width, height, ExtendedColorType::L8)
                }
                other => encoder.write_image(other.to_rgb8().as_raw(), width, height, ExtendedColorType::Rgb8),
            }
            .map_err(encode_error)?;
        }
        OutputFormat::Png | OutputFormat::Gif => {
            let encoder = PngEncoder::new_with_quality(&mut bytes, CompressionType::Default, PngFilter::Adaptive);
            image.write_with_encoder(encoder).map_err(encode_error)?;
        }
    }
    Ok(Encoded { bytes, format, width, height })
}

fn blurhash_of(image: &DynamicImage) -> Option<String> {
    // Four components a side need few pixels: hash a small copy.
    let tiny = image.thumbnail(64, 64).to_rgba8();
    blurhash::encode(BLURHASH_COMPONENTS, BLURHASH_COMPONENTS, tiny.width(), tiny.height(), tiny.as_raw()).ok()
}

/// The preview of a still image, and its blurhash.
fn preview(image: &DynamicImage) -> Result<(Encoded, Option<String>), ProcessError> {
    let small = scaled(image, SMALL_PIXEL_LIMIT);
    let small = small.as_ref().unwrap_or(image);
    let encoded = encode_still(small, OutputFormat::for_preview(small))?;
    Ok((encoded, blurhash_of(small)))
}

#[derive(Debug)]
struct Processed {
    original: Encoded,
    small: Encoded,
    blurhash: Option<String>,
}

fn process_still(image: DynamicImage, input: InputFormat) -> Result<Processed, ProcessError> {
    let image = match scaled(&image, ORIGINAL_PIXEL_LIMIT) {
        Some(smaller) => smaller,
        None => image,
    };
    let original = encode_still(&image, OutputFormat::for_still(input, &image))?;
    let (small, blurhash) = preview(&image)?;
    Ok(Processed { original, small, blurhash })
}

/// GIFs: a single frame becomes a PNG; an animation is re-encoded frame by
/// frame (dropping comments and application data but the loop) within limits.
fn process_gif(bytes: &[u8]) -> Result<Processed, ProcessError> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_matrix(width, height)?;
    decoder.set_limits(decode_limits()).map_err(decode_error)?;
    let mut frames = decoder.into_frames();
    let first =
        frames.next().ok_or_else(|| ProcessError::Corrupt("the GIF has no frames".into()))?.map_err(decode_error)?;
    let Some(second) = frames.next().transpose().map_err(decode_error)? else {
        let image = DynamicImage::ImageRgba8(first.into_buffer());
        return process_still(image, InputFormat::Gif);
    };
    let first_image = DynamicImage::ImageRgba8(first.buffer().clone());
    let frame_pixels = u64::from(width) * u64::from(height);
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, GIF_SPEED);
        encoder.set_repeat(Repeat::Infinite).map_err(encode_error)?;
        let mut count = 0usize;
        for frame in [Ok(first), Ok(second)].into_iter().chain(frames) {
            let frame = frame.map_err(decode_error)?;
            count += 1;
            if count > GIF_FRAME_LIMIT || (count as u64).saturating_mul(frame_pixels) > GIF_TOTAL_PIXEL_LIMIT {
                return Err(ProcessError::AnimationTooLarge);
            }
            encoder.encode_frame(frame).map_err(encode_error)?;
        }
    }
    let original = Encoded { bytes, format: OutputFormat::Gif, width, height };
    let (small, blurhash) = preview(&first_image)?;
    Ok(Processed { original, small, blurhash })
}

fn process_file(bytes: &[u8]) -> Result<Processed, ProcessError> {
    let format = sniff(bytes).ok_or(ProcessError::Unrecognized)?;
    match format {
        InputFormat::Gif => process_gif(bytes),
        other => process_still(decode_still(bytes, other)?, other),
    }
}

/// A client-given thumbnail: any accepted format, reduced to the preview size.
fn process_thumbnail(bytes: &[u8]) -> Result<(Encoded, Option<String>), ProcessError> {
    let format = sniff(bytes).ok_or(ProcessError::Unrecognized)?;
    preview(&decode_still(bytes, format)?)
}

// ---------------------------------------------------------------------------
// Files

fn random_name(format: OutputFormat) -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.{}", format.extension())
}

/// The content type of a name this module gives (`<32 hex>.<ext>`); `None` for anything else.
fn served_content_type(name: &str) -> Option<&'static str> {
    let (stem, extension) = name.split_once('.')?;
    if stem.len() != 32 || !stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    match extension {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

fn tenant_dir(state: &AppState, tenant: &Tenant) -> PathBuf {
    state.settings.media_dir.join(tenant.id.0.to_string())
}

/// Writes a new file under a fresh random name (never over an existing one) and syncs it.
fn write_new(dir: &Path, encoded: &Encoded) -> Result<StoredFile, ProcessError> {
    std::fs::create_dir_all(dir)?;
    let name = random_name(encoded.format);
    let path = dir.join(&name);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    let written = file.write_all(&encoded.bytes).and_then(|()| file.sync_all());
    if let Err(error) = written {
        let _ = std::fs::remove_file(&path);
        return Err(error.into());
    }
    Ok(StoredFile {
        file_name: name,
        content_type: encoded.format.content_type().to_string(),
        width: encoded.width,
        height: encoded.height,
    })
}

/// Removes files a failed request wrote, or a replaced thumbnail. A file
/// that cannot be removed is logged: it is unreferenced and unguessable.
async fn remove_files(dir: PathBuf, names: Vec<String>) {
    let result = web::block(move || {
        for name in names {
            if let Err(error) = std::fs::remove_file(dir.join(&name))
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove media file {name}: {error}");
            }
        }
    })
    .await;
    if let Err(error) = result {
        tracing::warn!("could not remove media files: {error}");
    }
}

/// Image work takes memory in hundreds of megabytes at the limits: only a few at once.
async fn processing_permit() -> Result<tokio::sync::SemaphorePermit<'static>, WebError> {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cpus.clamp(1, 4))
    });
    slots.acquire().await.map_err(|e| WebError::Internal(format!("media processing: {e}")))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ProcessError> + Send + 'static,
) -> Result<T, WebError> {
    let _permit = processing_permit().await?;
    Ok(web::block(work).await.map_err(|e| WebError::Internal(format!("media worker: {e}")))??)
}

// ---------------------------------------------------------------------------
// Handlers

/// `POST /api/v1/media` and `/api/v2/media`: multipart `file` (required),
/// `thumbnail`, `description`, `focus`. Images are processed before the
/// answer, so both answer 200 with the attachment.
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let account = auth.user(crate::extract::Scope::WriteMedia)?;
    let mut form = multipart::read(req.headers(), payload, upload_limits(), &["file", "thumbnail"]).await?;
    form.merge_query(req.query_string())?;
    let description = parse_description(form.text("description")?)?.flatten();
    let focus = parse_focus(form.text("focus")?)?;
    let file = file_part(&form, "file")?
        .ok_or_else(|| WebError::Unprocessable("Validation failed: File can't be blank".into()))?;
    let thumbnail = file_part(&form, "thumbnail")?;
    drop(form);

    let dir = tenant_dir(&state, &tenant);
    let work_dir = dir.clone();
    let (stored, stored_small, file_size, blurhash) = blocking(move || {
        let processed = process_file(&file)?;
        let (small, blurhash) = match thumbnail {
            Some(bytes) => process_thumbnail(&bytes)?,
            None => (processed.small, processed.blurhash),
        };
        let stored = write_new(&work_dir, &processed.original)?;
        let stored_small = match write_new(&work_dir, &small) {
            Ok(small) => small,
            Err(error) => {
                let _ = std::fs::remove_file(work_dir.join(&stored.file_name));
                return Err(error);
            }
        };
        Ok((stored, stored_small, processed.original.bytes.len() as i64, blurhash))
    })
    .await?;

    let names = vec![stored.file_name.clone(), stored_small.file_name.clone()];
    let new = NewMediaAttachment {
        media_type: MediaType::Image,
        file: stored,
        file_size,
        thumbnail: stored_small,
        description,
        focus,
        blurhash,
    };
    let created = match state.pool.get().await {
        Ok(mut conn) => media::create(&mut conn, tenant.id, account.id, new).await.map_err(media_error),
        Err(error) => Err(error.into()),
    };
    match created {
        Ok(attachment) => Ok(HttpResponse::Ok().json(attachment_json(&tenant.urls, &attachment))),
        Err(error) => {
            remove_files(dir, names).await;
            Err(error)
        }
    }
}

fn parse_id(id: &str) -> Result<i64, WebError> {
    id.parse().map_err(|_| not_found())
}

/// `account`'s media `id` on this tenant, while no status has it (as Mastodon finds it).
async fn find_unattached(
    state: &AppState,
    tenant: &Tenant,
    auth: &Auth,
    id: &str,
) -> Result<MediaAttachment, WebError> {
    let account = auth.user(crate::extract::Scope::WriteMedia)?;
    let id = parse_id(id)?;
    let mut conn = state.pool.get().await?;
    media::get_own(&mut conn, tenant.id, account.id, id)
        .await?
        .filter(|attachment| attachment.status_id.is_none())
        .ok_or_else(not_found)
}

/// `GET /api/v1/media/{id}`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let attachment = find_unattached(&state, &tenant, &auth, &id).await?;
    Ok(HttpResponse::Ok().json(attachment_json(&tenant.urls, &attachment)))
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
    let account = auth.user(crate::extract::Scope::WriteMedia)?;
    let (description, focus, thumbnail) = if multipart::is_multipart(req.headers()) {
        let mut form = multipart::read(req.headers(), payload, upload_limits(), &["thumbnail"]).await?;
        form.merge_query(req.query_string())?;
        (
            parse_description(form.text("description")?)?,
            parse_focus(form.text("focus")?)?,
            file_part(&form, "thumbnail")?,
        )
    } else {
        let params = Params::from_request(&req, &mut payload.into_inner()).await?;
        (parse_description(params.str("description"))?, parse_focus(params.str("focus"))?, None)
    };

    let dir = tenant_dir(&state, &tenant);
    let new_thumbnail = match thumbnail {
        Some(bytes) => {
            let work_dir = dir.clone();
            Some(
                blocking(move || {
                    let (small, blurhash) = process_thumbnail(&bytes)?;
                    Ok((write_new(&work_dir, &small)?, blurhash))
                })
                .await?,
            )
        }
        None => None,
    };
    let new_name = new_thumbnail.as_ref().map(|(file, _)| file.file_name.clone());
    let update = MediaUpdate { description, focus: focus.map(Some), thumbnail: new_thumbnail };
    let updated = match state.pool.get().await {
        Ok(mut conn) => media::update_unattached(&mut conn, tenant.id, account.id, existing.id, &update)
            .await
            .map_err(media_error)
            .and_then(|found| found.ok_or_else(not_found)),
        Err(error) => Err(error.into()),
    };
    match updated {
        Ok((attachment, replaced)) => {
            if let Some(old) = replaced {
                remove_files(dir, vec![old]).await;
            }
            Ok(HttpResponse::Ok().json(attachment_json(&tenant.urls, &attachment)))
        }
        Err(error) => {
            if let Some(name) = new_name {
                remove_files(dir, vec![name]).await;
            }
            Err(error)
        }
    }
}

/// `GET /system/media/{name}`: a stored file, from this tenant's directory
/// only (another tenant's file is not found here). Names are checked
/// against the exact shape this module gives them, so no path can escape.
pub async fn serve_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    name: web::Path<String>,
) -> HttpResponse {
    let missing = || WebError::NotFound("the file you are looking for isn't here".into()).respond_to(&req);
    let Some(content_type) = served_content_type(&name) else { return missing() };
    let path = tenant_dir(&state, &tenant).join(name.as_str());
    match web::block(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => HttpResponse::Ok()
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
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => missing(),
        Ok(Err(error)) => WebError::Internal(format!("reading media file: {error}")).respond_to(&req),
        Err(error) => WebError::Internal(format!("media worker: {error}")).respond_to(&req),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn sizes_fit_mastodons_pixel_budgets() {
        assert_eq!(fit(600, 600, SMALL_PIXEL_LIMIT), (480, 480));
        assert_eq!(fit(1920, 1080, SMALL_PIXEL_LIMIT), (640, 360));
        assert_eq!(fit(400, 300, SMALL_PIXEL_LIMIT), (400, 300));
        assert_eq!(fit(7680, 4320, ORIGINAL_PIXEL_LIMIT), (3840, 2160));
        let (w, h) = fit(100_000, 1, SMALL_PIXEL_LIMIT);
        assert!(w >= 1 && h == 1 && u64::from(w) * u64::from(h) <= SMALL_PIXEL_LIMIT);
    }

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(InputFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(InputFormat::Png));
        assert_eq!(sniff(b"GIF89a..."), Some(InputFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(InputFormat::WebP));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn only_names_this_module_makes_are_served() {
        assert_eq!(served_content_type("0123456789abcdef0123456789abcdef.jpg"), Some("image/jpeg"));
        assert_eq!(served_content_type("0123456789abcdef0123456789abcdef.png"), Some("image/png"));
        for bad in [
            "../0123456789abcdef0123456789abcde.jpg",
            "0123456789ABCDEF0123456789abcdef.jpg",
            "0123456789abcdef0123456789abcdef.html",
            "0123456789abcdef0123456789abcdef.jpg.png",
            "0123456789abcdef0123456789abcdef",
            "..",
            "",
        ] {
            assert_eq!(served_content_type(bad), None, "{bad}");
        }
        let name = random_name(OutputFormat::Png);
        assert_eq!(served_content_type(&name), Some("image/png"));
        assert_ne!(name, random_name(OutputFormat::Png));
    }

    #[test]
    fn focus_is_two_numbers_within_bounds() {
        assert_eq!(parse_focus(Some("-0.5,0.3")).unwrap(), Focus::new(-0.5, 0.3));
        assert_eq!(parse_focus(Some(" 1 , -1 ")).unwrap(), Focus::new(1.0, -1.0));
        assert_eq!(parse_focus(Some("")).unwrap(), None);
        assert_eq!(parse_focus(None).unwrap(), None);
        for bad in ["1.5,0", "0", "a,b", "NaN,0", "inf,0", "0,0,0", "0;0"] {
            assert!(parse_focus(Some(bad)).is_err(), "{bad}");
        }
    }

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

// ---------------------------------------------------------------------------
// Profile images

/// An avatar or a header image, as Mastodon sizes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileImage {
    /// Cropped to a square, 400 px a side at most.
    Avatar,
    /// Fit within 1500 × 500 px.
    Header,
}

const AVATAR_SIDE: u32 = 400;
const HEADER_SIZE: (u32, u32) = (1500, 500);

fn process_profile_image(bytes: &[u8], kind: ProfileImage) -> Result<Encoded, ProcessError> {
    let format = sniff(bytes).ok_or(ProcessError::Unrecognized)?;
    // An animated GIF keeps its first frame: profile images are stills here.
    let image = decode_still(bytes, format)?;
    let image = match kind {
        ProfileImage::Avatar => {
            let side = image.width().min(image.height());
            let (x, y) = ((image.width() - side) / 2, (image.height() - side) / 2);
            let square = image.crop_imm(x, y, side, side);
            if side > AVATAR_SIDE {
                square.resize_exact(AVATAR_SIDE, AVATAR_SIDE, FilterType::Triangle)
            } else {
                square
            }
        }
        ProfileImage::Header => {
            if image.width() > HEADER_SIZE.0 || image.height() > HEADER_SIZE.1 {
                image.resize(HEADER_SIZE.0, HEADER_SIZE.1, FilterType::Triangle)
            } else {
                image
            }
        }
    };
    encode_still(&image, OutputFormat::for_still(format, &image))
}

/// Processes and stores a profile image on the tenant; returns its file name.
pub(crate) async fn store_profile_image(
    state: &AppState,
    tenant: &Tenant,
    bytes: Bytes,
    kind: ProfileImage,
) -> Result<String, WebError> {
    let dir = tenant_dir(state, tenant);
    let stored = blocking(move || {
        let encoded = process_profile_image(&bytes, kind)?;
        write_new(&dir, &encoded)
    })
    .await?;
    Ok(stored.file_name)
}

/// The URL of a profile image stored on the account's tenant.
pub fn profile_image_url(urls: &TenantUrls, file_name: &str) -> String {
    file_url(urls, file_name)
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
