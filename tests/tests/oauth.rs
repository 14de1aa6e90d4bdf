//! OAuth 2 and bearer tokens over real HTTP: every grant, the HTML
//! authorization flow with CSRF and PKCE, scopes, revocation, and tokens that
//! mean nothing on another tenant.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::oauth::{self, get_with, hidden_value};
use kereru_tests::{PASSWORD, TestApp, World};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn register_app(client: &Client, _app: &TestApp, host: &str, scopes: &str, redirect: &str) -> Value {
    let form = [
        ("client_name", "Test client"),
        ("redirect_uris", redirect),
        ("scopes", scopes),
        ("website", "https://client.example"),
    ];
    oauth::register_app(client, host, &form).await
}

async fn password_token(
    client: &Client,
    _app: &TestApp,
    host: &str,
    registered: &Value,
    login: &str,
    scope: &str,
) -> reqwest::Response {
    oauth::password_grant(client, host, registered, login, PASSWORD, scope).await
}

#[tokio::test]
async fn a_token_works_on_its_own_tenant_only() {
    let app = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "alice")
        .start()
        .await
        .app;
    let client = app.client();

    let registered = register_app(&client, &app, "a.test", "read write", "urn:ietf:wg:oauth:2.0:oob").await;
    assert_eq!(registered["scopes"], json!(["read", "write"]));
    assert!(registered["client_secret"].as_str().unwrap().len() >= 32);
    let response = password_token(&client, &app, "a.test", &registered, "alice", "read write").await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let access = token["access_token"].as_str().unwrap();

    let me = get_with(&client, app.url("a.test", "/api/v1/accounts/verify_credentials"), access).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["url"], "http://a.test/@alice");
    assert!(me["source"].is_object());

    // The same token, the same username, another tenant: unknown there.
    let elsewhere = get_with(&client, app.url("b.test", "/api/v1/accounts/verify_credentials"), access).await;
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
    assert!(elsewhere.json::<Value>().await.unwrap()["error"].is_string());
    // Nor can the app's credentials get a token there.
    let response = password_token(&client, &app, "b.test", &registered, "alice", "read").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_client");
    // And a.test's account id is not an account on b.test.
    let id = me["id"].as_str().unwrap();
    let response = client.get(app.url("b.test", &format!("/api/v1/accounts/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = client.get(app.url("a.test", &format!("/api/v1/accounts/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_401_missing_scopes_403_and_app_tokens_422_on_user_endpoints() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let url = app.url("a.test", "/api/v1/accounts/verify_credentials");

    assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get_with(&client, url.clone(), "not-a-token").await.status(), StatusCode::UNAUTHORIZED);

    let registered = register_app(&client, &app, "a.test", "read write push", "urn:ietf:wg:oauth:2.0:oob").await;
    let push_only: Value =
        password_token(&client, &app, "a.test", &registered, "alice", "push").await.json().await.unwrap();
    let response = get_with(&client, url.clone(), push_only["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // More than the app registered is refused.
    let response = password_token(&client, &app, "a.test", &registered, "alice", "read follow").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_scope");

    let app_token: Value = client
        .post(app.url("a.test", "/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", registered["client_id"].as_str().unwrap()),
            ("client_secret", registered["client_secret"].as_str().unwrap()),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_access = app_token["access_token"].as_str().unwrap();
    assert_eq!(get_with(&client, url.clone(), app_access).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let verified = get_with(&client, app.url("a.test", "/api/v1/apps/verify_credentials"), app_access).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(verified["name"], "Test client");
    assert!(verified.get("client_secret").is_none(), "the secret is shown once");

    // A wrong password and a wrong secret get nothing.
    let mut wrong = registered.clone();
    wrong["client_secret"] = json!("wrong");
    assert_eq!(
        password_token(&client, &app, "a.test", &wrong, "alice", "read").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = client
        .post(app.url("a.test", "/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", registered["client_id"].as_str().unwrap()),
            ("client_secret", registered["client_secret"].as_str().unwrap()),
            ("username", "alice"),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant");
    app.stop().await;
}

#[tokio::test]
async fn revoked_tokens_stop_working_and_refresh_tokens_rotate() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let url = app.url("a.test", "/api/v1/accounts/verify_credentials");
    let registered = register_app(&client, &app, "a.test", "read", "urn:ietf:wg:oauth:2.0:oob").await;
    let (id, secret) = (registered["client_id"].as_str().unwrap(), registered["client_secret"].as_str().unwrap());

    let first: Value =
        password_token(&client, &app, "a.test", &registered, "alice@mail.example", "read").await.json().await.unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    let second: Value = client
        .post(app.url("a.test", "/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_access = second["access_token"].as_str().unwrap();
    assert_ne!(second_access, first["access_token"].as_str().unwrap());
    assert_eq!(
        get_with(&client, url.clone(), first["access_token"].as_str().unwrap()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get_with(&client, url.clone(), second_access).await.status(), StatusCode::OK);
    // A refresh token works once.
    let again = client
        .post(app.url("a.test", "/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    let revoked = client
        .post(app.url("a.test", "/oauth/revoke"))
        .form(&[("token", second_access), ("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(get_with(&client, url, second_access).await.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn the_authorization_code_flow_with_pkce_through_the_html_page() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let redirect = "https://client.example/callback";
    let registered = register_app(&client, &app, "a.test", "read write", redirect).await;
    let client_id = registered["client_id"].as_str().unwrap();
    // RFC 7636 Appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let authorize_url = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={redirect}&scope=read&state=xyz&code_challenge={challenge}&code_challenge_method=S256",
        app.url("a.test", "/oauth/authorize")
    );

    let page = client.get(&authorize_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains("Test client"));
    let csrf = hidden_value(&html, "csrf");
    let form = |csrf: &str, password: &str, decision: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("client_id", client_id.to_string()),
            ("redirect_uri", redirect.to_string()),
            ("scope", "read".to_string()),
            ("state", "xyz".to_string()),
            ("code_challenge", challenge.to_string()),
            ("code_challenge_method", "S256".to_string()),
            ("login", "alice".to_string()),
            ("password", password.to_string()),
            ("decision", decision.to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut request = client.post(app.url("a.test", "/oauth/authorize")).form(&fields);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        request.send()
    };

    // Without the cookie (a cross-site post), or with a forged field: refused.
    assert_eq!(post(form(&csrf, PASSWORD, "allow"), None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post(form("forged", PASSWORD, "allow"), Some(cookie.clone())).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // A wrong password shows the form again.
    let wrong = post(form(&csrf, "not it", "allow"), Some(cookie.clone())).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("Invalid login or password"));
    // Deny goes back with access_denied.
    let denied = post(form(&csrf, "", "deny"), Some(cookie.clone())).await.unwrap();
    assert_eq!(denied.status(), StatusCode::FOUND);
    assert_eq!(denied.headers()["location"], format!("{redirect}?error=access_denied&state=xyz"));

    let allowed = post(form(&csrf, PASSWORD, "allow"), Some(cookie.clone())).await.unwrap();
    assert_eq!(allowed.status(), StatusCode::FOUND);
    let location = allowed.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{redirect}?code=")), "{location}");
    assert!(location.ends_with("&state=xyz"), "{location}");
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();

    let exchange = |verifier: &'static str, code: String| {
        client
            .post(app.url("a.test", "/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("redirect_uri", redirect.to_string()),
                ("client_id", client_id.to_string()),
                ("code_verifier", verifier.to_string()),
            ])
            .send()
    };
    // A wrong verifier burns the code: it is single-use either way.
    let wrong = exchange("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", code.clone()).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(exchange(verifier, code).await.unwrap().status(), StatusCode::BAD_REQUEST);

    // A fresh code with the right verifier gives a working token with the granted scope.
    let allowed = post(form(&csrf, PASSWORD, "allow"), Some(cookie)).await.unwrap();
    let location = allowed.headers()["location"].to_str().unwrap().to_string();
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let token = exchange(verifier, code).await.unwrap();
    assert_eq!(token.status(), StatusCode::OK);
    let token: Value = token.json().await.unwrap();
    assert_eq!(token["scope"], "read");
    let me = get_with(
        &client,
        app.url("a.test", "/api/v1/accounts/verify_credentials"),
        token["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "alice");
    app.stop().await;
}

#[tokio::test]
async fn bad_authorization_requests_are_shown_not_redirected_and_bad_apps_are_422() {
    let app = World::new().tenant("a.test").start().await.app;
    let client = app.client();
    let registered = register_app(&client, &app, "a.test", "read", "https://client.example/cb").await;
    let client_id = registered["client_id"].as_str().unwrap();
    for query in [
        "client_id=unknown&redirect_uri=https://client.example/cb".to_string(),
        format!("client_id={client_id}&redirect_uri=https://evil.example/cb"),
        format!("client_id={client_id}&scope=write"),
        format!("client_id={client_id}&code_challenge=short&code_challenge_method=S256"),
    ] {
        let response = client.get(format!("{}?{query}", app.url("a.test", "/oauth/authorize"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(response.headers().get("location").is_none());
    }
    for form in [
        vec![("redirect_uris", "urn:ietf:wg:oauth:2.0:oob")],
        vec![("client_name", "x"), ("redirect_uris", "javascript:alert(1)")],
        vec![("client_name", "x")],
        vec![("client_name", "x"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read sudo")],
    ] {
        let response = client.post(app.url("a.test", "/api/v1/apps")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(response.json::<Value>().await.unwrap()["error"].is_string());
    }
    // JSON bodies work as forms do.
    let response = client
        .post(app.url("a.test", "/api/v1/apps"))
        .json(&json!({ "client_name": "json", "redirect_uris": ["https://a.example/1", "https://a.example/2"], "scopes": "read" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["redirect_uris"],
        json!(["https://a.example/1", "https://a.example/2"])
    );
    app.stop().await;
}

#[tokio::test]
async fn instance_documents_describe_the_tenant_asked() {
    let app = World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let v1: Value = client.get(app.url("a.test", "/api/v1/instance")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v1["uri"], "a.test");
    assert!(v1["version"].as_str().unwrap().starts_with("4.3.0 (compatible; Kererū "));
    assert_eq!(v1["contact_account"]["username"], "alice");
    assert_eq!(v1["stats"]["user_count"], 1);
    assert_eq!(v1["urls"]["streaming_api"], "ws://a.test");
    let v2: Value = client.get(app.url("b.test", "/api/v2/instance")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v2["domain"], "b.test");
    assert_eq!(v2["usage"]["users"]["active_month"], 0);
    assert_eq!(v2["configuration"]["urls"]["streaming"], "ws://b.test");
    let metadata: Value = client
        .get(app.url("a.test", "/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["token_endpoint"], "http://a.test/oauth/token");
    app.stop().await;
}
