//! Property tests of the parsers that read what strangers send: host
//! names, WebFinger resources, signature headers (RFC 8941 structured
//! fields, draft-cavage, RFC 9421) and the ActivityPub reader. Part of the
//! hostile-input suite. CI runs proptest's default 256 cases per property;
//! a long run is `PROPTEST_CASES=200000 cargo test --release -p kereru-core --test props`.
//! A failure proptest finds is kept under `tests/props.proptest-regressions`
//! and replayed first on every later run: commit that file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_core::HostName;
use kereru_core::activitypub::{ReadError, read_note_json};
use kereru_core::activitystreams::{Classified, classify, sanitize_html};
use kereru_core::keys::generate_rsa_keypair;
use kereru_core::signatures::structured::{parse_dictionary, parse_item, serialize_item};
use kereru_core::signatures::{self, RequestParts, Signer, VerifyPolicy, VerifyingKey};
use kereru_core::webfinger::Resource;
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::SystemTime;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?"
}

fn host() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 1..4), "[a-z]{2,6}").prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
}

proptest! {
    /// Whatever is accepted comes out canonical, and the canonical form is a fixed point.
    #[test]
    fn host_names_parse_to_a_canonical_fixed_point(input in any::<String>()) {
        if let Ok(parsed) = HostName::parse(&input) {
            let canonical = parsed.as_str();
            prop_assert!(canonical.is_ascii(), "{canonical:?}");
            prop_assert_eq!(canonical.to_ascii_lowercase(), canonical);
            prop_assert!(!canonical.ends_with('.') && !canonical.contains(['/', ':', '@', ' ']), "{canonical:?}");
            prop_assert_eq!(HostName::parse(canonical).unwrap().as_str().to_string(), canonical);
        }
    }

    /// Upper case and a trailing dot name the same host.
    #[test]
    fn host_names_ignore_case_and_a_trailing_dot(host in host()) {
        let shouted = format!("{}.", host.to_ascii_uppercase());
        prop_assert_eq!(HostName::parse(&shouted).unwrap().as_str().to_string(), host);
    }

    /// `acct:` resources name exactly the user and host written, and a bare
    /// `user@host` means the same.
    #[test]
    fn webfinger_account_resources_round_trip(user in "[a-zA-Z0-9_]{1,30}", host in host()) {
        for text in [format!("acct:{user}@{host}"), format!("{user}@{host}")] {
            let resource = Resource::parse(&text).unwrap();
            prop_assert_eq!(resource.username(), user.as_str());
            prop_assert_eq!(resource.host().as_str(), host.as_str());
        }
    }

    /// Anything else either fails or names a canonical host.
    #[test]
    fn webfinger_resources_from_anything_name_a_canonical_host(text in "(acct:|https?://)?[ -~]{0,60}") {
        if let Ok(resource) = Resource::parse(&text) {
            let host = resource.host().as_str();
            prop_assert_eq!(HostName::parse(host).unwrap().as_str().to_string(), host);
            prop_assert!(!resource.username().is_empty());
        }
    }

    /// A structured-field item that parses serializes to text that parses to the same item.
    #[test]
    fn structured_items_round_trip(text in "[ -~]{0,40}") {
        if let Ok(item) = parse_item(&text) {
            let mut out = String::new();
            serialize_item(&item, &mut out);
            prop_assert_eq!(parse_item(&out).unwrap(), item);
        }
    }

    /// Dictionaries (Signature-Input, Signature) never panic, and what parses has keys.
    #[test]
    fn structured_dictionaries_have_keys(text in "[ -~]{0,80}") {
        if let Ok(dictionary) = parse_dictionary(&text) {
            prop_assert!(dictionary.iter().all(|(key, _)| !key.is_empty()));
        }
    }
}

/// One key pair for every case (RSA generation is slow).
fn keys() -> &'static (Signer, VerifyingKey, VerifyingKey) {
    static KEYS: OnceLock<(Signer, VerifyingKey, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pair = generate_rsa_keypair(2048).unwrap();
        let other = generate_rsa_keypair(2048).unwrap();
        let signer =
            Signer::from_rsa_pkcs8_der("https://remote.example/users/a#main-key", &pair.private_pkcs8_der).unwrap();
        (signer, VerifyingKey::from_pem(&pair.public_pem).unwrap(), VerifyingKey::from_pem(&other.public_pem).unwrap())
    })
}

fn request<'a>(path: &'a str, headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> RequestParts<'a> {
    RequestParts { method: "POST", scheme: "https", authority: "a.example", path_and_query: path, headers, body }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A signed request verifies with its key; any change to its body, or another key, fails.
    #[test]
    fn signatures_verify_only_what_was_signed(
        path in "/[a-z]{1,10}(/[a-z0-9]{1,8}){0,3}",
        body in prop::collection::vec(any::<u8>(), 0..512),
        flip in any::<prop::sample::Index>(),
    ) {
        let (signer, key, other_key) = keys();
        let base = [("host", "a.example"), ("content-type", "application/activity+json")];
        let added = signer.sign_cavage(&request(&path, &base, &body), SystemTime::now()).unwrap();
        let mut headers: Vec<(&str, &str)> = base.to_vec();
        headers.extend(added.iter().map(|(n, v)| (*n, v.as_str())));
        let now = SystemTime::now();
        let policy = VerifyPolicy::default();
        let signed = request(&path, &headers, &body);
        let parsed = signatures::parse(&signed).unwrap();
        prop_assert!(parsed.verify(&signed, key, now, &policy).is_ok());
        prop_assert!(parsed.verify(&signed, other_key, now, &policy).is_err());
        let mut tampered = body.clone();
        if tampered.is_empty() { tampered.push(b'x') } else { let i = flip.index(tampered.len()); tampered[i] ^= 0x01; }
        let changed = request(&path, &headers, &tampered);
        prop_assert!(signatures::parse(&changed).and_then(|p| p.verify(&changed, key, now, &policy)).is_err());
    }

    /// Signature headers made of anything never verify (and never panic).
    #[test]
    fn arbitrary_signature_headers_never_verify(
        signature in "[ -~]{0,200}",
        input in "[ -~]{0,120}",
        which in 0..3u8,
    ) {
        let (_, key, _) = keys();
        let mut headers = vec![("host", "a.example"), ("date", "Thu, 03 Dec 2026 00:00:00 GMT")];
        match which {
            0 => headers.push(("signature", signature.as_str())),
            1 => { headers.push(("signature", signature.as_str())); headers.push(("signature-input", input.as_str())); }
            _ => headers.push(("authorization", signature.as_str())),
        }
        let parts = request("/inbox", &headers, b"{}");
        if let Ok(parsed) = signatures::parse(&parts) {
            prop_assert!(!parsed.key_id().is_empty());
            prop_assert!(parsed.verify(&parts, key, SystemTime::now(), &VerifyPolicy::default()).is_err());
        }
    }
}

/// JSON trees built from the names ActivityPub documents use, so that the
/// reader's interesting paths are reached.
fn activity_json() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "id",
        "type",
        "actor",
        "object",
        "to",
        "cc",
        "content",
        "attributedTo",
        "tag",
        "attachment",
        "inReplyTo",
        "url",
        "name",
        "summary",
        "published",
        "href",
        "mediaType",
        "sensitive",
        "contentMap",
        "@context",
    ]);
    let types = prop::sample::select(vec![
        "Note",
        "Article",
        "Question",
        "Create",
        "Announce",
        "Person",
        "Mention",
        "Hashtag",
        "Document",
        "Link",
        "Tombstone",
        "OrderedCollection",
        "Video",
        "Event",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        types.prop_map(Value::from),
        "https://[a-z]{1,8}\\.example/[a-z0-9/]{0,12}".prop_map(Value::from),
        "(<[a-z]{1,6}( [a-z]{1,6}=\"[^\"]{0,12}\")?>|[ -~]){0,30}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// HTML as hostile servers send it: text mixed with tags that must not survive.
fn hostile_html() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<p>",
        "</p>",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"https://ok.example/\" onclick=\"steal()\">ok</a>",
        "<style>body{}</style>",
        "<iframe src=//x>",
        "<b>",
        "</b>",
        "<br>",
        "&lt;",
        "<span class=\"h-card\">",
        "</span>",
        "<svg onload=alert(1)>",
        "plain text ",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|parts| parts.concat())
}

/// A status document: the fields the reader needs, hostile content, and
/// (with `extras`) random others.
fn status_json(extras: bool) -> impl Strategy<Value = Value> {
    let kinds = prop::sample::select(vec!["Note", "Article", "Question", "Page", "Video"]);
    (kinds, "[a-z]{1,8}", "[0-9]{1,6}", hostile_html(), hostile_html(), activity_json()).prop_map(
        move |(kind, host, n, content, summary, extra)| {
            let mut document = serde_json::json!({
                "type": kind, "id": format!("https://{host}.example/notes/{n}"),
                "attributedTo": format!("https://{host}.example/users/a"), "content": content, "summary": summary,
            });
            if let (true, Value::Object(extra), Some(document)) = (extras, extra, document.as_object_mut()) {
                for (key, value) in extra {
                    if !["type", "id", "attributedTo", "content", "summary"].contains(&key.as_str()) {
                        document.insert(key, value);
                    }
                }
            }
            document
        },
    )
}

proptest! {
    /// Whatever the reader makes a status of is sanitized HTML that
    /// sanitizing again leaves as it is, and carries an http(s) id.
    #[test]
    fn read_statuses_are_sanitized_and_identified(document in prop_oneof![activity_json(), status_json(true)]) {
        if let Ok(Classified::Status(_)) = classify(&document)
            && let Ok(note) = read_note_json(&document)
        {
            prop_assert_eq!(sanitize_html(&note.content_html), note.content_html.clone());
            // Inside tags (escaped text may say anything): no scripts, handlers or frames.
            let lower = note.content_html.to_ascii_lowercase();
            for tag in lower.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or(rest)) {
                for forbidden in ["script", "onerror", "onclick", "onload", "javascript:", "style", "iframe", "svg"] {
                    prop_assert!(!tag.contains(forbidden), "{forbidden} in <{tag}> of {}", note.content_html);
                }
            }
            prop_assert!(note.id.starts_with("https://") || note.id.starts_with("http://"), "{}", note.id);
        }
    }

    /// A status with an id and an author is read whatever its content, and
    /// what else it carries may make it malformed, never another thing.
    #[test]
    fn statuses_with_an_id_and_an_author_are_read(plain in status_json(false), decorated in status_json(true)) {
        let read = read_note_json(&plain);
        prop_assert!(read.is_ok(), "{plain}: {read:?}");
        let note = read.unwrap();
        prop_assert_eq!(Some(note.id.as_str()), plain["id"].as_str());
        match read_note_json(&decorated) {
            Ok(note) => prop_assert_eq!(Some(note.id.as_str()), decorated["id"].as_str()),
            Err(error) => prop_assert!(!matches!(error, ReadError::NotAStatus(_)), "{decorated}: {error:?}"),
        }
    }
}
