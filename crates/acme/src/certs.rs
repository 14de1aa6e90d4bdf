//! Certificates as stored (PEM chain + PKCS#8 key) turned into what rustls
//! serves, with everything checked: a stored certificate that does not parse,
//! does not name its host, or does not match its key is corrupt.

use chrono::{DateTime, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("the certificate chain is not valid PEM: {0}")]
    Pem(String),
    #[error("the certificate chain is empty")]
    Empty,
    #[error("the certificate does not parse: {0}")]
    X509(String),
    #[error("the certificate does not name {0}")]
    WrongHost(String),
    #[error("the private key is unusable: {0}")]
    Key(String),
    #[error("the private key does not match the certificate")]
    KeyMismatch,
    #[error("cannot build the challenge certificate: {0}")]
    Generate(String),
}

/// A certificate ready to serve, with its validity.
#[derive(Debug, Clone)]
pub struct LoadedCert {
    pub certified: Arc<CertifiedKey>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// Checks and loads a stored certificate for `host`.
pub fn load(host: &str, chain_pem: &str, key_pkcs8: &[u8]) -> Result<LoadedCert, CertError> {
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::Pem(e.to_string()))?;
    let leaf = chain.first().ok_or(CertError::Empty)?;
    let (not_before, not_after) = validity_for(leaf, host)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8.to_vec()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| CertError::Key(e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|_| CertError::KeyMismatch)?;
    Ok(LoadedCert { certified: Arc::new(certified), not_before, not_after })
}

/// The leaf's validity, after checking that it names `host` among its DNS names.
pub fn validity_for(leaf: &CertificateDer<'_>, host: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), CertError> {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let (_, cert) = X509Certificate::from_der(leaf.as_ref()).map_err(|e| CertError::X509(e.to_string()))?;
    let names = cert.subject_alternative_name().map_err(|e| CertError::X509(e.to_string()))?;
    let named = names.is_some_and(|san| {
        san.value
            .general_names
            .iter()
            .any(|name| matches!(name, GeneralName::DNSName(dns) if dns.eq_ignore_ascii_case(host)))
    });
    if !named {
        return Err(CertError::WrongHost(host.to_string()));
    }
    let time =
        |t: i64| DateTime::<Utc>::from_timestamp(t, 0).ok_or_else(|| CertError::X509("validity out of range".into()));
    Ok((time(cert.validity().not_before.timestamp())?, time(cert.validity().not_after.timestamp())?))
}

/// The self-signed certificate that answers a TLS-ALPN-01 challenge (RFC
/// 8737): `host` as its only name and the critical acmeIdentifier extension
/// holding the SHA-256 of the key authorization. Built as a CertifiedKey
/// directly: it is never verified by anyone but the CA's validator.
pub fn alpn_challenge_cert(host: &str, key_authorization: &str) -> Result<Arc<CertifiedKey>, CertError> {
    let generate = |e: rcgen::Error| CertError::Generate(e.to_string());
    let digest = ring::digest::digest(&ring::digest::SHA256, key_authorization.as_bytes());
    let key_pair = rcgen::KeyPair::generate().map_err(generate)?;
    let mut params = rcgen::CertificateParams::new(vec![host.to_string()]).map_err(generate)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest.as_ref())];
    let cert = params.self_signed(&key_pair).map_err(generate)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| CertError::Key(e.to_string()))?;
    Ok(Arc::new(CertifiedKey::new(vec![cert.der().clone()], signing)))
}

/// The ACME Renewal Information identifier of a chain's leaf (RFC 9773
/// §4.1): base64url of its Authority Key Identifier's keyIdentifier, a dot,
/// base64url of its DER serial number.
pub fn ari_id(chain_pem: &str) -> Result<instant_acme::CertificateIdentifier<'static>, CertError> {
    let leaf = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .next()
        .ok_or(CertError::Empty)?
        .map_err(|e| CertError::Pem(e.to_string()))?;
    instant_acme::CertificateIdentifier::try_from(&leaf).map(|id| id.into_owned()).map_err(CertError::X509)
}

/// A private key in PEM (as instant-acme's `finalize` returns it) as PKCS#8 DER.
pub fn key_pem_to_pkcs8(pem: &str) -> Result<Vec<u8>, CertError> {
    PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .map(|key| key.secret_pkcs8_der().to_vec())
        .map_err(|e| CertError::Key(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn self_signed(host: &str) -> (String, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![host.to_string()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_der())
    }

    #[test]
    fn a_good_certificate_loads_with_its_validity() {
        let (pem, key) = self_signed("a.test");
        let loaded = load("a.test", &pem, &key).unwrap();
        assert!(loaded.not_before < loaded.not_after);
        assert_eq!(loaded.certified.cert.len(), 1);
    }

    #[test]
    fn corrupt_or_mismatched_certificates_are_refused() {
        let (pem, key) = self_signed("a.test");
        let (_, other_key) = self_signed("a.test");
        assert!(matches!(load("b.test", &pem, &key), Err(CertError::WrongHost(_))));
        assert!(matches!(load("a.test", &pem, &other_key), Err(CertError::KeyMismatch)));
        assert!(matches!(load("a.test", "", &key), Err(CertError::Empty)));
        let garbled = pem.replacen("MII", "MIX", 1);
        assert!(load("a.test", &garbled, &key).is_err());
        assert!(matches!(load("a.test", &pem, b"not a key"), Err(CertError::Key(_))));
    }

    #[test]
    fn the_ari_identifier_is_the_one_of_rfc_9773s_example() {
        // RFC 9773 §4.1: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4
        // and serial 00:87:65:43:21 give "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(vec![
            0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01,
            0xC8, 0xD4,
        ]);
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut leaf = rcgen::CertificateParams::new(vec!["a.test".to_string()]).unwrap();
        leaf.use_authority_key_identifier_extension = true;
        leaf.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x00, 0x87, 0x65, 0x43, 0x21]));
        let pem = leaf.signed_by(&key, &issuer).unwrap().pem();
        assert_eq!(ari_id(&pem).unwrap().to_string(), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
        // Without an Authority Key Identifier there is no identifier (and no panic).
        let (self_signed, _) = self_signed("a.test");
        assert!(matches!(ari_id(&self_signed), Err(CertError::X509(_))));
        assert!(matches!(ari_id(""), Err(CertError::Empty)));
    }

    #[test]
    fn the_alpn_challenge_certificate_carries_the_digest_as_a_critical_extension() {
        let certified = alpn_challenge_cert("a.test", "token.thumbprint").unwrap();
        let der = certified.cert[0].as_ref().to_vec();
        let (_, cert) =
            <x509_parser::prelude::X509Certificate as x509_parser::prelude::FromDer<'_, _>>::from_der(&der).unwrap();
        let acme_id = cert.extensions().iter().find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31").unwrap();
        assert!(acme_id.critical);
        let digest = ring::digest::digest(&ring::digest::SHA256, b"token.thumbprint");
        // DER OCTET STRING: tag 4, length 32, then the digest.
        assert_eq!(&acme_id.value[2..], digest.as_ref());
        assert_eq!(validity_for(&certified.cert[0], "a.test").map(|_| ()).ok(), Some(()));
    }
}
