//! Helpers shared by the end-to-end tests in this directory.

#![allow(dead_code)]

use kereru_core::{HostName, Username};
use kereru_store::Pool;
use kereru_store::accounts::{self, Account, NewLocalAccount};
use kereru_store::domains::{self, Domain, DomainState, NewDomain, Registrations};
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
            approved: true,
            signup_reason: None,
            locale: None,
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
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"))
}

/// A client for one account: registers an app on `host` and logs in with the
/// password grant (the test app enables it). Requests carry the token.
pub struct Session {
    pub client: reqwest::Client,
    pub host: String,
    pub token: String,
    pub account_id: String,
}

impl Session {
    pub async fn login(app: &kereru_tests::TestApp, host: &str, username: &str) -> Session {
        let client = app.client();
        let registered: serde_json::Value = client
            .post(app.url(host, "/api/v1/apps"))
            .form(&[
                ("client_name", "tests"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
                ("scopes", "read write follow push"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token: serde_json::Value = client
            .post(app.url(host, "/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", registered["client_id"].as_str().unwrap()),
                ("client_secret", registered["client_secret"].as_str().unwrap()),
                ("username", username),
                ("password", "a long enough password"),
                ("scope", "read write follow push"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string();
        let me: serde_json::Value = client
            .get(app.url(host, "/api/v1/accounts/verify_credentials"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Session { client, host: host.to_string(), token, account_id: me["id"].as_str().unwrap().to_string() }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(&self.token).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(&self.token).form(form).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> serde_json::Value {
        let response = self.post(path, form).await;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client.delete(self.url(path)).bearer_auth(&self.token).send().await.unwrap()
    }

    /// Posts a status; returns its id.
    pub async fn toot(&self, text: &str, visibility: &str) -> String {
        let body = self.post_json("/api/v1/statuses", &[("status", text), ("visibility", visibility)]).await;
        body["id"].as_str().unwrap().to_string()
    }

    /// The ids of a timeline page.
    pub async fn timeline_ids(&self, path: &str) -> Vec<String> {
        let page = self.get_json(path).await;
        page.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
    }
}
