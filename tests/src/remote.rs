//! A stand-in for remote servers: one loopback listener that answers for
//! any host name the app's outbound client maps to it (`fetch.resolve`),
//! serving the ActivityPub documents a test put there and counting every
//! request by host and path, so a test can say exactly what Kererū fetched.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kereru_core::keys::generate_rsa_keypair;
use kereru_core::signatures::Signer;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Served {
    /// `host/path` → document.
    documents: HashMap<String, Value>,
    /// `host/path` → requests seen.
    requests: HashMap<String, u64>,
    /// `host/path` → how long to wait before answering.
    delays: HashMap<String, std::time::Duration>,
}

pub struct RemoteServer {
    pub addr: SocketAddr,
    served: Arc<Mutex<Served>>,
    handle: actix_web::dev::ServerHandle,
}

fn lock(served: &Mutex<Served>) -> std::sync::MutexGuard<'_, Served> {
    served.lock().unwrap_or_else(|p| p.into_inner())
}

impl RemoteServer {
    pub async fn start() -> RemoteServer {
        let served = Arc::new(Mutex::new(Served::default()));
        let shared = Arc::clone(&served);
        let server = HttpServer::new(move || {
            let served = Arc::clone(&shared);
            App::new().default_service(web::to(move |req: HttpRequest| {
                let host = req.connection_info().host().split(':').next().unwrap_or_default().to_string();
                let key = format!("{host}{}", req.path());
                let (found, delay) = {
                    let mut served = lock(&served);
                    *served.requests.entry(key.clone()).or_default() += 1;
                    (served.documents.get(&key).cloned(), served.delays.get(&key).copied())
                };
                async move {
                    if let Some(delay) = delay {
                        tokio::time::sleep(delay).await;
                    }
                    match found {
                        Some(doc) => HttpResponse::Ok().content_type("application/activity+json").body(doc.to_string()),
                        None => HttpResponse::NotFound().finish(),
                    }
                }
            }))
        })
        .workers(2)
        .backlog(2048)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("bind the remote stand-in: {e}"));
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        RemoteServer { addr, served, handle }
    }

    /// Serves `document` at `http://{host}{path}`.
    pub fn put(&self, host: &str, path: &str, document: Value) {
        lock(&self.served).documents.insert(format!("{host}{path}"), document);
    }

    /// Answers requests for `host` + `path` only after `delay` (a slow server).
    pub fn delay(&self, host: &str, path: &str, delay: std::time::Duration) {
        lock(&self.served).delays.insert(format!("{host}{path}"), delay);
    }

    /// Requests seen for `host` + `path`.
    pub fn requests(&self, host: &str, path: &str) -> u64 {
        lock(&self.served).requests.get(&format!("{host}{path}")).copied().unwrap_or(0)
    }

    /// Requests seen for any path of `host`.
    pub fn requests_to_host(&self, host: &str) -> u64 {
        let prefix = format!("{host}/");
        lock(&self.served).requests.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(_, n)| n).sum()
    }

    /// Publishes a new actor `name` on `host` with a fresh key pair.
    pub fn actor(&self, host: &str, name: &str) -> RemoteActor {
        let actor = RemoteActor::generate(host, name);
        self.publish(&actor);
        actor
    }

    /// (Re)publishes `actor`'s document, with its current key.
    pub fn publish(&self, actor: &RemoteActor) {
        let path = actor.id.split_once(&actor.host).map(|(_, p)| p.to_string()).unwrap_or_default();
        self.put(&actor.host, &path, actor.document());
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// A signer for `key_id` with a fresh key pair that no document publishes
/// (a forger's, or one whose key server never answers).
pub fn fresh_signer(key_id: &str) -> Arc<Signer> {
    let pair = generate_rsa_keypair(2048).unwrap_or_else(|e| panic!("key pair: {e}"));
    Arc::new(Signer::from_rsa_pkcs8_der(key_id, &pair.private_pkcs8_der).unwrap_or_else(|e| panic!("signer: {e}")))
}

/// A remote actor with its key pair.
#[derive(Clone)]
pub struct RemoteActor {
    pub host: String,
    pub name: String,
    pub id: String,
    pub public_pem: String,
    pub signer: Arc<Signer>,
}

impl RemoteActor {
    pub fn generate(host: &str, name: &str) -> RemoteActor {
        let pair = generate_rsa_keypair(2048).unwrap_or_else(|e| panic!("key pair: {e}"));
        let id = format!("http://{host}/users/{name}");
        let signer = Signer::from_rsa_pkcs8_der(format!("{id}#main-key"), &pair.private_pkcs8_der)
            .unwrap_or_else(|e| panic!("signer: {e}"));
        RemoteActor { host: host.into(), name: name.into(), id, public_pem: pair.public_pem, signer: Arc::new(signer) }
    }

    /// The same actor with a new key pair under the same key id (a rotation).
    pub fn rotated(&self) -> RemoteActor {
        RemoteActor::generate(&self.host, &self.name)
    }

    /// The actor document, as Mastodon publishes one.
    pub fn document(&self) -> Value {
        let id = &self.id;
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": self.name,
            "inbox": format!("{id}/inbox"), "followers": format!("{id}/followers"),
            "endpoints": {"sharedInbox": format!("http://{}/inbox", self.host)},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": self.public_pem},
        })
    }
}
