//! A client logged in as one account, with short helpers for the client API.

use crate::TestApp;
use crate::oauth::{access_token, password_grant, register_app};
use crate::seed::PASSWORD;
use serde_json::Value;

/// A client for one account: registers an app on `host` and logs in with the
/// password grant (the test app enables it). Requests carry the token.
pub struct Session {
    pub client: reqwest::Client,
    pub host: String,
    pub token: String,
    pub account_id: String,
}

impl Session {
    pub async fn login(app: &TestApp, host: &str, username: &str) -> Session {
        let client = app.client();
        let scopes = "read write follow push";
        let registered = register_app(
            &client,
            host,
            &[("client_name", "tests"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)],
        )
        .await;
        let token = access_token(password_grant(&client, host, &registered, username, PASSWORD, scopes).await).await;
        let mut session = Session { client, host: host.to_string(), token, account_id: String::new() };
        let me = session.get_json("/api/v1/accounts/verify_credentials").await;
        session.account_id = me["id"].as_str().unwrap_or_else(|| panic!("no id in {me}")).to_string();
        session
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = self.url(path);
        self.client.get(&url).bearer_auth(&self.token).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = self.url(path);
        self.client
            .post(&url)
            .bearer_auth(&self.token)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    pub async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response = self.post(path, form).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_else(|e| panic!("POST {path}: {e}"));
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        let url = self.url(path);
        self.client.delete(&url).bearer_auth(&self.token).send().await.unwrap_or_else(|e| panic!("DELETE {url}: {e}"))
    }

    /// Posts a status; returns its id.
    pub async fn toot(&self, text: &str, visibility: &str) -> String {
        let body = self.post_json("/api/v1/statuses", &[("status", text), ("visibility", visibility)]).await;
        body["id"].as_str().unwrap_or_else(|| panic!("no id in {body}")).to_string()
    }

    /// The ids of a timeline page.
    pub async fn timeline_ids(&self, path: &str) -> Vec<String> {
        let page = self.get_json(path).await;
        let statuses = page.as_array().unwrap_or_else(|| panic!("not a page: {page}"));
        statuses.iter().map(|s| s["id"].as_str().unwrap_or_else(|| panic!("no id in {s}")).to_string()).collect()
    }
}
