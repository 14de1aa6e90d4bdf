//! The outbound client against real HTTP servers on 127.0.0.1, reached
//! through the resolve table as `peer.test` (never real DNS).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_core::signatures::{self, RequestParts, Signer, VerifyPolicy, VerifyingKey};
use kereru_delivery::http::{FetchError, FetchSettings, Fetcher, Refusal};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the peer received it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

enum Reply {
    Respond {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Reads the request and never answers.
    Silent,
    /// Declares a body of this length, sends none and holds the connection.
    DeclareLength(u64),
    /// Streams this many bytes of chunked body, counting what got written.
    Stream(u64),
}

fn json_reply(value: serde_json::Value) -> Reply {
    Reply::Respond {
        status: 200,
        headers: vec![("Content-Type", "application/activity+json".into())],
        body: value.to_string().into_bytes(),
    }
}

fn redirect(location: String) -> Reply {
    Reply::Respond { status: 302, headers: vec![("Location", location)], body: Vec::new() }
}

/// A tiny HTTP/1.1 server: one request per connection, then close.
struct Peer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    streamed: Arc<AtomicU64>,
    stream_ended: Arc<AtomicBool>,
}

type Handler = Arc<dyn Fn(&Seen, SocketAddr) -> Reply + Send + Sync>;

impl Peer {
    async fn start(handler: impl Fn(&Seen, SocketAddr) -> Reply + Send + Sync + 'static) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = Peer {
            addr,
            connections: Arc::default(),
            seen: Arc::default(),
            streamed: Arc::default(),
            stream_ended: Arc::default(),
        };
        let handler: Handler = Arc::new(handler);
        let (connections, seen, streamed, ended) =
            (peer.connections.clone(), peer.seen.clone(), peer.streamed.clone(), peer.stream_ended.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let (handler, seen, streamed, ended) = (handler.clone(), seen.clone(), streamed.clone(), ended.clone());
                tokio::spawn(async move { serve(stream, addr, handler, seen, streamed, ended).await });
            }
        });
        peer
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    addr: SocketAddr,
    handler: Handler,
    seen: Arc<Mutex<Vec<Seen>>>,
    streamed: Arc<AtomicU64>,
    ended: Arc<AtomicBool>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        assert!(head.len() < 64 * 1024, "request head too large");
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line.split(' ').nth(1).unwrap_or_default().to_string();
    let headers = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let request = Seen { path, headers };
    seen.lock().unwrap().push(request.clone());
    match handler(&request, addr) {
        Reply::Respond { status, headers, body } => {
            let mut response =
                format!("HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
            for (name, value) in headers {
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            response.push_str("\r\n");
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Reply::Silent => std::future::pending::<()>().await,
        Reply::DeclareLength(length) => {
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nContent-Length: {length}\r\n\r\n"
            );
            let _ = stream.write_all(response.as_bytes()).await;
            std::future::pending::<()>().await;
        }
        Reply::Stream(total) => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_ok() {
                let chunk = vec![b' '; 64 * 1024];
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                let mut written = 0;
                while written < total {
                    if stream.write_all(&framed).await.is_err() {
                        break;
                    }
                    written += chunk.len() as u64;
                    streamed.store(written, Ordering::SeqCst);
                }
                if written >= total {
                    let _ = stream.write_all(b"0\r\n\r\n").await;
                }
            }
            ended.store(true, Ordering::SeqCst);
        }
    }
}

fn settings(allow_private: bool, peer: &Peer) -> FetchSettings {
    FetchSettings {
        allow_private_addresses: allow_private,
        resolve: [("peer.test".to_string(), peer.addr)].into(),
        system_dns: false,
        timeout: Duration::from_secs(10),
        ..FetchSettings::default()
    }
}

fn fetcher(allow_private: bool, peer: &Peer) -> Fetcher {
    Fetcher::new(&settings(allow_private, peer)).unwrap()
}

/// Serves `/hop/N` as a chain of N redirects ending in a JSON document.
fn hops(request: &Seen, _: SocketAddr) -> Reply {
    let path = request.path.split('?').next().unwrap_or_default();
    match path.strip_prefix("/hop/").and_then(|n| n.parse::<u32>().ok()) {
        Some(0) => json_reply(json!({"type": "Note", "id": "http://peer.test/hop/0"})),
        // Relative and absolute Location headers both occur in the wild.
        Some(n) if n % 2 == 0 => redirect(format!("/hop/{}", n - 1)),
        Some(n) => redirect(format!("http://peer.test/hop/{}", n - 1)),
        None => Reply::Respond { status: 404, headers: vec![], body: b"not found".to_vec() },
    }
}

#[tokio::test]
async fn the_resolve_table_routes_a_name_to_the_peer() {
    let peer = Peer::start(hops).await;
    let fetched = fetcher(true, &peer).get_activity_json("http://peer.test/hop/0", None).await.unwrap();
    assert_eq!(fetched.body["type"], "Note");
    assert_eq!(fetched.url.as_str(), "http://peer.test/hop/0");
    let seen = peer.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("host"), Some("peer.test"), "the name, not the address, goes out as Host");
    assert_eq!(
        seen[0].header("accept"),
        Some("application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
    );
    assert!(seen[0].header("user-agent").is_some_and(|ua| ua.starts_with("Kereru/")));
    assert!(seen[0].header("signature").is_none(), "unsigned without a signer");
}

#[tokio::test]
async fn private_addresses_are_refused_before_any_connection() {
    let peer = Peer::start(hops).await;
    let settings = settings(false, &peer);
    let counters = settings.counters.clone();
    let fetcher = Fetcher::new(&settings).unwrap();

    let by_name = fetcher.get_activity_json("http://peer.test/hop/0", None).await;
    assert!(
        matches!(&by_name, Err(FetchError::Refused(Refusal::Address { host, ip })) if host == "peer.test" && ip.is_loopback()),
        "{by_name:?}"
    );
    let literal = format!("http://127.0.0.1:{}/hop/0", peer.addr.port());
    let by_literal = fetcher.get_activity_json(&literal, None).await;
    assert!(matches!(by_literal, Err(FetchError::Refused(Refusal::Address { .. }))), "{by_literal:?}");
    let mapped = format!("http://[::ffff:127.0.0.1]:{}/hop/0", peer.addr.port());
    assert!(matches!(fetcher.get_html(&mapped, 1024).await, Err(FetchError::Refused(_))));
    assert!(matches!(
        fetcher.get_html("http://elsewhere.test/", 1024).await,
        Err(FetchError::Refused(Refusal::NotResolvable(_)))
    ));
    assert_eq!(peer.connections(), 0, "the peer saw nothing");
    assert_eq!(counters.refused(), 4);

    // The same requests go through once private addresses are allowed.
    let allowed = self::fetcher(true, &peer);
    assert!(allowed.get_activity_json("http://peer.test/hop/0", None).await.is_ok());
    assert!(allowed.get_activity_json(&literal, None).await.is_ok());
    assert_eq!(peer.connections(), 2);
}

#[tokio::test]
async fn redirects_are_followed_up_to_three() {
    let peer = Peer::start(hops).await;
    let fetcher = fetcher(true, &peer);
    let two = fetcher.get_activity_json("http://peer.test/hop/2", None).await.unwrap();
    assert_eq!(two.url.as_str(), "http://peer.test/hop/0", "the final URL is reported");
    assert_eq!(peer.seen().len(), 3);
    assert!(fetcher.get_activity_json("http://peer.test/hop/3", None).await.is_ok());
    assert_eq!(peer.seen().len(), 7);

    let four = fetcher.get_activity_json("http://peer.test/hop/4", None).await;
    assert!(matches!(four, Err(FetchError::Redirects)), "{four:?}");
    let paths: Vec<String> = peer.seen().into_iter().skip(7).map(|s| s.path).collect();
    assert_eq!(paths, ["/hop/4", "/hop/3", "/hop/2", "/hop/1"], "the fourth redirect is not followed");
}

#[tokio::test]
async fn a_redirect_to_a_refused_destination_is_refused() {
    let peer = Peer::start(|request: &Seen, addr: SocketAddr| match request.path.as_str() {
        // 0.0.0.0 would reach this very listener on Linux.
        "/to-unspecified" => redirect(format!("http://0.0.0.0:{}/hop/0", addr.port())),
        "/to-unmapped" => redirect("http://elsewhere.test/hop/0".into()),
        "/to-file" => redirect("file:///etc/passwd".into()),
        "/to-zero-name" => redirect("http://zero.test/hop/0".into()),
        _ => hops(request, addr),
    })
    .await;
    let mut settings = settings(true, &peer);
    settings.resolve.insert("zero.test".into(), SocketAddr::from(([0, 0, 0, 0], peer.addr.port())));
    let fetcher = Fetcher::new(&settings).unwrap();
    for (path, expected) in [
        ("/to-unspecified", "Address"),
        ("/to-unmapped", "NotResolvable"),
        ("/to-file", "Scheme"),
        ("/to-zero-name", "Address"),
    ] {
        let result = fetcher.get_activity_json(&format!("http://peer.test{path}"), None).await;
        let refusal = match result {
            Err(FetchError::Refused(refusal)) => refusal,
            other => panic!("{path}: {other:?}"),
        };
        assert!(format!("{refusal:?}").starts_with(expected), "{path}: {refusal:?}");
    }
    assert_eq!(peer.connections(), 4, "only the first hops reached the peer");
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_without_reading_them() {
    let peer = Peer::start(|request: &Seen, addr: SocketAddr| match request.path.as_str() {
        "/declared" => Reply::DeclareLength(10 * 1024 * 1024),
        "/stream" => Reply::Stream(256 * 1024 * 1024),
        "/small" => json_reply(json!({"a": "x".repeat(2000)})),
        _ => hops(request, addr),
    })
    .await;
    let fetcher = fetcher(true, &peer);

    let started = Instant::now();
    let declared = fetcher.get_activity_json("http://peer.test/declared", None).await;
    assert!(matches!(declared, Err(FetchError::TooLarge { limit: 1_048_576 })), "{declared:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused on the declared length, not after waiting for the body"
    );

    let streamed = fetcher.get_activity_json("http://peer.test/stream", None).await;
    assert!(matches!(streamed, Err(FetchError::TooLarge { .. })), "{streamed:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !peer.stream_ended.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the peer kept writing: the client did not hang up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let written = peer.streamed.load(Ordering::SeqCst);
    assert!(written < 64 * 1024 * 1024, "the client stopped reading early, the peer wrote only {written} bytes");

    // A per-call cap.
    let small = fetcher.get_activity_json_limited("http://peer.test/small", None, 1000).await;
    assert!(matches!(small, Err(FetchError::TooLarge { limit: 1000 })), "{small:?}");
    assert!(fetcher.get_activity_json_limited("http://peer.test/small", None, 3000).await.is_ok());
}

#[tokio::test]
async fn a_peer_that_never_answers_times_out_within_the_bound() {
    let peer = Peer::start(|_: &Seen, _| Reply::Silent).await;
    let mut settings = settings(true, &peer);
    settings.timeout = Duration::from_millis(800);
    let fetcher = Fetcher::new(&settings).unwrap();
    let started = Instant::now();
    let result = fetcher.get_activity_json("http://peer.test/slow", None).await;
    let elapsed = started.elapsed();
    assert!(matches!(result, Err(FetchError::Timeout)), "{result:?}");
    assert!(elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(peer.connections(), 1);
}

#[tokio::test]
async fn statuses_and_types_are_typed_errors() {
    let peer = Peer::start(|request: &Seen, addr: SocketAddr| match request.path.as_str() {
        "/html" => Reply::Respond {
            status: 200,
            headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
            body: b"<p>hi</p>".to_vec(),
        },
        "/broken" => Reply::Respond {
            status: 200,
            headers: vec![("Content-Type", "application/activity+json".into())],
            body: b"{not json".to_vec(),
        },
        "/gone" => Reply::Respond { status: 410, headers: vec![], body: vec![] },
        "/nowhere" => Reply::Respond { status: 302, headers: vec![], body: vec![] },
        _ => hops(request, addr),
    })
    .await;
    let fetcher = fetcher(true, &peer);
    assert!(matches!(fetcher.get_activity_json("http://peer.test/html", None).await, Err(FetchError::NotJson)));
    assert!(matches!(fetcher.get_activity_json("http://peer.test/broken", None).await, Err(FetchError::NotJson)));
    assert!(matches!(fetcher.get_activity_json("http://peer.test/gone", None).await, Err(FetchError::Status(410))));
    assert!(matches!(fetcher.get_activity_json("http://peer.test/nowhere", None).await, Err(FetchError::Status(302))));
    let page = fetcher.get_html("http://peer.test/html", 1024).await.unwrap();
    assert_eq!(page.body, "<p>hi</p>");
    assert!(matches!(fetcher.get_html("http://peer.test/hop/0", 1024).await, Err(FetchError::NotHtml)));
    assert_eq!(peer.seen().last().unwrap().header("accept"), Some("text/html, application/xhtml+xml"));
}

#[tokio::test]
async fn signed_gets_verify_with_the_signers_public_key() {
    let peer = Peer::start(hops).await;
    let fetcher = fetcher(true, &peer);
    let pair = kereru_core::keys::generate_rsa_keypair(2048).unwrap();
    let key_id = "http://a.test/users/alice#main-key";
    let signer = Signer::from_rsa_pkcs8_der(key_id, &pair.private_pkcs8_der).unwrap();

    // Through a redirect: each hop is signed for its own target.
    let fetched = fetcher.get_activity_json("http://peer.test/hop/1?page=true", Some(&signer)).await.unwrap();
    assert_eq!(fetched.body["type"], "Note");
    let seen = peer.seen();
    assert_eq!(seen.len(), 2);
    let key = VerifyingKey::from_pem(&pair.public_pem).unwrap();
    for request in &seen {
        let headers: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let parts = RequestParts {
            method: "GET",
            scheme: "http",
            authority: request.header("host").unwrap(),
            path_and_query: &request.path,
            headers: &headers,
            body: &[],
        };
        let parsed = signatures::parse(&parts).unwrap_or_else(|e| panic!("{}: {e}", request.path));
        assert_eq!(parsed.key_id(), key_id);
        parsed.verify(&parts, &key, SystemTime::now(), &VerifyPolicy::default()).unwrap();
        let signature = request.header("signature").unwrap();
        assert!(signature.contains("headers=\"(request-target) host date accept\""), "{signature}");

        // The same signature does not verify for another path.
        let moved = RequestParts { path_and_query: "/hop/9", ..parts };
        assert!(parsed.verify(&moved, &key, SystemTime::now(), &VerifyPolicy::default()).is_err());
    }
    assert_eq!(seen[0].path, "/hop/1?page=true");
    assert_eq!(seen[1].path, "/hop/0");

    // A key that is not the signer's does not verify.
    let other = kereru_core::keys::generate_rsa_keypair(2048).unwrap();
    let other_key = VerifyingKey::from_pem(&other.public_pem).unwrap();
    let request = &seen[1];
    let headers: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let parts = RequestParts {
        method: "GET",
        scheme: "http",
        authority: "peer.test",
        path_and_query: &request.path,
        headers: &headers,
        body: &[],
    };
    let parsed = signatures::parse(&parts).unwrap();
    assert!(parsed.verify(&parts, &other_key, SystemTime::now(), &VerifyPolicy::default()).is_err());
}
