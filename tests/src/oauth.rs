//! Getting tokens the way a client app does: register an app, then ask
//! `/oauth/token` for a grant. Hosts are reached as `http://HOST`, which
//! [`crate::TestApp::client`] sends to the app.

use reqwest::Client;
use serde_json::Value;

/// `POST /api/v1/apps` on `host` with `form` (client_name, redirect_uris,
/// scopes, ...), which must answer 200: the registered app (client_id,
/// client_secret, ...).
pub async fn register_app(client: &Client, host: &str, form: &[(&str, &str)]) -> Value {
    let response = client
        .post(format!("http://{host}/api/v1/apps"))
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /api/v1/apps on {host}: {e}"));
    assert_eq!(response.status(), reqwest::StatusCode::OK, "POST /api/v1/apps on {host}");
    response.json().await.unwrap_or_else(|e| panic!("POST /api/v1/apps on {host}: {e}"))
}

fn client_field<'a>(registered: &'a Value, field: &str) -> &'a str {
    registered[field].as_str().unwrap_or_else(|| panic!("no {field} in {registered}"))
}

/// The password grant for `registered`, as `username` with `password`.
pub async fn password_grant(
    client: &Client,
    host: &str,
    registered: &Value,
    username: &str,
    password: &str,
    scope: &str,
) -> reqwest::Response {
    client
        .post(format!("http://{host}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client_field(registered, "client_id")),
            ("client_secret", client_field(registered, "client_secret")),
            ("username", username),
            ("password", password),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /oauth/token on {host}: {e}"))
}

/// The client credentials grant for `registered`: an app token, no user.
pub async fn client_credentials_grant(
    client: &Client,
    host: &str,
    registered: &Value,
    scope: &str,
) -> reqwest::Response {
    client
        .post(format!("http://{host}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_field(registered, "client_id")),
            ("client_secret", client_field(registered, "client_secret")),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /oauth/token on {host}: {e}"))
}

/// The `access_token` of a token answer.
pub async fn access_token(response: reqwest::Response) -> String {
    let token: Value = response.json().await.unwrap_or_else(|e| panic!("token answer: {e}"));
    token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string()
}

/// An app token (no user) for an app registered on `host` with `scopes`.
pub async fn app_token(client: &Client, host: &str, name: &str, scopes: &str) -> String {
    let registered = register_app(
        client,
        host,
        &[("client_name", name), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)],
    )
    .await;
    access_token(client_credentials_grant(client, host, &registered, scopes).await).await
}

/// `GET url` with `token` as its bearer.
pub async fn get_with(client: &Client, url: String, token: &str) -> reqwest::Response {
    client.get(&url).bearer_auth(token).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// The value of `name="NAME" value="..."` in a form (tera escapes `/` and `&`).
pub fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    let end = start + html[start..].find('"').unwrap_or_else(|| panic!("no end to {name} in {html}"));
    html[start..end].replace("&#x2F;", "/").replace("&amp;", "&")
}
