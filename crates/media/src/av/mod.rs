//! Video and audio uploads through Debian's `ffprobe` and `ffmpeg` (never a
//! container parser of our own): the container told by its magic number
//! ([`container`]), checked and described by ffprobe within bounds
//! ([`probe`]), a preview picture made and the served file decided
//! ([`plan`]) and written ([`convert`]). The programs are optional at run
//! time ([`tools::Tools::find`]).

pub mod container;
pub mod convert;
pub mod plan;
pub mod probe;
pub mod tools;

use std::time::Duration;

pub use container::Container;
pub use plan::{Kind, Plan, Target};
pub use probe::Probe;
pub use tools::Tools;

/// The largest video or audio upload, in bytes (the instance document's `video_size_limit`).
pub const VIDEO_SIZE_LIMIT: u64 = 40 * 1024 * 1024;
/// The most pixels a video frame may have (4K UHD, as Mastodon's `video_matrix_limit`).
pub const VIDEO_MATRIX_LIMIT: u64 = 8_294_400;
/// The highest frame rate accepted (Mastodon's `video_frame_rate_limit`).
pub const VIDEO_FRAME_RATE_LIMIT: f64 = 120.0;
/// The longest video or audio accepted.
pub const MAX_DURATION_SECONDS: f64 = 4.0 * 3600.0;
/// How long ffprobe may look at an upload.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long ffmpeg may take for a preview picture.
pub const PREVIEW_TIMEOUT: Duration = Duration::from_secs(60);
/// How long ffmpeg may take to remux or transcode a file.
pub const TRANSCODE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, thiserror::Error)]
pub enum AvError {
    /// ffprobe and ffmpeg are not installed here.
    #[error("Video and audio uploads are not supported on this server")]
    NotSupported,
    #[error("File type of uploaded media could not be verified: it is not audio or video")]
    NotMedia,
    #[error("File type of uploaded media could not be verified: {0}")]
    Rejected(String),
    #[error("{0}x{1} videos are not supported")]
    Dimensions(u32, u32),
    #[error("Videos with a frame rate above {VIDEO_FRAME_RATE_LIMIT} are not supported")]
    FrameRate,
    #[error("Video and audio may last at most {} hours", MAX_DURATION_SECONDS / 3600.0)]
    TooLong,
    #[error("Validation failed: File file size must be less than {} MB", VIDEO_SIZE_LIMIT / (1024 * 1024))]
    TooLarge,
    #[error("Processing the uploaded media took too long")]
    Timeout,
    #[error("media tools: {0}")]
    Tool(String),
    #[error("storing the media file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Storage(#[from] crate::store::StorageError),
}

impl AvError {
    /// Whether the upload is at fault (422) rather than the server (500).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, AvError::Tool(_) | AvError::Io(_) | AvError::Storage(_))
    }
}
