//! Per-token and per-address request limits on the client API, with
//! Mastodon's `X-RateLimit-*` headers and 429 once a window is spent; and
//! per-account limits on login attempts ([`LoginGuard`]).
//!
//! A request counts against its bearer token only once that token has been
//! seen to be valid (by [`crate::auth`]): anything else — no token, a junk
//! token, a revoked one — counts against the client's address, so inventing
//! tokens buys no fresh windows. OAuth's own endpoints always count by address.
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

/// The window of the sign-up and password-reset limits.
pub const ACCOUNT_REQUESTS_WINDOW: Duration = Duration::from_secs(30 * 60);

/// Upper bound on tracked clients; past it, expired windows are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    /// Digests of tokens that authenticated recently, with when.
    valid_tokens: Mutex<HashMap<String, Instant>>,
}

/// How long a token seen valid keeps its own window without being seen again.
const VALID_TOKEN_TTL: Duration = Duration::from_secs(300);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The table key of a token: a digest, so the tables never hold live tokens.
fn token_key(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.trim().as_bytes());
    format!("t:{}", digest.as_ref().iter().take(16).map(|b| format!("{b:02x}")).collect::<String>())
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
        Limiter { limit, windows: Mutex::new(HashMap::new()), valid_tokens: Mutex::new(HashMap::new()) }
    }

    /// Records that `token` authenticated: from now on its requests count against it.
    pub fn token_is_valid(&self, token: &str, now: Instant) {
        let mut valid = lock(&self.valid_tokens);
        if valid.len() >= MAX_TRACKED {
            valid.retain(|_, seen| now.duration_since(*seen) < VALID_TOKEN_TTL);
            if valid.len() >= MAX_TRACKED {
                valid.clear();
            }
        }
        valid.insert(token_key(token), now);
    }

    /// Whether `token` authenticated within the last few minutes.
    fn known_valid(&self, token: &str, now: Instant) -> Option<String> {
        let key = token_key(token);
        let valid = lock(&self.valid_tokens);
        valid.get(&key).is_some_and(|seen| now.duration_since(*seen) < VALID_TOKEN_TTL).then_some(key)
    }

    /// Gives back one request counted by `key` (an attempt that turned out legitimate).
    pub fn refund(&self, key: &str) {
        if let Some(entry) = lock(&self.windows).get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Counts a request by `key` at `now`.
    pub fn check(&self, key: &str, now: Instant) -> Verdict {
        let mut windows = lock(&self.windows);
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

/// The client a request counts against: its bearer token if that token is
/// known to be valid (and the path is not OAuth's), else its address.
fn client_key(req: &ServiceRequest, limiter: &Limiter, now: Instant) -> String {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if let Some(token) = token
        && !req.path().starts_with("/oauth/")
        && let Some(key) = limiter.known_valid(token, now)
    {
        return key;
    }
    address_key(req)
}

fn address_key(req: &ServiceRequest) -> String {
    format!("ip:{}", req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default())
}

/// Login attempts per account: each attempt is counted before the password
/// is checked (so a burst of guesses can't all slip in before the first
/// fails) and given back when it succeeds, so only failures use the
/// budget. Past it, the account's logins are refused (429) until the window
/// ends, whatever address they come from.
#[derive(Debug)]
pub struct LoginGuard {
    attempts: Limiter,
}

/// A counted login attempt; [`LoginGuard::succeeded`] gives it back.
#[derive(Debug)]
pub struct LoginAttempt {
    key: String,
}

impl LoginGuard {
    pub fn new(limit: RateLimit) -> Self {
        LoginGuard { attempts: Limiter::new(limit) }
    }

    /// Counts an attempt on `account` (an account id, or the login as typed
    /// when no account has it) of `tenant`; `Err` with the wait when spent.
    pub fn attempt(&self, tenant: i64, account: &str) -> Result<LoginAttempt, Duration> {
        let key = format!("{tenant}:{}", account.trim().to_lowercase());
        let verdict = self.attempts.check(&key, Instant::now());
        if verdict.allowed { Ok(LoginAttempt { key }) } else { Err(verdict.reset_in) }
    }

    /// The attempt was the right password: it does not count.
    pub fn succeeded(&self, attempt: LoginAttempt) {
        self.attempts.refund(&attempt.key);
    }
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
    let now = Instant::now();
    let verdict = limiter.check(&client_key(&req, &limiter, now), now);
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
    fn a_token_has_its_own_window_only_once_it_was_seen_valid() {
        let limiter = Limiter::new(RateLimit::default());
        let now = Instant::now();
        assert_eq!(limiter.known_valid("abc", now), None);
        limiter.token_is_valid("abc", now);
        assert!(limiter.known_valid("abc", now + Duration::from_secs(10)).is_some());
        assert_eq!(limiter.known_valid("other", now), None);
        assert_eq!(limiter.known_valid("abc", now + VALID_TOKEN_TTL), None, "forgotten when not seen again");
    }

    #[test]
    fn login_attempts_are_limited_per_account_and_successes_are_given_back() {
        let guard = LoginGuard::new(RateLimit { requests: 2, window: Duration::from_secs(60) });
        let first = guard.attempt(1, "Alice").unwrap();
        guard.succeeded(first);
        guard.attempt(1, "alice").unwrap();
        guard.attempt(1, "ALICE ").unwrap();
        assert!(guard.attempt(1, "alice").is_err(), "two failures spend the budget");
        assert!(guard.attempt(2, "alice").is_ok(), "another tenant's alice is another account");
    }

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
