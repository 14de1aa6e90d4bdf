//! Configuration: `config/default.toml` (compiled in), overlaid by `--config
//! FILE`, then `KERERU_<SECTION>__<KEY>` environment variables, then flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use kereru_core::Scheme;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// The configuration's top-level keys and sections, as `KERERU_<KEY>` names them.
const TOP_LEVEL_KEYS: &[&str] = &[
    "data_dir",
    "database",
    "http",
    "tls",
    "federation",
    "delivery",
    "acme",
    "oauth",
    "rate_limit",
    "mail",
    "provider",
    "media",
    "log",
    "node",
    "metrics",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub tls: TlsConfig,
    pub federation: FederationConfig,
    pub delivery: DeliveryConfig,
    pub acme: AcmeConfig,
    pub oauth: OAuthConfig,
    pub rate_limit: RateLimitConfig,
    pub mail: MailConfig,
    pub provider: ProviderConfig,
    pub media: MediaConfig,
    pub log: LogConfig,
    pub node: NodeConfig,
    pub metrics: MetricsConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: Option<String>,
    pub pool_size: usize,
    pub postgres_bin_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: String,
    pub public_scheme: String,
    pub max_body_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    pub allow_private_addresses: bool,
    pub max_inbox_bytes: u64,
    pub inbound_in_serve: bool,
    pub inbound_concurrency: usize,
    pub key_fetches_per_host_per_minute: u32,
    pub key_fetch_failure_seconds: u64,
    #[serde(default)]
    pub resolve: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub enabled: bool,
    pub listen: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    pub workers_in_serve: bool,
    pub concurrency: usize,
    pub per_host: usize,
    pub batch: usize,
    pub poll_interval_ms: u64,
    pub lease_seconds: u64,
    pub retry_base_ms: u64,
    pub retry_max_seconds: u64,
    pub horizon_hours: u64,
    pub host_failure_threshold: u32,
    pub stats_interval_seconds: u64,
    pub keep_finished_hours: u64,
    pub idle_connection_seconds: u64,
}

impl DeliveryConfig {
    pub fn worker_settings(&self) -> kereru_delivery::worker::WorkerSettings {
        use std::time::Duration;
        kereru_delivery::worker::WorkerSettings {
            concurrency: self.concurrency,
            per_host: self.per_host,
            batch: self.batch,
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            lease: Duration::from_secs(self.lease_seconds),
            retry_base: Duration::from_millis(self.retry_base_ms),
            retry_max: Duration::from_secs(self.retry_max_seconds),
            horizon: Duration::from_secs(self.horizon_hours.saturating_mul(3600)),
            host_failure_threshold: self.host_failure_threshold,
            stats_interval: Duration::from_secs(self.stats_interval_seconds),
            keep_finished: Duration::from_secs(self.keep_finished_hours.saturating_mul(3600)),
            ..kereru_delivery::worker::WorkerSettings::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeConfig {
    pub public_addresses: Vec<IpAddr>,
    pub resolver: Option<String>,
    pub directory: String,
    pub contact: Vec<String>,
    pub extra_root: Option<PathBuf>,
    pub eab_key_id: Option<String>,
    pub eab_hmac_key: Option<String>,
    pub profile: Option<String>,
    pub challenges: Vec<String>,
    pub issue: bool,
    pub max_orders_per_hour: u32,
    pub sync_interval_seconds: u64,
    pub check_interval_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    pub password_grant: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub requests: u32,
    pub window_seconds: u64,
    pub login_failures_per_account: u32,
    pub sign_ups_per_address: u32,
    pub password_resets_per_address: u32,
}

/// `[mail]`: the SMTP server mail goes through; none (the default): `.eml`
/// files under `<data_dir>/mail`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub server: Option<String>,
    pub port: Option<u16>,
    pub tls: kereru_mail::TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
    pub from: Option<String>,
}

/// `[provider]`: what a hosting provider (and people claiming domains) can do over HTTP: the
/// provisioning API's host name (empty: none), how long deleted tenants are kept, self-service claims.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub host: String,
    pub deletion_grace_days: u32,
    /// Hosts no tenant serves offer `/claim` (self-service custom domains).
    pub self_service: bool,
    pub webhooks_in_serve: bool,
    pub webhook_retry_base_ms: u64,
    pub webhook_retry_max_seconds: u64,
    pub webhook_max_attempts: u32,
}

impl ProviderConfig {
    /// The webhook worker's settings.
    pub fn webhook_settings(&self) -> kereru_delivery::webhooks::WebhookSettings {
        kereru_delivery::webhooks::WebhookSettings {
            retry_base: std::time::Duration::from_millis(self.webhook_retry_base_ms.max(1)),
            retry_max: std::time::Duration::from_secs(self.webhook_retry_max_seconds.max(1)),
            max_attempts: self.webhook_max_attempts.max(1),
            ..kereru_delivery::webhooks::WebhookSettings::default()
        }
    }

    /// The provider host, if one is configured (validated by [`Config::load`]).
    pub fn host(&self) -> Option<kereru_core::HostName> {
        let host = self.host.trim();
        if host.is_empty() { None } else { kereru_core::HostName::parse(host).ok() }
    }
}

/// `[media]`: where uploaded files are kept: `store = "local"` (the default,
/// `<data_dir>/media`) or `"s3"`, any S3-compatible bucket; `public_base_url`
/// makes entity URLs point there (a CDN) instead of `/system/media/` on each tenant.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    pub store: String,
    pub bucket: String,
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub path_style: bool,
    pub public_base_url: String,
}

impl std::fmt::Debug for MediaConfig {
    // The secret key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaConfig").field("store", &self.store).field("bucket", &self.bucket).finish_non_exhaustive()
    }
}

impl MediaConfig {
    /// The store's settings, or why they cannot work.
    pub fn store_settings(&self) -> Result<kereru_media::store::StoreSettings, String> {
        use kereru_media::store::{Backend, S3Settings};
        let backend = match self.store.trim() {
            "local" => Backend::Local,
            "s3" => Backend::S3(S3Settings {
                bucket: self.bucket.trim().to_string(),
                endpoint: self.endpoint.trim().to_string(),
                region: self.region.trim().to_string(),
                access_key_id: self.access_key_id.trim().to_string(),
                secret_access_key: self.secret_access_key.clone(),
                path_style: self.path_style,
            }),
            other => return Err(format!("media.store must be \"local\" or \"s3\", not {other:?}")),
        };
        let public_base_url = Some(self.public_base_url.trim().to_string()).filter(|url| !url.is_empty());
        Ok(kereru_media::store::StoreSettings { backend, public_base_url })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub filter: String,
    /// `text` (the default) or `json`: one JSON object a line.
    pub format: String,
}

impl LogConfig {
    pub fn json(&self) -> bool {
        self.format == "json"
    }
}

/// `[metrics]`: Prometheus metrics on a listener of their own; off unless `listen` is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    #[serde(default)]
    pub listen: Option<String>,
}

impl MetricsConfig {
    /// The metrics listener's address, `None` when metrics are off (unset or empty).
    pub fn listen_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        match self.listen.as_deref().map(str::trim).filter(|listen| !listen.is_empty()) {
            None => Ok(None),
            Some(listen) => listen.parse().map(Some).map_err(|_| {
                ConfigError::Invalid(format!("metrics.listen must be an address like 127.0.0.1:9090, not {listen:?}"))
            }),
        }
    }
}

/// `[node]`: what this `kereru serve` process runs (see [`crate::node`]) and how long it drains at a stop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub roles: Vec<String>,
    pub shutdown_seconds: u64,
}

impl NodeConfig {
    /// The roles named, checked by [`Config::load`] (unknown names are refused there).
    pub fn roles(&self) -> crate::node::Roles {
        crate::node::Roles::parse(&self.roles).unwrap_or_default()
    }

    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_seconds)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_listen: Option<String>,
}

impl Config {
    pub fn load(file: Option<&Path>, flags: &FlagOverrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_path_buf()));
            }
            figment = figment.merge(Toml::file(path));
        }
        // The conventional DATABASE_URL, below Kererū's own KERERU_DATABASE__URL.
        figment = figment
            .merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into()))
            // Only variables naming a section or key of the configuration: other
            // KERERU_* variables (scripts' own, such as KERERU_VENV) are not ours.
            .merge(Env::prefixed("KERERU_").split("__").filter(|key| {
                let top = key.as_str().split('.').next().unwrap_or("").to_ascii_lowercase();
                TOP_LEVEL_KEYS.contains(&top.as_str())
            }));
        if let Some(dir) = &flags.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        if let Some(listen) = &flags.http_listen {
            figment = figment.merge(Serialized::default("http.listen", listen));
        }
        let mut config: Config = figment.extract().map_err(|e| ConfigError::Invalid(one_line(&e.to_string())))?;
        // An empty URL (`DATABASE_URL=`) means "none", as an unset one does.
        config.database.url = config.database.url.filter(|url| !url.trim().is_empty());
        // So do empty mail settings (`KERERU_MAIL__SERVER=`).
        for value in [&mut config.mail.server, &mut config.mail.user, &mut config.mail.password, &mut config.mail.from]
        {
            *value = value.take().filter(|v| !v.trim().is_empty());
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.public_scheme().is_none() {
            return invalid(format!(
                "http.public_scheme must be \"http\" or \"https\", not {:?}",
                self.http.public_scheme
            ));
        }
        if self.http.listen.parse::<SocketAddr>().is_err() {
            return invalid(format!("http.listen must be an address like 127.0.0.1:8080, not {:?}", self.http.listen));
        }
        self.metrics.listen_addr()?;
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return invalid(format!("log.format must be \"text\" or \"json\", not {:?}", self.log.format));
        }
        if self.tls.listen.parse::<SocketAddr>().is_err() {
            return invalid(format!("tls.listen must be an address like 0.0.0.0:443, not {:?}", self.tls.listen));
        }
        if !self.acme.directory.starts_with("https://") {
            return invalid(format!("acme.directory must be an https:// URL, not {:?}", self.acme.directory));
        }
        if self.acme.challenges.is_empty() {
            return invalid("acme.challenges must name at least one of \"tls-alpn-01\", \"http-01\"".into());
        }
        for challenge in &self.acme.challenges {
            if kereru_acme::ChallengeKind::parse(challenge).is_none() {
                return invalid(format!("acme.challenges: {challenge:?} is not \"tls-alpn-01\" or \"http-01\""));
            }
        }
        if self.acme.eab_key_id.is_some() != self.acme.eab_hmac_key.is_some() {
            return invalid("acme.eab_key_id and acme.eab_hmac_key go together".into());
        }
        if let Some(key) = &self.acme.eab_hmac_key
            && decode_base64url(key).is_none()
        {
            return invalid("acme.eab_hmac_key must be base64url".into());
        }
        for contact in &self.acme.contact {
            if !contact.starts_with("mailto:")
                || contact.len() < 10
                || contact.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return invalid(format!("acme.contact: {contact:?} must be a mailto: URI"));
            }
        }
        if let Some(resolver) = &self.acme.resolver
            && resolver.parse::<SocketAddr>().is_err()
        {
            return invalid(format!("acme.resolver must be a DNS server's ip:port, like 9.9.9.9:53, not {resolver:?}"));
        }
        if self.acme.sync_interval_seconds == 0 || self.acme.check_interval_seconds == 0 {
            return invalid("acme.sync_interval_seconds and acme.check_interval_seconds must be at least 1".into());
        }
        if self.rate_limit.requests == 0 || self.rate_limit.window_seconds == 0 {
            return invalid("rate_limit.requests and rate_limit.window_seconds must be at least 1".into());
        }
        if self.rate_limit.login_failures_per_account == 0 {
            return invalid("rate_limit.login_failures_per_account must be at least 1".into());
        }
        if self.rate_limit.sign_ups_per_address == 0 || self.rate_limit.password_resets_per_address == 0 {
            return invalid(
                "rate_limit.sign_ups_per_address and rate_limit.password_resets_per_address must be at least 1".into(),
            );
        }
        if self.federation.key_fetches_per_host_per_minute == 0 {
            return invalid("federation.key_fetches_per_host_per_minute must be at least 1".into());
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size must be at least 1".into());
        }
        let d = &self.delivery;
        if d.concurrency == 0
            || d.per_host == 0
            || d.batch == 0
            || d.poll_interval_ms == 0
            || d.host_failure_threshold == 0
        {
            return invalid(
                "delivery.concurrency, per_host, batch, poll_interval_ms and host_failure_threshold must be at least 1"
                    .into(),
            );
        }
        // The lease must outlast a request (10 s) so a live worker keeps its rows.
        if d.lease_seconds < 15 || d.retry_base_ms == 0 || d.horizon_hours == 0 {
            return invalid(
                "delivery.lease_seconds must be at least 15, retry_base_ms and horizon_hours at least 1".into(),
            );
        }
        if self.mail.user.is_some() != self.mail.password.is_some() {
            return invalid("mail.user and mail.password go together".into());
        }
        if self.mail.port == Some(0) {
            return invalid("mail.port must be a port number (1-65535)".into());
        }
        if let Some(from) = &self.mail.from
            && let Err(error) = kereru_mail::message::parse_from(from)
        {
            return invalid(format!("mail.from: {error}"));
        }
        // The media store's settings are checked here (nothing is contacted yet: `kereru serve` does).
        let media = self.media.store_settings().map_err(ConfigError::Invalid)?;
        if let kereru_media::store::Backend::S3(s3) = &media.backend {
            kereru_media::MediaStore::s3(s3).map_err(|e| ConfigError::Invalid(format!("[media] {e}")))?;
        }
        if media.public_base_url.is_some() {
            kereru_media::MediaStore::open(
                &kereru_media::store::StoreSettings { backend: kereru_media::store::Backend::Local, ..media },
                &std::env::temp_dir(),
            )
            .map_err(|e| ConfigError::Invalid(format!("[media] {e}")))?;
        }
        let provider_host = self.provider.host.trim();
        if !provider_host.is_empty()
            && let Err(error) = kereru_core::HostName::parse(provider_host)
        {
            return invalid(format!("provider.host: {provider_host:?} is not a host name ({error})"));
        }
        if let Err(error) = crate::node::Roles::parse(&self.node.roles) {
            return invalid(format!("node.roles: {error}"));
        }
        if self.node.shutdown_seconds == 0 || self.node.shutdown_seconds > 3600 {
            return invalid("node.shutdown_seconds must be between 1 and 3600".into());
        }
        for (host, target) in &self.federation.resolve {
            if kereru_core::HostName::parse(host).is_err() {
                return invalid(format!("federation.resolve: {host:?} is not a host name"));
            }
            if target.parse::<SocketAddr>().is_err() {
                return invalid(format!("federation.resolve: {host} maps to {target:?}, which is not ip:port"));
            }
        }
        Ok(())
    }

    pub fn public_scheme(&self) -> Option<Scheme> {
        Scheme::parse(&self.http.public_scheme)
    }

    pub fn tls_listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.tls.listen.parse().map_err(|_| ConfigError::Invalid(format!("bad tls.listen {:?}", self.tls.listen)))
    }

    /// The certificate manager's settings from `[acme]`.
    pub fn acme_settings(&self) -> Result<kereru_acme::AcmeSettings, ConfigError> {
        let acme = &self.acme;
        let mut settings = kereru_acme::AcmeSettings::new(acme.directory.clone());
        settings.contact = acme.contact.clone();
        settings.extra_root = acme.extra_root.clone();
        settings.profile = acme.profile.clone().filter(|p| !p.trim().is_empty());
        settings.challenges = acme.challenges.iter().filter_map(|c| kereru_acme::ChallengeKind::parse(c)).collect();
        settings.issue = acme.issue;
        settings.public_addresses = acme.public_addresses.clone();
        settings.resolver = acme.resolver.as_deref().and_then(|r| r.parse().ok());
        settings.max_orders_per_hour = acme.max_orders_per_hour;
        settings.sync_interval = std::time::Duration::from_secs(acme.sync_interval_seconds);
        settings.check_interval = std::time::Duration::from_secs(acme.check_interval_seconds);
        // The provisioning API is served over HTTPS too, on a host that is no tenant's.
        settings.own_hosts = self.provider.host().map(|host| host.to_string()).into_iter().collect();
        if let (Some(key_id), Some(key)) = (&acme.eab_key_id, &acme.eab_hmac_key) {
            let hmac_key = decode_base64url(key)
                .ok_or_else(|| ConfigError::Invalid("acme.eab_hmac_key must be base64url".into()))?;
            settings.eab = Some(kereru_acme::settings::Eab { key_id: key_id.clone(), hmac_key });
        }
        Ok(settings)
    }

    /// The media store `[media]` describes (the local one: `<data_dir>/media`).
    pub fn media_store(&self) -> Result<kereru_media::MediaStore, ConfigError> {
        let settings = self.media.store_settings().map_err(ConfigError::Invalid)?;
        kereru_media::MediaStore::open(&settings, &self.data_dir.join("media"))
            .map_err(|e| ConfigError::Invalid(format!("[media] {e}")))
    }

    /// The mail transport's settings from `[mail]`; files go under `<data_dir>/mail`.
    pub fn mail_settings(&self) -> kereru_mail::MailSettings {
        let mail = &self.mail;
        kereru_mail::MailSettings {
            server: mail.server.clone(),
            port: mail.port,
            tls: mail.tls,
            user: mail.user.clone(),
            password: mail.password.clone(),
            from: mail.from.clone(),
            ..kereru_mail::MailSettings::files(self.data_dir.join("mail"))
        }
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.http.listen.parse().map_err(|_| ConfigError::Invalid(format!("bad http.listen {:?}", self.http.listen)))
    }
}

fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .ok()
        .filter(|k| !k.is_empty())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
// figment's Jail closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn flags() -> FlagOverrides {
        FlagOverrides::default()
    }

    #[test]
    fn the_provider_api_is_off_by_default_and_its_host_must_be_a_host_name() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.provider.host(), None);
            assert_eq!(config.provider.deletion_grace_days, 30);
            jail.set_env("KERERU_PROVIDER__HOST", "Provider.Example");
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.provider.host().map(|h| h.to_string()), Some("provider.example".to_string()));
            jail.set_env("KERERU_PROVIDER__HOST", "192.0.2.1");
            let error = Config::load(None, &flags()).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("provider.host"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn defaults_are_local_development() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.data_dir, PathBuf::from("./data"));
            assert_eq!(config.http.listen, "127.0.0.1:8080");
            assert_eq!(config.public_scheme(), Some(Scheme::Http));
            assert!(config.database.url.is_none());
            assert!(!config.federation.allow_private_addresses);
            assert!(config.federation.resolve.is_empty());
            assert!(!config.tls.enabled, "plain HTTP unless asked");
            assert_eq!(config.tls.listen, "0.0.0.0:443");
            assert_eq!(config.acme.directory, "https://acme-v02.api.letsencrypt.org/directory");
            let acme = config.acme_settings().map_err(|e| e.to_string())?;
            assert_eq!(acme.challenges, [kereru_acme::ChallengeKind::TlsAlpn01, kereru_acme::ChallengeKind::Http01]);
            assert!(acme.eab.is_none());
            let delivery = config.delivery.worker_settings();
            assert_eq!((delivery.concurrency, delivery.per_host), (256, 8));
            assert_eq!(delivery.horizon, std::time::Duration::from_secs(7 * 24 * 3600));
            assert!(config.delivery.workers_in_serve);
            let mail = config.mail_settings();
            assert!(mail.server.is_none(), "no SMTP server: mails become files");
            assert!(!config.provider.self_service, "self-service claims are opt-in");
            assert_eq!(mail.files_dir, PathBuf::from("./data/mail"));
            assert_eq!((mail.tls, mail.port()), (kereru_mail::TlsMode::Starttls, 587));
            Ok(())
        });
    }

    #[test]
    fn file_then_environment_then_flags() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "k.toml",
                r#"
                data_dir = "/srv/file"
                [http]
                listen = "0.0.0.0:80"
                public_scheme = "https"
                [federation.resolve]
                "b.test" = "127.0.0.1:8081"
                "#,
            )?;
            let file = Some(Path::new("k.toml"));
            let config = Config::load(file, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.http.listen, "0.0.0.0:80");
            assert_eq!(config.public_scheme(), Some(Scheme::Https));
            assert_eq!(config.federation.resolve.get("b.test").map(String::as_str), Some("127.0.0.1:8081"));
            assert_eq!(config.database.pool_size, 16, "untouched keys keep their defaults");

            jail.set_env("KERERU_HTTP__LISTEN", "127.0.0.1:9000");
            jail.set_env("KERERU_DATA_DIR", "/srv/env");
            // Other programs' KERERU_* variables are none of the configuration's business.
            jail.set_env("KERERU_VENV", "/somewhere");
            let config = Config::load(file, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.http.listen, "127.0.0.1:9000");
            assert_eq!(config.data_dir, PathBuf::from("/srv/env"));

            let cli = FlagOverrides { data_dir: Some("/srv/flag".into()), http_listen: Some("127.0.0.1:9999".into()) };
            let config = Config::load(file, &cli).map_err(|e| e.to_string())?;
            assert_eq!(config.http.listen, "127.0.0.1:9999");
            assert_eq!(config.data_dir, PathBuf::from("/srv/flag"));
            Ok(())
        });
    }

    #[test]
    fn self_service_is_switched_on_by_file_or_environment() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("k.toml", "[provider]\nself_service = true\n")?;
            let config = Config::load(Some(Path::new("k.toml")), &flags()).map_err(|e| e.to_string())?;
            assert!(config.provider.self_service);
            jail.set_env("KERERU_PROVIDER__SELF_SERVICE", "false");
            let config = Config::load(Some(Path::new("k.toml")), &flags()).map_err(|e| e.to_string())?;
            assert!(!config.provider.self_service, "the environment wins over the file");
            jail.create_file("bad.toml", "[provider]\nself_servce = true\n")?;
            assert!(Config::load(Some(Path::new("bad.toml")), &flags()).is_err(), "a misspelt key is an error");
            Ok(())
        });
    }

    #[test]
    fn media_store_keys_are_read_and_bad_ones_refused() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            let settings = config.media.store_settings().map_err(|e| e.to_string())?;
            assert_eq!(settings.backend, kereru_media::store::Backend::Local, "local files by default");
            jail.create_file(
                "k.toml",
                "[media]\nstore = \"s3\"\nbucket = \"m\"\nendpoint = \"http://127.0.0.1:9000\"\n\
                 access_key_id = \"ak\"\nsecret_access_key = \"sk\"\npublic_base_url = \"https://cdn.example/\"\n",
            )?;
            let config = Config::load(Some(Path::new("k.toml")), &flags()).map_err(|e| e.to_string())?;
            let settings = config.media.store_settings().map_err(|e| e.to_string())?;
            let kereru_media::store::Backend::S3(s3) = &settings.backend else { panic!("s3 expected") };
            assert_eq!((s3.bucket.as_str(), s3.region.as_str(), s3.path_style), ("m", "us-east-1", true));
            assert!(!format!("{:?}", config.media).contains("sk"), "the secret stays out of logs");
            jail.create_file("nobucket.toml", "[media]\nstore = \"s3\"\naccess_key_id = \"ak\"\n")?;
            let error = Config::load(Some(Path::new("nobucket.toml")), &flags()).err().map(|e| e.to_string());
            let error = error.unwrap_or_default();
            assert!(error.contains("bucket") && error.contains("secret_access_key"), "{error}");
            jail.create_file("kind.toml", "[media]\nstore = \"ftp\"\n")?;
            let error = Config::load(Some(Path::new("kind.toml")), &flags()).err().map(|e| e.to_string());
            assert!(error.unwrap_or_default().contains("media.store must be"));
            Ok(())
        });
    }

    #[test]
    fn mail_keys_are_read() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "k.toml",
                r#"
                [mail]
                server = "smtp.example"
                port = 2525
                tls = "tls"
                user = "kereru"
                password = "secret"
                from = "Kererū <noreply@example.com>"
                "#,
            )?;
            let config = Config::load(Some(Path::new("k.toml")), &flags()).map_err(|e| e.to_string())?;
            let mail = config.mail_settings();
            assert_eq!(mail.server.as_deref(), Some("smtp.example"));
            assert_eq!((mail.port(), mail.tls), (2525, kereru_mail::TlsMode::Tls));
            assert_eq!((mail.user.as_deref(), mail.password.as_deref()), (Some("kereru"), Some("secret")));
            assert_eq!(mail.from.as_deref(), Some("Kererū <noreply@example.com>"));
            jail.set_env("KERERU_MAIL__SERVER", "");
            jail.set_env("KERERU_MAIL__TLS", "none");
            let config = Config::load(Some(Path::new("k.toml")), &flags()).map_err(|e| e.to_string())?;
            assert!(config.mail_settings().server.is_none(), "empty means unset");
            assert_eq!(config.mail_settings().port(), 2525);
            Ok(())
        });
    }

    #[test]
    fn kereru_database_url_wins_over_database_url() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("DATABASE_URL", "postgres://conventional/db");
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.database.url.as_deref(), Some("postgres://conventional/db"));
            jail.set_env("KERERU_DATABASE__URL", "postgres://kereru/db");
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert_eq!(config.database.url.as_deref(), Some("postgres://kereru/db"));
            jail.set_env("KERERU_DATABASE__URL", "");
            jail.set_env("DATABASE_URL", "");
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert!(config.database.url.is_none(), "empty means unset");
            Ok(())
        });
    }

    #[test]
    fn a_node_runs_every_role_by_default_and_roles_are_checked() {
        use crate::node::Role;
        Jail::expect_with(|jail| {
            jail.clear_env();
            let config = Config::load(None, &flags()).map_err(|e| e.to_string())?;
            assert!(Role::ALL.iter().all(|role| config.node.roles().has(*role)), "{}", config.node.roles());
            assert_eq!(config.node.shutdown_grace(), std::time::Duration::from_secs(30));
            jail.create_file("k.toml", "[node]\nroles = [\"deliver\", \"acme-issuer\"]\nshutdown_seconds = 5\n")?;
            let config = Config::load(Some(Path::new("k.toml")), &flags()).map_err(|e| e.to_string())?;
            let roles = config.node.roles();
            assert!(roles.has(Role::Deliver) && roles.has(Role::AcmeIssuer) && !roles.has(Role::Web));
            assert_eq!(config.node.shutdown_grace(), std::time::Duration::from_secs(5));
            for toml in ["[node]\nroles = []", "[node]\nroles = [\"cron\"]", "[node]\nshutdown_seconds = 0"] {
                jail.create_file("bad.toml", toml)?;
                let error = Config::load(Some(Path::new("bad.toml")), &flags()).err().map(|e| e.to_string());
                assert!(error.as_deref().is_some_and(|e| e.contains("node.")), "{toml:?} gave {error:?}");
            }
            Ok(())
        });
    }

    #[test]
    fn invalid_settings_are_refused_with_the_key_named() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            for (toml, key) in [
                ("[http]\npublic_scheme = \"ftp\"", "public_scheme"),
                ("[http]\nlisten = \"localhost\"", "http.listen"),
                ("[federation.resolve]\n\"b.test\" = \"nowhere\"", "federation.resolve"),
                ("[federation.resolve]\n\"not a host\" = \"127.0.0.1:1\"", "federation.resolve"),
                ("[http]\nlisten_typo = \"127.0.0.1:1\"", "listen_typo"),
                ("[database]\npool_size = 0", "pool_size"),
                ("[tls]\nlisten = \"443\"", "tls.listen"),
                ("[acme]\ndirectory = \"http://ca.test/dir\"", "acme.directory"),
                ("[acme]\nchallenges = [\"dns-01\"]", "acme.challenges"),
                ("[acme]\nchallenges = []", "acme.challenges"),
                ("[acme]\nresolver = \"dns.example\"", "acme.resolver"),
                ("[acme]\neab_key_id = \"kid\"", "eab_hmac_key"),
                ("[acme]\neab_key_id = \"kid\"\neab_hmac_key = \"not base64!\"", "eab_hmac_key"),
                ("[acme]\ncontact = [\"admin@example.com\"]", "acme.contact"),
                ("[delivery]\nper_host = 0", "per_host"),
                ("[delivery]\nlease_seconds = 5", "lease_seconds"),
                ("[mail]\ntls = \"ssl\"", "tls"),
                ("[mail]\nuser = \"kereru\"", "mail.user"),
                ("[mail]\nfrom = \"not an address\"", "mail.from"),
                ("[mail]\nport = 0", "mail.port"),
                ("[mail]\nhost = \"smtp.example\"", "host"),
            ] {
                jail.create_file("bad.toml", toml)?;
                let error = Config::load(Some(Path::new("bad.toml")), &flags()).err().map(|e| e.to_string());
                assert!(error.as_deref().is_some_and(|e| e.contains(key)), "{toml:?} gave {error:?}");
            }
            let missing = Config::load(Some(Path::new("missing.toml")), &flags());
            assert!(matches!(missing, Err(ConfigError::MissingFile(_))));
            Ok(())
        });
    }
}
