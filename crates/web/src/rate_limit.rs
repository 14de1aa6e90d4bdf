//! Per-token and per-address request limits on the client API, with
//! Mastodon's `X-RateLimit-*` headers and 429 once a window is spent.
//!
//! Counters live in this process (fixed windows): with N web nodes a client
//! may make up to N times the limit. That keeps the hot path free of
//! database writes; a shared limiter can replace it behind the same interface.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window and client.
    pub requests: u32,
    pub window: Duration,
}

impl Default for RateLimit {
    /// Mastodon's default: 300 requests per 5 minutes.
    fn default() -> Self {
        RateLimit { requests: 300, window: Duration::from_secs(300) }
    }
}

/// Upper bound on tracked clients; past it, expired windows are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// What one request learns: allowed or not, and the header values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    pub reset_in: Duration,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Self {
        Limiter { limit, windows: Mutex::new(HashMap::new()) }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Counts a request by `key` at `now`.
    pub fn check(&self, key: &str, now: Instant) -> Verdict {
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= MAX_TRACKED {
            let window = self.limit.window;
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
            if windows.len() >= MAX_TRACKED {
                windows.clear();
            }
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.limit.window {
            *entry = (now, 0);
        }
        let reset_in = self.limit.window.saturating_sub(now.duration_since(entry.0));
        if entry.1 >= self.limit.requests {
            return Verdict { allowed: false, remaining: 0, reset_in };
        }
        entry.1 += 1;
        Verdict { allowed: true, remaining: self.limit.requests - entry.1, reset_in }
    }
}

/// The client a request counts against: its bearer token, else its address.
fn client_key(req: &ServiceRequest) -> String {
    if let Some(token) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
    {
        // Keyed by a digest so the table never holds live tokens.
        let digest = ring::digest::digest(&ring::digest::SHA256, token.trim().as_bytes());
        return format!("t:{}", digest.as_ref().iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    }
    format!("ip:{}", req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default())
}

fn set_headers(headers: &mut actix_web::http::header::HeaderMap, limit: RateLimit, verdict: Verdict) {
    let reset_at = SystemTime::now() + verdict.reset_in;
    let reset = chrono::DateTime::<chrono::Utc>::from(reset_at).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    for (name, value) in [
        ("x-ratelimit-limit", limit.requests.to_string()),
        ("x-ratelimit-remaining", verdict.remaining.to_string()),
        ("x-ratelimit-reset", reset),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::HeaderName::from_static(name), value);
        }
    }
}

/// Middleware for the API and OAuth paths.
pub async fn limit_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.path();
    // The API, and OAuth's endpoints: each login attempt costs an Argon2 hash.
    let limited = (path.starts_with("/api/") && !path.starts_with("/api/v1/streaming")) || path.starts_with("/oauth/");
    let limiter = req.app_data::<web::Data<crate::state::AppState>>().map(|s| s.limiter.clone());
    let (true, Some(limiter)) = (limited, limiter) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let verdict = limiter.check(&client_key(&req), Instant::now());
    if !verdict.allowed {
        let mut response = HttpResponse::TooManyRequests().json(serde_json::json!({ "error": "Too many requests" }));
        set_headers(response.headers_mut(), limiter.limit(), verdict);
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(http_req, response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    set_headers(response.headers_mut(), limiter.limit(), verdict);
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_the_limit_then_refuses_until_it_resets() {
        let limiter = Limiter::new(RateLimit { requests: 2, window: Duration::from_secs(60) });
        let start = Instant::now();
        assert_eq!(limiter.check("a", start).remaining, 1);
        assert!(limiter.check("a", start).allowed);
        let refused = limiter.check("a", start + Duration::from_secs(10));
        assert!(!refused.allowed);
        assert_eq!(refused.reset_in, Duration::from_secs(50));
        assert!(limiter.check("b", start).allowed, "clients are counted apart");
        assert!(limiter.check("a", start + Duration::from_secs(60)).allowed, "a new window");
    }
}
