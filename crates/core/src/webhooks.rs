//! Provider webhooks, the pure parts: the event types, the signature a
//! receiver checks, and the secret's shape.
//!
//! Scheme (documented for providers in README.md): each POST carries
//! `Kereru-Webhook-Id` (the event's id, the same on every retry),
//! `Kereru-Webhook-Timestamp` (Unix seconds of this attempt) and
//! `Kereru-Webhook-Signature: sha256=<hex>`, where hex is the lower-case
//! HMAC-SHA256, keyed with the webhook's secret (its UTF-8 bytes as shown),
//! of `"<timestamp>.<body>"`.

use ring::hmac;

/// Every event a webhook can ask for.
pub const EVENTS: &[&str] =
    &["tenant.dns_ready", "tenant.certificate_issued", "tenant.suspended", "quota.exceeded", "report.created"];

/// The event `POST .../webhooks/{id}/test` and `kereru provider webhook test` send, to one webhook only.
pub const TEST_EVENT: &str = "webhook.test";

/// Header names.
pub const ID_HEADER: &str = "Kereru-Webhook-Id";
pub const TIMESTAMP_HEADER: &str = "Kereru-Webhook-Timestamp";
pub const SIGNATURE_HEADER: &str = "Kereru-Webhook-Signature";

/// Whether `name` is an event a webhook may subscribe to.
pub fn is_event(name: &str) -> bool {
    EVENTS.contains(&name)
}

/// `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">` keyed with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    let tag = context.sign();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for byte in tag.as_ref() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Checks a received signature header the way a receiver should (constant time).
pub fn verify(secret: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else { return false };
    let Some(tag) = decode_hex(hex) else { return false };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut message = timestamp.to_string().into_bytes();
    message.push(b'.');
    message.extend_from_slice(body);
    hmac::verify(&key, &message, &tag).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// A new secret: `whsec_` and 32 random bytes in hex (64 characters).
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut out = String::from("whsec_");
    for byte in bytes {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'k'
        let signature = signature("k", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(signature, "sha256=1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3");
        assert!(verify("k", 1_700_000_000, br#"{"a":1}"#, &signature));
        assert!(!verify("k", 1_700_000_001, br#"{"a":1}"#, &signature), "another timestamp");
        assert!(!verify("other", 1_700_000_000, br#"{"a":1}"#, &signature), "another secret");
        assert!(!verify("k", 1_700_000_000, br#"{"a":2}"#, &signature), "another body");
        assert!(!verify("k", 1_700_000_000, br#"{"a":1}"#, "sha256=zz"));
    }

    #[test]
    fn secrets_are_random_and_hex() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64);
        assert!(a[6..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
