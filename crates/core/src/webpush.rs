//! Web Push message encryption and VAPID, on `ring`: what a push to a
//! subscription's endpoint carries.
//!
//! - [`encrypt`] with [`Encoding::Aes128gcm`] is RFC 8291 (one record, the
//!   salt, record size and sender's key in the body's header), sent with
//!   `Authorization: vapid t=JWT,k=KEY` (RFC 8292), as Mastodon does for
//!   subscriptions made with `standard: true`.
//! - [`Encoding::Aesgcm`] is the older draft (draft-ietf-webpush-encryption-04)
//!   that Mastodon still sends by default (`standard: false`): salt and
//!   sender's key in the `Encryption` and `Crypto-Key` headers,
//!   `Authorization: WebPush JWT`. Apps made for Mastodon (and Mastodon.py's
//!   `push_subscription_decrypt_push`) read that one.
//!
//! Pure apart from the OS RNG (ephemeral keys, salts, key generation).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use ring::{aead, agreement, hkdf};

/// Record size announced in an aes128gcm header (and the aesgcm default).
const RECORD_SIZE: u32 = 4096;
/// The largest plaintext sent in one record (both encodings send one).
pub const MAX_PLAINTEXT: usize = 3800;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushCryptoError {
    #[error("the subscription's p256dh key is not a P-256 public key")]
    BadPublicKey,
    #[error("the subscription's auth secret must be 16 bytes")]
    BadAuthSecret,
    #[error("the payload is too large for one record")]
    TooLarge,
    #[error("the VAPID key is not a P-256 PKCS#8 key")]
    BadVapidKey,
    #[error("a cryptographic operation failed")]
    Crypto,
}

impl From<ring::error::Unspecified> for PushCryptoError {
    fn from(_: ring::error::Unspecified) -> Self {
        PushCryptoError::Crypto
    }
}

/// Which content coding a subscription gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// RFC 8291.
    Aes128gcm,
    /// draft-ietf-webpush-encryption-04, Mastodon's default.
    Aesgcm,
}

/// A subscription's keys as the client gave them (decoded).
#[derive(Debug, Clone)]
pub struct Receiver<'a> {
    /// Uncompressed P-256 point, 65 bytes.
    pub p256dh: &'a [u8],
    /// 16 bytes.
    pub auth: &'a [u8],
}

/// An encrypted message: the body, and for aesgcm the headers' values.
#[derive(Debug, Clone)]
pub struct Encrypted {
    pub body: Vec<u8>,
    /// aesgcm: the salt (base64url), for `Encryption: salt=...`.
    pub salt: Vec<u8>,
    /// The sender's ephemeral public key (aesgcm: `Crypto-Key: dh=...`).
    pub sender_public: Vec<u8>,
}

/// The tenant's VAPID key pair, generated once and stored.
#[derive(Debug, Clone)]
pub struct VapidKeys {
    pub pkcs8: Vec<u8>,
    /// Uncompressed P-256 point, 65 bytes.
    pub public: Vec<u8>,
}

/// A new P-256 key pair for VAPID.
pub fn generate_vapid() -> Result<VapidKeys, PushCryptoError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| PushCryptoError::BadVapidKey)?;
    Ok(VapidKeys { pkcs8: pkcs8.as_ref().to_vec(), public: pair.public_key().as_ref().to_vec() })
}

/// The public key as Mastodon shows it (`server_key`, `vapid.public_key`):
/// URL-safe base64 with padding.
pub fn server_key(public: &[u8]) -> String {
    URL_SAFE.encode(public)
}

/// base64 as clients send keys: standard or URL-safe alphabet, padded or not.
pub fn decode_key(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| STANDARD_NO_PAD.decode(trimmed).ok())
        .or_else(|| STANDARD.decode(text).ok())
}

/// Checks a subscription's keys: a P-256 point and a 16-byte secret.
pub fn check_receiver(p256dh: &[u8], auth: &[u8]) -> Result<(), PushCryptoError> {
    if p256dh.len() != 65 || p256dh[0] != 4 {
        return Err(PushCryptoError::BadPublicKey);
    }
    // ring checks the point is on the curve when agreeing; do one with a throwaway key.
    let rng = SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)?;
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, p256dh);
    agreement::agree_ephemeral(private, &peer, |_| ()).map_err(|_| PushCryptoError::BadPublicKey)?;
    if auth.len() != 16 {
        return Err(PushCryptoError::BadAuthSecret);
    }
    Ok(())
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), PushCryptoError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    prk.expand(info, Len(out.len()))?.fill(out)?;
    Ok(())
}

/// Encrypts `plaintext` for `receiver` in one record of `encoding`.
pub fn encrypt(receiver: &Receiver<'_>, plaintext: &[u8], encoding: Encoding) -> Result<Encrypted, PushCryptoError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushCryptoError::TooLarge);
    }
    if receiver.auth.len() != 16 {
        return Err(PushCryptoError::BadAuthSecret);
    }
    let rng = SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)?;
    let sender_public = private.compute_public_key()?.as_ref().to_vec();
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, receiver.p256dh);
    let shared = agreement::agree_ephemeral(private, &peer, |secret| secret.to_vec())
        .map_err(|_| PushCryptoError::BadPublicKey)?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)?;

    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    let mut record = Vec::with_capacity(plaintext.len() + 18);
    match encoding {
        Encoding::Aes128gcm => {
            // RFC 8291 §3.3-3.4: the auth secret mixes into the key, both public keys in the info.
            let mut ikm = [0u8; 32];
            hkdf(receiver.auth, &shared, &[b"WebPush: info\0", receiver.p256dh, &sender_public], &mut ikm)?;
            hkdf(&salt, &ikm, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
            hkdf(&salt, &ikm, &[b"Content-Encoding: nonce\0"], &mut nonce)?;
            // RFC 8188: the last (only) record ends with the delimiter 2.
            record.extend_from_slice(plaintext);
            record.push(2);
        }
        Encoding::Aesgcm => {
            let mut ikm = [0u8; 32];
            hkdf(receiver.auth, &shared, &[b"Content-Encoding: auth\0"], &mut ikm)?;
            let context = aesgcm_context(receiver.p256dh, &sender_public)?;
            hkdf(&salt, &ikm, &[b"Content-Encoding: aesgcm\0", &context], &mut cek)?;
            hkdf(&salt, &ikm, &[b"Content-Encoding: nonce\0", &context], &mut nonce)?;
            // Two bytes of padding length (none), then the text.
            record.extend_from_slice(&[0, 0]);
            record.extend_from_slice(plaintext);
        }
    }
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek)?);
    key.seal_in_place_append_tag(aead::Nonce::assume_unique_for_key(nonce), aead::Aad::empty(), &mut record)?;

    let body = match encoding {
        Encoding::Aes128gcm => {
            let mut body = Vec::with_capacity(16 + 4 + 1 + sender_public.len() + record.len());
            body.extend_from_slice(&salt);
            body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
            body.push(u8::try_from(sender_public.len()).map_err(|_| PushCryptoError::Crypto)?);
            body.extend_from_slice(&sender_public);
            body.extend_from_slice(&record);
            body
        }
        Encoding::Aesgcm => record,
    };
    Ok(Encrypted { body, salt: salt.to_vec(), sender_public })
}

/// `"P-256\0" || len(receiver) || receiver || len(sender) || sender`, lengths as 16-bit big-endian.
fn aesgcm_context(receiver: &[u8], sender: &[u8]) -> Result<Vec<u8>, PushCryptoError> {
    let mut context = b"P-256\0".to_vec();
    for key in [receiver, sender] {
        let len = u16::try_from(key.len()).map_err(|_| PushCryptoError::BadPublicKey)?;
        context.extend_from_slice(&len.to_be_bytes());
        context.extend_from_slice(key);
    }
    Ok(context)
}

/// The VAPID JWT (RFC 8292 §2): ES256 over `{"typ":"JWT","alg":"ES256"}` and
/// `{"aud": <origin of the endpoint>, "exp": <unix seconds>, "sub": <contact>}`.
pub fn vapid_jwt(keys: &VapidKeys, audience: &str, expires_at: i64, subject: &str) -> Result<String, PushCryptoError> {
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &keys.pkcs8, &rng)
        .map_err(|_| PushCryptoError::BadVapidKey)?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({ "aud": audience, "exp": expires_at, "sub": subject });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{claims}");
    let signature = pair.sign(&rng, signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
}

/// base64url without padding, as the `k=`, `dh=` and `p256ecdsa=` parameters carry keys.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::agreement::{ECDH_P256, EphemeralPrivateKey};

    /// Decrypts an aes128gcm body with the receiver's private key, following RFC 8291 from the other side.
    fn decrypt_aes128gcm(private: EphemeralPrivateKey, receiver_public: &[u8], auth: &[u8], body: &[u8]) -> Vec<u8> {
        let salt = &body[..16];
        let id_len = body[20] as usize;
        let sender = &body[21..21 + id_len];
        let peer = agreement::UnparsedPublicKey::new(&ECDH_P256, sender);
        let shared = agreement::agree_ephemeral(private, &peer, |s| s.to_vec()).unwrap();
        let mut ikm = [0u8; 32];
        hkdf(auth, &shared, &[b"WebPush: info\0", receiver_public, sender], &mut ikm).unwrap();
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        hkdf(salt, &ikm, &[b"Content-Encoding: aes128gcm\0"], &mut cek).unwrap();
        hkdf(salt, &ikm, &[b"Content-Encoding: nonce\0"], &mut nonce).unwrap();
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek).unwrap());
        let mut record = body[21 + id_len..].to_vec();
        let plain =
            key.open_in_place(aead::Nonce::assume_unique_for_key(nonce), aead::Aad::empty(), &mut record).unwrap();
        assert_eq!(plain.last(), Some(&2), "the last record's delimiter");
        plain[..plain.len() - 1].to_vec()
    }

    #[test]
    fn an_aes128gcm_message_opens_with_the_receivers_key() {
        let rng = SystemRandom::new();
        let private = EphemeralPrivateKey::generate(&ECDH_P256, &rng).unwrap();
        let public = private.compute_public_key().unwrap().as_ref().to_vec();
        let auth = [7u8; 16];
        let message = encrypt(&Receiver { p256dh: &public, auth: &auth }, b"hello", Encoding::Aes128gcm).unwrap();
        assert_eq!(&message.body[16..20], &4096u32.to_be_bytes());
        assert_eq!(decrypt_aes128gcm(private, &public, &auth, &message.body), b"hello");
    }

    #[test]
    fn keys_are_checked_and_decoded_in_either_alphabet() {
        let keys = generate_vapid().unwrap();
        assert_eq!(keys.public.len(), 65);
        assert!(check_receiver(&keys.public, &[0u8; 16]).is_ok());
        assert_eq!(check_receiver(&keys.public, &[0u8; 15]), Err(PushCryptoError::BadAuthSecret));
        let mut off_curve = keys.public.clone();
        off_curve[64] ^= 1;
        assert_eq!(check_receiver(&off_curve, &[0u8; 16]), Err(PushCryptoError::BadPublicKey));
        let bytes = [0xfbu8, 0xff, 0x01];
        assert_eq!(decode_key("-_8B"), Some(bytes.to_vec()));
        assert_eq!(decode_key("+/8B"), Some(bytes.to_vec()));
        assert_eq!(decode_key("AQ=="), Some(vec![1]));
        assert_eq!(decode_key("AQ"), Some(vec![1]));
    }

    #[test]
    fn the_vapid_jwt_verifies_with_the_public_key() {
        let keys = generate_vapid().unwrap();
        let jwt = vapid_jwt(&keys, "https://push.example", 1_900_000_000, "mailto:a@b.test").unwrap();
        let (input, signature) = jwt.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &keys.public)
            .verify(input.as_bytes(), &signature)
            .unwrap();
        let claims = URL_SAFE_NO_PAD.decode(input.split('.').nth(1).unwrap()).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
    }
}
