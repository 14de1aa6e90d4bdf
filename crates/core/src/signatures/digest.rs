//! Body digests: `Digest: SHA-256=<base64>` (RFC 3230, what Mastodon sends
//! and checks with draft-cavage signatures) and `Content-Digest:
//! sha-256=:<base64>:` (RFC 9530, what RFC 9421 signatures cover).

use base64::Engine;
use ring::digest::{self, SHA256, SHA512};

use super::structured::{self, BareItem, Member};
use super::{SignatureError, base64_lenient};

/// A digest algorithm this module can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha256,
    Sha512,
}

impl DigestAlgorithm {
    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "sha-256" => Some(Self::Sha256),
            "sha-512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn compute(self, body: &[u8]) -> digest::Digest {
        digest::digest(if self == Self::Sha256 { &SHA256 } else { &SHA512 }, body)
    }
}

/// The `Digest` header value for `body`: `SHA-256=<base64>`.
pub fn digest_header(body: &[u8]) -> String {
    let hash = DigestAlgorithm::Sha256.compute(body);
    format!("SHA-256={}", base64::engine::general_purpose::STANDARD.encode(hash))
}

/// The `Content-Digest` header value for `body`: `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    let hash = DigestAlgorithm::Sha256.compute(body);
    format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(hash))
}

/// Checks a `Digest` header (RFC 3230: comma-separated `algorithm=base64`)
/// against `body`. Every SHA-256 and SHA-512 entry must match; others are
/// ignored, unless nothing else is offered.
pub fn check_digest_header(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut offered = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
        let (name, encoded) = entry.split_once('=').ok_or(SignatureError::MalformedDigest)?;
        let name = name.trim();
        offered.push(name.to_owned());
        if let Some(algorithm) = DigestAlgorithm::from_name(name) {
            let expected = base64_lenient().decode(encoded.trim()).map_err(|_| SignatureError::MalformedDigest)?;
            compare(algorithm, &expected, body)?;
        }
    }
    require_known(&offered)
}

/// Checks a `Content-Digest` header (RFC 9530: a structured Dictionary of
/// byte sequences) against `body`, with the same rules as
/// [`check_digest_header`].
pub fn check_content_digest_header(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let dictionary = structured::parse_dictionary(value).map_err(|_| SignatureError::MalformedDigest)?;
    let mut offered = Vec::new();
    for (name, member) in &dictionary {
        offered.push(name.clone());
        if let Some(algorithm) = DigestAlgorithm::from_name(name) {
            match member {
                Member::Item(item) => match &item.value {
                    BareItem::ByteSequence(expected) => compare(algorithm, expected, body)?,
                    _ => return Err(SignatureError::MalformedDigest),
                },
                Member::InnerList(_) => return Err(SignatureError::MalformedDigest),
            }
        }
    }
    require_known(&offered)
}

fn compare(algorithm: DigestAlgorithm, expected: &[u8], body: &[u8]) -> Result<(), SignatureError> {
    if algorithm.compute(body).as_ref() == expected { Ok(()) } else { Err(SignatureError::DigestMismatch(algorithm)) }
}

fn require_known(offered: &[String]) -> Result<(), SignatureError> {
    if offered.iter().any(|name| DigestAlgorithm::from_name(name).is_some()) {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigestAlgorithms(offered.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9530 Appendix D / RFC 9421 Appendix B: the digests of the test body.
    const BODY: &[u8] = br#"{"hello": "world"}"#;
    const SHA256_B64: &str = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
    const SHA512_B64: &str = "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==";

    #[test]
    fn computes_both_header_forms() {
        assert_eq!(digest_header(BODY), format!("SHA-256={SHA256_B64}"));
        assert_eq!(content_digest_header(BODY), format!("sha-256=:{SHA256_B64}:"));
        // Mastodon's spec: SHA-256 of "Hello world".
        assert_eq!(digest_header(b"Hello world"), "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=");
    }

    #[test]
    fn accepts_matching_digests_of_either_algorithm() {
        check_digest_header(&format!("sha-256={SHA256_B64}"), BODY).unwrap();
        check_digest_header(&format!("MD5=abc, SHA-512={SHA512_B64}"), BODY).unwrap();
        check_content_digest_header(&format!("sha-512=:{SHA512_B64}:"), BODY).unwrap();
        check_content_digest_header(&format!("unixsum=:AAAA:, sha-256=:{SHA256_B64}:"), BODY).unwrap();
    }

    #[test]
    fn a_mismatch_is_an_error_even_beside_a_match() {
        let tampered = b"{\"hello\": \"world!\"}";
        assert_eq!(
            check_digest_header(&format!("SHA-256={SHA256_B64}"), tampered),
            Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha256))
        );
        assert_eq!(
            check_content_digest_header(&format!("sha-256=:{SHA256_B64}:, sha-512=:AAAA:"), BODY),
            Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha512))
        );
    }

    #[test]
    fn unknown_algorithms_alone_are_refused() {
        assert_eq!(
            check_digest_header("MD5=abc, UNIXsum=1", BODY),
            Err(SignatureError::UnsupportedDigestAlgorithms("MD5, UNIXsum".into()))
        );
        assert_eq!(
            check_content_digest_header("md5=:AAAA:", BODY),
            Err(SignatureError::UnsupportedDigestAlgorithms("md5".into()))
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        assert_eq!(check_digest_header("SHA-256", BODY), Err(SignatureError::MalformedDigest));
        assert_eq!(check_digest_header("SHA-256=!!", BODY), Err(SignatureError::MalformedDigest));
        assert_eq!(check_content_digest_header("sha-256=abc", BODY), Err(SignatureError::MalformedDigest));
        // Mastodon's spec: an upper-case key is not a valid RFC 8941 dictionary.
        assert_eq!(
            check_content_digest_header("SHA-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:", b"Hello world"),
            Err(SignatureError::MalformedDigest)
        );
    }
}
