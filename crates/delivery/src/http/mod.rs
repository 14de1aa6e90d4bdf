//! The outbound HTTP client: every request Kererū makes to another server
//! goes through a [`Fetcher`].
//!
//! - One pooled `reqwest::Client` (keep-alive, HTTP/2 where the server
//!   offers it by ALPN, rustls on ring).
//! - Server-side request forgery: URLs must be `http`/`https` without
//!   credentials; IP literals are checked before anything is sent (the
//!   connector skips name resolution for them), names are checked in the
//!   client's own DNS resolver on the addresses actually connected to.
//!   Loopback, private, link-local, CGNAT, documentation, multicast and
//!   other special addresses are refused unless
//!   [`FetchSettings::allow_private_addresses`] is set. See [`address`].
//! - `resolve` maps host names to fixed addresses, like curl's `--resolve`
//!   (tests and local setups). The table's port is used when the URL names
//!   none; a port written in the URL wins.
//! - Redirects are followed by hand, at most [`MAX_REDIRECTS`], each hop's
//!   URL checked again; signed requests are signed again for each hop.
//! - Limits: connect timeout, a total deadline for the whole exchange
//!   (all hops and the body), and a body size cap enforced while the body
//!   streams in (a declared `Content-Length` over the cap is refused before
//!   reading). No `Accept-Encoding` is sent, so the cap counts real bytes.

pub mod address;
mod resolver;

use kereru_core::signatures::{RequestParts, Signer};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Response, StatusCode};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

pub use address::{AddressPolicy, is_public};
pub use reqwest::Url;

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 3;
/// Default cap on an ActivityPub JSON document.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;
/// Longest URL accepted.
pub const MAX_URL_LENGTH: usize = 4096;

/// What [`Fetcher::get_activity_json`] asks for, as Mastodon does.
pub const ACTIVITY_ACCEPT: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
const HTML_ACCEPT: &str = "text/html, application/xhtml+xml";

/// How the fetcher behaves; the server builds it from `[federation]`.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Allow loopback, private and link-local destinations (tests and
    /// closed setups only).
    pub allow_private_addresses: bool,
    /// Host name → address, used instead of DNS (curl's `--resolve`).
    pub resolve: HashMap<String, SocketAddr>,
    /// Resolve names missing from `resolve` with the system resolver. Tests
    /// turn it off so nothing ever asks real DNS: unmapped names are refused.
    pub system_dns: bool,
    /// Deadline for a whole fetch: every redirect hop and the body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// How long an idle keep-alive connection is kept for reuse. Fetches
    /// keep them long; the delivery worker briefly, so a fan-out to many
    /// hosts doesn't hold one idle connection per host.
    pub idle_timeout: Duration,
    pub user_agent: String,
    /// Counts of what the fetcher did, shared with whoever built the
    /// settings (metrics, tests).
    pub counters: Arc<FetchCounters>,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            allow_private_addresses: false,
            resolve: HashMap::new(),
            system_dns: true,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(90),
            user_agent: concat!("Kereru/", env!("CARGO_PKG_VERSION")).to_string(),
            counters: Arc::default(),
        }
    }
}

/// Running totals of a fetcher's activity.
#[derive(Debug, Default)]
pub struct FetchCounters {
    requests: AtomicU64,
    refused: AtomicU64,
}

impl FetchCounters {
    /// Requests handed to the connection pool (one per redirect hop).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// URLs or resolved names refused by the address rules.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::SeqCst);
    }
}

/// Why a URL or the address behind it is not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    #[error("scheme {0:?} is not fetched (only http and https)")]
    Scheme(String),
    #[error("URLs with credentials are not fetched")]
    Credentials,
    #[error("{host} is at {ip}, which is not a public address")]
    Address { host: String, ip: IpAddr },
    #[error("{0} is not in the resolve table and DNS is off")]
    NotResolvable(String),
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("the response is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("no complete answer within the time limit")]
    Timeout,
    #[error("the server answered {0}")]
    Status(u16),
    #[error("the response is not JSON")]
    NotJson,
    #[error("the response is not HTML")]
    NotHtml,
    #[error("more than {MAX_REDIRECTS} redirects")]
    Redirects,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    #[error("the request could not be signed: {0}")]
    Sign(#[from] kereru_core::signatures::SignatureError),
}

impl From<Refusal> for FetchError {
    fn from(refusal: Refusal) -> Self {
        FetchError::Refused(refusal)
    }
}

/// A fetched body and the URL it finally came from (after redirects):
/// callers that trust a document by its origin must use this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched<T> {
    pub url: Url,
    pub body: T,
}

/// The outbound HTTP client. Cheap to share (`Arc`), one per process.
pub struct Fetcher {
    client: reqwest::Client,
    policy: AddressPolicy,
    timeout: Duration,
    counters: Arc<FetchCounters>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("policy", &self.policy).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

/// reqwest is built without a default TLS provider (one rustls, on ring).
fn install_crypto_provider() {
    // Err means a provider is installed already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let policy =
            if settings.allow_private_addresses { AddressPolicy::AllowPrivate } else { AddressPolicy::PublicOnly };
        let table = settings.resolve.iter().map(|(host, addr)| (resolver::table_key(host), *addr)).collect();
        let resolver = resolver::GuardedResolver {
            table: Arc::new(table),
            policy,
            system_dns: settings.system_dns,
            counters: Arc::clone(&settings.counters),
        };
        let client = reqwest::Client::builder()
            .dns_resolver(resolver)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .user_agent(settings.user_agent.as_str())
            .connect_timeout(settings.connect_timeout)
            // A backstop: `fetch` also bounds every call as a whole.
            .timeout(settings.timeout)
            .pool_idle_timeout(settings.idle_timeout)
            // Zero keeps no idle connections at all.
            .pool_max_idle_per_host(if settings.idle_timeout.is_zero() { 0 } else { 8 })
            .tcp_keepalive(Duration::from_secs(60))
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Fetcher { client, policy, timeout: settings.timeout, counters: Arc::clone(&settings.counters) })
    }

    /// Checks a URL against the rules that need no DNS: http(s) only, no
    /// credentials, a host, and an IP literal host only if the address
    /// policy allows it. The fragment is dropped.
    pub fn check_url(&self, raw: &str) -> Result<Url, FetchError> {
        let result = check_url(raw, self.policy);
        if result.is_err() {
            self.counters.count_refused();
        }
        result.map_err(FetchError::Refused)
    }

    /// GETs an ActivityPub document, signed (draft-cavage, as Mastodon
    /// expects) when `signer` is given so servers in authorized-fetch mode
    /// answer. Capped at [`MAX_JSON_BYTES`].
    pub async fn get_activity_json(
        &self,
        url: &str,
        signer: Option<&Signer>,
    ) -> Result<Fetched<serde_json::Value>, FetchError> {
        self.get_activity_json_limited(url, signer, MAX_JSON_BYTES).await
    }

    /// [`Self::get_activity_json`] with a size cap of its own.
    pub async fn get_activity_json_limited(
        &self,
        url: &str,
        signer: Option<&Signer>,
        max_bytes: usize,
    ) -> Result<Fetched<serde_json::Value>, FetchError> {
        let fetched = self.fetch(url, ACTIVITY_ACCEPT, signer, max_bytes).await?;
        if !fetched.content_type.as_deref().is_some_and(is_json_type) {
            return Err(FetchError::NotJson);
        }
        let body = serde_json::from_slice(&fetched.body).map_err(|_| FetchError::NotJson)?;
        Ok(Fetched { url: fetched.url, body })
    }

    /// GETs a WebFinger JRD (unsigned, at most 64 KiB).
    pub async fn get_webfinger(&self, url: &str) -> Result<Fetched<serde_json::Value>, FetchError> {
        let fetched = self.fetch(url, "application/jrd+json, application/json", None, 64 * 1024).await?;
        if !fetched.content_type.as_deref().is_some_and(is_json_type) {
            return Err(FetchError::NotJson);
        }
        let body = serde_json::from_slice(&fetched.body).map_err(|_| FetchError::NotJson)?;
        Ok(Fetched { url: fetched.url, body })
    }

    /// GETs a web page (unsigned), at most `max_bytes` of it. Bytes that
    /// are not UTF-8 are replaced; a response that says it is something
    /// other than HTML is refused.
    pub async fn get_html(&self, url: &str, max_bytes: usize) -> Result<Fetched<String>, FetchError> {
        let fetched = self.fetch(url, HTML_ACCEPT, None, max_bytes).await?;
        if fetched.content_type.as_deref().is_some_and(|t| !is_html_type(t)) {
            return Err(FetchError::NotHtml);
        }
        let body = String::from_utf8_lossy(&fetched.body).into_owned();
        Ok(Fetched { url: fetched.url, body })
    }

    async fn fetch(
        &self,
        url: &str,
        accept: &'static str,
        signer: Option<&Signer>,
        max_bytes: usize,
    ) -> Result<Body, FetchError> {
        let url = self.check_url(url)?;
        match tokio::time::timeout(self.timeout, self.fetch_within_deadline(url, accept, signer, max_bytes)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    async fn fetch_within_deadline(
        &self,
        mut url: Url,
        accept: &'static str,
        signer: Option<&Signer>,
        max_bytes: usize,
    ) -> Result<Body, FetchError> {
        let mut redirects = 0;
        loop {
            let response = self.send_get(&url, accept, signer).await?;
            let status = response.status();
            if is_followed_redirect(status) {
                let location = response.headers().get(LOCATION).and_then(|value| value.to_str().ok());
                let Some(location) = location else {
                    return Err(FetchError::Status(status.as_u16()));
                };
                if redirects == MAX_REDIRECTS {
                    return Err(FetchError::Redirects);
                }
                redirects += 1;
                let next = url.join(location).map_err(|e| Refusal::InvalidUrl(e.to_string()))?;
                url = self.check_url(next.as_str())?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
            let body = read_capped(response, max_bytes).await?;
            return Ok(Body { url, content_type, body });
        }
    }

    async fn send_get(&self, url: &Url, accept: &'static str, signer: Option<&Signer>) -> Result<Response, FetchError> {
        let mut request = self.client.get(url.clone()).header(ACCEPT, HeaderValue::from_static(accept));
        if let Some(signer) = signer {
            for (name, value) in sign_get(signer, url, accept)? {
                let value = HeaderValue::from_str(&value)
                    .map_err(|_| FetchError::Sign(kereru_core::signatures::SignatureError::SigningFailed))?;
                request = request.header(name, value);
            }
        }
        self.counters.count_request();
        request.send().await.map_err(transport_error)
    }
}

/// What an inbox answered to a POST: the status, and `Retry-After` when it
/// said when to come back. Redirects are not followed for deliveries (a
/// 3xx comes back as it is; the queue treats it as final).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub status: u16,
    pub retry_after: Option<Duration>,
}

/// Content type of delivered activities.
pub const ACTIVITY_CONTENT_TYPE: &str = "application/activity+json";
/// Most of an inbox's answer that is read (and thrown away) so the
/// connection can be reused; a longer answer closes the connection.
const MAX_INBOX_ANSWER: usize = 64 * 1024;

impl Fetcher {
    /// POSTs an activity to an inbox, signed with draft-cavage rsa-sha256
    /// over `(request-target) host date digest content-type`. The RSA
    /// signature is made on a blocking thread so a burst of deliveries
    /// does not stall the async workers. Any status is returned as
    /// [`Posted`]; transport failures, refusals and timeouts are errors.
    pub async fn post_activity(&self, inbox: &str, body: Arc<str>, signer: Arc<Signer>) -> Result<Posted, FetchError> {
        let url = self.check_url(inbox)?;
        let signed_url = url.clone();
        let signed_body = Arc::clone(&body);
        let headers = tokio::task::spawn_blocking(move || sign_post(&signer, &signed_url, signed_body.as_bytes()))
            .await
            .map_err(|_| FetchError::Sign(kereru_core::signatures::SignatureError::SigningFailed))??;
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_CONTENT_TYPE))
            .body(body.as_bytes().to_vec());
        for (name, value) in headers {
            let value = HeaderValue::from_str(&value)
                .map_err(|_| FetchError::Sign(kereru_core::signatures::SignatureError::SigningFailed))?;
            request = request.header(name, value);
        }
        self.send_post(request).await
    }
}

impl Fetcher {
    /// POSTs a JSON body (unsigned: the caller puts its own authentication in
    /// `headers`, as webhooks do) under the same address rules, no redirects
    /// followed, bounded by the deadline. Any status is returned as [`Posted`].
    pub async fn post_json(
        &self,
        url: &str,
        body: Arc<str>,
        headers: &[(&'static str, String)],
    ) -> Result<Posted, FetchError> {
        let url = self.check_url(url)?;
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body.as_bytes().to_vec());
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|e| FetchError::Client(e.to_string()))?;
            request = request.header(*name, value);
        }
        self.send_post(request).await
    }

    /// POSTs bytes of `content_type` with `headers` (a Web Push: the
    /// encrypted message), the same way as [`Fetcher::post_json`].
    pub async fn post_bytes(
        &self,
        url: &str,
        content_type: &'static str,
        body: Vec<u8>,
        headers: &[(&'static str, String)],
    ) -> Result<Posted, FetchError> {
        let url = self.check_url(url)?;
        let mut request = self.client.post(url).header(CONTENT_TYPE, HeaderValue::from_static(content_type)).body(body);
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|e| FetchError::Client(e.to_string()))?;
            request = request.header(*name, value);
        }
        self.send_post(request).await
    }

    /// Sends a POST built by [`Fetcher::post_json`] or the signed delivery
    /// POST, bounded by the deadline: the status and any Retry-After. A short
    /// answer is drained so the connection goes back to the pool; errors while
    /// draining do not change what the receiver said.
    async fn send_post(&self, request: reqwest::RequestBuilder) -> Result<Posted, FetchError> {
        let exchange = async {
            self.counters.count_request();
            let mut response = request.send().await.map_err(transport_error)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let mut read = 0usize;
            while let Ok(Some(chunk)) = response.chunk().await {
                read += chunk.len();
                if read > MAX_INBOX_ANSWER {
                    break;
                }
            }
            Ok(Posted { status, retry_after })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        }
    }
}

/// `Retry-After` as delta-seconds or an HTTP date, relative to `now`.
/// Unparseable values are ignored (None); dates in the past give zero.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The draft-cavage headers (`Date`, `Digest`, `Signature`) for a POST.
fn sign_post(signer: &Signer, url: &Url, body: &[u8]) -> Result<Vec<(&'static str, String)>, FetchError> {
    let authority = authority_of(url);
    let path_and_query = path_and_query_of(url);
    let headers = [("host", authority.as_str()), ("content-type", ACTIVITY_CONTENT_TYPE)];
    let parts = RequestParts {
        method: "POST",
        scheme: url.scheme(),
        authority: &authority,
        path_and_query: &path_and_query,
        headers: &headers,
        body,
    };
    Ok(signer.sign_cavage(&parts, SystemTime::now())?)
}

/// The Host header as hyper writes it: the port only when not the default.
fn authority_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn path_and_query_of(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

struct Body {
    url: Url,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn check_url(raw: &str, policy: AddressPolicy) -> Result<Url, Refusal> {
    if raw.len() > MAX_URL_LENGTH {
        return Err(Refusal::InvalidUrl(format!("longer than {MAX_URL_LENGTH} bytes")));
    }
    let mut url = Url::parse(raw).map_err(|e| Refusal::InvalidUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme(url.scheme().to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Credentials);
    }
    let literal = match url.host() {
        None => return Err(Refusal::InvalidUrl("no host".into())),
        Some(url::Host::Domain(_)) => None,
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
    };
    if let Some(ip) = literal
        && !policy.allows(ip)
    {
        return Err(Refusal::Address { host: ip.to_string(), ip });
    }
    url.set_fragment(None);
    Ok(url)
}

/// The draft-cavage headers (`Date`, `Signature`) for a GET of `url`.
fn sign_get(signer: &Signer, url: &Url, accept: &str) -> Result<Vec<(&'static str, String)>, FetchError> {
    let host = url.host_str().unwrap_or_default();
    // As hyper writes the Host header: the port only when not the default.
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let headers = [("host", authority.as_str()), ("accept", accept)];
    let parts = RequestParts {
        method: "GET",
        scheme: url.scheme(),
        authority: &authority,
        path_and_query: &path_and_query,
        headers: &headers,
        body: &[],
    };
    Ok(signer.sign_cavage(&parts, SystemTime::now())?)
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Reads the body, refusing it as soon as it passes `limit` bytes (or at
/// once when it declares a larger length). Dropping the response closes
/// the connection instead of draining the rest.
async fn read_capped(mut response: Response, limit: usize) -> Result<Vec<u8>, FetchError> {
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(FetchError::TooLarge { limit });
    }
    let initial = declared.map_or(16 * 1024, |length| length as usize).min(limit);
    let mut body = Vec::with_capacity(initial);
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn media_type(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn is_json_type(content_type: &str) -> bool {
    let media = media_type(content_type);
    media == "application/activity+json"
        || media == "application/ld+json"
        || media == "application/json"
        || media == "application/jrd+json"
}

fn is_html_type(content_type: &str) -> bool {
    let media = media_type(content_type);
    media == "text/html" || media == "application/xhtml+xml"
}

/// Maps a reqwest error, finding a refusal by our resolver in its causes.
fn transport_error(error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<Refusal>() {
            return FetchError::Refused(refusal.clone());
        }
        source = cause.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout;
    }
    FetchError::Connect(error_chain(&error))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        let public = AddressPolicy::PublicOnly;
        assert!(check_url("https://peer.test/users/a#main-key", public).is_ok_and(|u| u.fragment().is_none()));
        assert!(matches!(check_url("ftp://peer.test/x", public), Err(Refusal::Scheme(_))));
        assert!(matches!(check_url("file:///etc/passwd", public), Err(Refusal::Scheme(_))));
        assert!(matches!(check_url("https://user:pw@peer.test/", public), Err(Refusal::Credentials)));
        assert!(matches!(check_url("not a url", public), Err(Refusal::InvalidUrl(_))));
        let long = format!("https://peer.test/{}", "a".repeat(MAX_URL_LENGTH));
        assert!(matches!(check_url(&long, public), Err(Refusal::InvalidUrl(_))));
        for literal in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://10.1.2.3/",
        ] {
            assert!(matches!(check_url(literal, public), Err(Refusal::Address { .. })), "{literal}");
            assert!(check_url(literal, AddressPolicy::AllowPrivate).is_ok(), "{literal} with private allowed");
        }
        assert!(check_url("http://8.8.8.8/", public).is_ok());
        assert!(matches!(check_url("http://0.0.0.0/", AddressPolicy::AllowPrivate), Err(Refusal::Address { .. })));
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn content_types() {
        assert!(is_json_type("application/activity+json"));
        assert!(is_json_type("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""));
        assert!(is_json_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_type("text/html"));
        assert!(is_html_type("text/html; charset=utf-8"));
        assert!(!is_html_type("image/png"));
    }
}
