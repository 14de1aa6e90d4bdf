//! A key id with its private key, parsed once and shared: RSA signing is
//! CPU-heavy, re-parsing the DER for every delivery would add to it.
//! The signing methods live with their schemes ([`super::cavage`],
//! [`super::rfc9421`]).

use super::keys::{KeyMaterialError, SigningKey};

/// Signs outbound requests as one actor key. `Send + Sync`: build it once
/// per key and share it (e.g. in an `Arc`) across delivery workers.
#[derive(Debug)]
pub struct Signer {
    key_id: String,
    key: SigningKey,
}

impl Signer {
    pub fn new(key_id: impl Into<String>, key: SigningKey) -> Self {
        Self { key_id: key_id.into(), key }
    }

    /// An account key as the store keeps it: RSA, PKCS#8 DER.
    pub fn from_rsa_pkcs8_der(key_id: impl Into<String>, der: &[u8]) -> Result<Self, KeyMaterialError> {
        SigningKey::rsa_from_pkcs8_der(der).map(|key| Self::new(key_id, key))
    }

    /// The `keyId` (`keyid`) that names the public key, usually
    /// `{actor}#main-key`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Signer>();
    }

    #[test]
    fn refuses_what_is_not_pkcs8_rsa() {
        assert!(matches!(Signer::from_rsa_pkcs8_der("k", b"not a key"), Err(KeyMaterialError::Rejected(_))));
    }
}
