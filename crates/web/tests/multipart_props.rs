//! Property tests of the multipart reader (part of the hostile-input
//! suite): well-formed bodies give back exactly the parts sent, split into
//! chunks anywhere; anything else is a clear 4xx error, never a panic or a
//! part past the limits. Long run:
//! `PROPTEST_CASES=100000 cargo test --release -p kereru-web --test multipart_props`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use kereru_web::multipart::{Limits, Value, read};
use proptest::prelude::*;
use std::collections::BTreeMap;

const BOUNDARY: &str = "kereru-boundary-7MA4YWxkTrZu0gW";
const LIMITS: Limits = Limits { body: 64 * 1024, file: 4096, text: 512, parts: 16 };

fn headers(boundary: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!("multipart/form-data; boundary={boundary}");
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&value).unwrap());
    headers
}

fn encode(parts: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content, is_file) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let filename = if *is_file { "; filename=\"f.bin\"" } else { "" };
        body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"{filename}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Reads `body` delivered in chunks cut at `cuts` (offsets, any order).
fn read_in_chunks(
    boundary: &str,
    body: Vec<u8>,
    cuts: &[usize],
) -> Result<kereru_web::multipart::Form, kereru_web::WebError> {
    let mut offsets: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    offsets.push(0);
    offsets.push(body.len());
    offsets.sort_unstable();
    offsets.dedup();
    let chunks: Vec<Result<Bytes, PayloadError>> =
        offsets.windows(2).map(|w| Ok(Bytes::copy_from_slice(&body[w[0]..w[1]]))).collect();
    let stream = futures_util::stream::iter(chunks);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(read(&headers(boundary), stream, LIMITS, &["file"]))
}

fn part() -> impl Strategy<Value = (String, Vec<u8>, bool)> {
    prop_oneof![
        ("[a-z_]{1,12}", "[ -~\n]{0,600}").prop_map(|(name, text)| (name, text.into_bytes(), false)),
        prop::collection::vec(any::<u8>(), 0..5000).prop_map(|bytes| ("file".to_string(), bytes, true)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Each name's last part comes back as sent, or as too large when it passed its limit.
    #[test]
    fn well_formed_bodies_give_back_what_was_sent(
        parts in prop::collection::vec(part(), 0..10),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let body = encode(&parts);
        let form = read_in_chunks(BOUNDARY, body, &cuts).unwrap();
        let mut expected = BTreeMap::new();
        for (name, content, is_file) in &parts {
            let value = match (*is_file, content.len()) {
                (true, n) if n > LIMITS.file => Value::TooLarge,
                (true, _) => Value::File(Bytes::copy_from_slice(content)),
                (false, n) if n > LIMITS.text => Value::TooLarge,
                (false, _) => Value::Text(String::from_utf8(content.clone()).unwrap()),
            };
            expected.insert(name.clone(), value);
        }
        for (name, value) in &expected {
            prop_assert_eq!(form.get(name), Some(value), "{}", name);
        }
    }

    /// Arbitrary bytes, or a valid body cut short or corrupted, are a 4xx error or a form within the limits.
    #[test]
    fn broken_bodies_are_a_clear_error(
        parts in prop::collection::vec(part(), 1..6),
        noise in prop::collection::vec(any::<u8>(), 0..2000),
        damage in 0..3u8,
        at in any::<prop::sample::Index>(),
    ) {
        let mut body = encode(&parts);
        match damage {
            0 => body = noise,
            1 => body.truncate(at.index(body.len())),
            _ => { let i = at.index(body.len()); body.splice(i..i, noise); }
        }
        match read_in_chunks(BOUNDARY, body, &[]) {
            Ok(form) => {
                for (name, value) in form.texts().map(|(n, v)| (n.to_string(), v.len())) {
                    prop_assert!(value <= LIMITS.text, "{name}: {value}");
                }
                if let Some(Value::File(bytes)) = form.get("file") {
                    prop_assert!(bytes.len() <= LIMITS.file);
                }
            }
            Err(error) => prop_assert!(error.status().is_client_error(), "{error:?}"),
        }
    }

    /// More parts than allowed is 422; a body over the limit is 413.
    #[test]
    fn limits_hold_however_the_body_is_cut(extra in 1..5usize, cuts in prop::collection::vec(any::<usize>(), 0..6)) {
        let many: Vec<_> = (0..LIMITS.parts + extra).map(|i| (format!("f{i}"), b"x".to_vec(), false)).collect();
        let error = read_in_chunks(BOUNDARY, encode(&many), &cuts).unwrap_err();
        prop_assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let big = vec![("file".to_string(), vec![b'a'; 70 * 1024], true)];
        let error = read_in_chunks(BOUNDARY, encode(&big), &cuts).unwrap_err();
        prop_assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
