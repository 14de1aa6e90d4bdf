//! `kereru check-config`: reads the configuration as `serve` would (file,
//! environment, flags) and checks every value that can be checked without
//! reaching anything, then says what the node would do. For operators before
//! a deploy, and for tests of the deploy files (tests/deploy). Touches nothing:
//! no database, no directory, no bucket.

use crate::config::Config;
use anyhow::Context;
use kereru_media::store::Backend;

pub fn run(config: &Config) -> anyhow::Result<()> {
    let listen = config.listen_addr()?;
    config.public_scheme().context("invalid http.public_scheme")?;
    if config.tls.enabled {
        config.tls_listen_addr()?;
    }
    config.acme_settings()?;
    super::serve::fetch_settings(config)?;
    let metrics = config.metrics.listen_addr()?;
    let media = config.media.store_settings().map_err(anyhow::Error::msg).context("[media]")?;
    let media_line = match &media.backend {
        Backend::Local => format!("local directory {}", config.data_dir.join("media").display()),
        Backend::S3(s3) => {
            // Building the client checks bucket, endpoint and keys; it connects to nothing.
            kereru_media::MediaStore::open(&media, &config.data_dir.join("media")).context("[media]")?;
            let endpoint = if s3.endpoint.is_empty() { "AWS" } else { s3.endpoint.as_str() };
            format!("s3 bucket {} at {endpoint}", s3.bucket)
        }
    };
    println!("configuration ok");
    println!("roles: {}", config.node.roles());
    println!("http: {listen}, ids and URLs in {}", config.http.public_scheme);
    println!("tls: {}", if config.tls.enabled { config.tls.listen.as_str() } else { "off" });
    match config.database.url.as_deref().filter(|url| !url.trim().is_empty()) {
        Some(_) => println!("database: the server [database] url names"),
        None => println!("database: a private cluster under {}", config.data_dir.join("postgres").display()),
    }
    println!("media: {media_line}");
    match metrics {
        Some(address) => println!("metrics: {address}"),
        None => println!("metrics: off"),
    }
    println!("log: {}", config.log.format);
    Ok(())
}
