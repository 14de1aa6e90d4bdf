//! The cases of Mastodon's `spec/requests/signature_verification_spec.rb`,
//! draft-cavage and RFC 9421, verified and — since rsa-sha256 is
//! deterministic — reproduced byte for byte by our signer.

use super::vectors::*;
use super::{at, bare_policy, public, rsa_signer, verify};
use crate::signatures::{
    ComponentId, DigestAlgorithm, RequestParts, Scheme, SignatureError, SignatureParams, VerifyPolicy, VerifyingKey,
    parse,
};

fn key() -> VerifyingKey {
    public(MASTODON_PUBLIC_KEY)
}

fn request<'a>(method: &'a str, path: &'a str, headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> RequestParts<'a> {
    RequestParts { method, scheme: "https", authority: MASTODON_HOST, path_and_query: path, headers, body }
}

fn check(request: &RequestParts<'_>) -> Result<(), SignatureError> {
    verify(request, &key(), at(MASTODON_NOW), &VerifyPolicy::default())
}

fn check_bare(request: &RequestParts<'_>) -> Result<(), SignatureError> {
    verify(request, &key(), at(MASTODON_NOW), &bare_policy())
}

fn get_headers(signature: &'static str) -> [(&'static str, &'static str); 3] {
    [("Host", MASTODON_HOST), ("Date", MASTODON_DATE), ("Signature", signature)]
}

fn post_headers(signature: &'static str) -> [(&'static str, &'static str); 4] {
    [("Host", MASTODON_HOST), ("Date", MASTODON_DATE), ("Digest", MASTODON_DIGEST), ("Signature", signature)]
}

#[test]
fn cavage_get_verifies_and_names_its_key() {
    let headers = get_headers(MASTODON_CAVAGE_GET);
    let request = request("GET", "/activitypub/success", &headers, b"");
    let parsed = parse(&request).unwrap();
    assert_eq!(parsed.key_id(), MASTODON_KEY_ID);
    assert_eq!(parsed.scheme(), Scheme::Cavage);
    assert_eq!(check(&request), Ok(()));
}

#[test]
fn cavage_get_with_query_verifies() {
    let headers = get_headers(MASTODON_CAVAGE_GET_QUERY);
    assert_eq!(check(&request("GET", "/activitypub/success?foo=42", &headers, b"")), Ok(()));
}

#[test]
fn cavage_signature_without_the_query_is_accepted_only_as_the_compatibility_quirk() {
    let headers = get_headers(MASTODON_CAVAGE_GET);
    let request = request("GET", "/activitypub/success?foo=42", &headers, b"");
    assert_eq!(check(&request), Ok(()));
    let strict = VerifyPolicy { accept_query_less_request_target: false, ..VerifyPolicy::default() };
    assert_eq!(verify(&request, &key(), at(MASTODON_NOW), &strict), Err(SignatureError::BadSignature));
}

#[test]
fn cavage_mismatching_query_path_or_method_fails() {
    let query_headers = get_headers(MASTODON_CAVAGE_GET_QUERY);
    assert_eq!(
        check(&request("GET", "/activitypub/success?foo=43", &query_headers, b"")),
        Err(SignatureError::BadSignature)
    );
    let headers = get_headers(MASTODON_CAVAGE_GET);
    assert_eq!(
        check(&request("GET", "/activitypub/alternative-path", &headers, b"")),
        Err(SignatureError::BadSignature)
    );
    // A POST must sign its digest; without that rule the signature itself fails.
    let as_post = request("POST", "/activitypub/success", &headers, b"");
    assert_eq!(check(&as_post), Err(SignatureError::NotCovered("digest")));
    assert_eq!(check_bare(&as_post), Err(SignatureError::BadSignature));
}

#[test]
fn cavage_unparsable_date_fails() {
    let headers = [("Host", MASTODON_HOST), ("Date", "wrong date"), ("Signature", MASTODON_CAVAGE_BAD_DATE)];
    assert_eq!(
        check(&request("GET", "/activitypub/success", &headers, b"")),
        Err(SignatureError::InvalidDate("wrong date".into()))
    );
}

#[test]
fn cavage_request_older_than_a_day_fails() {
    let headers =
        [("Host", MASTODON_HOST), ("Date", "Wed, 18 Dec 2023 10:00:00 GMT"), ("Signature", MASTODON_CAVAGE_OLD_DATE)];
    let request = request("GET", "/activitypub/success", &headers, b"");
    assert_eq!(check(&request), Err(SignatureError::Expired));
    // The signature itself is good: two days earlier it verifies.
    assert_eq!(verify(&request, &key(), at(MASTODON_NOW - 2 * 86_400), &VerifyPolicy::default()), Ok(()));
}

#[test]
fn cavage_post_verifies() {
    let headers = post_headers(MASTODON_CAVAGE_POST);
    assert_eq!(check(&request("POST", "/activitypub/success", &headers, MASTODON_BODY)), Ok(()));
}

#[test]
fn cavage_post_with_unsigned_digest_fails() {
    let headers = post_headers(MASTODON_CAVAGE_POST_UNSIGNED_DIGEST);
    assert_eq!(
        check(&request("POST", "/activitypub/success", &headers, MASTODON_BODY)),
        Err(SignatureError::NotCovered("digest"))
    );
}

#[test]
fn cavage_post_with_tampered_body_or_path_fails() {
    let headers = post_headers(MASTODON_CAVAGE_POST);
    assert_eq!(
        check(&request("POST", "/activitypub/success", &headers, b"Hello world!")),
        Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha256))
    );
    assert_eq!(
        check(&request("POST", "/activitypub/alternative-path", &headers, MASTODON_BODY)),
        Err(SignatureError::BadSignature)
    );
}

/// One Mastodon draft-cavage vector, as the request it signs.
struct CavageCase {
    method: &'static str,
    path: &'static str,
    date: &'static str,
    covered: &'static [&'static str],
    body: &'static [u8],
    expected: &'static str,
}

#[test]
fn cavage_vectors_are_reproduced_by_our_signer() {
    let signer = rsa_signer(MASTODON_KEY_ID, MASTODON_PRIVATE_KEY);
    const GET_ORDER: &[&str] = &["date", "host", "(request-target)"];
    let get = |path, date, expected| CavageCase { method: "GET", path, date, covered: GET_ORDER, body: b"", expected };
    let post = |covered, expected| CavageCase {
        method: "POST",
        path: "/activitypub/success",
        date: MASTODON_DATE,
        covered,
        body: MASTODON_BODY,
        expected,
    };
    let cases = [
        get("/activitypub/success", MASTODON_DATE, MASTODON_CAVAGE_GET),
        get("/activitypub/success?foo=42", MASTODON_DATE, MASTODON_CAVAGE_GET_QUERY),
        get("/activitypub/success", "wrong date", MASTODON_CAVAGE_BAD_DATE),
        get("/activitypub/success", "Wed, 18 Dec 2023 10:00:00 GMT", MASTODON_CAVAGE_OLD_DATE),
        post(&["host", "date", "digest", "(request-target)"], MASTODON_CAVAGE_POST),
        post(&["host", "date", "(request-target)"], MASTODON_CAVAGE_POST_UNSIGNED_DIGEST),
    ];
    for case in cases {
        let headers = [("Host", MASTODON_HOST), ("Date", case.date), ("Digest", MASTODON_DIGEST)];
        let signed =
            signer.cavage_signature(&request(case.method, case.path, &headers, case.body), case.covered).unwrap();
        assert_eq!(signed, case.expected, "{} {} {} {:?}", case.method, case.path, case.date, case.covered);
    }
}

fn rfc_headers(input: &'static str, signature: &'static str) -> [(&'static str, &'static str); 3] {
    [("Host", MASTODON_HOST), ("Signature-Input", input), ("Signature", signature)]
}

fn rfc_post_headers(
    input: &'static str,
    signature: &'static str,
    digest: &'static str,
) -> [(&'static str, &'static str); 4] {
    [("Host", MASTODON_HOST), ("Content-Digest", digest), ("Signature-Input", input), ("Signature", signature)]
}

#[test]
fn rfc9421_get_verifies_and_names_its_key() {
    let headers = rfc_headers(MASTODON_RFC9421_GET_INPUT, MASTODON_RFC9421_GET);
    let request = request("GET", "/activitypub/success", &headers, b"");
    let parsed = parse(&request).unwrap();
    assert_eq!(parsed.key_id(), MASTODON_KEY_ID);
    assert_eq!(parsed.scheme(), Scheme::Rfc9421);
    assert_eq!(check(&request), Ok(()));
}

#[test]
fn rfc9421_get_with_query_verifies_and_a_changed_query_fails() {
    let headers = rfc_headers(MASTODON_RFC9421_GET_INPUT, MASTODON_RFC9421_GET_QUERY);
    assert_eq!(check(&request("GET", "/activitypub/success?foo=42", &headers, b"")), Ok(()));
    assert_eq!(check(&request("GET", "/activitypub/success?foo=43", &headers, b"")), Err(SignatureError::BadSignature));
}

#[test]
fn rfc9421_mismatching_path_or_method_fails() {
    let headers = rfc_headers(MASTODON_RFC9421_GET_INPUT, MASTODON_RFC9421_GET);
    assert_eq!(
        check(&request("GET", "/activitypub/alternative-path", &headers, b"")),
        Err(SignatureError::BadSignature)
    );
    let as_post = request("POST", "/activitypub/success", &headers, b"");
    assert_eq!(check(&as_post), Err(SignatureError::NotCovered("content-digest")));
    assert_eq!(check_bare(&as_post), Err(SignatureError::BadSignature));
}

#[test]
fn rfc9421_request_older_than_a_day_fails() {
    let headers = rfc_headers(MASTODON_RFC9421_OLD_INPUT, MASTODON_RFC9421_OLD);
    let request = request("GET", "/activitypub/success", &headers, b"");
    assert_eq!(check(&request), Err(SignatureError::Expired));
    assert_eq!(verify(&request, &key(), at(1_702_893_600), &VerifyPolicy::default()), Ok(()));
}

#[test]
fn rfc9421_post_verifies() {
    let headers = rfc_post_headers(MASTODON_RFC9421_POST_INPUT, MASTODON_RFC9421_POST, MASTODON_CONTENT_DIGEST);
    assert_eq!(check(&request("POST", "/activitypub/success", &headers, MASTODON_BODY)), Ok(()));
}

#[test]
fn rfc9421_post_with_uncovered_digest_fails() {
    let headers =
        rfc_post_headers(MASTODON_RFC9421_GET_INPUT, MASTODON_RFC9421_POST_UNCOVERED_DIGEST, MASTODON_CONTENT_DIGEST);
    let request = request("POST", "/activitypub/success", &headers, MASTODON_BODY);
    assert_eq!(check(&request), Err(SignatureError::NotCovered("content-digest")));
}

#[test]
fn rfc9421_post_with_tampered_body_or_path_fails() {
    let headers = rfc_post_headers(MASTODON_RFC9421_POST_INPUT, MASTODON_RFC9421_POST, MASTODON_CONTENT_DIGEST);
    assert_eq!(
        check(&request("POST", "/activitypub/success", &headers, b"Hello world!")),
        Err(SignatureError::DigestMismatch(DigestAlgorithm::Sha256))
    );
    assert_eq!(
        check(&request("POST", "/activitypub/alternative-path", &headers, MASTODON_BODY)),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn rfc9421_malformed_content_digest_fails() {
    let malformed = "SHA-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:";
    let headers = rfc_post_headers(MASTODON_RFC9421_POST_INPUT, MASTODON_RFC9421_MALFORMED_DIGEST, malformed);
    assert_eq!(
        check(&request("POST", "/activitypub/signature_required", &headers, MASTODON_BODY)),
        Err(SignatureError::MalformedDigest)
    );
    // With the header as it was signed, the same signature verifies.
    let headers =
        rfc_post_headers(MASTODON_RFC9421_POST_INPUT, MASTODON_RFC9421_MALFORMED_DIGEST, MASTODON_CONTENT_DIGEST);
    assert_eq!(check(&request("POST", "/activitypub/signature_required", &headers, MASTODON_BODY)), Ok(()));
}

/// One Mastodon RFC 9421 vector, as the request it signs.
struct MessageCase {
    method: &'static str,
    path: &'static str,
    components: &'static [&'static str],
    created: i64,
    expected_input: &'static str,
    expected_signature: &'static str,
}

#[test]
fn rfc9421_vectors_are_reproduced_by_our_signer() {
    let signer = rsa_signer(MASTODON_KEY_ID, MASTODON_PRIVATE_KEY);
    const GET: &[&str] = &["@method", "@target-uri"];
    const POST: &[&str] = &["@method", "@target-uri", "content-digest"];
    let case = |method, path, components, created, expected_input, expected_signature| MessageCase {
        method,
        path,
        components,
        created,
        expected_input,
        expected_signature,
    };
    // Not the "uncovered digest" signature: Mastodon refuses that request
    // before checking it, and it verifies under no base we could find.
    let cases = [
        case("GET", "/activitypub/success", GET, 1_703_066_400, MASTODON_RFC9421_GET_INPUT, MASTODON_RFC9421_GET),
        case(
            "GET",
            "/activitypub/success?foo=42",
            GET,
            1_703_066_400,
            MASTODON_RFC9421_GET_INPUT,
            MASTODON_RFC9421_GET_QUERY,
        ),
        case("GET", "/activitypub/success", GET, 1_702_893_600, MASTODON_RFC9421_OLD_INPUT, MASTODON_RFC9421_OLD),
        case("POST", "/activitypub/success", POST, 1_703_066_400, MASTODON_RFC9421_POST_INPUT, MASTODON_RFC9421_POST),
        // Signed over the well-formed header, which the spec then upper-cased.
        case(
            "POST",
            "/activitypub/signature_required",
            POST,
            1_703_066_400,
            MASTODON_RFC9421_POST_INPUT,
            MASTODON_RFC9421_MALFORMED_DIGEST,
        ),
    ];
    for case in cases {
        let headers = [("Host", MASTODON_HOST), ("Content-Digest", MASTODON_CONTENT_DIGEST)];
        let components: Vec<ComponentId> = case.components.iter().map(|name| ComponentId::new(*name)).collect();
        let params = SignatureParams { created: Some(case.created), ..SignatureParams::default() };
        let request = request(case.method, case.path, &headers, MASTODON_BODY);
        let signed = signer.sign_rfc9421(&request, "sig1", &components, &params).unwrap();
        let expected =
            [("Signature-Input", case.expected_input.to_owned()), ("Signature", case.expected_signature.to_owned())];
        assert_eq!(signed, expected, "{} {}", case.method, case.path);
    }
}
