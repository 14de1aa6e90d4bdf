//! RFC 9421 Appendix B: the example keys, the B.2 signatures over
//! `test-request`, the B.3 proxy signature and the B.4 transformations.

use base64::Engine;

use super::vectors::*;
use super::{at, bare_policy, public, verify};
use crate::signatures::algorithm::{self, Algorithm};
use crate::signatures::keys::decode_pem;
use crate::signatures::{
    ComponentId, DigestAlgorithm, KeyMaterialError, MessageSignature, PublicKeyKind, RequestParts, SignatureError,
    SignatureParams, Signer, SigningKey, VerifyPolicy, VerifyingKey,
};

fn test_request<'a>(headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> RequestParts<'a> {
    RequestParts {
        method: "POST",
        scheme: "https",
        authority: "example.com",
        path_and_query: TEST_REQUEST_TARGET,
        headers,
        body,
    }
}

fn signed_headers(input: &'static str, signature: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut headers = TEST_REQUEST_HEADERS.to_vec();
    headers.extend([("Signature-Input", input), ("Signature", signature)]);
    headers
}

fn only_signature(input: &str, signature: &str) -> MessageSignature {
    let mut all = MessageSignature::parse_headers(input, signature).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn check(input: &'static str, signature: &'static str, key: &VerifyingKey) -> Result<(), SignatureError> {
    let headers = signed_headers(input, signature);
    verify(&test_request(&headers, TEST_REQUEST_BODY), key, at(RFC_CREATED), &bare_policy())
}

fn shared_secret() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(TEST_SHARED_SECRET).unwrap()
}

#[test]
fn example_public_keys_parse_into_their_kinds() {
    let kind = |pem| match public(pem) {
        VerifyingKey::Public(key) => key.kind(),
        VerifyingKey::SharedSecret(_) => panic!("a PEM is never a shared secret"),
    };
    assert_eq!(kind(TEST_KEY_RSA_PUBLIC), PublicKeyKind::Rsa { modulus_bits: 2048 });
    assert_eq!(kind(TEST_KEY_RSA_PSS_PUBLIC), PublicKeyKind::Rsa { modulus_bits: 2048 });
    assert_eq!(kind(TEST_KEY_ECC_P256_PUBLIC), PublicKeyKind::EcdsaP256);
    assert_eq!(kind(TEST_KEY_ED25519_PUBLIC), PublicKeyKind::Ed25519);
}

#[test]
fn private_keys_ring_cannot_load_are_refused_cleanly() {
    // B.1.2: PKCS#8 with the id-RSASSA-PSS algorithm; ring only takes
    // rsaEncryption. PSS signing is randomized anyway, so the B.2.1-B.2.3
    // signatures are checked with the public key only.
    let (label, der) = decode_pem(TEST_KEY_RSA_PSS_PRIVATE).unwrap();
    assert_eq!(label, "PRIVATE KEY");
    assert!(matches!(SigningKey::rsa_from_pkcs8_der(&der), Err(KeyMaterialError::Rejected(_))));
    // B.1.3: a SEC1 `EC PRIVATE KEY`; ring only reads PKCS#8.
    let (label, der) = decode_pem(TEST_KEY_ECC_P256_PRIVATE).unwrap();
    assert_eq!(label, "EC PRIVATE KEY");
    assert!(matches!(SigningKey::ecdsa_p256_from_pkcs8_der(&der), Err(KeyMaterialError::Rejected(_))));
}

#[test]
fn b21_minimal_rsa_pss_signature() {
    let headers = signed_headers(B21_INPUT, B21_SIGNATURE);
    let request = test_request(&headers, TEST_REQUEST_BODY);
    let signature = only_signature(B21_INPUT, B21_SIGNATURE);
    assert_eq!(signature.signature_base(&request).unwrap(), B21_BASE);
    assert_eq!(signature.nonce(), Some("b3k2pp5k7z-50gnwp.yemd"));
    let key = public(TEST_KEY_RSA_PSS_PUBLIC);
    assert_eq!(check(B21_INPUT, B21_SIGNATURE, &key), Ok(()));
    // It covers nothing of the request, which a federated inbox refuses.
    assert_eq!(
        verify(&request, &key, at(RFC_CREATED), &VerifyPolicy::default()),
        Err(SignatureError::NotCovered("@method"))
    );
    assert_eq!(check(B21_INPUT, B21_SIGNATURE, &public(TEST_KEY_RSA_PUBLIC)), Err(SignatureError::BadSignature));
}

#[test]
fn b22_selective_components_with_a_query_parameter() {
    let headers = signed_headers(B22_INPUT, B22_SIGNATURE);
    let signature = only_signature(B22_INPUT, B22_SIGNATURE);
    assert_eq!(signature.signature_base(&test_request(&headers, TEST_REQUEST_BODY)).unwrap(), B22_BASE);
    assert_eq!(signature.tag(), Some("header-example"));
    assert_eq!(check(B22_INPUT, B22_SIGNATURE, &public(TEST_KEY_RSA_PSS_PUBLIC)), Ok(()));
}

#[test]
fn b23_full_coverage_and_its_digest() {
    let headers = signed_headers(B23_INPUT, B23_SIGNATURE);
    let request = test_request(&headers, TEST_REQUEST_BODY);
    let signature = only_signature(B23_INPUT, B23_SIGNATURE);
    assert_eq!(signature.signature_base(&request).unwrap(), B23_BASE);
    let key = public(TEST_KEY_RSA_PSS_PUBLIC);
    assert_eq!(check(B23_INPUT, B23_SIGNATURE, &key), Ok(()));
    let tampered = test_request(&headers, br#"{"hello": "dog"}"#);
    assert_eq!(
        verify(&tampered, &key, at(RFC_CREATED), &bare_policy()),
        Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha512))
    );
}

#[test]
fn b24_ecdsa_response_signature_over_its_published_base() {
    let key = public(TEST_KEY_ECC_P256_PUBLIC);
    let signature = base64::engine::general_purpose::STANDARD.decode(B24_SIGNATURE_BASE64).unwrap();
    assert_eq!(algorithm::verify(Algorithm::EcdsaP256Sha256, &key, B24_BASE.as_bytes(), &signature), Ok(()));
    let tampered = B24_BASE.replace("200", "201");
    assert_eq!(
        algorithm::verify(Algorithm::EcdsaP256Sha256, &key, tampered.as_bytes(), &signature),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn b25_hmac_verifies_and_is_reproduced() {
    let headers = signed_headers(B25_INPUT, B25_SIGNATURE);
    let request = test_request(&headers, TEST_REQUEST_BODY);
    assert_eq!(only_signature(B25_INPUT, B25_SIGNATURE).signature_base(&request).unwrap(), B25_BASE);
    assert_eq!(check(B25_INPUT, B25_SIGNATURE, &VerifyingKey::SharedSecret(shared_secret())), Ok(()));
    assert_eq!(
        check(B25_INPUT, B25_SIGNATURE, &VerifyingKey::SharedSecret(b"another secret".to_vec())),
        Err(SignatureError::BadSignature)
    );

    let signer = Signer::new("test-shared-secret", SigningKey::shared_secret(&shared_secret()));
    let components = ["date", "@authority", "content-type"].map(ComponentId::new);
    let params = SignatureParams { created: Some(1_618_884_473), ..SignatureParams::default() };
    let signed =
        signer.sign_rfc9421(&test_request(TEST_REQUEST_HEADERS, TEST_REQUEST_BODY), "sig-b25", &components, &params);
    assert_eq!(signed.unwrap(), [("Signature-Input", B25_INPUT.to_owned()), ("Signature", B25_SIGNATURE.to_owned())]);
}

#[test]
fn b26_ed25519_verifies_and_is_reproduced() {
    let headers = signed_headers(B26_INPUT, B26_SIGNATURE);
    let request = test_request(&headers, TEST_REQUEST_BODY);
    assert_eq!(only_signature(B26_INPUT, B26_SIGNATURE).signature_base(&request).unwrap(), B26_BASE);
    assert_eq!(check(B26_INPUT, B26_SIGNATURE, &public(TEST_KEY_ED25519_PUBLIC)), Ok(()));
    assert_eq!(check(B26_INPUT, B26_SIGNATURE, &public(TEST_KEY_ECC_P256_PUBLIC)), Err(SignatureError::BadSignature));

    let (_, der) = decode_pem(TEST_KEY_ED25519_PRIVATE).unwrap();
    let signer = Signer::new("test-key-ed25519", SigningKey::ed25519_from_pkcs8_der(&der).unwrap());
    let components = ["date", "@method", "@path", "@authority", "content-type", "content-length"].map(ComponentId::new);
    let params = SignatureParams { created: Some(1_618_884_473), ..SignatureParams::default() };
    let signed =
        signer.sign_rfc9421(&test_request(TEST_REQUEST_HEADERS, TEST_REQUEST_BODY), "sig-b26", &components, &params);
    assert_eq!(signed.unwrap(), [("Signature-Input", B26_INPUT.to_owned()), ("Signature", B26_SIGNATURE.to_owned())]);
}

#[test]
fn b3_proxy_signature_with_ecdsa_on_a_request() {
    let mut headers = B3_HEADERS.to_vec();
    headers.extend([("Signature-Input", B3_INPUT), ("Signature", B3_SIGNATURE)]);
    let request = RequestParts { authority: "service.internal.example", ..test_request(&headers, TEST_REQUEST_BODY) };
    let key = public(TEST_KEY_ECC_P256_PUBLIC);
    assert_eq!(verify(&request, &key, at(RFC_CREATED), &bare_policy()), Ok(()));

    let mut forged = headers.clone();
    forged[4].1 = ":AAAA:";
    let forged_request = RequestParts { headers: &forged, ..request };
    assert_eq!(verify(&forged_request, &key, at(RFC_CREATED), &bare_policy()), Err(SignatureError::BadSignature));
}

fn transformed(
    method: &'static str,
    authority: &'static str,
    target: &'static str,
    headers: &[(&'static str, &'static str)],
) -> Result<(), SignatureError> {
    let mut headers = headers.to_vec();
    headers.extend([("Signature-Input", B4_INPUT), ("Signature", B4_SIGNATURE)]);
    let request =
        RequestParts { method, scheme: "https", authority, path_and_query: target, headers: &headers, body: b"" };
    verify(&request, &public(TEST_KEY_ED25519_PUBLIC), at(RFC_CREATED), &bare_policy())
}

#[test]
fn b4_safe_transformations_keep_the_signature_valid() {
    let original = [
        ("Host", "example.org"),
        ("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        ("Accept", "application/json"),
        ("Accept", "*/*"),
    ];
    let mut headers = original.to_vec();
    headers.extend([("Signature-Input", B4_INPUT), ("Signature", B4_SIGNATURE)]);
    let request = RequestParts {
        method: "GET",
        scheme: "https",
        authority: "example.org",
        path_and_query: "/demo?name1=Value1&Name2=value2",
        headers: &headers,
        body: b"",
    };
    assert_eq!(only_signature(B4_INPUT, B4_SIGNATURE).signature_base(&request).unwrap(), B4_BASE);
    assert_eq!(transformed("GET", "example.org", "/demo?name1=Value1&Name2=value2", &original), Ok(()));

    let with_uncovered_additions = [
        ("Host", "example.org"),
        ("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        ("Accept", "application/json"),
        ("Accept", "*/*"),
        ("Accept-Language", "en-US,en;q=0.5"),
    ];
    assert_eq!(
        transformed("GET", "example.org", "/demo?name1=Value1&Name2=value2&param=added", &with_uncovered_additions),
        Ok(())
    );
    let collapsed = [
        ("Host", "example.org"),
        ("Referer", "https://developer.example.org/demo"),
        ("Accept", "application/json, */*"),
    ];
    assert_eq!(transformed("GET", "example.org", "/demo?name1=Value1&Name2=value2", &collapsed), Ok(()));
    let reordered = [
        ("Accept", "application/json"),
        ("Accept", "*/*"),
        ("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        ("Host", "example.org"),
    ];
    assert_eq!(transformed("GET", "example.org", "/demo?name1=Value1&Name2=value2", &reordered), Ok(()));
}

#[test]
fn b4_unsafe_transformations_break_the_signature() {
    let moved = [
        ("Host", "example.com"),
        ("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        ("Accept", "application/json"),
        ("Accept", "*/*"),
    ];
    assert_eq!(
        transformed("POST", "example.com", "/demo?name1=Value1&Name2=value2", &moved),
        Err(SignatureError::BadSignature)
    );
    let swapped_accepts = [
        ("Host", "example.org"),
        ("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        ("Accept", "*/*"),
        ("Accept", "application/json"),
    ];
    assert_eq!(
        transformed("GET", "example.org", "/demo?name1=Value1&Name2=value2", &swapped_accepts),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn b11_test_key_rsa_pkcs1_public_key_verifies_though_ring_refuses_its_private_key() {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::EncodePrivateKey;

    // No B.2 signature uses test-key-rsa. ring wants both primes half the
    // modulus size, and this key's are 1088 and 960 bits, so the rsa crate
    // signs and ring verifies with the PKCS#1 public key.
    let private = rsa::RsaPrivateKey::from_pkcs1_pem(TEST_KEY_RSA_PRIVATE).unwrap();
    let pkcs8 = private.to_pkcs8_der().unwrap();
    assert_eq!(
        SigningKey::rsa_from_pkcs8_der(pkcs8.as_bytes()).map(|_| ()),
        Err(KeyMaterialError::Rejected("InconsistentComponents".into()))
    );

    let input = r#"sig1=("@method" "@path" "@query" "@authority" "content-digest");created=1618884473;keyid="test-key-rsa";alg="rsa-v1_5-sha256""#;
    let unsigned = only_signature(input, "sig1=:AAAA:");
    let base = unsigned.signature_base(&test_request(TEST_REQUEST_HEADERS, TEST_REQUEST_BODY)).unwrap();
    let signature =
        format!("sig1=:{}:", crate::signatures::base64_encode(&super::rsa_crate_sign(&private, base.as_bytes())));
    let mut headers = TEST_REQUEST_HEADERS.to_vec();
    headers.extend([("Signature-Input", input), ("Signature", signature.as_str())]);
    let request = test_request(&headers, TEST_REQUEST_BODY);
    assert_eq!(verify(&request, &public(TEST_KEY_RSA_PUBLIC), at(RFC_CREATED), &VerifyPolicy::default()), Ok(()));
    assert_eq!(
        verify(&request, &public(TEST_KEY_RSA_PSS_PUBLIC), at(RFC_CREATED), &VerifyPolicy::default()),
        Err(SignatureError::BadSignature)
    );
}
