//! Sign, then verify; then break one thing at a time and check that the
//! right error comes back.

use ring::signature::KeyPair;

use super::vectors::*;
use super::{at, bare_policy, plus, public, rsa_crate_sign, rsa_signer, verify};
use crate::keys::generate_rsa_keypair;
use crate::signatures::algorithm::{self, Algorithm};
use crate::signatures::keys::decode_pem;
use crate::signatures::{
    ComponentId, DigestAlgorithm, PublicKey, PublicKeyKind, RequestParts, SignatureError, SignatureParams, Signer,
    SigningKey, VerifyPolicy, VerifyingKey, base64_encode, content_digest_header, parse,
};

const NOW: u64 = 1_760_000_000;
const KEY_ID: &str = "https://alice.test/users/alice#main-key";
const ACTIVITY: &[u8] = br#"{"type":"Follow"}"#;

fn post<'a>(headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> RequestParts<'a> {
    RequestParts {
        method: "POST",
        scheme: "https",
        authority: "bob.test",
        path_and_query: "/users/bob/inbox",
        headers,
        body,
    }
}

fn signer() -> Signer {
    rsa_signer(KEY_ID, MASTODON_PRIVATE_KEY)
}

fn key() -> VerifyingKey {
    public(MASTODON_PUBLIC_KEY)
}

fn check(request: &RequestParts<'_>) -> Result<(), SignatureError> {
    verify(request, &key(), at(NOW), &VerifyPolicy::default())
}

const POST_HEADERS: &[(&str, &str)] = &[("Host", "bob.test"), ("Content-Type", "application/activity+json")];

#[test]
fn signed_post_verifies_and_covers_what_mastodon_expects() {
    let added = signer().sign_cavage(&post(POST_HEADERS, ACTIVITY), at(NOW)).unwrap();
    let names: Vec<&str> = added.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["Date", "Digest", "Signature"]);
    assert_eq!(added[0].1, httpdate::fmt_http_date(at(NOW)));
    let headers = plus(POST_HEADERS, &added);
    let request = post(&headers, ACTIVITY);
    let crate::signatures::ParsedSignature::Cavage(parsed) = parse(&request).unwrap() else {
        panic!("expected cavage")
    };
    assert_eq!(parsed.key_id(), KEY_ID);
    assert_eq!(parsed.covered(), ["(request-target)", "host", "date", "digest", "content-type"]);
    assert_eq!(check(&request), Ok(()));
}

#[test]
fn tampered_body_fails_its_digest() {
    let added = signer().sign_cavage(&post(POST_HEADERS, ACTIVITY), at(NOW)).unwrap();
    let headers = plus(POST_HEADERS, &added);
    assert_eq!(
        check(&post(&headers, br#"{"type":"Block"}"#)),
        Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha256))
    );
}

#[test]
fn tampered_signed_header_fails_the_signature() {
    let added = signer().sign_cavage(&post(POST_HEADERS, ACTIVITY), at(NOW)).unwrap();
    let mut headers = plus(POST_HEADERS, &added);
    headers[1].1 = "text/plain";
    assert_eq!(check(&post(&headers, ACTIVITY)), Err(SignatureError::BadSignature));
    let mut headers = plus(POST_HEADERS, &added);
    headers[0].1 = "mallory.test";
    assert_eq!(check(&post(&headers, ACTIVITY)), Err(SignatureError::BadSignature));
}

#[test]
fn another_key_fails_the_signature() {
    let added = signer().sign_cavage(&post(POST_HEADERS, ACTIVITY), at(NOW)).unwrap();
    let headers = plus(POST_HEADERS, &added);
    let other = public(TEST_KEY_RSA_PUBLIC);
    assert_eq!(
        verify(&post(&headers, ACTIVITY), &other, at(NOW), &VerifyPolicy::default()),
        Err(SignatureError::BadSignature)
    );
    let not_rsa = public(TEST_KEY_ED25519_PUBLIC);
    assert_eq!(
        verify(&post(&headers, ACTIVITY), &not_rsa, at(NOW), &VerifyPolicy::default()),
        Err(SignatureError::AlgorithmKeyMismatch)
    );
}

#[test]
fn stale_or_future_dates_fail() {
    let added = signer().sign_cavage(&post(POST_HEADERS, ACTIVITY), at(NOW)).unwrap();
    let headers = plus(POST_HEADERS, &added);
    let request = post(&headers, ACTIVITY);
    let policy = VerifyPolicy::default();
    assert_eq!(verify(&request, &key(), at(NOW + 3_900), &policy), Ok(()));
    assert_eq!(verify(&request, &key(), at(NOW + 3_901), &policy), Err(SignatureError::Expired));
    assert_eq!(verify(&request, &key(), at(NOW - 3_601), &policy), Err(SignatureError::FromTheFuture));
}

#[test]
fn post_without_a_signed_digest_fails() {
    let mut headers = POST_HEADERS.to_vec();
    let date = httpdate::fmt_http_date(at(NOW));
    let digest = crate::signatures::digest_header(ACTIVITY);
    headers.extend([("Date", date.as_str()), ("Digest", digest.as_str())]);
    let unsigned_digest =
        signer().cavage_signature(&post(&headers, ACTIVITY), &["(request-target)", "host", "date"]).unwrap();
    let mut with_signature = headers.clone();
    with_signature.push(("Signature", &unsigned_digest));
    assert_eq!(check(&post(&with_signature, ACTIVITY)), Err(SignatureError::NotCovered("digest")));

    // Signed, but the header is gone.
    let signed_digest =
        signer().cavage_signature(&post(&headers, ACTIVITY), &["(request-target)", "host", "date", "digest"]).unwrap();
    let without_digest: Vec<(&str, &str)> = headers
        .iter()
        .copied()
        .filter(|(name, _)| *name != "Digest")
        .chain([("Signature", signed_digest.as_str())])
        .collect();
    assert_eq!(check(&post(&without_digest, ACTIVITY)), Err(SignatureError::MissingHeader("digest".into())));
}

#[test]
fn unsigned_host_or_target_fails() {
    let mut headers = POST_HEADERS.to_vec();
    let date = httpdate::fmt_http_date(at(NOW));
    let digest = crate::signatures::digest_header(ACTIVITY);
    headers.extend([("Date", date.as_str()), ("Digest", digest.as_str())]);
    for (covered, missing) in [
        (&["(request-target)", "date", "digest"][..], "host"),
        (&["host", "date", "digest"][..], "(request-target)"),
        (&["(request-target)", "host", "digest"][..], "date or (created)"),
    ] {
        let signature = signer().cavage_signature(&post(&headers, ACTIVITY), covered).unwrap();
        let mut signed = headers.clone();
        signed.push(("Signature", &signature));
        assert_eq!(check(&post(&signed, ACTIVITY)), Err(SignatureError::NotCovered(missing)));
        assert_eq!(verify(&post(&signed, ACTIVITY), &key(), at(NOW), &bare_policy()), Ok(()));
    }
}

#[test]
fn get_signs_accept_and_takes_host_from_the_authority() {
    let headers = [("Accept", "application/activity+json")];
    let request = RequestParts { method: "GET", path_and_query: "/users/bob?page=1", ..post(&headers, b"") };
    let added = signer().sign_cavage(&request, at(NOW)).unwrap();
    assert_eq!(added.iter().map(|(name, _)| *name).collect::<Vec<_>>(), ["Date", "Signature"]);
    assert!(added[1].1.contains(r#"headers="(request-target) host date accept""#));
    let signed = plus(&headers, &added);
    let signed_request = RequestParts { headers: &signed, ..request };
    assert_eq!(check(&signed_request), Ok(()));
    // The same signature read with an explicit Host header of another name fails.
    let mut other_host = signed.clone();
    other_host.push(("Host", "mallory.test"));
    assert_eq!(check(&RequestParts { headers: &other_host, ..request }), Err(SignatureError::BadSignature));
}

#[test]
fn an_existing_date_is_signed_as_it_is() {
    let headers = [("Host", "bob.test"), ("Date", "Thu, 09 Oct 2025 08:53:20 GMT")];
    let request = post(&headers, ACTIVITY);
    let added = signer().sign_cavage(&request, at(NOW)).unwrap();
    assert_eq!(added.iter().map(|(name, _)| *name).collect::<Vec<_>>(), ["Digest", "Signature"]);
    let signed = plus(&headers, &added);
    assert_eq!(verify(&post(&signed, ACTIVITY), &key(), at(1_760_000_000), &VerifyPolicy::default()), Ok(()));
}

#[test]
fn legacy_1024_bit_keys_still_verify() {
    use rsa::pkcs8::DecodePrivateKey;

    let pair = generate_rsa_keypair(1024).unwrap();
    // ring will not sign with keys under 2048 bits (ours are 2048), so the
    // remote server's signature is made with the rsa crate.
    assert_eq!(
        Signer::from_rsa_pkcs8_der(KEY_ID, &pair.private_pkcs8_der).map(|_| ()),
        Err(crate::signatures::KeyMaterialError::Rejected("TooSmall".into()))
    );
    let private = rsa::RsaPrivateKey::from_pkcs8_der(&pair.private_pkcs8_der).unwrap();
    let date = httpdate::fmt_http_date(at(NOW));
    let digest = crate::signatures::digest_header(ACTIVITY);
    let signing_string =
        format!("(request-target): post /users/bob/inbox\nhost: bob.test\ndate: {date}\ndigest: {digest}");
    let signature = rsa_crate_sign(&private, signing_string.as_bytes());
    let header = format!(
        r#"keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{}""#,
        base64_encode(&signature)
    );
    let headers =
        [("Host", "bob.test"), ("Date", date.as_str()), ("Digest", digest.as_str()), ("Signature", header.as_str())];

    let key = PublicKey::from_pem(&pair.public_pem).unwrap();
    assert_eq!(key.kind(), PublicKeyKind::Rsa { modulus_bits: 1024 });
    let key = VerifyingKey::Public(key);
    assert_eq!(verify(&post(&headers, ACTIVITY), &key, at(NOW), &VerifyPolicy::default()), Ok(()));
    let mut tampered = headers;
    tampered[0].1 = "mallory.test";
    assert_eq!(
        verify(&post(&tampered, ACTIVITY), &key, at(NOW), &VerifyPolicy::default()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn authorization_header_form_verifies() {
    let added = signer().sign_cavage(&post(POST_HEADERS, ACTIVITY), at(NOW)).unwrap();
    let authorization = format!("Signature {}", added[2].1);
    let mut headers = POST_HEADERS.to_vec();
    headers.extend([("Date", added[0].1.as_str()), ("Digest", added[1].1.as_str()), ("Authorization", &authorization)]);
    assert_eq!(check(&post(&headers, ACTIVITY)), Ok(()));
}

/// A hand-made hs2019 signature (our signer only speaks rsa-sha256).
fn hs2019_headers(created: u64, expires: u64, covered: &str, algorithm_name: &str) -> Vec<(String, String)> {
    let date = httpdate::fmt_http_date(at(created));
    let digest = crate::signatures::digest_header(ACTIVITY);
    let mut lines = Vec::new();
    for name in covered.split(' ') {
        lines.push(match name {
            "(request-target)" => "(request-target): post /users/bob/inbox".to_owned(),
            "(created)" => format!("(created): {created}"),
            "(expires)" => format!("(expires): {expires}"),
            "host" => "host: bob.test".to_owned(),
            "date" => format!("date: {date}"),
            "digest" => format!("digest: {digest}"),
            other => panic!("unexpected {other}"),
        });
    }
    let signature = algorithm::sign(Algorithm::RsaV15Sha256, signer().key(), lines.join("\n").as_bytes()).unwrap();
    let value = format!(
        r#"keyId="{KEY_ID}",algorithm="{algorithm_name}",created={created},expires={expires},headers="{covered}",signature="{}""#,
        base64_encode(&signature)
    );
    vec![
        ("Host".into(), "bob.test".into()),
        ("Date".into(), date),
        ("Digest".into(), digest),
        ("Signature".into(), value),
    ]
}

fn check_owned(headers: &[(String, String)], now: u64) -> Result<(), SignatureError> {
    let borrowed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    verify(&post(&borrowed, ACTIVITY), &key(), at(now), &VerifyPolicy::default())
}

#[test]
fn hs2019_with_created_and_expires_pseudo_headers() {
    let covered = "(request-target) host (created) (expires) digest";
    let headers = hs2019_headers(NOW, NOW + 60, covered, "hs2019");
    assert_eq!(check_owned(&headers, NOW), Ok(()));
    assert_eq!(check_owned(&headers, NOW + 60 + 3_600), Ok(()));
    assert_eq!(check_owned(&headers, NOW + 60 + 3_601), Err(SignatureError::Expired));
    // The draft reserves the pseudo-headers for hs2019.
    let headers = hs2019_headers(NOW, NOW + 60, covered, "rsa-sha256");
    assert_eq!(check_owned(&headers, NOW), Err(SignatureError::PseudoHeaderNotAllowed("(created)")));
}

#[test]
fn unsigned_created_and_expires_parameters_do_not_extend_freshness() {
    // Signed Date two hours old; a fresh `created` and a far `expires`
    // parameter, not covered, must not make it acceptable.
    let headers = hs2019_headers(NOW - 7_200, NOW + 36_000, "(request-target) host date digest", "rsa-sha256");
    let mut replayed = headers.clone();
    replayed[3].1 = replayed[3].1.replace(&format!("created={}", NOW - 7_200), &format!("created={NOW}"));
    assert_eq!(check_owned(&replayed, NOW), Err(SignatureError::Expired));
    assert_eq!(check_owned(&headers, NOW - 7_200), Ok(()));
}

fn ecdsa_signer_and_key() -> (Signer, VerifyingKey) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = SigningKey::ecdsa_p256_from_pkcs8_der(pkcs8.as_ref()).unwrap();
    let SigningKey::EcdsaP256(pair) = &key else { panic!("ECDSA expected") };
    // SubjectPublicKeyInfo header for an uncompressed P-256 point.
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    spki.extend_from_slice(pair.public_key().as_ref());
    let public = PublicKey::from_spki_der(&spki).unwrap();
    (Signer::new(KEY_ID, key), VerifyingKey::Public(public))
}

fn ed25519_signer_and_key() -> (Signer, VerifyingKey) {
    let (_, der) = decode_pem(TEST_KEY_ED25519_PRIVATE).unwrap();
    (Signer::new(KEY_ID, SigningKey::ed25519_from_pkcs8_der(&der).unwrap()), public(TEST_KEY_ED25519_PUBLIC))
}

#[test]
fn rfc9421_round_trips_with_every_algorithm() {
    let (ecdsa_signer, ecdsa_key) = ecdsa_signer_and_key();
    let (ed25519_signer, ed25519_key) = ed25519_signer_and_key();
    let hmac_signer = Signer::new(KEY_ID, SigningKey::shared_secret(b"a shared secret"));
    let cases = [
        (signer(), key(), None),
        (signer(), key(), Some(Algorithm::RsaPssSha512)),
        (ecdsa_signer, ecdsa_key, Some(Algorithm::EcdsaP256Sha256)),
        (ed25519_signer, ed25519_key, None),
        (hmac_signer, VerifyingKey::SharedSecret(b"a shared secret".to_vec()), Some(Algorithm::HmacSha256)),
    ];
    let digest = content_digest_header(ACTIVITY);
    let headers = [("Host", "bob.test"), ("Content-Digest", digest.as_str())];
    let components = ["@method", "@target-uri", "content-digest"].map(ComponentId::new);
    for (signer, key, algorithm) in cases {
        let params = SignatureParams {
            created: Some(NOW as i64),
            expires: Some(NOW as i64 + 300),
            nonce: Some("n-1".into()),
            tag: Some("fediverse".into()),
            algorithm,
        };
        let added = signer.sign_rfc9421(&post(&headers, ACTIVITY), "sig1", &components, &params).unwrap();
        let signed = plus(&headers, &added);
        let request = post(&signed, ACTIVITY);
        let label = format!("{algorithm:?}");
        assert_eq!(parse(&request).unwrap().key_id(), KEY_ID, "{label}");
        assert_eq!(verify(&request, &key, at(NOW), &VerifyPolicy::default()), Ok(()), "{label}");

        let elsewhere = RequestParts { path_and_query: "/users/carol/inbox", ..request };
        assert_eq!(
            verify(&elsewhere, &key, at(NOW), &VerifyPolicy::default()),
            Err(SignatureError::BadSignature),
            "{label}"
        );
        let tampered = post(&signed, b"{}");
        assert_eq!(
            verify(&tampered, &key, at(NOW), &VerifyPolicy::default()),
            Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha256)),
            "{label}"
        );
        assert_eq!(
            verify(&request, &key, at(NOW + 300 + 3_601), &VerifyPolicy::default()),
            Err(SignatureError::Expired),
            "{label}"
        );
    }
}

#[test]
fn a_stated_algorithm_must_fit_the_key() {
    let digest = content_digest_header(ACTIVITY);
    let headers = [("Host", "bob.test"), ("Content-Digest", digest.as_str())];
    let components = ["@method", "@target-uri", "content-digest"].map(ComponentId::new);
    let params = SignatureParams {
        created: Some(NOW as i64),
        algorithm: Some(Algorithm::Ed25519),
        ..SignatureParams::default()
    };
    let (ed25519_signer, _) = ed25519_signer_and_key();
    let added = ed25519_signer.sign_rfc9421(&post(&headers, ACTIVITY), "sig1", &components, &params).unwrap();
    let signed = plus(&headers, &added);
    assert_eq!(
        verify(&post(&signed, ACTIVITY), &key(), at(NOW), &VerifyPolicy::default()),
        Err(SignatureError::AlgorithmKeyMismatch)
    );

    // Algorithm confusion: an HMAC "signature" keyed with the public key
    // PEM must not verify against that public key.
    let forger = Signer::new(KEY_ID, SigningKey::shared_secret(MASTODON_PUBLIC_KEY.as_bytes()));
    let params = SignatureParams { algorithm: Some(Algorithm::HmacSha256), ..params };
    let added = forger.sign_rfc9421(&post(&headers, ACTIVITY), "sig1", &components, &params).unwrap();
    let forged = plus(&headers, &added);
    assert_eq!(
        verify(&post(&forged, ACTIVITY), &key(), at(NOW), &VerifyPolicy::default()),
        Err(SignatureError::AlgorithmKeyMismatch)
    );
    // And a signer cannot be asked for an algorithm its key does not have.
    assert_eq!(
        signer().sign_rfc9421(&post(&headers, ACTIVITY), "sig1", &components, &params),
        Err(SignatureError::AlgorithmKeyMismatch)
    );
}

#[test]
fn rfc9421_coverage_is_required_for_federation() {
    let digest = content_digest_header(ACTIVITY);
    let headers = [("Host", "bob.test"), ("Content-Digest", digest.as_str())];
    let created = SignatureParams { created: Some(NOW as i64), ..SignatureParams::default() };
    let cases: [(&[&str], SignatureParams, SignatureError); 5] = [
        (
            &["@method", "@target-uri", "content-digest"],
            SignatureParams::default(),
            SignatureError::MissingParameter("created"),
        ),
        (&["@target-uri", "content-digest"], created.clone(), SignatureError::NotCovered("@method")),
        (&["@method", "@authority", "content-digest"], created.clone(), SignatureError::NotCovered("@target-uri")),
        (&["@method", "@path", "content-digest"], created.clone(), SignatureError::NotCovered("@authority")),
        (&["@method", "@target-uri"], created.clone(), SignatureError::NotCovered("content-digest")),
    ];
    for (names, params, expected) in cases {
        let components: Vec<ComponentId> = names.iter().map(|name| ComponentId::new(*name)).collect();
        let added = signer().sign_rfc9421(&post(&headers, ACTIVITY), "sig1", &components, &params).unwrap();
        let signed = plus(&headers, &added);
        assert_eq!(
            verify(&post(&signed, ACTIVITY), &key(), at(NOW), &VerifyPolicy::default()),
            Err(expected.clone()),
            "{names:?}"
        );
        assert_eq!(verify(&post(&signed, ACTIVITY), &key(), at(NOW), &bare_policy()), Ok(()), "{names:?}");
    }
    // @path with @authority is enough when there is no query.
    let components = ["@method", "@path", "@authority", "content-digest"].map(ComponentId::new);
    let added = signer().sign_rfc9421(&post(&headers, ACTIVITY), "sig1", &components, &created).unwrap();
    assert_eq!(verify(&post(&plus(&headers, &added), ACTIVITY), &key(), at(NOW), &VerifyPolicy::default()), Ok(()));
}

#[test]
fn unsigned_requests_and_keyless_signatures_are_refused_by_parse() {
    assert_eq!(parse(&post(POST_HEADERS, ACTIVITY)), Err(SignatureError::NotSigned));
    let headers = [("Signature-Input", r#"sig1=("@method");created=1"#), ("Signature", "sig1=:AAAA:")];
    assert_eq!(parse(&post(&headers, ACTIVITY)), Err(SignatureError::MissingParameter("keyid")));
    let headers = [("Signature-Input", r#"sig1=("@method");keyid="k""#), ("Signature", "sig2=:AAAA:")];
    assert!(matches!(parse(&post(&headers, ACTIVITY)), Err(SignatureError::Malformed(_))));
}
