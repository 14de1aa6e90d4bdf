//! Hostile clients against OAuth, the rate limits and CORS (part of the
//! hostile-input suite: `cargo test -p kereru-tests hostile`). Each test
//! asserts the status an attack gets and that it gained nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::oauth::{self, hidden_value};
use kereru_tests::{PASSWORD, TestApp, World};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};

const REDIRECT: &str = "https://client.example/callback";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A client whose requests come from `127.0.0.{last}`: another address to the server.
fn client_from(app: &TestApp, last: u8) -> reqwest::Client {
    app.client_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
}

/// Registers the app "hostile" on a.test: the registered app (client_id, client_secret, ...).
async fn register_app(client: &reqwest::Client) -> Value {
    oauth::register_app(
        client,
        "a.test",
        &[("client_name", "hostile"), ("redirect_uris", REDIRECT), ("scopes", "read")],
    )
    .await
}

/// Registers the app "hostile" on a.test: its client id and secret.
async fn register(client: &reqwest::Client) -> (String, String) {
    let registered = register_app(client).await;
    (registered["client_id"].as_str().unwrap().into(), registered["client_secret"].as_str().unwrap().into())
}

/// The login page for `client_id` (with `extra` query parameters): its status, and the
/// session cookie and CSRF token a post of its form needs.
async fn login_page(
    client: &reqwest::Client,
    app: &TestApp,
    client_id: &str,
    extra: &str,
) -> (StatusCode, String, String) {
    let page = client
        .get(format!(
            "{}?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=read{extra}",
            app.url("a.test", "/oauth/authorize")
        ))
        .send()
        .await
        .unwrap();
    let status = page.status();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    (status, cookie, hidden_value(&page.text().await.unwrap(), "csrf"))
}

/// An authorization code for alice through the real login page, with a PKCE challenge or without.
async fn code(client: &reqwest::Client, app: &TestApp, client_id: &str, pkce: bool) -> String {
    let challenge =
        if pkce { format!("&code_challenge={CHALLENGE}&code_challenge_method=S256") } else { String::new() };
    let (status, cookie, csrf) = login_page(client, app, client_id, &challenge).await;
    assert_eq!(status, StatusCode::OK);
    let mut form = vec![
        ("csrf", csrf),
        ("client_id", client_id.to_string()),
        ("redirect_uri", REDIRECT.to_string()),
        ("scope", "read".to_string()),
        ("login", "alice".to_string()),
        ("password", PASSWORD.to_string()),
        ("decision", "allow".to_string()),
    ];
    if pkce {
        form.push(("code_challenge", CHALLENGE.to_string()));
        form.push(("code_challenge_method", "S256".to_string()));
    }
    let allowed =
        client.post(app.url("a.test", "/oauth/authorize")).header("Cookie", cookie).form(&form).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::FOUND);
    let location = allowed.headers()["location"].to_str().unwrap().to_string();
    location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string()
}

/// The password grant on a.test for `registered`, scope read.
async fn password_grant(
    client: &reqwest::Client,
    registered: &Value,
    username: &str,
    password: &str,
) -> reqwest::Response {
    oauth::password_grant(client, "a.test", registered, username, password, "read").await
}

/// `POST /oauth/token` for `code`: status and body.
async fn redeem(
    client: &reqwest::Client,
    app: &TestApp,
    client_id: &str,
    secret: Option<&str>,
    verifier: Option<&str>,
    code: &str,
) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id),
    ];
    if let Some(secret) = secret {
        form.push(("client_secret", secret));
    }
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    let response = client.post(app.url("a.test", "/oauth/token")).form(&form).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn hostile_a_code_is_redeemed_only_by_its_client_with_its_secret_or_its_pkce_verifier() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let (id, secret) = register(&client).await;

    // A code issued without PKCE: a wrong or missing secret gets nothing, whatever verifier comes with it.
    let plain = code(&client, &app, &id, false).await;
    for (try_secret, verifier) in
        [(Some("wrong-secret"), Some(VERIFIER)), (None, Some(VERIFIER)), (None, None), (Some(""), None)]
    {
        let (status, body) = redeem(&client, &app, &id, try_secret, verifier, &plain).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{try_secret:?} {verifier:?}: {body}");
        assert_eq!(body["error"], "invalid_client");
        assert!(body.get("access_token").is_none());
    }
    // ...and burned nothing: the client with its secret still redeems it.
    let (status, body) = redeem(&client, &app, &id, Some(&secret), None, &plain).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A verifier for a code that had no challenge is a downgrade attempt.
    let plain = code(&client, &app, &id, false).await;
    let (status, body) = redeem(&client, &app, &id, Some(&secret), Some(VERIFIER), &plain).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");

    // A PKCE code: a presented secret must be right even with the right verifier.
    let pkce = code(&client, &app, &id, true).await;
    let (status, body) = redeem(&client, &app, &id, Some("wrong-secret"), Some(VERIFIER), &pkce).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Another client's id with the right verifier: the code is not theirs.
    let (other_id, _) = register(&client).await;
    let (status, _) = redeem(&client, &app, &other_id, None, Some(VERIFIER), &pkce).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The client itself, proving the code with its verifier alone (a public client).
    let (status, body) = redeem(&client, &app, &id, None, Some(VERIFIER), &pkce).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    // Refresh tokens follow the same rule: the client's secret, right.
    for try_secret in [Some("wrong-secret"), None] {
        let mut form =
            vec![("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("client_id", id.as_str())];
        if let Some(s) = try_secret {
            form.push(("client_secret", s));
        }
        let response = client.post(app.url("a.test", "/oauth/token")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{try_secret:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn hostile_junk_bearer_tokens_do_not_buy_fresh_rate_limit_windows() {
    let mut settings = TestApp::settings();
    settings.rate_limit =
        kereru_web::rate_limit::RateLimit { requests: 6, window: std::time::Duration::from_secs(300) };
    let world = World::new().tenant("a.test").user("a.test", "alice").settings(settings).start().await;
    let app = &world.app;
    let guesser = client_from(app, 2);
    let (id, secret) = register(&guesser).await; // the address's first request
    let mut answers = Vec::new();
    for n in 0..20 {
        let response = guesser
            .post(app.url("a.test", "/oauth/token"))
            .bearer_auth(format!("junk-{n}"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("username", "alice"),
                ("password", &format!("guess {n}")),
            ])
            .send()
            .await
            .unwrap();
        answers.push(response.status().as_u16());
    }
    assert_eq!(&answers[..5], &[400; 5], "{answers:?}");
    assert!(answers[5..].iter().all(|&s| s == 429), "every guess past the address's limit is refused: {answers:?}");
    // Junk tokens on the API count against the address too.
    let api = guesser.get(app.url("a.test", "/api/v1/timelines/public")).bearer_auth("junk-api").send().await.unwrap();
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    // A valid token, once seen, has its own window, even from that address.
    // 127.0.0.1 made 3 requests logging in (the last one with the token, counted by address):
    // 5 more would pass its limit of 6 if they counted there too.
    let alice = world.login("a.test", "alice").await;
    for _ in 0..5 {
        assert_eq!(alice.get("/api/v1/timelines/home").await.status(), StatusCode::OK);
    }
    world.stop().await;
}

#[tokio::test]
async fn hostile_password_guesses_are_limited_per_account_from_any_address() {
    let settings = TestApp::settings();
    let failures = settings.login_failures.requests;
    let app = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .settings(settings)
        .start()
        .await
        .app;
    let registered = register_app(&app.client()).await;
    let id = registered["client_id"].as_str().unwrap();
    // A distributed guesser: each wrong password from another address.
    for n in 0..failures {
        let from = client_from(&app, 10 + u8::try_from(n).unwrap());
        let response = password_grant(&from, &registered, "alice", &format!("guess {n}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "guess {n}");
    }
    // The account's budget is spent: refused from a fresh address, even with the right password.
    let fresh = client_from(&app, 200);
    let response = password_grant(&fresh, &registered, "alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("Too many failed logins"));
    let response = password_grant(&fresh, &registered, "ALICE@mail.example", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "by e-mail too: it is the same account");
    // The login page honours it as well.
    let (_, cookie, csrf) = login_page(&fresh, &app, id, "").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("client_id", id),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("login", "alice"),
        ("password", PASSWORD),
        ("decision", "allow"),
    ];
    let refused =
        fresh.post(app.url("a.test", "/oauth/authorize")).header("Cookie", cookie).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().await.unwrap().contains("Too many failed logins"));
    // Another account is not affected, and right passwords never use up the budget.
    for _ in 0..failures + 2 {
        assert_eq!(password_grant(&fresh, &registered, "bob", PASSWORD).await.status(), StatusCode::OK);
    }
    app.stop().await;
}

#[tokio::test]
async fn browser_apps_on_other_origins_get_cors_on_the_api_and_never_with_credentials() {
    let app = World::new().tenant("a.test").user("a.test", "alice").start().await.app;
    let client = app.client();
    let origin = "https://elk.example";
    let preflight = |path: &'static str, method: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, app.url("a.test", path))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header("Access-Control-Request-Headers", "authorization,content-type")
            .send()
    };
    for (path, method) in [
        ("/api/v1/instance", "GET"),
        ("/api/v1/apps", "POST"),
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/api/v1/statuses/123", "DELETE"),
        ("/.well-known/webfinger", "GET"),
        ("/nodeinfo/2.0", "GET"),
    ] {
        let response = preflight(path, method).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "*", "{path}");
        assert!(headers["access-control-allow-methods"].to_str().unwrap().contains(method), "{path}");
        assert_eq!(headers["access-control-allow-headers"], "authorization,content-type", "{path}");
        assert!(headers.get("access-control-allow-credentials").is_none(), "{path}");
    }
    // The login page is not for other origins.
    let response = preflight("/oauth/authorize", "POST").await.unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());

    // An app on another origin registers, logs in and reads, and can see the headers it needs.
    let (id, secret) = register(&client).await;
    let token: Value = client
        .post(app.url("a.test", "/oauth/token"))
        .header("Origin", origin)
        .form(&[
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("username", "alice"),
            ("password", PASSWORD),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let me = client
        .get(app.url("a.test", "/api/v1/accounts/verify_credentials"))
        .header("Origin", origin)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.headers()["access-control-allow-origin"], "*");
    let exposed = me.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for name in ["link", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    assert!(me.headers().get("access-control-allow-credentials").is_none());
    // Errors carry it too, so an app can read why.
    let denied = client
        .get(app.url("a.test", "/api/v1/accounts/verify_credentials"))
        .header("Origin", origin)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(denied.headers()["access-control-allow-origin"], "*");
    // A session cookie is worth nothing to the API: only the bearer token authorizes.
    let cookie_only = client
        .get(app.url("a.test", "/api/v1/accounts/verify_credentials"))
        .header("Origin", origin)
        .header("Cookie", format!("_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_only.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}
