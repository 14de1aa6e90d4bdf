//! Uploaded images, from the bytes a client sent to the files on disk. No
//! HTTP and no database: `kereru_service::media` records what this
//! produces, the web layer reads the upload and serves the files.
//!
//! Images (JPEG, PNG, GIF, WebP) are recognized by their bytes
//! ([`format::sniff`]), never by the name or type the client gives. Every
//! upload is decoded and re-encoded ([`process`]), which drops EXIF (GPS
//! positions included), XMP, comments and colour profiles; the EXIF
//! orientation is applied to the pixels first. Like Mastodon, originals over
//! 3840×2160 pixels' worth are scaled down and the preview (`small`) has at
//! most 640×360 pixels' worth. Static GIFs become PNG; animated GIFs stay
//! animated GIFs; WebP becomes JPEG (PNG if it has an alpha channel).
//! Avatars and headers are sized as Mastodon sizes them ([`profile`]).
//!
//! Files are kept under random 128-bit names ([`files`]) in one store
//! ([`store`]): the local `<media_dir>/<domain id>/`, or an S3-compatible bucket. Processing is CPU-bound and takes memory in hundreds of
//! megabytes at the limits: it runs on blocking threads, a few at a time
//! ([`worker::blocking`]).
//!
//! Video and audio go through Debian's ffprobe and ffmpeg instead ([`av`]).

pub mod av;
pub mod files;
pub mod format;
pub mod params;
pub mod process;
pub mod profile;
pub mod store;
pub mod worker;

pub use process::{Encoded, ProcessError, Processed, process_file, process_thumbnail};
pub use profile::{ProfileImage, process_profile_image};
pub use store::{MediaStore, StorageError, TenantFiles};
pub use worker::blocking;

/// The largest upload, in bytes (the instance document's `image_size_limit`).
pub const IMAGE_SIZE_LIMIT: u64 = 16 * 1024 * 1024;
/// The most pixels an image may have (the instance document's `image_matrix_limit`).
pub const IMAGE_MATRIX_LIMIT: u64 = 33_177_600;
/// Mastodon's `original` style: larger images are scaled down to this many pixels (3840×2160).
pub const ORIGINAL_PIXEL_LIMIT: u64 = 8_294_400;
/// Mastodon's `small` style, the preview: at most this many pixels (640×360).
pub const SMALL_PIXEL_LIMIT: u64 = 230_400;
/// Characters in a description (the instance document's `description_limit`).
pub const DESCRIPTION_LIMIT: usize = 1500;
/// Animated GIFs are re-encoded frame by frame; this bounds the work.
pub const GIF_FRAME_LIMIT: usize = 1000;
pub const GIF_TOTAL_PIXEL_LIMIT: u64 = IMAGE_MATRIX_LIMIT;
