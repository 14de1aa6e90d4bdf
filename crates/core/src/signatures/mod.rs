//! HTTP Signatures as the fediverse uses them, independent of any HTTP
//! library: requests are described by [`RequestParts`] (method, scheme,
//! authority, path with query, header pairs, body).
//!
//! - Outbound: [`Signer::sign_cavage`] adds `Date`, `Digest` and a
//!   draft-cavage-12 `Signature` (rsa-sha256), what Mastodon expects.
//!   [`Signer::sign_rfc9421`] produces RFC 9421 `Signature-Input`/`Signature`.
//! - Inbound, in two steps so the caller can fetch the key in between:
//!   [`parse`] the request, look at [`ParsedSignature::key_id`], then
//!   [`ParsedSignature::verify`] with the key. RFC 9421 is used when
//!   `Signature-Input` is present (RFC 9421 Appendix A), draft-cavage otherwise.
//!
//! Nothing here reads the clock: `now` is a parameter. Signing with RSA-PSS
//! or ECDSA (RFC 9421 only) draws randomness from the OS, as key generation
//! in [`crate::keys`] does; rsa-sha256 and Ed25519 signing are deterministic.
//!
//! Freshness follows Mastodon (`app/lib/signed_request.rb`:
//! `EXPIRATION_WINDOW_LIMIT = 12.hours`, `CLOCK_SKEW_MARGIN = 1.hour`, and
//! `created + 5.minutes` when no expiry is stated): a signature is valid
//! from its signed creation time (`created`, or the `Date` header) until its
//! signed expiry, or 5 minutes after creation when it has none, capped at
//! 12 hours after creation; both ends get 1 hour of clock skew. Older
//! Mastodon accepted any `Date` within ±12 hours. See [`TimeWindow`].

mod algorithm;
pub mod cavage;
pub mod digest;
mod http_date;
pub mod keys;
pub mod rfc9421;
mod signer;
pub mod structured;

#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

pub use algorithm::Algorithm;
pub use cavage::CavageSignature;
pub use digest::{DigestAlgorithm, content_digest_header, digest_header};
pub use keys::{KeyMaterialError, PublicKey, PublicKeyKind, SigningKey, VerifyingKey};
pub use rfc9421::{ComponentId, MessageSignature, SignatureParams};
pub use signer::Signer;

/// Why a request could not be signed or its signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no signature")]
    NotSigned,
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    #[error("signature parameter {0:?} appears twice")]
    DuplicateParameter(String),
    #[error("signature parameter {0:?} is missing")]
    MissingParameter(&'static str),
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("the key cannot be used with the signature's algorithm")]
    AlgorithmKeyMismatch,
    #[error("pseudo-header {0} is not allowed with algorithm rsa-sha256")]
    PseudoHeaderNotAllowed(&'static str),
    #[error("covered header {0:?} is missing from the request")]
    MissingHeader(String),
    #[error("covered query parameter {0:?} is missing from the request")]
    MissingQueryParameter(String),
    #[error("the signature must cover {0}")]
    NotCovered(&'static str),
    #[error("invalid covered component {0}")]
    InvalidComponent(String),
    #[error("unsupported covered component {0}")]
    UnsupportedComponent(String),
    #[error("component {0} is covered twice")]
    DuplicateComponent(String),
    #[error("invalid Date header {0:?}")]
    InvalidDate(String),
    #[error("the signature was created in the future")]
    FromTheFuture,
    #[error("the signature has expired")]
    Expired,
    #[error("the body does not match its {0:?} digest")]
    DigestMismatch(DigestAlgorithm),
    #[error("no supported digest algorithm among {0:?}")]
    UnsupportedDigestAlgorithms(String),
    #[error("malformed Digest or Content-Digest header")]
    MalformedDigest,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("signing failed")]
    SigningFailed,
    #[error(transparent)]
    Key(#[from] KeyMaterialError),
}

/// A request as far as signatures are concerned. `scheme` and `authority`
/// are what the server knows itself by (RFC 9421's `@target-uri` and
/// `@authority`, and the `host` signed when no Host header is listed).
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub scheme: &'a str,
    pub authority: &'a str,
    /// The origin-form request target: path and query, e.g. `/inbox?x=1`.
    pub path_and_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// Values of every header line named `name` (case-insensitively), in order.
    pub fn header_values(&self, name: &str) -> impl Iterator<Item = &'a str> {
        let name = name.to_owned();
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(&name)).map(|(_, v)| *v)
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header_values(name).next().is_some()
    }

    /// Whether a digest of the body belongs in the signature: methods that
    /// carry content do so even when empty (Mastodon requires a signed
    /// digest on every POST).
    pub fn carries_body(&self) -> bool {
        !self.body.is_empty() || ["POST", "PUT", "PATCH"].iter().any(|m| self.method.eq_ignore_ascii_case(m))
    }

    pub(crate) fn path(&self) -> &'a str {
        self.path_and_query.split_once('?').map_or(self.path_and_query, |(path, _)| path)
    }

    pub(crate) fn query(&self) -> Option<&'a str> {
        self.path_and_query.split_once('?').map(|(_, query)| query)
    }
}

/// The header's lines combined as HTTP does for signatures: each value
/// trimmed, obsolete line folding replaced by a space, joined by `", "`.
pub(crate) fn combined_header_value(request: &RequestParts<'_>, name: &str) -> Option<String> {
    let values: Vec<String> = request.header_values(name).map(canonical_field_line).collect();
    if values.is_empty() { None } else { Some(values.join(", ")) }
}

pub(crate) fn canonical_field_line(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(|piece| piece.trim_matches([' ', '\t']))
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// When a signature is fresh enough. Defaults are Mastodon's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Tolerance for clocks that disagree, on both ends of the window.
    pub clock_skew: Duration,
    /// Validity of a signature that states no expiry.
    pub default_validity: Duration,
    /// Longest validity accepted, whatever expiry the signature states.
    pub max_validity: Duration,
}

impl Default for TimeWindow {
    fn default() -> Self {
        Self {
            clock_skew: Duration::from_secs(60 * 60),
            default_validity: Duration::from_secs(5 * 60),
            max_validity: Duration::from_secs(12 * 60 * 60),
        }
    }
}

impl TimeWindow {
    /// Checks signed creation and expiry times (Unix seconds) against `now`.
    pub fn check(&self, created: Option<i64>, expires: Option<i64>, now: i64) -> Result<(), SignatureError> {
        let skew = seconds(self.clock_skew);
        let effective_expiry = match created {
            Some(created) => {
                if created > now.saturating_add(skew) {
                    return Err(SignatureError::FromTheFuture);
                }
                let stated = expires.unwrap_or(created.saturating_add(seconds(self.default_validity)));
                Some(stated.min(created.saturating_add(seconds(self.max_validity))))
            }
            None => expires,
        };
        match effective_expiry {
            Some(expiry) if now > expiry.saturating_add(skew) => Err(SignatureError::Expired),
            _ => Ok(()),
        }
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Unix seconds of `time` (negative before 1970).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => seconds(after),
        Err(before) => -seconds(before.duration()),
    }
}

/// What verification demands beyond a valid signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyPolicy {
    pub window: TimeWindow,
    /// Require what a federated request must cover: method and target,
    /// host, a creation time, and a digest when the request carries a body.
    /// Only tests of bare RFC vectors turn this off.
    pub require_minimum_coverage: bool,
    /// Accept draft-cavage signatures whose `(request-target)` left out the
    /// query string, as Mastodon before 4.2 signed and Mastodon still accepts.
    pub accept_query_less_request_target: bool,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self { window: TimeWindow::default(), require_minimum_coverage: true, accept_query_less_request_target: true }
    }
}

/// Which specification a signature follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Cavage,
    Rfc9421,
}

/// A request's signature, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedSignature {
    Cavage(CavageSignature),
    Rfc9421(MessageSignature),
}

/// Finds and parses the request's signature: RFC 9421 when
/// `Signature-Input` is present (the first label that has a signature),
/// else draft-cavage from `Signature` or `Authorization: Signature`.
pub fn parse(request: &RequestParts<'_>) -> Result<ParsedSignature, SignatureError> {
    if request.has_header("signature-input") {
        let signature = MessageSignature::parse_all(request)?
            .into_iter()
            .next()
            .ok_or(SignatureError::Malformed("no Signature matches a Signature-Input label"))?;
        if signature.key_id().is_none() {
            return Err(SignatureError::MissingParameter("keyid"));
        }
        return Ok(ParsedSignature::Rfc9421(signature));
    }
    CavageSignature::from_request(request).map(ParsedSignature::Cavage)
}

impl ParsedSignature {
    /// The key to fetch before calling [`Self::verify`].
    pub fn key_id(&self) -> &str {
        match self {
            Self::Cavage(signature) => signature.key_id(),
            // `parse` refuses RFC 9421 signatures without a keyid.
            Self::Rfc9421(signature) => signature.key_id().unwrap_or_default(),
        }
    }

    pub fn scheme(&self) -> Scheme {
        match self {
            Self::Cavage(_) => Scheme::Cavage,
            Self::Rfc9421(_) => Scheme::Rfc9421,
        }
    }

    /// Verifies against the same request it was parsed from.
    pub fn verify(
        &self,
        request: &RequestParts<'_>,
        key: &VerifyingKey,
        now: SystemTime,
        policy: &VerifyPolicy,
    ) -> Result<(), SignatureError> {
        match self {
            Self::Cavage(signature) => signature.verify(request, key, now, policy),
            Self::Rfc9421(signature) => signature.verify(request, key, now, policy),
        }
    }
}

/// Base64 that accepts values with or without padding, as senders differ.
pub(crate) fn base64_lenient() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod window_tests {
    use super::*;

    const NOW: i64 = 1_703_066_400;

    #[test]
    fn mastodon_window_without_expiry_is_five_minutes_plus_skew() {
        let window = TimeWindow::default();
        assert_eq!(window.check(Some(NOW - 3900), None, NOW), Ok(()));
        assert_eq!(window.check(Some(NOW - 3901), None, NOW), Err(SignatureError::Expired));
        assert_eq!(window.check(Some(NOW + 3600), None, NOW), Ok(()));
        assert_eq!(window.check(Some(NOW + 3601), None, NOW), Err(SignatureError::FromTheFuture));
    }

    #[test]
    fn stated_expiry_counts_but_is_capped_at_twelve_hours() {
        let window = TimeWindow::default();
        assert_eq!(window.check(Some(NOW - 7200), Some(NOW), NOW), Ok(()));
        assert_eq!(window.check(Some(NOW - 7200), Some(NOW - 3601), NOW), Err(SignatureError::Expired));
        assert_eq!(window.check(Some(NOW - 13 * 3600), Some(NOW + 3600), NOW), Ok(()));
        assert_eq!(window.check(Some(NOW - 13 * 3600 - 1), Some(NOW + 3600), NOW), Err(SignatureError::Expired));
        assert_eq!(window.check(None, Some(NOW - 3601), NOW), Err(SignatureError::Expired));
        assert_eq!(window.check(None, None, NOW), Ok(()));
    }
}
