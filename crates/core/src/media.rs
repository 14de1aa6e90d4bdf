//! The values a media attachment is made of, shared by the image pipeline
//! (`kereru_media`) that produces them and the store that records them.

/// A focal point, each coordinate in [-1, 1] (Mastodon's convention: x to
/// the right, y upwards, 0 at the centre).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Focus {
    pub x: f64,
    pub y: f64,
}

impl Focus {
    /// `None` unless both coordinates are finite and within [-1, 1].
    pub fn new(x: f64, y: f64) -> Option<Focus> {
        let valid = |v: f64| v.is_finite() && (-1.0..=1.0).contains(&v);
        (valid(x) && valid(y)).then_some(Focus { x, y })
    }
}

/// A stored file: its random name under the tenant's media directory, its type and geometry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub file_name: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
}
