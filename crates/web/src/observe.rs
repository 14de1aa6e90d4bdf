//! The outermost middleware of the tenant scope: gives each request an id
//! (a sane incoming `X-Request-Id`, or a new one), echoes it back, runs the
//! request inside a tracing span carrying that id and the host asked for (so
//! every log line the request causes names its tenant), and counts it in the
//! HTTP metrics by the route's pattern, never its raw path.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, for handlers that want to show it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req.headers().get(&REQUEST_ID).and_then(|value| value.to_str().ok()).filter(|id| sane(id));
    let id = id.map_or_else(new_id, str::to_string);
    let host = host_of(&req);
    let method = req.method().as_str().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", host = %host, request_id = %id);
    let result = next.call(req).instrument(span.clone()).await;
    match result {
        Ok(mut res) => {
            let route = res.request().match_pattern();
            let status = res.status().as_u16();
            let elapsed = started.elapsed();
            kereru_metrics::http_request(&method, route.as_deref(), status, elapsed);
            // The access log, off unless asked for (`kereru_web::observe=debug`).
            span.in_scope(|| {
                tracing::debug!(
                    method,
                    route = route.as_deref().unwrap_or("-"),
                    status,
                    ms = elapsed.as_millis() as u64,
                    "answered"
                );
            });
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(res)
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            kereru_metrics::http_request(&method, None, status, started.elapsed());
            Err(error)
        }
    }
}

/// An id we pass on as it came: short, and only characters that need no
/// quoting in a header or a log line.
fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'+' | b'/' | b'='))
}

/// A random UUID (version 4), as Rails makes for Mastodon.
fn new_id() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 16];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // No randomness: still unique enough to find a request's lines in a log.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = nanos.to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The host asked for (HTTP/2's authority or the Host header), as sent but
/// bounded: the tenant middleware inside decides whether it is one.
fn host_of(req: &ServiceRequest) -> String {
    let host =
        req.uri().host().map(str::to_string).or_else(|| {
            req.headers().get(actix_web::http::header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string)
        });
    let mut host = host.unwrap_or_default();
    host.truncate(253);
    host.make_ascii_lowercase();
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_and_only_sane_ones_are_kept() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_ne!(new_id(), id);
        assert!(sane(&id));
        assert!(sane("req-42"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane("x\"y"));
        assert!(!sane(&"a".repeat(129)));
    }
}
