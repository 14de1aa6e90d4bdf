//! What the certificate manager needs to know, filled from `[acme]`.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    Http01,
    TlsAlpn01,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Http01 => "http-01",
            ChallengeKind::TlsAlpn01 => "tls-alpn-01",
        }
    }

    pub fn parse(text: &str) -> Option<ChallengeKind> {
        match text {
            "http-01" => Some(ChallengeKind::Http01),
            "tls-alpn-01" => Some(ChallengeKind::TlsAlpn01),
            _ => None,
        }
    }

    pub(crate) fn acme(self) -> instant_acme::ChallengeType {
        match self {
            ChallengeKind::Http01 => instant_acme::ChallengeType::Http01,
            ChallengeKind::TlsAlpn01 => instant_acme::ChallengeType::TlsAlpn01,
        }
    }
}

/// External account binding: the key id and the HMAC key (raw bytes).
#[derive(Clone)]
pub struct Eab {
    pub key_id: String,
    pub hmac_key: Vec<u8>,
}

impl std::fmt::Debug for Eab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eab").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct AcmeSettings {
    /// The ACME directory URL.
    pub directory: String,
    /// Contact URIs (`mailto:...`).
    pub contact: Vec<String>,
    /// A PEM file with the only root trusted for the directory's HTTPS (a private CA such as Pebble).
    pub extra_root: Option<PathBuf>,
    pub eab: Option<Eab>,
    /// ACME profile to ask for (draft-ietf-acme-profiles), when the CA offers profiles.
    pub profile: Option<String>,
    /// Challenge types in order of preference; the first one the CA offers is used.
    pub challenges: Vec<ChallengeKind>,
    /// Whether this node places orders (every node serves and answers challenges).
    pub issue: bool,
    /// Orders all nodes together may place per hour.
    pub max_orders_per_hour: u32,
    /// How often each node loads new certificates and challenges from the database.
    pub sync_interval: Duration,
    /// How often the issuer looks for hosts that need a certificate.
    pub check_interval: Duration,
    /// How long one order may take before it counts as failed.
    pub order_timeout: Duration,
    /// This node's name in leases and order records.
    pub node: String,
    /// This host's public addresses: before ordering, a host's A/AAAA records
    /// must point at these (no check when empty).
    pub public_addresses: Vec<std::net::IpAddr>,
    /// The DNS server asked for that check; `None`: the system resolver.
    pub resolver: Option<std::net::SocketAddr>,
}

impl AcmeSettings {
    /// Defaults for everything but the directory.
    pub fn new(directory: impl Into<String>) -> AcmeSettings {
        AcmeSettings {
            directory: directory.into(),
            contact: Vec::new(),
            extra_root: None,
            eab: None,
            profile: None,
            challenges: vec![ChallengeKind::TlsAlpn01, ChallengeKind::Http01],
            issue: true,
            max_orders_per_hour: 100,
            sync_interval: Duration::from_secs(5),
            check_interval: Duration::from_secs(60),
            order_timeout: Duration::from_secs(90),
            node: default_node_name(),
            public_addresses: Vec::new(),
            resolver: None,
        }
    }
}

fn default_node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    format!("{}:{}:{:08x}", if host.is_empty() { "node" } else { &host }, std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    let mut bytes = [0u8; 4];
    // A failing OS RNG leaves zeros: the name stays unique enough with host and pid.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    u32::from_le_bytes(bytes)
}

/// When a certificate valid from `not_before` to `not_after` should be
/// renewed: with a third of its lifetime left, or half for one shorter
/// than ten days.
pub fn renew_at(
    not_before: chrono::DateTime<chrono::Utc>,
    not_after: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    let lifetime = not_after - not_before;
    let left = if lifetime < chrono::TimeDelta::days(10) { lifetime / 2 } else { lifetime / 3 };
    not_after - left
}

/// The back-off after `failures` consecutive failures: 1 min, 10 min, 100 min, then a day.
pub fn backoff(failures: i32) -> Duration {
    match failures {
        i32::MIN..=1 => Duration::from_secs(60),
        2 => Duration::from_secs(600),
        3 => Duration::from_secs(6000),
        _ => Duration::from_secs(86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    #[test]
    fn renewal_starts_with_a_third_left_or_half_for_short_certificates() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        assert_eq!(renew_at(start, start + TimeDelta::days(90)), start + TimeDelta::days(60));
        assert_eq!(renew_at(start, start + TimeDelta::days(6)), start + TimeDelta::days(3));
        assert_eq!(renew_at(start, start + TimeDelta::minutes(2)), start + TimeDelta::minutes(1));
    }

    #[test]
    fn backoff_grows_then_stays_daily() {
        let minutes: Vec<u64> = (1..=6).map(|n| backoff(n).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 10, 100, 1440, 1440, 1440]);
    }

    #[test]
    fn challenge_names_round_trip() {
        for kind in [ChallengeKind::Http01, ChallengeKind::TlsAlpn01] {
            assert_eq!(ChallengeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ChallengeKind::parse("dns-01"), None);
    }
}
