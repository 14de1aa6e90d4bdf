//! Keys in the forms ring wants. ring verifies with raw key bytes (PKCS#1
//! `RSAPublicKey` DER for RSA, the uncompressed point for P-256, the 32
//! bytes for Ed25519) but actors publish PEM: SPKI (`BEGIN PUBLIC KEY`) or,
//! on some servers, PKCS#1 (`BEGIN RSA PUBLIC KEY`). So this module unwraps
//! PEM and the few DER structures involved, nothing more.

use base64::Engine;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMaterialError {
    #[error("no PEM block found")]
    NoPem,
    #[error("unsupported PEM label {0:?}")]
    UnsupportedPemLabel(String),
    #[error("PEM body is not valid base64")]
    PemBase64,
    #[error("malformed DER: {0}")]
    Der(&'static str),
    #[error("unsupported key algorithm")]
    UnsupportedKeyAlgorithm,
    #[error("unsupported elliptic curve (only P-256)")]
    UnsupportedCurve,
    #[error("key rejected: {0}")]
    Rejected(String),
}

/// The kind of a public key, which decides the algorithms it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicKeyKind {
    Rsa {
        /// Modulus size; 1024-bit keys are still published and need ring's
        /// legacy verification algorithm.
        modulus_bits: usize,
    },
    EcdsaP256,
    Ed25519,
}

/// A parsed public key, kept in ring's input form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kind: PublicKeyKind,
    ring_bytes: Vec<u8>,
}

impl PublicKey {
    /// Reads an SPKI (`-----BEGIN PUBLIC KEY-----`) or PKCS#1
    /// (`-----BEGIN RSA PUBLIC KEY-----`) PEM, as found in `publicKeyPem`.
    pub fn from_pem(pem: &str) -> Result<Self, KeyMaterialError> {
        let (label, der) = decode_pem(pem)?;
        match label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(&der),
            _ => Err(KeyMaterialError::UnsupportedPemLabel(label)),
        }
    }

    /// Reads a DER `SubjectPublicKeyInfo` holding an RSA, P-256 or Ed25519 key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyMaterialError> {
        let mut outer = DerReader::new(der);
        let mut spki = DerReader::new(outer.expect(TAG_SEQUENCE)?);
        outer.finish()?;
        let mut algorithm = DerReader::new(spki.expect(TAG_SEQUENCE)?);
        let key_bits = spki.expect(TAG_BIT_STRING)?;
        spki.finish()?;
        let key = match key_bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(KeyMaterialError::Der("public key bit string has unused bits")),
        };
        let oid = algorithm.expect(TAG_OID)?;
        if oid == OID_RSA_ENCRYPTION || oid == OID_RSASSA_PSS {
            // PSS-restricted keys carry their parameters here; the key itself
            // is the same RSAPublicKey.
            Self::from_pkcs1_der(key)
        } else if oid == OID_EC_PUBLIC_KEY {
            if algorithm.expect(TAG_OID)? != OID_PRIME256V1 {
                return Err(KeyMaterialError::UnsupportedCurve);
            }
            if key.len() != 65 || key.first() != Some(&0x04) {
                return Err(KeyMaterialError::Der("P-256 key is not an uncompressed point"));
            }
            Ok(Self { kind: PublicKeyKind::EcdsaP256, ring_bytes: key.to_vec() })
        } else if oid == OID_ED25519 {
            if key.len() != 32 {
                return Err(KeyMaterialError::Der("Ed25519 key is not 32 bytes"));
            }
            Ok(Self { kind: PublicKeyKind::Ed25519, ring_bytes: key.to_vec() })
        } else {
            Err(KeyMaterialError::UnsupportedKeyAlgorithm)
        }
    }

    /// Reads a DER PKCS#1 `RSAPublicKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyMaterialError> {
        let mut outer = DerReader::new(der);
        let mut sequence = DerReader::new(outer.expect(TAG_SEQUENCE)?);
        outer.finish()?;
        let modulus = sequence.expect(TAG_INTEGER)?;
        sequence.expect(TAG_INTEGER)?;
        sequence.finish()?;
        let significant = match modulus.iter().position(|&b| b != 0) {
            Some(first) => modulus.get(first..).unwrap_or_default(),
            None => return Err(KeyMaterialError::Der("RSA modulus is zero")),
        };
        let leading_zero_bits = significant.first().map_or(0, |b| b.leading_zeros() as usize);
        let modulus_bits = significant.len() * 8 - leading_zero_bits;
        Ok(Self { kind: PublicKeyKind::Rsa { modulus_bits }, ring_bytes: der.to_vec() })
    }

    pub fn kind(&self) -> PublicKeyKind {
        self.kind
    }

    /// The key as ring's `UnparsedPublicKey` expects it for this kind.
    pub(super) fn ring_bytes(&self) -> &[u8] {
        &self.ring_bytes
    }
}

/// A key to check a signature with. Shared secrets are a separate variant,
/// never derived from a PEM, so a published public key can never be
/// mistaken for an HMAC secret (the classic algorithm-confusion attack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    Public(PublicKey),
    SharedSecret(Vec<u8>),
}

impl VerifyingKey {
    /// A public key from PEM; see [`PublicKey::from_pem`].
    pub fn from_pem(pem: &str) -> Result<Self, KeyMaterialError> {
        PublicKey::from_pem(pem).map(Self::Public)
    }
}

/// A private key, parsed once (RSA parsing and its consistency checks are
/// not cheap) and safe to share between threads.
#[derive(Debug)]
pub enum SigningKey {
    Rsa(RsaKeyPair),
    EcdsaP256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    SharedSecret(ring::hmac::Key),
}

impl SigningKey {
    /// An RSA key as PKCS#8 DER (how the store keeps account keys).
    pub fn rsa_from_pkcs8_der(der: &[u8]) -> Result<Self, KeyMaterialError> {
        RsaKeyPair::from_pkcs8(der).map(Self::Rsa).map_err(rejected)
    }

    /// A P-256 key as PKCS#8 DER.
    pub fn ecdsa_p256_from_pkcs8_der(der: &[u8]) -> Result<Self, KeyMaterialError> {
        let rng = ring::rand::SystemRandom::new();
        EcdsaKeyPair::from_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map(Self::EcdsaP256)
            .map_err(rejected)
    }

    /// An Ed25519 key as PKCS#8 DER, v1 (seed only, as RFC 9421's test key)
    /// or v2 (seed and public key).
    pub fn ed25519_from_pkcs8_der(der: &[u8]) -> Result<Self, KeyMaterialError> {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map(Self::Ed25519).map_err(rejected)
    }

    /// An HMAC-SHA256 shared secret.
    pub fn shared_secret(secret: &[u8]) -> Self {
        Self::SharedSecret(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret))
    }
}

fn rejected(error: ring::error::KeyRejected) -> KeyMaterialError {
    KeyMaterialError::Rejected(error.to_string())
}

/// Decodes the first PEM block: its label and DER bytes. Tolerates CRLF and
/// surrounding text, as `publicKeyPem` values come from many servers.
pub fn decode_pem(pem: &str) -> Result<(String, Vec<u8>), KeyMaterialError> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = pem.find(BEGIN).ok_or(KeyMaterialError::NoPem)?;
    let after_begin = pem.get(start + BEGIN.len()..).unwrap_or_default();
    let label_end = after_begin.find(DASHES).ok_or(KeyMaterialError::NoPem)?;
    let label = after_begin.get(..label_end).unwrap_or_default();
    let body_and_rest = after_begin.get(label_end + DASHES.len()..).unwrap_or_default();
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_rest.find(&end_marker).ok_or(KeyMaterialError::NoPem)?;
    let body: String =
        body_and_rest.get(..body_end).unwrap_or_default().chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| KeyMaterialError::PemBase64)?;
    Ok((label.to_owned(), der))
}

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

// Object identifiers, as the DER contents of their OBJECT IDENTIFIER.
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // 1.2.840.113549.1.1.1
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a]; // 1.2.840.113549.1.1.10
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const OID_PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70]; // 1.3.101.112

/// Reads DER tag-length-value elements in sequence.
struct DerReader<'a> {
    input: &'a [u8],
}

impl<'a> DerReader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    /// The contents of the next element, which must have `tag`.
    fn expect(&mut self, tag: u8) -> Result<&'a [u8], KeyMaterialError> {
        let (&found, rest) = self.input.split_first().ok_or(KeyMaterialError::Der("truncated"))?;
        if found != tag {
            return Err(KeyMaterialError::Der("unexpected tag"));
        }
        let (&first_length_byte, mut rest) = rest.split_first().ok_or(KeyMaterialError::Der("truncated"))?;
        let length = if first_length_byte < 0x80 {
            usize::from(first_length_byte)
        } else {
            let count = usize::from(first_length_byte & 0x7f);
            if count == 0 || count > 4 {
                return Err(KeyMaterialError::Der("unsupported length"));
            }
            let (length_bytes, after) = rest.split_at_checked(count).ok_or(KeyMaterialError::Der("truncated"))?;
            rest = after;
            length_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let (contents, after) = rest.split_at_checked(length).ok_or(KeyMaterialError::Der("truncated"))?;
        self.input = after;
        Ok(contents)
    }

    fn finish(&self) -> Result<(), KeyMaterialError> {
        if self.input.is_empty() { Ok(()) } else { Err(KeyMaterialError::Der("trailing data")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_SPKI: &str = "-----BEGIN PUBLIC KEY-----\r\n\
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqIAYvNFGbZ5g4iiK6feS\r\n\
        dXD4bDStFM58A7tHycYXaYtzZQpIeHXAmaXuZzXIwtrP4N0gIk8JNwZvXj2UPS+S\r\n\
        07t0V9wNK94he01LV5EMz/GN4eNnFmDL64HIEuKLvV8TvgjbUPRD6Y5X0UpKi2ZI\r\n\
        FLSb96Q5w0Z/k7ntpVKV52y8kz5Fjr/O/0JuHryZe0yItzJh8kzFfeMf0EXzfSna\r\n\
        KvT7P9jhgC6uTre+jXyvVZjiHDrnqvvucdI3I7DRfXo1OqARBrLjy+TdseUAjNYJ\r\n\
        +OuPRI1URIWQI01DCHqcohVu9+Ar+BiCjFp3ua+XMuJvrvbD61d1Fvig/9nbBRR+\r\n\
        8QIDAQAB\r\n-----END PUBLIC KEY-----\r\n";

    #[test]
    fn spki_rsa_key_unwraps_to_its_pkcs1_form() {
        let key = PublicKey::from_pem(RSA_SPKI).unwrap();
        assert_eq!(key.kind(), PublicKeyKind::Rsa { modulus_bits: 2048 });
        // RSAPublicKey: SEQUENCE (0x30 0x82 0x01 0x0a) of modulus and exponent.
        assert_eq!(&key.ring_bytes()[..4], &[0x30, 0x82, 0x01, 0x0a]);
        assert_eq!(&key.ring_bytes()[key.ring_bytes().len() - 3..], &[0x01, 0x00, 0x01]);
    }

    #[test]
    fn other_pem_labels_and_garbage_are_refused() {
        assert_eq!(PublicKey::from_pem("nothing here"), Err(KeyMaterialError::NoPem));
        assert_eq!(
            PublicKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            Err(KeyMaterialError::UnsupportedPemLabel("CERTIFICATE".into()))
        );
        assert_eq!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----"),
            Err(KeyMaterialError::PemBase64)
        );
        let truncated = RSA_SPKI.replace("8QIDAQAB\r\n", "");
        assert!(matches!(PublicKey::from_pem(&truncated), Err(KeyMaterialError::Der(_) | KeyMaterialError::PemBase64)));
    }
}
