//! Certificates for every active tenant host: ACME issuance (HTTP-01 and
//! TLS-ALPN-01, instant-acme), renewal, and the SNI resolver that serves them.
//!
//! All state is in PostgreSQL ([`db`]): the ACME account, certificates with
//! their keys, pending challenges, per-host issuance state. Every node runs a
//! [`manager`] sync loop that loads what any node issued into its
//! [`resolver::CertResolver`]; nodes with the issuing role also run the
//! issuer loop, which takes a lease per host so one node issues it at a time.

pub mod certs;
pub mod db;
pub mod dns;
pub mod issuer;
pub mod manager;
pub mod notify;
pub mod resolver;
pub mod settings;

pub use manager::{CertManager, ManagerHandle};
pub use resolver::CertResolver;
pub use settings::{AcmeSettings, ChallengeKind};

/// The ALPN protocol of TLS-ALPN-01 (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// A rustls server configuration that picks certificates with `resolver`
/// and answers TLS-ALPN-01 handshakes. actix adds `h2` and `http/1.1` in front
/// of the protocols set here, so `acme-tls/1` is chosen only when a client
/// offers nothing else (as ACME validators do).
pub fn server_config(resolver: std::sync::Arc<CertResolver>) -> Result<rustls::ServerConfig, rustls::Error> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
    Ok(config)
}
