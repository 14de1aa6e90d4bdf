//! The social pages of the web interface, driven as a browser would (a
//! client that keeps cookies and submits forms with their CSRF token):
//! relationship buttons, follow requests, remote follow and the interaction
//! page, search, the settings pages, export and import — and that none of
//! them shows or touches another tenant's objects.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::seed::PASSWORD;
use kereru_tests::{TestApp, World};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A browser on one host: cookies kept, forms sent with the page's token.
struct Browser {
    client: reqwest::Client,
    host: String,
    cookies: Mutex<BTreeMap<String, String>>,
    token: Mutex<String>,
}

fn token_in(html: &str) -> Option<String> {
    let marker = "name=\"authenticity_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_string())
}

impl Browser {
    fn new(app: &TestApp, host: &str) -> Browser {
        Browser {
            client: app.client(),
            host: host.to_string(),
            cookies: Mutex::new(BTreeMap::new()),
            token: Mutex::new(String::new()),
        }
    }

    /// Signs `username` in through the sign-in form.
    async fn signed_in(app: &TestApp, host: &str, username: &str) -> Browser {
        let browser = Browser::new(app, host);
        let (status, _) = browser.page("/auth/sign_in").await;
        assert_eq!(status, StatusCode::OK);
        let response = browser.submit("/auth/sign_in", &[("login", username), ("password", PASSWORD)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign in as {username}");
        assert!(browser.cookie("kereru_session").is_some(), "a session cookie");
        browser.page("/settings/privacy").await;
        browser
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    fn cookie_header(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&self, response: &reqwest::Response) {
        let mut jar = self.cookies.lock().unwrap();
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let response = self.client.get(self.url(path)).header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    /// A page's status and HTML; the page's form token is kept for the next form.
    async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        let html = response.text().await.unwrap();
        if let Some(token) = token_in(&html) {
            *self.token.lock().unwrap() = token;
        }
        (status, html)
    }

    /// Posts a form with the current token.
    async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.token.lock().unwrap().clone();
        let mut form: Vec<(&str, &str)> = vec![("authenticity_token", token.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response =
            self.client.post(self.url(path)).header(COOKIE, self.cookie_header()).form(form).send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    /// Posts a multipart form (text fields, then files as (name, file name, bytes)) with the token.
    async fn submit_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> reqwest::Response {
        let boundary = "----kereru-test-boundary-7MA4YWxk";
        let token = self.token.lock().unwrap().clone();
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in std::iter::once(&("authenticity_token", token.as_str())).chain(fields.iter()) {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(self.url(path))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn follow_buttons_follow_requests_and_csrf() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "carol")
        .start()
        .await;
    let app = &world.app;
    let alice = Browser::signed_in(app, "a.test", "alice").await;
    let bob = Browser::signed_in(app, "a.test", "bob").await;
    let alice_api = world.login("a.test", "alice").await;
    let bob_id = world.account("a.test", "bob").id.0.to_string();
    let alice_id = world.account("a.test", "alice").id.0.to_string();

    // Bob approves followers by hand (the privacy page).
    alice.page("/search?q=bob").await;
    bob.page("/settings/privacy").await;
    let saved = bob.submit("/settings/privacy", &[("locked", "1"), ("discoverable", "1")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, html) = bob.page("/settings/privacy").await;
    assert!(html.contains("id=\"locked\" name=\"locked\" type=\"checkbox\" value=\"1\" checked"), "{html}");
    let bob_entity = alice_api.get_json(&format!("/api/v1/accounts/{bob_id}")).await;
    assert_eq!(bob_entity["locked"], true);

    // The search page shows bob with a follow button; it asks to follow.
    let (status, html) = alice.page("/search?q=bob").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("action=\"/accounts/{bob_id}/follow\"")), "{html}");
    assert!(html.contains("Request to follow"), "{html}");
    // Without the token (or with another session's), nothing happens.
    let refused = alice.post_raw(&format!("/accounts/{bob_id}/follow"), &[("return_to", "/search")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let bobs_token = bob.token.lock().unwrap().clone();
    let refused =
        alice.post_raw(&format!("/accounts/{bob_id}/follow"), &[("authenticity_token", bobs_token.as_str())]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["requested"], false);

    let followed = alice.submit(&format!("/accounts/{bob_id}/follow"), &[("return_to", "/search?q=bob")]).await;
    assert_eq!(followed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&followed), "/search?q=bob");
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["requested"], true);
    assert_eq!(rel[0]["following"], false);
    let (_, html) = alice.page("/search?q=bob").await;
    assert!(html.contains("Requested · Withdraw"), "{html}");

    // Bob accepts on the follow requests page.
    let (status, html) = bob.page("/follow_requests").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("@alice@a.test"), "{html}");
    let accepted = bob.submit(&format!("/follow_requests/{alice_id}/authorize"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["following"], true);
    let (_, html) = bob.page("/follow_requests").await;
    assert!(!html.contains("@alice@a.test"), "{html}");

    // Mute, unmute, unfollow through the buttons; Mute offers how long and whether to hide notifications.
    let (_, html) = alice.page("/search?q=bob").await;
    assert!(html.contains("Hide their notifications too") && html.contains("For how long"), "{html}");
    assert_eq!(alice.submit(&format!("/accounts/{bob_id}/mute"), &[]).await.status(), StatusCode::SEE_OTHER);
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["muting"], true);
    assert_eq!(rel[0]["muting_notifications"], true, "a bare Mute hides their notifications too");
    assert_eq!(rel[0]["muting_expires_at"], serde_json::Value::Null, "and lasts until unmuted");
    // The Mute form's options: for a day, notifications still shown.
    let timed = alice
        .submit(&format!("/accounts/{bob_id}/mute"), &[("duration", "86400"), ("notifications_choice", "1")])
        .await;
    assert_eq!(timed.status(), StatusCode::SEE_OTHER);
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["muting_notifications"], false, "{rel}");
    let ends_text = rel[0]["muting_expires_at"].as_str().expect("a timed mute ends").to_string();
    let ends = chrono::DateTime::parse_from_rfc3339(&ends_text).unwrap();
    let left = ends.signed_duration_since(chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&left), "about a day left: {left} minutes");
    // A duration that is none is refused and changes nothing.
    let bad = alice.submit(&format!("/accounts/{bob_id}/mute"), &[("duration", "forever-ish")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["muting_expires_at"].as_str(), Some(ends_text.as_str()), "unchanged by the refused form");
    assert_eq!(rel[0]["muting_notifications"], false, "unchanged by the refused form");
    assert_eq!(alice.submit(&format!("/accounts/{bob_id}/unmute"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice.submit(&format!("/accounts/{bob_id}/unfollow"), &[]).await.status(), StatusCode::SEE_OTHER);
    let rel = alice_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["following"], false);
    assert_eq!(rel[0]["muting"], false);
    // A return_to elsewhere is not followed.
    let away = alice.submit(&format!("/accounts/{bob_id}/block"), &[("return_to", "//evil.test/")]).await;
    assert_eq!(location(&away), "/home");
    assert_eq!(alice.submit(&format!("/accounts/{bob_id}/unblock"), &[]).await.status(), StatusCode::SEE_OTHER);

    // Carol on b.test: a.test's account ids and requests name nothing there.
    let carol = Browser::signed_in(app, "b.test", "carol").await;
    for action in ["follow", "block", "mute"] {
        let response = carol.submit(&format!("/accounts/{bob_id}/{action}"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let response = carol.submit(&format!("/follow_requests/{alice_id}/authorize"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Bob's session cookie is nothing on b.test.
    let stray = Browser::new(app, "b.test");
    stray.cookies.lock().unwrap().insert("kereru_session".into(), bob.cookie("kereru_session").unwrap());
    let response = stray.get("/follow_requests").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/auth/sign_in"));
    // Not signed in: sent to sign in and back.
    let visitor = Browser::new(app, "a.test");
    let response = visitor.get("/search?q=bob").await;
    assert_eq!(location(&response), "/auth/sign_in?return_to=%2Fsearch%3Fq%3Dbob");
    world.stop().await;
}

#[tokio::test]
async fn remote_follow_and_authorize_interaction_follow_across_servers() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("b.test", "carol")
        .start_federated(&["remote.test"], &[])
        .await;
    let app = &world.app;
    // Another server whose WebFinger names its subscribe page.
    world.remote.actor("remote.test", "zed");
    world.remote.put(
        "remote.test",
        "/.well-known/webfinger",
        json!({
            "subject": "acct:zed@remote.test",
            "links": [
                {"rel": "self", "type": "application/activity+json", "href": "http://remote.test/users/zed"},
                {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "http://remote.test/authorize_interaction?uri={uri}"}
            ]
        }),
    );

    // This tenant's WebFinger names its own interaction page.
    let jrd: serde_json::Value = app
        .client()
        .get("http://a.test/.well-known/webfinger?resource=acct:alice@a.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subscribe =
        jrd["links"].as_array().unwrap().iter().find(|l| l["rel"] == "http://ostatus.org/schema/1.0/subscribe");
    assert_eq!(subscribe.unwrap()["template"], "http://a.test/authorize_interaction?uri={uri}");

    // A visitor of alice's profile follows from their own server.
    let visitor = Browser::new(app, "a.test");
    let (status, html) = visitor.page("/@alice/remote_follow").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("@alice@a.test"), "{html}");
    let to_remote = visitor.submit("/@alice/remote_follow", &[("acct", "@zed@remote.test")]).await;
    assert_eq!(to_remote.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&to_remote), "http://remote.test/authorize_interaction?uri=acct%3Aalice%40a.test");
    let to_b = visitor.submit("/@alice/remote_follow", &[("acct", "carol@b.test")]).await;
    assert_eq!(location(&to_b), "http://b.test/authorize_interaction?uri=acct%3Aalice%40a.test");
    // Clear errors, the form again with what was typed.
    for (typed, says) in [("not a handle", "Enter your address"), ("nobody@unknown.test", "could not be reached")] {
        let response = visitor.submit("/@alice/remote_follow", &[("acct", typed)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let html = response.text().await.unwrap();
        assert!(html.contains(says) && html.contains("aria-invalid=\"true\""), "{typed}: {html}");
    }
    world.remote.put("remote.test", "/.well-known/webfinger", json!({"subject": "acct:zed@remote.test", "links": []}));
    let response = visitor.submit("/@alice/remote_follow", &[("acct", "zed@remote.test")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("no subscribe link"));
    assert_eq!(visitor.get("/@nobody/remote_follow").await.status(), StatusCode::NOT_FOUND);

    // Carol lands on b.test's interaction page: sign in first, then back.
    let carol = Browser::new(app, "b.test");
    let response = carol.get("/authorize_interaction?uri=acct%3Aalice%40a.test").await;
    assert_eq!(
        location(&response),
        "/auth/sign_in?return_to=%2Fauthorize_interaction%3Furi%3Dacct%253Aalice%2540a.test"
    );
    let carol = Browser::signed_in(app, "b.test", "carol").await;
    for uri in ["acct%3Aalice%40a.test", "%40alice%40a.test", "http%3A%2F%2Fa.test%2Fusers%2Falice"] {
        let (status, html) = carol.page(&format!("/authorize_interaction?uri={uri}")).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(html.contains("@alice@a.test") && html.contains("action=\"/authorize_interaction\""), "{uri}: {html}");
    }
    let alice_id = world.account("a.test", "alice").id.0.to_string();
    let response = carol.submit("/authorize_interaction", &[("id", &alice_id)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("You follow"), "{html}");
    let carol_api = world.login("b.test", "carol").await;
    let rel = carol_api.get_json(&format!("/api/v1/accounts/relationships?id[]={alice_id}")).await;
    assert_eq!(rel[0]["following"], true);
    let alice_api = world.login("a.test", "alice").await;
    let followers = alice_api.get_json(&format!("/api/v1/accounts/{alice_id}/followers")).await;
    assert_eq!(followers[0]["acct"], "carol@b.test", "{followers}");

    // A post URL: shown with a link to open it.
    let posted =
        alice_api.post_json("/api/v1/statuses", &[("status", "Hello from a.test"), ("visibility", "public")]).await;
    let uri = posted["uri"].as_str().unwrap();
    let encoded: String = url_encode(uri);
    let (status, html) = carol.page(&format!("/authorize_interaction?uri={encoded}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Hello from a.test") && html.contains("Open post"), "{html}");
    let (_, html) = carol.page(&format!("/search?q={encoded}")).await;
    assert!(html.contains("Open post"), "{html}");

    // Nothing found: said so.
    let (status, html) = carol.page("/authorize_interaction?uri=acct%3Anobody%40a.test").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Nothing found"));

    // Search resolves a handle on another server and shows the card with its buttons.
    world.remote.put(
        "remote.test",
        "/.well-known/webfinger",
        json!({
            "subject": "acct:zed@remote.test",
            "links": [{"rel": "self", "type": "application/activity+json", "href": "http://remote.test/users/zed"}]
        }),
    );
    let (status, html) = carol.page("/search?q=%40zed%40remote.test").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("@zed@remote.test") && html.contains("On another server"), "{html}");
    let zed = carol_api.get_json("/api/v1/accounts/lookup?acct=zed@remote.test").await;
    assert!(html.contains(&format!("action=\"/accounts/{}/follow\"", zed["id"].as_str().unwrap())), "{html}");
    // ...and finds a local account by name.
    let (_, html) = carol.page("/search?q=caro").await;
    assert!(html.contains("@carol@b.test"), "{html}");
    world.stop().await;
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn settings_pages_change_the_profile_and_end_apps_and_sessions() {
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "carol").start().await;
    let app = &world.app;
    let alice = Browser::signed_in(app, "a.test", "alice").await;
    let alice_api = world.login("a.test", "alice").await;

    // Profile: saved, shown again, and the same through the API.
    let (status, html) = alice.page("/settings/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("aria-current=\"page\">Profile"), "{html}");
    let saved = alice
        .submit_multipart(
            "/settings/profile",
            &[
                ("display_name", "Alice Liddell"),
                ("note", "Down the rabbit hole"),
                ("fields_attributes[0][name]", "Pronouns"),
                ("fields_attributes[0][value]", "she/her"),
                ("bot", "1"),
            ],
            &[("avatar", "a.png", PNG), ("header", "", b"")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), "/settings/profile?saved=1");
    let (_, html) = alice.page("/settings/profile?saved=1").await;
    assert!(html.contains("value=\"Alice Liddell\"") && html.contains("Your profile was saved"), "{html}");
    let me = alice_api.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["display_name"], "Alice Liddell");
    assert_eq!(me["bot"], true);
    assert_eq!(me["fields"][0]["name"], "Pronouns");
    assert!(!me["avatar"].as_str().unwrap().contains("missing"), "{me}");

    // Too long a name: the form again, with the error in place and what was typed; nothing changes.
    let long = "x".repeat(31);
    let refused =
        alice.submit_multipart("/settings/profile", &[("display_name", &long), ("note", "changed?")], &[]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("id=\"display_name-error\"") && html.contains(&format!("value=\"{long}\"")), "{html}");
    assert!(html.contains("changed?"));
    let me = alice_api.get_json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["display_name"], "Alice Liddell");
    // A file that is no image: the error next to the avatar field.
    let refused = alice
        .submit_multipart("/settings/profile", &[("display_name", "Alice")], &[("avatar", "x.png", b"not an image")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("id=\"avatar-error\""));
    // Without the token: refused.
    *alice.token.lock().unwrap() = "wrong".into();
    let refused = alice.submit_multipart("/settings/profile", &[("display_name", "Mallory")], &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Authorized apps: the API session's app, revoked → its token is refused.
    let (_, html) = alice.page("/settings/applications").await;
    assert!(html.contains("tests") && html.contains("read"), "{html}");
    let app_id = html.split("/settings/applications/").nth(1).unwrap().split('/').next().unwrap().to_string();
    // Another tenant: the id names nothing there.
    let carol = Browser::signed_in(app, "b.test", "carol").await;
    let response = carol.submit(&format!("/settings/applications/{app_id}/revoke"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(alice_api.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::OK);
    let revoked = alice.submit(&format!("/settings/applications/{app_id}/revoke"), &[]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice_api.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::UNAUTHORIZED);
    let (_, html) = alice.page("/settings/applications").await;
    assert!(html.contains("No apps are authorized"), "{html}");

    // Sessions: two browsers; this one is marked; the other is ended.
    let phone = Browser::signed_in(app, "a.test", "alice").await;
    let (_, html) = alice.page("/settings/sessions").await;
    assert!(html.contains("This session"), "{html}");
    let other_id = html.split("/settings/sessions/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let response = carol.submit(&format!("/settings/sessions/{other_id}/revoke"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(phone.get("/settings/profile").await.status(), StatusCode::OK);
    let ended = alice.submit(&format!("/settings/sessions/{other_id}/revoke"), &[]).await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    let response = phone.get("/settings/profile").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/auth/sign_in"));
    assert_eq!(alice.get("/settings/profile").await.status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn export_is_mastodon_csv_and_import_reads_it_back() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "dave")
        .user("b.test", "carol")
        .start()
        .await;
    let app = &world.app;
    let alice_api = world.login("a.test", "alice").await;
    let bob_id = world.account("a.test", "bob").id.0.to_string();
    let carol = alice_api.get_json("/api/v2/search?q=carol@b.test&resolve=true&type=accounts").await;
    let carol_id = carol["accounts"][0]["id"].as_str().unwrap().to_string();
    alice_api
        .post_json(&format!("/api/v1/accounts/{bob_id}/follow"), &[("reblogs", "false"), ("notify", "true")])
        .await;
    alice_api.post_json(&format!("/api/v1/accounts/{carol_id}/follow"), &[]).await;
    alice_api.post_json(&format!("/api/v1/accounts/{carol_id}/mute"), &[("notifications", "false")]).await;
    alice_api.post_json(&format!("/api/v1/accounts/{bob_id}/block"), &[]).await;

    let alice = Browser::signed_in(app, "a.test", "alice").await;
    let (status, html) = alice.page("/settings/export").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("following_accounts.csv"), "{html}");
    let csv = |path: &'static str| {
        let alice = &alice;
        async move {
            let response = alice.get(path).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
            response.text().await.unwrap()
        }
    };
    // Blocking bob ended the follow of bob.
    assert_eq!(
        csv("/settings/export/following_accounts.csv").await,
        "Account address,Show boosts,Notify on new posts,Languages\ncarol@b.test,true,false,\n"
    );
    assert_eq!(csv("/settings/export/blocked_accounts.csv").await, "bob@a.test\n");
    assert_eq!(
        csv("/settings/export/muted_accounts.csv").await,
        "Account address,Hide notifications\ncarol@b.test,false\n"
    );
    assert_eq!(alice.get("/settings/export/other.csv").await.status(), StatusCode::NOT_FOUND);

    // Dave imports a following file: good rows followed, bad ones reported.
    let dave = Browser::signed_in(app, "a.test", "dave").await;
    dave.page("/settings/import").await;
    let file = "Account address,Show boosts,Notify on new posts,Languages\n\
                bob@a.test,false,true,\n\
                carol@b.test,true,false,\n\
                nobody@a.test,true,false,\n\
                <script>alert(1)</script>\n";
    let response = dave
        .submit_multipart(
            "/settings/import",
            &[("type", "following"), ("mode", "merge")],
            &[("data", "following_accounts.csv", file.as_bytes())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("<strong>2</strong> accounts imported"), "{html}");
    assert!(
        html.contains("nobody@a.test") && html.contains("&lt;script&gt;") && !html.contains("<script>alert"),
        "{html}"
    );
    let dave_api = world.login("a.test", "dave").await;
    let dave_id = world.account("a.test", "dave").id.0.to_string();
    let following = dave_api.get_json(&format!("/api/v1/accounts/{dave_id}/following")).await;
    let mut accts: Vec<&str> = following.as_array().unwrap().iter().map(|a| a["acct"].as_str().unwrap()).collect();
    accts.sort();
    assert_eq!(accts, ["bob", "carol@b.test"]);
    let rel = dave_api.get_json(&format!("/api/v1/accounts/relationships?id[]={bob_id}")).await;
    assert_eq!(rel[0]["showing_reblogs"], false);
    assert_eq!(rel[0]["notifying"], true);

    // Overwrite with a blocks file naming only carol; then no kind chosen, an empty file: errors in place.
    let response = dave
        .submit_multipart(
            "/settings/import",
            &[("type", "following"), ("mode", "overwrite")],
            &[("data", "following_accounts.csv", b"carol@b.test\n")],
        )
        .await;
    assert!(response.text().await.unwrap().contains("<strong>1</strong> removed"));
    let following = dave_api.get_json(&format!("/api/v1/accounts/{dave_id}/following")).await;
    assert_eq!(following.as_array().unwrap().len(), 1);
    let response =
        dave.submit_multipart("/settings/import", &[("type", "nonsense")], &[("data", "x.csv", b"a@b.test")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = dave.submit_multipart("/settings/import", &[("type", "blocking")], &[("data", "x.csv", b"")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Choose a CSV file"));
    world.stop().await;
}
