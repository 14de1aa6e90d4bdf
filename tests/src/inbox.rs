//! Mock remote inboxes for delivery tests and the fan-out benchmark: N
//! distinct hosts (`inbox-{i}.test`) on several loopback addresses, served
//! by one actix server with one listener each. Every request's draft-cavage
//! signature is verified for real (`core::signatures::parse` + `verify`
//! against the sender's public key) before it is answered; how each host
//! answers is the test's choice ([`Answer`]). Counts per host tell tests
//! exactly what arrived.
//!
//! Also [`RawPeer`]: loopback listeners that misbehave below HTTP (never
//! answer, answer garbage, refuse connections).

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kereru_core::signatures::{self, RequestParts, VerifyPolicy, VerifyingKey};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// How one host answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer { status, retry_after: None, location: None, delay: Duration::ZERO }
    }

    pub fn after(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }

    pub fn retry_after(mut self, value: &str) -> Answer {
        self.retry_after = Some(value.to_string());
        self
    }

    pub fn location(mut self, value: &str) -> Answer {
        self.location = Some(value.to_string());
        self
    }
}

/// Chooses the answer from the host's index and the number of requests
/// that host received before this one (0 for the first).
pub type Behaviour = Arc<dyn Fn(usize, u64) -> Answer + Send + Sync>;

/// What one host saw.
#[derive(Debug, Default)]
pub struct HostCounts {
    /// Every request that reached the handler.
    pub requests: AtomicU64,
    /// Requests whose signature verified.
    pub verified: AtomicU64,
    /// Requests answered 2xx.
    pub accepted: AtomicU64,
}

struct State {
    counts: Vec<HostCounts>,
    keys: RwLock<HashMap<String, VerifyingKey>>,
    behaviour: Behaviour,
    bad_signatures: AtomicU64,
    last_accepted: Mutex<Option<Instant>>,
}

/// N mock inbox hosts.
pub struct MockInboxes {
    /// `inbox-{i}.test` → its listener, for `FetchSettings::resolve` or
    /// `[federation.resolve]`.
    pub resolve: HashMap<String, SocketAddr>,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl MockInboxes {
    /// Starts `n` hosts spread over `addresses` loopback addresses
    /// (127.0.0.10, .11, ...), each on a port of its own.
    pub fn start(n: usize, addresses: u8, workers: usize, behaviour: Behaviour) -> MockInboxes {
        let state = Arc::new(State {
            counts: (0..n).map(|_| HostCounts::default()).collect(),
            keys: RwLock::new(HashMap::new()),
            behaviour,
            bad_signatures: AtomicU64::new(0),
            last_accepted: Mutex::new(None),
        });
        let shared = web::Data::from(Arc::clone(&state));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::PayloadConfig::new(1024 * 1024))
                .default_service(web::to(handle))
        })
        .workers(workers.max(1))
        .backlog(4096)
        .disable_signals();
        let mut resolve = HashMap::new();
        for i in 0..n {
            let last = 10 + u8::try_from(i % usize::from(addresses.max(1))).unwrap_or(0);
            let listener = TcpListener::bind((Ipv4Addr::new(127, 0, 0, last), 0))
                .unwrap_or_else(|e| panic!("bind inbox {i} on 127.0.0.{last}: {e}"));
            let addr = listener.local_addr().unwrap_or_else(|e| panic!("local address: {e}"));
            server = server.listen(listener).unwrap_or_else(|e| panic!("listen inbox {i}: {e}"));
            resolve.insert(Self::host(i), addr);
        }
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        MockInboxes { resolve, state, handle }
    }

    pub fn host(i: usize) -> String {
        format!("inbox-{i}.test")
    }

    /// The inbox URL of host `i` (a shared inbox, as Mastodon's).
    pub fn inbox(i: usize) -> String {
        format!("http://{}/inbox", Self::host(i))
    }

    pub fn len(&self) -> usize {
        self.state.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.state.counts.is_empty()
    }

    /// Accept signatures by `key_id` made with the key in `public_key_pem`.
    pub fn trust(&self, key_id: &str, public_key_pem: &str) {
        let key = VerifyingKey::from_pem(public_key_pem).unwrap_or_else(|e| panic!("public key: {e}"));
        self.state.keys.write().unwrap_or_else(|p| p.into_inner()).insert(key_id.to_string(), key);
    }

    pub fn counts(&self, i: usize) -> &HostCounts {
        &self.state.counts[i]
    }

    pub fn requests(&self, i: usize) -> u64 {
        self.state.counts[i].requests.load(Ordering::SeqCst)
    }

    pub fn accepted(&self, i: usize) -> u64 {
        self.state.counts[i].accepted.load(Ordering::SeqCst)
    }

    pub fn total(&self, pick: impl Fn(&HostCounts) -> &AtomicU64) -> u64 {
        self.state.counts.iter().map(|c| pick(c).load(Ordering::SeqCst)).sum()
    }

    /// Hosts that accepted at least one delivery.
    pub fn hosts_accepted(&self) -> usize {
        self.state.counts.iter().filter(|c| c.accepted.load(Ordering::SeqCst) > 0).count()
    }

    pub fn bad_signatures(&self) -> u64 {
        self.state.bad_signatures.load(Ordering::SeqCst)
    }

    /// When the latest 2xx was answered.
    pub fn last_accepted(&self) -> Option<Instant> {
        *self.state.last_accepted.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn handle(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let host_header = request.headers().get("host").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let name = host_header.split(':').next().unwrap_or_default();
    let Some(index) =
        name.strip_prefix("inbox-").and_then(|r| r.strip_suffix(".test")).and_then(|i| i.parse::<usize>().ok())
    else {
        return HttpResponse::NotFound().finish();
    };
    let Some(counts) = state.counts.get(index) else {
        return HttpResponse::NotFound().finish();
    };
    let before = counts.requests.fetch_add(1, Ordering::SeqCst);
    if !verify(&request, &host_header, &body, &state) {
        state.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Unauthorized().body("bad signature");
    }
    counts.verified.fetch_add(1, Ordering::SeqCst);
    let answer = (state.behaviour)(index, before);
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let status = actix_web::http::StatusCode::from_u16(answer.status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if let Some(value) = &answer.retry_after {
        response.insert_header(("Retry-After", value.as_str()));
    }
    if let Some(value) = &answer.location {
        response.insert_header(("Location", value.as_str()));
    }
    if status.is_success() {
        counts.accepted.fetch_add(1, Ordering::SeqCst);
        *state.last_accepted.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }
    response.finish()
}

fn verify(request: &HttpRequest, host: &str, body: &[u8], state: &State) -> bool {
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str().to_string(), v.to_string())))
        .collect();
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let parts = RequestParts {
        method: request.method().as_str(),
        scheme: "http",
        authority: host,
        path_and_query,
        headers: &pairs,
        body,
    };
    let Ok(parsed) = signatures::parse(&parts) else { return false };
    if parsed.scheme() != signatures::Scheme::Cavage {
        return false;
    }
    let keys = state.keys.read().unwrap_or_else(|p| p.into_inner());
    let Some(key) = keys.get(parsed.key_id()) else { return false };
    parsed.verify(&parts, key, SystemTime::now(), &VerifyPolicy::default()).is_ok()
}

/// A loopback peer that misbehaves below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// Accepts and reads, never answers.
    Silent,
    /// Answers bytes that are not HTTP, then closes.
    Garbage,
    /// Nothing listens on the port (bound, then closed).
    Refusing,
}

pub struct RawPeer {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicU64>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RawPeer {
    pub async fn start(kind: RawKind) -> RawPeer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("local address: {e}"));
        let connections = Arc::new(AtomicU64::new(0));
        if kind == RawKind::Refusing {
            drop(listener);
            return RawPeer { addr, connections, task: None };
        }
        let seen = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut stream, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    match kind {
                        RawKind::Garbage => {
                            let _ = stream.read(&mut buf).await;
                            let _ = stream.write_all(b"\x00\xffNOT HTTP AT ALL\r\n\r\n\x01\x02").await;
                        }
                        _ => while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {},
                    }
                });
            }
        });
        RawPeer { addr, connections, task: Some(task) }
    }
}

impl Drop for RawPeer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
