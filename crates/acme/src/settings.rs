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
    /// Host names of this deployment that are no tenant's but are served over
    /// HTTPS all the same (the provisioning API's `[provider] host`).
    pub own_hosts: Vec<String>,
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
            own_hosts: Vec::new(),
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

/// The renewal time picked inside a renewal window a CA suggested through
/// ACME Renewal Information (RFC 9773 §4.2): a uniformly random point of the
/// window, `fraction` (in `[0, 1]`) of the way through it. The certificate
/// is renewed once that time has come (at once when it is already past).
/// `None` for a window that ends before it starts (ignored: renewal by lifetime).
pub fn ari_renewal_time(
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
    fraction: f64,
) -> Option<chrono::DateTime<chrono::Utc>> {
    if end < start {
        return None;
    }
    let span = (end - start).num_milliseconds() as f64;
    let offset = (span * fraction.clamp(0.0, 1.0)) as i64;
    Some(start + chrono::TimeDelta::milliseconds(offset))
}

/// Whether a certificate valid from `not_before` to `not_after` is due for
/// renewal at `now`: at the time picked from the CA's renewal window when
/// there is one (RFC 9773 makes the CA's word the one to follow; it can
/// bring renewal forward, e.g. before a revocation, or put it later, but
/// never past expiry), otherwise by lifetime ([`renew_at`]).
pub fn renewal_due(
    now: chrono::DateTime<chrono::Utc>,
    not_before: chrono::DateTime<chrono::Utc>,
    not_after: chrono::DateTime<chrono::Utc>,
    ari_renew_at: Option<chrono::DateTime<chrono::Utc>>,
) -> bool {
    match ari_renew_at {
        Some(at) => at.min(not_after) <= now,
        None => renew_at(not_before, not_after) <= now,
    }
}

/// How long to wait before asking the CA for renewal information again: its
/// Retry-After, kept between a minute and a day.
pub fn ari_recheck_after(retry_after: Duration) -> Duration {
    retry_after.clamp(Duration::from_secs(60), Duration::from_secs(86_400))
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
    fn the_ari_renewal_time_lies_inside_the_suggested_window() {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().unwrap_or_default();
        let end = start + TimeDelta::days(2);
        assert_eq!(ari_renewal_time(start, end, 0.0), Some(start));
        assert_eq!(ari_renewal_time(start, end, 1.0), Some(end));
        assert_eq!(ari_renewal_time(start, end, 0.5), Some(start + TimeDelta::days(1)));
        // Out-of-range fractions stay inside; a reversed window is ignored.
        assert_eq!(ari_renewal_time(start, end, 7.0), Some(end));
        assert_eq!(ari_renewal_time(start, end, -1.0), Some(start));
        assert_eq!(ari_renewal_time(end, start, 0.5), None);
    }

    #[test]
    fn renewal_follows_the_cas_window_when_there_is_one_and_the_lifetime_otherwise() {
        let issued = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let expires = issued + TimeDelta::days(90);
        let day = |n: i64| issued + TimeDelta::days(n);
        // By lifetime: from day 60.
        assert!(!renewal_due(day(59), issued, expires, None));
        assert!(renewal_due(day(60), issued, expires, None));
        // A window the CA moved forward (say, before a revocation): due at once.
        let early = ari_renewal_time(day(9), day(10), 0.3);
        assert!(!renewal_due(day(8), issued, expires, early));
        assert!(renewal_due(day(10), issued, expires, early));
        // A window later than the lifetime rule: the CA's word wins, up to expiry.
        let late = ari_renewal_time(day(70), day(72), 0.0);
        assert!(!renewal_due(day(65), issued, expires, late));
        assert!(renewal_due(day(70), issued, expires, late));
        assert!(renewal_due(day(90), issued, expires, Some(day(200))));
    }

    #[test]
    fn retry_after_is_kept_between_a_minute_and_a_day() {
        assert_eq!(ari_recheck_after(Duration::from_secs(0)), Duration::from_secs(60));
        assert_eq!(ari_recheck_after(Duration::from_secs(21_600)), Duration::from_secs(21_600));
        assert_eq!(ari_recheck_after(Duration::from_secs(10_000_000)), Duration::from_secs(86_400));
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
