//! Signature algorithms and their mapping onto ring.

use ring::signature::{self, UnparsedPublicKey};

use super::SignatureError;
use super::keys::{PublicKeyKind, SigningKey, VerifyingKey};

/// ring refuses RSA keys under 2048 bits with its modern algorithms, but
/// long-running servers still publish 1024-bit keys.
const MODERN_RSA_MIN_BITS: usize = 2048;

/// An algorithm, named as in RFC 9421's registry. `rsa-sha256` and `hs2019`
/// of draft-cavage map to [`Algorithm::RsaV15Sha256`] (for RSA keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaV15Sha256,
    RsaPssSha512,
    EcdsaP256Sha256,
    Ed25519,
    HmacSha256,
}

impl Algorithm {
    /// The RFC 9421 `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaV15Sha256 => "rsa-v1_5-sha256",
            Self::RsaPssSha512 => "rsa-pss-sha512",
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::Ed25519 => "ed25519",
            Self::HmacSha256 => "hmac-sha256",
        }
    }

    /// Parses an RFC 9421 `alg` name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::RsaV15Sha256, Self::RsaPssSha512, Self::EcdsaP256Sha256, Self::Ed25519, Self::HmacSha256]
            .into_iter()
            .find(|algorithm| algorithm.name() == name)
    }

    /// The algorithms a key can check when the message does not say
    /// (RFC 9421 lets the key decide). RSA is ambiguous, so both RSA
    /// algorithms are tried.
    pub(super) fn implied_by(key: &VerifyingKey) -> &'static [Algorithm] {
        match key {
            VerifyingKey::Public(public) => match public.kind() {
                PublicKeyKind::Rsa { .. } => &[Self::RsaV15Sha256, Self::RsaPssSha512],
                PublicKeyKind::EcdsaP256 => &[Self::EcdsaP256Sha256],
                PublicKeyKind::Ed25519 => &[Self::Ed25519],
            },
            VerifyingKey::SharedSecret(_) => &[Self::HmacSha256],
        }
    }
}

/// Checks `signature` over `message`. A key of the wrong kind for the
/// algorithm is [`SignatureError::AlgorithmKeyMismatch`], not a bad signature.
pub(super) fn verify(
    algorithm: Algorithm,
    key: &VerifyingKey,
    message: &[u8],
    signature_bytes: &[u8],
) -> Result<(), SignatureError> {
    let (ring_algorithm, public): (&dyn signature::VerificationAlgorithm, _) = match (algorithm, key) {
        (Algorithm::HmacSha256, VerifyingKey::SharedSecret(secret)) => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
            return ring::hmac::verify(&key, message, signature_bytes).map_err(|_| SignatureError::BadSignature);
        }
        (_, VerifyingKey::Public(public)) => match (algorithm, public.kind()) {
            (Algorithm::RsaV15Sha256, PublicKeyKind::Rsa { modulus_bits }) if modulus_bits < MODERN_RSA_MIN_BITS => {
                (&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, public)
            }
            (Algorithm::RsaV15Sha256, PublicKeyKind::Rsa { .. }) => (&signature::RSA_PKCS1_2048_8192_SHA256, public),
            (Algorithm::RsaPssSha512, PublicKeyKind::Rsa { .. }) => (&signature::RSA_PSS_2048_8192_SHA512, public),
            (Algorithm::EcdsaP256Sha256, PublicKeyKind::EcdsaP256) => (&signature::ECDSA_P256_SHA256_FIXED, public),
            (Algorithm::Ed25519, PublicKeyKind::Ed25519) => (&signature::ED25519, public),
            _ => return Err(SignatureError::AlgorithmKeyMismatch),
        },
        _ => return Err(SignatureError::AlgorithmKeyMismatch),
    };
    UnparsedPublicKey::new(ring_algorithm, public.ring_bytes())
        .verify(message, signature_bytes)
        .map_err(|_| SignatureError::BadSignature)
}

/// Signs `message`. RSA PKCS#1 v1.5 and Ed25519 are deterministic; PSS and
/// ECDSA draw randomness from the OS, as key generation already does.
pub(super) fn sign(algorithm: Algorithm, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let rng = ring::rand::SystemRandom::new();
    match (algorithm, key) {
        (Algorithm::RsaV15Sha256 | Algorithm::RsaPssSha512, SigningKey::Rsa(pair)) => {
            let padding: &'static dyn signature::RsaEncoding = if algorithm == Algorithm::RsaV15Sha256 {
                &signature::RSA_PKCS1_SHA256
            } else {
                &signature::RSA_PSS_SHA512
            };
            let mut out = vec![0; pair.public().modulus_len()];
            pair.sign(padding, &rng, message, &mut out).map_err(|_| SignatureError::SigningFailed)?;
            Ok(out)
        }
        (Algorithm::EcdsaP256Sha256, SigningKey::EcdsaP256(pair)) => {
            pair.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| SignatureError::SigningFailed)
        }
        (Algorithm::Ed25519, SigningKey::Ed25519(pair)) => Ok(pair.sign(message).as_ref().to_vec()),
        (Algorithm::HmacSha256, SigningKey::SharedSecret(key)) => Ok(ring::hmac::sign(key, message).as_ref().to_vec()),
        _ => Err(SignatureError::AlgorithmKeyMismatch),
    }
}

/// The algorithm a signing key uses when none is asked for.
pub(super) fn default_for(key: &SigningKey) -> Algorithm {
    match key {
        SigningKey::Rsa(_) => Algorithm::RsaV15Sha256,
        SigningKey::EcdsaP256(_) => Algorithm::EcdsaP256Sha256,
        SigningKey::Ed25519(_) => Algorithm::Ed25519,
        SigningKey::SharedSecret(_) => Algorithm::HmacSha256,
    }
}
