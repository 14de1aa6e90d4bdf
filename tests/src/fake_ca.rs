//! A CA that misbehaves, on loopback HTTPS (a root of our own, for
//! `[acme] extra_root`): enough of an ACME server to show how Kererū copes
//! with one that rejects every nonce, answers garbage or 500s, and — since
//! Debian's Pebble 2.4 has no ACME Renewal Information — one that offers
//! renewal windows (RFC 9773) and records the orders it is sent, then
//! refuses them.

use base64::Engine;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Every POST gets a `badNonce` problem (with a fresh nonce, as RFC 8555 asks).
    BadNonce,
    /// The directory is an HTML page.
    Garbage,
    /// The directory is fine; everything else answers 500 with a text body.
    ServerError,
    /// The first attempt of every POST gets `badNonce`, the retry is answered
    /// as by [`Behaviour::RenewalInfo`].
    FirstNonceBad,
    /// A directory with `renewalInfo`: windows from [`FakeCa::set_window`],
    /// accounts accepted, orders recorded and refused with `serverInternal`.
    RenewalInfo,
}

#[derive(Default)]
struct Seen {
    /// `METHOD /path` of every request, in order.
    requests: Vec<String>,
    /// The decoded JWS payloads of new-order requests.
    new_orders: Vec<serde_json::Value>,
    posts: usize,
}

struct State {
    behaviour: Behaviour,
    base: String,
    seen: Mutex<Seen>,
    /// ARI certificate id → (start, end) in RFC 3339.
    windows: Mutex<HashMap<String, (String, String)>>,
}

pub struct FakeCa {
    /// `https://127.0.0.1:PORT/dir`
    pub directory: String,
    /// The root to trust for it (`[acme] extra_root`).
    pub root: PathBuf,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
    dir: PathBuf,
}

impl FakeCa {
    pub async fn start(behaviour: Behaviour) -> FakeCa {
        use actix_web::{App, HttpServer, web};
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        crate::install_crypto_provider();
        let dir = crate::scratch_dir("fake-ca");
        let (root_pem, leaf_pem, key_pem) = crate::pebble::listener_certificates();
        let root = dir.join("root.pem");
        std::fs::write(&root, &root_pem).unwrap_or_else(|e| panic!("write: {e}"));
        let chain = vec![CertificateDer::from_pem_slice(leaf_pem.as_bytes()).unwrap_or_else(|e| panic!("pem: {e}"))];
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap_or_else(|e| panic!("pem: {e}"));
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap_or_else(|e| panic!("tls: {e}"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        let state = Arc::new(State {
            behaviour,
            base: format!("https://{addr}"),
            seen: Mutex::new(Seen::default()),
            windows: Mutex::new(HashMap::new()),
        });
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || App::new().app_data(shared.clone()).default_service(web::to(answer)))
            .workers(1)
            .disable_signals()
            .listen_rustls_0_23(listener, config)
            .unwrap_or_else(|e| panic!("listen: {e}"))
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeCa { directory: format!("https://{addr}/dir"), root, state, handle, dir }
    }

    /// Makes the renewal information for certificate `id` suggest `start..end`.
    pub fn set_window(&self, id: &str, start: chrono::DateTime<chrono::Utc>, end: chrono::DateTime<chrono::Utc>) {
        let rfc3339 = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.lock_windows().insert(id.to_string(), (rfc3339(start), rfc3339(end)));
    }

    /// `METHOD /path` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.seen.lock().unwrap_or_else(|e| e.into_inner()).requests.clone()
    }

    /// The payloads of the new-order requests so far.
    pub fn new_orders(&self) -> Vec<serde_json::Value> {
        self.state.seen.lock().unwrap_or_else(|e| e.into_inner()).new_orders.clone()
    }

    fn lock_windows(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, String)>> {
        self.state.windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nonce() -> String {
    format!("nonce-{:016x}", rand::random::<u64>())
}

fn problem(status: actix_web::http::StatusCode, kind: &str, detail: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .insert_header(("Replay-Nonce", nonce()))
        .content_type("application/problem+json")
        .body(
            serde_json::json!({ "type": format!("urn:ietf:params:acme:error:{kind}"), "detail": detail, "status": status.as_u16() })
                .to_string(),
        )
}

/// The JSON payload of a flattened JWS body, if it is one.
fn jws_payload(body: &[u8]) -> Option<serde_json::Value> {
    let jws: serde_json::Value = serde_json::from_slice(body).ok()?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jws["payload"].as_str()?).ok()?;
    serde_json::from_slice(&payload).ok()
}

async fn answer(
    state: actix_web::web::Data<State>,
    request: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
) -> actix_web::HttpResponse {
    use actix_web::HttpResponse;
    use actix_web::http::{Method, StatusCode};
    let path = request.path().to_string();
    let method = request.method().clone();
    let first_attempt = {
        let mut seen = state.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.requests.push(format!("{method} {path}"));
        if method == Method::POST {
            seen.posts += 1;
        }
        if method == Method::POST && path == "/order" {
            seen.new_orders.push(jws_payload(&body).unwrap_or(serde_json::Value::Null));
        }
        seen.posts % 2 == 1
    };
    let base = &state.base;
    match (state.behaviour, &method, path.as_str()) {
        (Behaviour::Garbage, _, _) => {
            HttpResponse::Ok().content_type("text/html").body("<html><body>Under construction</body></html>")
        }
        (_, &Method::GET, "/dir") => {
            let mut directory = serde_json::json!({
                "newNonce": format!("{base}/nonce"),
                "newAccount": format!("{base}/account"),
                "newOrder": format!("{base}/order"),
            });
            if state.behaviour == Behaviour::RenewalInfo {
                directory["renewalInfo"] = serde_json::json!(format!("{base}/ari"));
            }
            HttpResponse::Ok().content_type("application/json").body(directory.to_string())
        }
        (Behaviour::ServerError, _, _) => {
            HttpResponse::InternalServerError().content_type("text/plain").body("Internal Server Error")
        }
        (_, _, "/nonce") => HttpResponse::Ok().insert_header(("Replay-Nonce", nonce())).finish(),
        (Behaviour::BadNonce, &Method::POST, _) => {
            problem(StatusCode::BAD_REQUEST, "badNonce", "fake CA: every nonce is bad")
        }
        (Behaviour::FirstNonceBad, &Method::POST, _) if first_attempt => {
            problem(StatusCode::BAD_REQUEST, "badNonce", "fake CA: the first nonce is always bad")
        }
        (Behaviour::RenewalInfo, &Method::GET, ari) if ari.starts_with("/ari/") => {
            let id = &ari["/ari/".len()..];
            let window = state.windows.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned();
            match window {
                Some((start, end)) => HttpResponse::Ok()
                    .insert_header(("Retry-After", "21600"))
                    .content_type("application/json")
                    .body(serde_json::json!({ "suggestedWindow": { "start": start, "end": end } }).to_string()),
                None => problem(StatusCode::NOT_FOUND, "malformed", "fake CA: no such certificate"),
            }
        }
        (Behaviour::RenewalInfo | Behaviour::FirstNonceBad, &Method::POST, "/account") => HttpResponse::Created()
            .insert_header(("Replay-Nonce", nonce()))
            .insert_header(("Location", format!("{base}/acct/1")))
            .content_type("application/json")
            .body(r#"{"status":"valid"}"#),
        (Behaviour::RenewalInfo | Behaviour::FirstNonceBad, &Method::POST, "/order") => {
            problem(StatusCode::INTERNAL_SERVER_ERROR, "serverInternal", "fake CA: no orders today")
        }
        _ => problem(StatusCode::NOT_FOUND, "malformed", "fake CA: no such resource"),
    }
}
