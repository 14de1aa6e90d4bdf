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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub federation: FederationConfig,
    pub acme: AcmeConfig,
    pub log: LogConfig,
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
    #[serde(default)]
    pub resolve: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeConfig {
    pub public_addresses: Vec<IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub filter: String,
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
            .merge(Env::prefixed("KERERU_").split("__"));
        if let Some(dir) = &flags.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        if let Some(listen) = &flags.http_listen {
            figment = figment.merge(Serialized::default("http.listen", listen));
        }
        let mut config: Config = figment.extract().map_err(|e| ConfigError::Invalid(one_line(&e.to_string())))?;
        // An empty URL (`DATABASE_URL=`) means "none", as an unset one does.
        config.database.url = config.database.url.filter(|url| !url.trim().is_empty());
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.public_scheme().is_none() {
            return invalid(format!("http.public_scheme must be \"http\" or \"https\", not {:?}", self.http.public_scheme));
        }
        if self.http.listen.parse::<SocketAddr>().is_err() {
            return invalid(format!("http.listen must be an address like 127.0.0.1:8080, not {:?}", self.http.listen));
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size must be at least 1".into());
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

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.http.listen.parse().map_err(|_| ConfigError::Invalid(format!("bad http.listen {:?}", self.http.listen)))
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
