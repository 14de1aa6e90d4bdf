use crate::pages::Templates;
use kereru_core::Scheme;
use kereru_store::Pool;
use std::path::PathBuf;

/// What the web layer needs from the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The scheme of every id and URL Kererū publishes.
    pub public_scheme: Scheme,
    /// Requests declaring a larger body are refused with 413 before they are read.
    pub max_body_bytes: u64,
    /// Allow OAuth's `password` grant (for bots and tests; off by default).
    pub password_grant: bool,
    /// Uploaded media, one directory per tenant (`<media_dir>/<domain id>/`).
    pub media_dir: PathBuf,
}

pub struct AppState {
    pub pool: Pool,
    pub settings: WebSettings,
    pub templates: Templates,
}

impl AppState {
    pub fn new(pool: Pool, settings: WebSettings) -> Result<Self, crate::WebError> {
        Ok(AppState { pool, settings, templates: Templates::load()? })
    }
}
