//! Helpers shared by the end-to-end tests in this directory.

#![allow(dead_code)]

use kereru_core::{HostName, Username};
use kereru_store::accounts::{self, Account, NewLocalAccount};
use kereru_store::domains::{self, Domain, DomainState, NewDomain, Registrations};
use kereru_store::Pool;
use std::path::PathBuf;

/// An active tenant with open registrations.
pub fn new_domain(host: &str, service_host: Option<&str>) -> NewDomain {
    NewDomain {
        account_host: HostName::parse(host).unwrap(),
        service_host: service_host.map(|h| HostName::parse(h).unwrap()),
        state: DomainState::Active,
        registrations: Registrations::Open,
        name: None,
        owner_email: None,
    }
}

pub async fn add_domain(pool: &Pool, host: &str, service_host: Option<&str>) -> Domain {
    let mut conn = pool.get().await.unwrap();
    domains::create(&mut conn, new_domain(host, service_host)).await.unwrap()
}

pub async fn add_user(pool: &Pool, domain: &Domain, username: &str) -> Account {
    let mut conn = pool.get().await.unwrap();
    accounts::create_local(
        &mut conn,
        domain.id,
        NewLocalAccount {
            username: Username::parse(username).unwrap(),
            email: format!("{username}@mail.example"),
            password: "a long enough password".into(),
            admin: false,
        },
    )
    .await
    .unwrap()
}

/// A document from the shared fixtures (`../shared/fixtures` beside the repository).
pub fn fixture(path: &str) -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    let text = std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Sends raw bytes and returns the status code of the answer, for requests
/// an HTTP client library refuses to make (bad Host headers, lying lengths).
pub async fn raw_status(addr: std::net::SocketAddr, request: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let mut read = 0;
    // Enough for the status line; bounded by the buffer and the timeout.
    while read < 12 {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf[read..]))
            .await
            .expect("no answer within 10 s")
            .unwrap();
        if n == 0 {
            break;
        }
        read += n;
    }
    let head = String::from_utf8_lossy(&buf[..read]);
    head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no status line in {head:?}"))
}
