//! Published vectors (RFC 9421 Appendix B, Mastodon's signature
//! verification spec) and round trips of our own.

mod mastodon;
mod rfc9421_appendix_b;
mod round_trips;
mod vectors;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;

use super::{RequestParts, SignatureError, Signer, VerifyPolicy, VerifyingKey};

pub(super) fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// Test vectors publish PKCS#1 private keys; the store keeps PKCS#8.
pub(super) fn rsa_signer(key_id: &str, pkcs1_pem: &str) -> Signer {
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pkcs1_pem).unwrap();
    Signer::from_rsa_pkcs8_der(key_id, key.to_pkcs8_der().unwrap().as_bytes()).unwrap()
}

pub(super) fn public(pem: &str) -> VerifyingKey {
    VerifyingKey::from_pem(pem).unwrap()
}

/// DigestInfo header of a SHA-256 hash in PKCS#1 v1.5 signatures (RFC 8017 §9.2).
const SHA256_DIGEST_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/// RSASSA-PKCS1-v1_5 SHA-256 by the rsa crate, for the keys ring will not
/// sign with (under 2048 bits, or with unbalanced primes).
pub(super) fn rsa_crate_sign(private: &rsa::RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    let mut digest_info = SHA256_DIGEST_INFO.to_vec();
    digest_info.extend_from_slice(ring::digest::digest(&ring::digest::SHA256, message).as_ref());
    private.sign(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info).unwrap()
}

/// Only the signature, its freshness and its digests: what bare RFC
/// vectors can be held to.
pub(super) fn bare_policy() -> VerifyPolicy {
    VerifyPolicy { require_minimum_coverage: false, ..VerifyPolicy::default() }
}

/// `headers` followed by headers a signer produced.
pub(super) fn plus<'a>(headers: &[(&'a str, &'a str)], added: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    let mut all = headers.to_vec();
    all.extend(added.iter().map(|(name, value)| (*name, value.as_str())));
    all
}

/// Parses the request's signature and verifies it.
pub(super) fn verify(
    request: &RequestParts<'_>,
    key: &VerifyingKey,
    now: SystemTime,
    policy: &VerifyPolicy,
) -> Result<(), SignatureError> {
    super::parse(request)?.verify(request, key, now, policy)
}
