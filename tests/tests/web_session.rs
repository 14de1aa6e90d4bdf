//! The web interface's foundation: browser sessions belong to one tenant,
//! every form needs its CSRF token, sign-in never redirects off the host,
//! and a host that is no tenant's says what runs here and nothing more.

use kereru_tests::{Browser, PASSWORD, World};
use reqwest::StatusCode;

fn signed_in(body: &str) -> bool {
    body.contains("action=\"/auth/sign_out\"")
}

#[tokio::test]
async fn a_session_opens_its_own_tenant_only() {
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "alice").start().await;
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("alice").await;
    let home = browser.get("/").await;
    assert!(signed_in(&home.body), "signed in on a.test");

    // The session cookie, replayed on the other tenant (a browser would not even send it there).
    let jar_value = {
        let stranger = Browser::new(&world.app, "a.test");
        let response = stranger
            .client
            .post(world.app.url("a.test", "/auth/sign_in"))
            .form(&[("login", "alice"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("sign in: {e}"));
        // Without a token the sign-in is refused and no session is made.
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap_or("").starts_with("kereru_session="))
        );
        // A real session token of a.test:
        let login = Browser::new(&world.app, "a.test");
        let form = login.get("/auth/sign_in").await;
        let token = form.csrf_token();
        let response = login
            .client
            .post(world.app.url("a.test", "/auth/sign_in"))
            .form(&[("authenticity_token", token.as_str()), ("login", "alice"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("sign in: {e}"));
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let set_cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find(|c| c.starts_with("kereru_session="))
            .unwrap_or_else(|| panic!("no session cookie"))
            .to_string();
        assert!(!set_cookie.to_ascii_lowercase().contains("domain="), "host-only cookie: {set_cookie}");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        set_cookie.split(';').next().unwrap_or_default().to_string()
    };
    let plain = world.app.client();
    let on_a = plain
        .get(world.app.url("a.test", "/"))
        .header("Cookie", &jar_value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(signed_in(&on_a.text().await.unwrap_or_default()), "the cookie works on its own tenant");
    let on_b = plain
        .get(world.app.url("b.test", "/"))
        .header("Cookie", &jar_value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = on_b.text().await.unwrap_or_default();
    assert!(!signed_in(&body), "a.test's session must be worth nothing on b.test");
    assert!(body.contains("/auth/sign_in"));
}

#[tokio::test]
async fn forms_refuse_a_missing_or_foreign_csrf_token_and_change_nothing() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = Browser::new(&world.app, "a.test");
    alice.sign_in("alice").await;
    let bob = Browser::new(&world.app, "a.test");
    bob.sign_in("bob").await;
    let bobs_token = bob.get("/").await.csrf_token();

    // Signing alice out with no token, then with bob's: both refused, alice stays signed in.
    let refused = alice.post("/auth/sign_out", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("another site"), "the page says why: {}", refused.body);
    let refused = alice.post("/auth/sign_out", &[("authenticity_token", bobs_token.as_str())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(signed_in(&alice.get("/").await.body), "alice is still signed in");

    // With her own token she signs out.
    let token = alice.get("/").await.csrf_token();
    let out = alice.post("/auth/sign_out", &[("authenticity_token", token.as_str())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!signed_in(&alice.get("/").await.body));
    // Bob's session was not touched.
    assert!(signed_in(&bob.get("/").await.body));
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_and_sign_in_stays_on_this_host() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let browser = Browser::new(&world.app, "a.test");
    let wrong =
        browser.submit("/auth/sign_in", "/auth/sign_in", &[("login", "alice"), ("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Invalid login or password"), "{}", wrong.body);
    assert!(wrong.body.contains("value=\"alice\""), "the login is kept");
    assert!(!wrong.body.contains("not the password"), "the password is never echoed");
    assert!(!signed_in(&browser.get("/").await.body));

    for evil in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let page = Browser::new(&world.app, "a.test")
            .submit(
                "/auth/sign_in",
                "/auth/sign_in",
                &[("login", "alice"), ("password", PASSWORD), ("return_to", evil)],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), Some("/home"), "return_to {evil:?} must not leave the host");
    }
    browser.sign_in("alice").await;
    let page = browser.get("/auth/sign_in?return_to=/notifications").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "already signed in");
    assert_eq!(page.location(), Some("/notifications"));
}

#[tokio::test]
async fn pages_carry_a_content_security_policy() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let page = Browser::new(&world.app, "a.test").get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(!page.body.contains("style=\""), "no inline style");
}

#[tokio::test]
async fn a_host_that_is_no_tenant_says_what_runs_here_and_nothing_about_tenants() {
    let world = World::new().tenant("a.test").user("a.test", "alice").host("nobody.test").start().await;
    let page = Browser::new(&world.app, "nobody.test").get("/").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Kererū runs here"), "{}", page.body);
    assert!(page.body.contains("kereru domain add"), "says how an admin adds a domain");
    assert!(!page.body.contains("a.test") && !page.body.contains("alice"), "nothing about any tenant");
    assert!(page.body.contains("<strong>nobody.test</strong>"), "the name asked for, without the port");
    // Its stylesheet is served on that host too.
    let css = page.body.split("href=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
    let css = css.replace("&#x2F;", "/");
    assert!(css.starts_with("/static/kereru.css"), "{css}");
    let sheet = Browser::new(&world.app, "nobody.test").get(&css).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").starts_with("text/css"));
    // API clients still get JSON.
    let api = world.app.client().get(world.app.url("nobody.test", "/api/v1/instance")).send().await;
    let api = api.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(api.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").contains("json"));
}

#[tokio::test]
async fn a_suspended_tenants_pages_are_not_found_and_its_sessions_open_nothing() {
    use kereru_store::domains::{self, DomainState};
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("alice").await;
    assert!(signed_in(&browser.get("/").await.body));
    let mut conn = world.pool.get().await.unwrap_or_else(|e| panic!("{e}"));
    domains::set_state(&mut conn, world.domain("a.test").id, DomainState::Suspended)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for path in ["/", "/@alice", "/auth/sign_in", "/statuses/new"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("alice"), "{path} tells nothing of the tenant's people");
    }
}
