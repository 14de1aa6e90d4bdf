//! How people get and secure their accounts on the web: sign-up in each
//! registration mode and by invite, e-mail confirmation, password reset,
//! CSRF, two-factor authentication, and tokens that stay on their tenant.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::domains::{NewDomain, Registrations};
use kereru_tests::mail::{link_in_mail, outbox};
use kereru_tests::oauth::{self, hidden_value};
use kereru_tests::{PASSWORD, TestApp, World, new_domain};
use reqwest::StatusCode;
use std::collections::HashMap;

/// A browser: one host, its cookies, no redirects followed.
struct Browser {
    client: reqwest::Client,
    host: String,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(app: &TestApp, host: &str) -> Browser {
        Browser { client: app.client(), host: host.to_string(), cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String, Option<String>) {
        let url = format!("http://{}{path}", self.host);
        let response = self.client.get(&url).header("Cookie", self.cookie_header()).send().await.unwrap();
        self.keep(&response);
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        (response.status(), response.text().await.unwrap(), location)
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, Option<String>) {
        let url = format!("http://{}{path}", self.host);
        let response = self.client.post(&url).header("Cookie", self.cookie_header()).form(form).send().await.unwrap();
        self.keep(&response);
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        (response.status(), response.text().await.unwrap(), location)
    }

    /// GETs `form_path`, then POSTs `form` with its CSRF token to `action`.
    async fn submit(
        &mut self,
        form_path: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let (status, page, _) = self.get(form_path).await;
        assert!(status.is_success() || status == StatusCode::NOT_FOUND, "GET {form_path}: {status}");
        let token = hidden_value(&page, "authenticity_token");
        let mut fields = vec![("authenticity_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    async fn sign_in(&mut self, login: &str, password: &str) -> (StatusCode, String, Option<String>) {
        self.submit("/auth/sign_in", "/auth/sign_in", &[("login", login), ("password", password)]).await
    }
}

async fn sign_up(
    browser: &mut Browser,
    form_path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    browser.submit(form_path, "/auth/sign_up", fields).await
}

fn signup_fields<'a>(username: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", username),
        ("email", email),
        ("password", "a good long password"),
        ("password_confirmation", "a good long password"),
        ("agreement", "1"),
    ]
}

#[tokio::test]
async fn sign_up_in_each_mode_confirms_by_mail_and_invites_open_closed_doors() {
    let world = World::new()
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("open.test", None) })
        .domain(NewDomain { registrations: Registrations::Approval, ..new_domain("approval.test", None) })
        .domain(NewDomain { registrations: Registrations::Closed, ..new_domain("closed.test", None) })
        .user("closed.test", "staff")
        .start()
        .await;

    // Open: errors re-render in place, keeping what was typed (never the password).
    let mut web = Browser::new(&world.app, "open.test");
    let (status, page, _) = sign_up(
        &mut web,
        "/auth/sign_up",
        &[("username", "new person"), ("email", "nope"), ("password", "short"), ("password_confirmation", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(page.contains("at least 8 characters"), "{page}");
    assert!(page.contains("Please accept the rules"), "{page}");
    assert!(page.contains("value=\"new person\""), "what was typed stays");
    assert!(!page.contains("value=\"short\""), "never the password");
    let mut mismatch = signup_fields("newbie", "newbie@mail.test");
    mismatch[3] = ("password_confirmation", "another long password");
    let (status, page, _) = sign_up(&mut web, "/auth/sign_up", &mismatch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The two passwords differ"));
    assert!(outbox(&world, "open.test").await.is_empty(), "nothing happened on error");

    let (status, _, location) = sign_up(&mut web, "/auth/sign_up", &signup_fields("newbie", "newbie@mail.test")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/auth/sign_up/check_email"));
    let (status, page, _) = sign_up(&mut web, "/auth/sign_up", &signup_fields("NEWBIE", "other@mail.test")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("This username is taken"));
    let (_, page, _) = sign_up(&mut web, "/auth/sign_up", &signup_fields("newbie2", "NEWBIE@mail.test")).await;
    assert!(page.contains("already has an account"));

    // No login before the address is confirmed.
    let (status, page, _) = web.sign_in("newbie", "a good long password").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("confirm your e-mail address"), "{page}");
    assert!(page.contains("/auth/confirmation/new"));
    let registered = oauth::register_app(
        &web.client,
        "open.test",
        &[("client_name", "t"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read")],
    )
    .await;
    let grant =
        oauth::password_grant(&web.client, "open.test", &registered, "newbie", "a good long password", "read").await;
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST, "the password grant refuses too");

    let link = link_in_mail(&world, "open.test", "newbie@mail.test", "/auth/confirmation?").await;
    // A confirmation link of one tenant is nothing on another.
    let mut other = Browser::new(&world.app, "approval.test");
    let (status, _, _) = other.get(&link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page, _) = web.get(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Your address is confirmed"));
    assert_eq!(web.get(&link).await.0, StatusCode::NOT_FOUND, "a link works once");
    let (status, _, location) = web.sign_in("newbie", "a good long password").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/home"));
    assert!(web.cookies.contains_key("kereru_session"));

    // Approval: a reason is needed, then the confirmed account waits.
    let mut web = Browser::new(&world.app, "approval.test");
    let (status, page, _) = sign_up(&mut web, "/auth/sign_up", &signup_fields("waiting", "waiting@mail.test")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please say why"));
    let mut fields = signup_fields("waiting", "waiting@mail.test");
    fields.push(("reason", "I live nearby"));
    assert_eq!(sign_up(&mut web, "/auth/sign_up", &fields).await.0, StatusCode::SEE_OTHER);
    let link = link_in_mail(&world, "approval.test", "waiting@mail.test", "/auth/confirmation?").await;
    let (_, page, _) = web.get(&link).await;
    assert!(page.contains("waits for approval"), "{page}");
    let (status, page, _) = web.sign_in("waiting", "a good long password").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("waiting for approval"));

    // Closed: the form says so and a POST makes nothing.
    let mut web = Browser::new(&world.app, "closed.test");
    let (_, page, _) = web.get("/auth/sign_up").await;
    assert!(page.contains("not taking new sign-ups"));
    let (status, _, _) = sign_up(&mut web, "/auth/sign_in", &signup_fields("shut", "shut@mail.test")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(outbox(&world, "closed.test").await.is_empty());

    // An invite opens the closed door, on its own tenant only, as often as it allows.
    let staff = world.account("closed.test", "staff").id;
    let mut conn = world.pool.get().await.unwrap();
    kereru_store::invites::set_users_may_invite(&mut conn, world.domain("closed.test").id, true).await.unwrap();
    drop(conn);
    let mut staff_web = Browser::new(&world.app, "closed.test");
    assert_eq!(staff_web.sign_in("staff", PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (status, _, _) = staff_web.submit("/invites", "/invites", &[("max_uses", "1"), ("expires_in_days", "7")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    let invite = kereru_store::invites::list_by(&mut conn, world.domain("closed.test").id, staff).await.unwrap();
    let code = invite[0].code.clone();
    drop(conn);
    let (_, page, _) = staff_web.get("/invites").await;
    assert!(page.contains(&format!("&#x2F;invite&#x2F;{code}")), "{page}");
    let mut stranger = Browser::new(&world.app, "open.test");
    let (status, _, _) = stranger.get(&format!("/auth/sign_up?invite_code={code}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's invite is unknown here");
    let (status, _, location) = web.get(&format!("/invite/{code}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let form_path = location.unwrap();
    let (_, page, _) = web.get(&form_path).await;
    assert!(page.contains("You were invited"), "{page}");
    let mut fields = signup_fields("invited", "invited@mail.test");
    fields.push(("invite_code", &code));
    let (status, page, _) = sign_up(&mut web, &form_path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let link = link_in_mail(&world, "closed.test", "invited@mail.test", "/auth/confirmation?").await;
    web.get(&link).await;
    assert_eq!(web.sign_in("invited", "a good long password").await.0, StatusCode::SEE_OTHER);
    let mut again = Browser::new(&world.app, "closed.test");
    let mut fields = signup_fields("second", "second@mail.test");
    fields.push(("invite_code", &code));
    let (status, page, _) = sign_up(&mut again, &form_path, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "used up");
    assert!(page.contains("invalid, expired or used up"));

    // The client API follows the same rules: closed needs an invite, and the mail goes out.
    let client = world.app.client();
    let token = oauth::app_token(&client, "closed.test", "signup", "read write").await;
    let api = |form: Vec<(&'static str, String)>| {
        client.post(world.app.url("closed.test", "/api/v1/accounts")).bearer_auth(&token).form(&form).send()
    };
    let base = || {
        vec![
            ("username", "apiuser".to_string()),
            ("email", "api@mail.test".to_string()),
            ("password", "a good long password".to_string()),
            ("agreement", "true".to_string()),
        ]
    };
    assert_eq!(api(base()).await.unwrap().status(), StatusCode::FORBIDDEN);
    let mut conn = world.pool.get().await.unwrap();
    let open_invite =
        kereru_store::invites::create(&mut conn, world.domain("closed.test").id, staff, None, None).await.unwrap();
    drop(conn);
    let mut form = base();
    form.push(("invite_code", open_invite.code.clone()));
    assert_eq!(api(form).await.unwrap().status(), StatusCode::OK);
    assert!(outbox(&world, "closed.test").await.iter().any(|m| m.to_address == "api@mail.test"));
    world.stop().await;
}

#[tokio::test]
async fn password_reset_ends_sessions_and_tokens_and_tells_nothing_about_addresses() {
    let world = World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").start().await;
    let api = world.login("a.test", "alice").await;
    let mut web = Browser::new(&world.app, "a.test");
    assert_eq!(web.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    assert_eq!(web.get("/settings/password").await.0, StatusCode::OK);

    let mut visitor = Browser::new(&world.app, "a.test");
    let unknown = visitor.submit("/auth/password/new", "/auth/password/new", &[("email", "nobody@mail.test")]).await;
    let known = visitor.submit("/auth/password/new", "/auth/password/new", &[("email", "alice@mail.example")]).await;
    assert_eq!((unknown.0, unknown.2.clone()), (known.0, known.2.clone()), "the same answer either way");
    let (_, page, _) = visitor.get(known.2.as_deref().unwrap()).await;
    assert!(page.contains("If an account has this address"));
    let mails = outbox(&world, "a.test").await;
    assert_eq!(mails.len(), 1, "a mail only for the real address");
    assert!(mails[0].subject.contains("Reset your password"));

    let link = link_in_mail(&world, "a.test", "alice@mail.example", "/auth/password/edit?").await;
    let mut elsewhere = Browser::new(&world.app, "b.test");
    assert_eq!(elsewhere.get(&link).await.0, StatusCode::NOT_FOUND, "a reset link of a.test is nothing on b.test");
    let token = link.split("reset_password_token=").nth(1).unwrap().to_string();
    let (status, page, _) = visitor
        .submit(
            &link,
            "/auth/password/edit",
            &[("reset_password_token", &token), ("password", "new password 1"), ("password_confirmation", "nope")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The two passwords differ"));
    let (status, _, location) = visitor
        .submit(
            &link,
            "/auth/password/edit",
            &[
                ("reset_password_token", &token),
                ("password", "new password 1"),
                ("password_confirmation", "new password 1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/auth/sign_in"));

    // Every session and token ended; the link is spent; the new password works.
    assert_eq!(api.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::UNAUTHORIZED);
    let (status, _, location) = web.get("/settings/password").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/auth/sign_in"));
    assert_eq!(visitor.get(&link).await.0, StatusCode::NOT_FOUND);
    assert_eq!(web.sign_in("alice", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(web.sign_in("alice", "new password 1").await.0, StatusCode::SEE_OTHER);
    world.stop().await;
}

#[tokio::test]
async fn forms_without_their_own_csrf_token_change_nothing() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let mut alice = Browser::new(&world.app, "a.test");
    alice.sign_in("alice", PASSWORD).await;
    let mut bob = Browser::new(&world.app, "a.test");
    bob.sign_in("bob", PASSWORD).await;
    let (_, page, _) = bob.get("/settings/password").await;
    let bobs_token = hidden_value(&page, "authenticity_token");
    let change = [
        ("current_password", PASSWORD),
        ("password", "changed password"),
        ("password_confirmation", "changed password"),
    ];
    let (status, _, _) = alice.post("/settings/password", &change).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token");
    let mut foreign = vec![("authenticity_token", bobs_token.as_str())];
    foreign.extend_from_slice(&change);
    assert_eq!(alice.post("/settings/password", &foreign).await.0, StatusCode::FORBIDDEN, "another session's token");
    let email = [("authenticity_token", bobs_token.as_str()), ("email", "x@mail.test"), ("current_password", PASSWORD)];
    assert_eq!(alice.post("/settings/email", &email).await.0, StatusCode::FORBIDDEN);
    let mut fresh = Browser::new(&world.app, "a.test");
    assert_eq!(fresh.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER, "the password is unchanged");
    assert!(outbox(&world, "a.test").await.is_empty());

    // With its own token the change goes through and ends the other sessions.
    let (status, _, _) = alice.submit("/settings/password", "/settings/password", &change).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(fresh.get("/settings/password").await.0, StatusCode::SEE_OTHER, "the other session ended");
    assert_eq!(alice.get("/settings/password").await.0, StatusCode::OK, "this one stays");
    world.stop().await;
}

/// The code an authenticator shows for `secret` (spaces allowed) at `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    let key = kereru_core::totp::base32_decode(secret).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let step = kereru_core::totp::step_at(now) as i64 + offset;
    kereru_core::totp::hotp(&key, step as u64)
}

#[tokio::test]
async fn two_factor_guards_web_sign_in_the_authorize_page_and_refuses_the_password_grant() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let mut web = Browser::new(&world.app, "a.test");
    web.sign_in("alice", PASSWORD).await;
    let (_, page, _) = web.get("/settings/two_factor").await;
    assert!(page.contains("Set up two-factor"));
    assert_eq!(web.submit("/settings/two_factor", "/settings/two_factor/setup", &[]).await.0, StatusCode::SEE_OTHER);
    let (_, page, _) = web.get("/settings/two_factor").await;
    assert!(page.contains("otpauth:&#x2F;&#x2F;totp&#x2F;"), "{page}");
    let start = page.find("<p class=\"secret\"><code>").unwrap() + "<p class=\"secret\"><code>".len();
    let secret = page[start..start + page[start..].find('<').unwrap()].to_string();
    let (status, _, _) = web.submit("/settings/two_factor", "/settings/two_factor/enable", &[("code", "000000")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a wrong first code enables nothing");
    let (status, page, _) =
        web.submit("/settings/two_factor", "/settings/two_factor/enable", &[("code", &code(&secret, -1))]).await;
    assert_eq!(status, StatusCode::OK);
    let recovery: Vec<String> =
        page.split("<li><code>").skip(1).map(|part| part[..part.find('<').unwrap()].to_string()).collect();
    assert_eq!(recovery.len(), 10, "{page}");

    // Web sign-in: the password leads to a code step that is no session.
    let mut other = Browser::new(&world.app, "a.test");
    let (status, page, _) = other.sign_in("alice", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!other.cookies.contains_key("kereru_session"), "half signed in is not signed in");
    let pending = hidden_value(&page, "pending");
    let token = hidden_value(&page, "authenticity_token");
    let try_code = |code: String| {
        let pending = pending.clone();
        let token = token.clone();
        (pending, token, code)
    };
    let (p, t, c) = try_code("123456".into());
    let wrong =
        other.post("/auth/sign_in/two_factor", &[("authenticity_token", &t), ("pending", &p), ("code", &c)]).await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    let right = code(&secret, 0);
    let (p, t, c) = try_code(right.clone());
    let ok = other.post("/auth/sign_in/two_factor", &[("authenticity_token", &t), ("pending", &p), ("code", &c)]).await;
    assert_eq!(ok.0, StatusCode::SEE_OTHER);
    assert!(other.cookies.contains_key("kereru_session"));
    // The same code again is a replay.
    let mut third = Browser::new(&world.app, "a.test");
    let (_, page, _) = third.sign_in("alice", PASSWORD).await;
    let (p, t) = (hidden_value(&page, "pending"), hidden_value(&page, "authenticity_token"));
    let replay =
        third.post("/auth/sign_in/two_factor", &[("authenticity_token", &t), ("pending", &p), ("code", &right)]).await;
    assert_eq!(replay.0, StatusCode::UNAUTHORIZED, "a code is good once");
    // A pending token of a.test is nothing on b.test... nor a session here.
    assert_eq!(third.get("/settings/password").await.0, StatusCode::SEE_OTHER);

    // The OAuth authorization page asks for the code; a recovery code works, once.
    let client = world.app.client();
    let registered = oauth::register_app(
        &client,
        "a.test",
        &[("client_name", "app"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read")],
    )
    .await;
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let authorize = |otp: String| {
        let mut browser = Browser::new(&world.app, "a.test");
        let client_id = client_id.clone();
        async move {
            let query =
                format!("/oauth/authorize?client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read");
            let (_, page, _) = browser.get(&query).await;
            let csrf = hidden_value(&page, "csrf");
            browser
                .post(
                    "/oauth/authorize",
                    &[
                        ("csrf", &csrf),
                        ("client_id", &client_id),
                        ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
                        ("scope", "read"),
                        ("decision", "allow"),
                        ("login", "alice"),
                        ("password", PASSWORD),
                        ("otp_code", &otp),
                    ],
                )
                .await
        }
    };
    let (status, page, _) = authorize(String::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("two-factor"), "{page}");
    assert_eq!(authorize(right.clone()).await.0, StatusCode::UNAUTHORIZED, "replayed");
    let (status, page, _) = authorize(recovery[0].clone()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("code"));
    assert_eq!(authorize(recovery[0].clone()).await.0, StatusCode::UNAUTHORIZED, "a recovery code is spent");

    // The password grant has no place for a code: refused with a clear error.
    let grant = oauth::password_grant(&client, "a.test", &registered, "alice", PASSWORD, "read").await;
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST);
    assert!(grant.text().await.unwrap().contains("two-factor"));

    // Turning it off needs the password and a code.
    let (status, _, _) = web
        .submit(
            "/settings/two_factor",
            "/settings/two_factor/disable",
            &[("code", &code(&secret, 1)), ("current_password", "wrong")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = web
        .submit(
            "/settings/two_factor",
            "/settings/two_factor/disable",
            &[("code", &code(&secret, 1)), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(Browser::new(&world.app, "a.test").sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    world.stop().await;
}

#[tokio::test]
async fn sign_ups_and_reset_requests_are_limited_per_address() {
    let mut settings = TestApp::settings();
    settings.sign_ups_per_address.requests = 2;
    settings.password_resets_per_address.requests = 2;
    let world = World::new().tenant("a.test").user("a.test", "alice").settings(settings).start().await;
    let mut web = Browser::new(&world.app, "a.test");
    for (i, expected) in
        [StatusCode::SEE_OTHER, StatusCode::SEE_OTHER, StatusCode::TOO_MANY_REQUESTS].iter().enumerate()
    {
        let name = format!("person{i}");
        let email = format!("person{i}@mail.test");
        let (status, _, _) = sign_up(&mut web, "/auth/sign_up", &signup_fields(&name, &email)).await;
        assert_eq!(status, *expected, "sign-up {i}");
    }
    for (i, expected) in
        [StatusCode::SEE_OTHER, StatusCode::SEE_OTHER, StatusCode::TOO_MANY_REQUESTS].iter().enumerate()
    {
        let (status, _, _) =
            web.submit("/auth/password/new", "/auth/password/new", &[("email", "alice@mail.example")]).await;
        assert_eq!(status, *expected, "reset request {i}");
    }
    world.stop().await;
}
