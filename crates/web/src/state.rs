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
    /// Uploaded media, one directory per tenant (`<media_dir>/<domain id>/`), when kept locally.
    pub media_dir: PathBuf,
    /// Where media files are kept (`[media]`): the local `media_dir` by default, or an S3 bucket.
    pub media_store: kereru_media::store::StoreSettings,
    /// ffprobe and ffmpeg, when installed: without them video and audio uploads are refused.
    pub av_tools: Option<kereru_media::av::Tools>,
    pub rate_limit: crate::rate_limit::RateLimit,
    /// Inbox POSTs with a larger body are refused with 413.
    pub max_inbox_bytes: u64,
    /// The outbound HTTP client's settings ([`AppState::fetcher`] is built from them).
    pub fetch: kereru_delivery::http::FetchSettings,
    /// Bounds on the key fetches inbound signatures cause.
    pub key_fetch: kereru_service::federation::KeyFetchSettings,
    /// Failed logins allowed per account and window (OAuth password grant and the login page).
    pub login_failures: crate::rate_limit::RateLimit,
    /// Sign-ups (web page and API) per client address and window.
    pub sign_ups_per_address: crate::rate_limit::RateLimit,
    /// Password-reset requests per client address (and per e-mail address) and window.
    pub password_resets_per_address: crate::rate_limit::RateLimit,
    /// What the host admin's tenant pages check DNS and TLS against.
    pub hosting: Hosting,
    /// The provisioning API: its host and the deletion grace period (`[provider]`).
    pub provider: crate::provider::ProviderSettings,
}

/// The host's public face, for `/admin/host/tenants`: the addresses tenants'
/// DNS records must point at (`[acme] public_addresses`), the resolver to ask
/// (`[acme] resolver`; none: the system's), and whether TLS is served.
#[derive(Debug, Clone, Default)]
pub struct Hosting {
    pub public_addresses: Vec<std::net::IpAddr>,
    pub resolver: Option<std::net::SocketAddr>,
    pub tls_enabled: bool,
    /// `[provider] self_service`: hosts no tenant serves offer `/claim` (`pages::claims`).
    pub self_service: bool,
    /// A claim's "Check now" looks at DNS at most this often (`service::claims::verify::RECHECK_AFTER` in serve).
    pub claim_recheck: std::time::Duration,
}

pub struct AppState {
    pub pool: Pool,
    pub settings: WebSettings,
    pub templates: Templates,
    /// Every stored file is written, read and removed through it.
    pub media: kereru_media::MediaStore,
    pub limiter: std::sync::Arc<crate::rate_limit::Limiter>,
    /// Every request to another server goes through it.
    pub fetcher: std::sync::Arc<kereru_delivery::http::Fetcher>,
    /// Key fetches caused by inbound signatures, bounded per key and host.
    pub key_fetches: std::sync::Arc<kereru_service::federation::KeyFetches>,
    /// Failed logins per account (see [`crate::rate_limit::LoginGuard`]).
    pub logins: std::sync::Arc<crate::rate_limit::LoginGuard>,
    /// Sign-ups per client address.
    pub sign_ups: std::sync::Arc<crate::rate_limit::Limiter>,
    /// Password-reset requests per client address and per e-mail address.
    pub password_resets: std::sync::Arc<crate::rate_limit::Limiter>,
    /// Where streams hear of events; detached until [`AppState::with_hub`].
    pub hub: crate::streaming::Hub,
    /// Wakes this process's inbound processor when the inbox stored an activity.
    pub inbound_wake: Option<std::sync::Arc<tokio::sync::Notify>>,
}

impl AppState {
    pub fn new(pool: Pool, settings: WebSettings) -> Result<Self, crate::WebError> {
        let limiter = std::sync::Arc::new(crate::rate_limit::Limiter::new(settings.rate_limit));
        let key_fetches = std::sync::Arc::new(kereru_service::federation::KeyFetches::new(settings.key_fetch));
        let logins = std::sync::Arc::new(crate::rate_limit::LoginGuard::new(settings.login_failures));
        let fetcher = kereru_delivery::http::Fetcher::new(&settings.fetch)
            .map_err(|e| crate::WebError::Internal(format!("outbound HTTP client: {e}")))?;
        let media = kereru_media::MediaStore::open(&settings.media_store, &settings.media_dir)
            .map_err(|e| crate::WebError::Internal(e.to_string()))?;
        Ok(AppState {
            pool,
            templates: Templates::load()?,
            media,
            limiter,
            fetcher: std::sync::Arc::new(fetcher),
            key_fetches,
            logins,
            sign_ups: std::sync::Arc::new(crate::rate_limit::Limiter::new(settings.sign_ups_per_address)),
            password_resets: std::sync::Arc::new(crate::rate_limit::Limiter::new(settings.password_resets_per_address)),
            hub: crate::streaming::Hub::detached(),
            settings,
            inbound_wake: None,
        })
    }

    /// The same state with this process's streaming hub ([`crate::streaming::Hub::listen`]).
    pub fn with_hub(self, hub: crate::streaming::Hub) -> Self {
        AppState { hub, ..self }
    }

    /// The same state, waking `wake` whenever the inbox stores an activity.
    pub fn with_inbound_wake(self, wake: std::sync::Arc<tokio::sync::Notify>) -> Self {
        AppState { inbound_wake: Some(wake), ..self }
    }
}

impl AppState {
    /// Publishes events after their transaction committed, to every node's
    /// streaming listeners (PostgreSQL NOTIFY). A failure is logged, never
    /// returned: the action itself has happened.
    pub async fn publish(&self, events: &[kereru_service::Event]) {
        if events.is_empty() {
            return;
        }
        match self.pool.get().await {
            Ok(mut conn) => kereru_service::events::publish(&mut conn, events).await,
            Err(error) => tracing::warn!("cannot publish {} events: {error}", events.len()),
        }
    }
}
