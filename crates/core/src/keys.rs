//! Account key pairs. ring signs and verifies RSA but cannot generate RSA
//! keys, so generation uses the `rsa` crate (generation only: its signing
//! timing issue does not apply) and the result is stored as PKCS#8 DER for ring.

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

pub const ACCOUNT_KEY_BITS: usize = 2048;

/// A freshly generated key pair: the private key as PKCS#8 DER, the public
/// key as an SPKI PEM (what ActivityPub's `publicKeyPem` carries).
pub struct KeyPair {
    pub private_pkcs8_der: Vec<u8>,
    pub public_pem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation failed: {0}")]
    Generate(String),
    #[error("RSA key encoding failed: {0}")]
    Encode(String),
}

/// Generates an RSA key pair. CPU-heavy (tens of milliseconds): call it off
/// the async executor.
pub fn generate_rsa_keypair(bits: usize) -> Result<KeyPair, KeyError> {
    let mut rng = rand::rngs::OsRng;
    let private = rsa::RsaPrivateKey::new(&mut rng, bits).map_err(|e| KeyError::Generate(e.to_string()))?;
    let der = private.to_pkcs8_der().map_err(|e| KeyError::Encode(e.to_string()))?;
    let public_pem =
        private.to_public_key().to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Encode(e.to_string()))?;
    Ok(KeyPair { private_pkcs8_der: der.as_bytes().to_vec(), public_pem })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};

    #[test]
    fn generated_pair_matches_and_has_the_right_size() {
        let pair = generate_rsa_keypair(ACCOUNT_KEY_BITS).unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let private = rsa::RsaPrivateKey::from_pkcs8_der(&pair.private_pkcs8_der).unwrap();
        let public = rsa::RsaPublicKey::from_public_key_pem(&pair.public_pem).unwrap();
        assert_eq!(private.to_public_key(), public);
        use rsa::traits::PublicKeyParts;
        assert_eq!(public.size() * 8, ACCOUNT_KEY_BITS);
    }
}
