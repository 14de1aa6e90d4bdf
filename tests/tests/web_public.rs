//! The public pages of the web interface: posts, profiles, feeds, the front
//! page; what they show a visitor and a signed-in person, and what they never
//! show (other tenants' posts, posts a visitor may not see, executable HTML).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::domains::{NewDomain, Registrations};
use kereru_tests::{PASSWORD, Session, TestApp, World, new_domain};
use reqwest::StatusCode;
use serde_json::json;

/// A page's HTML as a browser gets it (tera writes `/` in attributes as `&#x2F;`).
async fn page(app: &TestApp, host: &str, path: &str) -> (StatusCode, String) {
    get_page(app, host, path, None).await
}

async fn get_page(app: &TestApp, host: &str, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client().get(app.url(host, path)).header("Accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap().replace("&#x2F;", "/"))
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get_all("set-cookie").iter().find_map(|value| {
        let value = value.to_str().ok()?;
        let pair = value.split(';').next()?;
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name && !value.is_empty()).then(|| value.to_string())
    })
}

fn form_token(html: &str) -> String {
    let needle = "name=\"authenticity_token\" value=\"";
    let at = html.find(needle).expect("a token in the form") + needle.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Signs in through the sign-in form; the `Cookie` header of the session.
async fn sign_in(app: &TestApp, host: &str, login: &str) -> String {
    let client = app.client();
    let form = client.get(app.url(host, "/auth/sign_in")).send().await.unwrap();
    let form_cookie = cookie_value(&form, "kereru_form").expect("a form cookie");
    let token = form_token(&form.text().await.unwrap());
    let response = client
        .post(app.url(host, "/auth/sign_in"))
        .header("Cookie", format!("kereru_form={form_cookie}"))
        .form(&[("authenticity_token", token.as_str()), ("login", login), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in as {login}");
    format!("kereru_session={}", cookie_value(&response, "kereru_session").expect("a session cookie"))
}

/// The value of `<meta property|name="KEY" content="...">`.
fn meta(html: &str, key: &str) -> Option<String> {
    ["property", "name"].iter().find_map(|attr| {
        let needle = format!("<meta {attr}=\"{key}\" content=\"");
        let at = html.find(&needle)? + needle.len();
        Some(html[at..].split('"').next()?.to_string())
    })
}

// ---------------------------------------------------------------------------
// What "executable" means here: a tiny HTML tag scanner (the pages are ours,
// so every `<` in them starts a tag: tera escapes `<` in text and attributes).

struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset + 1;
        if html[start..].starts_with("!--") {
            i = start + html[start..].find("-->").map_or(html.len() - start, |end| end + 3);
            continue;
        }
        let mut j = start;
        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
            j += 1;
        }
        if html[start..].starts_with('/') {
            // A closing tag has no attributes that run.
            i = start + html[start..].find('>').unwrap_or(html.len() - start);
            continue;
        }
        let name = html[start..j].to_ascii_lowercase();
        let mut attributes = Vec::new();
        loop {
            while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] == b'>' {
                break;
            }
            let name_start = j;
            while j < bytes.len() && !bytes[j].is_ascii_whitespace() && !matches!(bytes[j], b'=' | b'>') {
                j += 1;
            }
            let attribute = html[name_start..j].to_ascii_lowercase();
            let mut value = String::new();
            if j < bytes.len() && bytes[j] == b'=' {
                j += 1;
                if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
                    let quote = bytes[j] as char;
                    let end = html[j + 1..].find(quote).map_or(html.len(), |e| j + 1 + e);
                    value = html[j + 1..end].to_string();
                    j = end + 1;
                } else {
                    let value_start = j;
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                        j += 1;
                    }
                    value = html[value_start..j].to_string();
                }
            }
            attributes.push((attribute, value));
        }
        out.push(Tag { name, attributes });
        i = j.min(html.len());
    }
    out
}

/// Panics if the page has script other than its own script file, an event
/// handler attribute, or a `javascript:` URL anywhere a browser would follow one.
fn assert_nothing_executable(html: &str, what: &str) {
    for tag in tags(html) {
        if tag.name == "script" {
            let src = tag.attributes.iter().find(|(k, _)| k == "src").map(|(_, v)| v.as_str()).unwrap_or("");
            assert!(src.starts_with("/static/kereru."), "{what}: a script that is not ours: {src:?}\n{html}");
        }
        assert!(!matches!(tag.name.as_str(), "iframe" | "object" | "embed" | "base"), "{what}: <{}>", tag.name);
        for (name, value) in &tag.attributes {
            assert!(!name.starts_with("on"), "{what}: <{} {name}={value:?}>\n{html}", tag.name);
            let value = value.trim().to_ascii_lowercase().replace("&#x3a;", ":").replace("&colon;", ":");
            if matches!(name.as_str(), "href" | "src" | "action" | "formaction" | "poster" | "srcset" | "content") {
                assert!(
                    !value.starts_with("javascript:") && !value.starts_with("data:text"),
                    "{what}: <{} {name}={value:?}>",
                    tag.name
                );
            }
        }
    }
}

#[test]
fn the_scanner_sees_what_a_browser_would_run() {
    let bad = [
        "<p><img src=x onerror=alert(1)></p>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<script>alert(1)</script>",
        "<div\nonclick='x'>",
    ];
    for html in bad {
        assert!(std::panic::catch_unwind(|| assert_nothing_executable(html, "t")).is_err(), "{html}");
    }
    assert_nothing_executable(
        "<meta content=\"&lt;img src=x onerror=alert(1)&gt;\"><p>&lt;script&gt; javascript:alert(1)</p>\
         <script src=\"/static/kereru.abc.js\" defer></script>",
        "escaped",
    );
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_post_page_shows_the_thread_with_the_post_in_focus() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "carol").start().await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let first = alice.toot("The first post of a thread", "public").await;
    let reply = carol.post_json("/api/v1/statuses", &[("status", "@alice a reply"), ("in_reply_to_id", &first)]).await
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, html) = page(&world.app, "a.test", &format!("/@alice/{first}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("class=\"status h-entry focus\""), "{html}");
    assert!(html.contains("The first post of a thread"), "{html}");
    assert!(html.contains("e-content") && html.contains("p-author h-card") && html.contains("dt-published"), "{html}");
    assert!(html.contains(&format!("id=\"status-{reply}\"")), "the reply is in the thread: {html}");
    // A visitor gets no action buttons.
    assert!(!html.contains("/favourite\""), "{html}");
    // The reply's page shows its ancestor above it.
    let (_, html) = page(&world.app, "a.test", &format!("/@carol/{reply}")).await;
    let ancestor = html.find(&format!("id=\"status-{first}\"")).expect("ancestor shown");
    let focus = html.find("focus\"").expect("focus");
    assert!(ancestor < focus, "the ancestor comes first");
    // The post under another author's name, a boost's id, a bad id: 404.
    for path in [format!("/@carol/{first}"), "/@alice/notanid".to_string(), "/@nobody/1".to_string()] {
        assert_eq!(page(&world.app, "a.test", &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    // Servers still get the Note.
    let note = world
        .app
        .client()
        .get(world.app.url("a.test", &format!("/@alice/{first}")))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::OK);
    let note: serde_json::Value = note.json().await.unwrap();
    assert_eq!(note["type"], "Note");
    world.app.stop().await;
}

#[tokio::test]
async fn open_graph_meta_and_alternate_links_describe_profiles_and_posts() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let alice = world.login("a.test", "alice").await;
    patch(
        &alice,
        "/api/v1/accounts/update_credentials",
        &[("display_name", "Alice Kererū"), ("note", "Bird watcher & <coffee> lover")],
    )
    .await;
    let id = alice.toot("Kererū season is here, and the <karaka> berries are ripe", "public").await;

    let (status, html) = page(&world.app, "a.test", "/@alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta(&html, "og:type").as_deref(), Some("profile"));
    assert_eq!(meta(&html, "og:title").as_deref(), Some("Alice Kererū (@alice@a.test)"));
    assert_eq!(meta(&html, "og:description").as_deref(), Some("Bird watcher &amp; &lt;coffee&gt; lover"));
    assert_eq!(meta(&html, "og:url").as_deref(), Some("http://a.test/@alice"));
    assert_eq!(meta(&html, "og:image").as_deref(), Some("http://a.test/avatars/original/missing.png"));
    assert_eq!(meta(&html, "twitter:card").as_deref(), Some("summary"));
    assert!(
        html.contains("<link rel=\"alternate\" type=\"application/activity+json\" href=\"http://a.test/users/alice\">")
    );
    assert!(html.contains("type=\"application/rss+xml\""), "{html}");
    assert!(html.contains("class=\"card profile h-card\""), "{html}");
    // Visitors get a way to follow from their own server.
    assert!(html.contains("href=\"/@alice/remote_follow\""), "{html}");

    let (_, html) = page(&world.app, "a.test", &format!("/@alice/{id}")).await;
    assert_eq!(meta(&html, "og:type").as_deref(), Some("article"));
    assert_eq!(
        meta(&html, "og:description").as_deref(),
        Some("Kererū season is here, and the &lt;karaka&gt; berries are ripe")
    );
    assert_eq!(meta(&html, "og:url").as_deref(), Some(format!("http://a.test/@alice/{id}").as_str()));
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"http://a.test/@alice/{id}\">")), "{html}");
    assert!(
        html.contains(&format!("type=\"application/activity+json\" href=\"http://a.test/users/alice/statuses/{id}\""))
    );
    world.app.stop().await;
}

#[tokio::test]
async fn followers_only_posts_are_not_found_by_visitors_and_shown_to_followers() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let public = alice.toot("A public post everyone may read", "public").await;
    let private = alice.toot("Only my followers read this", "private").await;
    let reply = alice
        .post_json(
            "/api/v1/statuses",
            &[("status", "A followers-only reply"), ("in_reply_to_id", &public), ("visibility", "private")],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(page(&world.app, "a.test", &format!("/@alice/{private}")).await.0, StatusCode::NOT_FOUND);
    let (_, profile) = page(&world.app, "a.test", "/@alice").await;
    assert!(profile.contains("A public post everyone may read"), "{profile}");
    assert!(!profile.contains("Only my followers"), "{profile}");
    let (_, thread) = page(&world.app, "a.test", &format!("/@alice/{public}")).await;
    assert!(!thread.contains("A followers-only reply") && !thread.contains(&reply), "{thread}");
    let (_, local) = page(&world.app, "a.test", "/public/local").await;
    assert!(local.contains("A public post") && !local.contains("Only my followers"), "{local}");

    // Bob follows alice and signs in: now he sees it, with the actions he may take.
    let alice_id = alice.account_id.clone();
    bob.post_json(&format!("/api/v1/accounts/{alice_id}/follow"), &[]).await;
    let cookie = sign_in(&world.app, "a.test", "bob").await;
    let (status, html) = get_page(&world.app, "a.test", &format!("/@alice/{private}"), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Only my followers read this"), "{html}");
    assert!(html.contains(&format!("action=\"/statuses/{private}/favourite\"")), "{html}");
    // Followers-only posts cannot be boosted; bob's forms carry his session's token.
    assert!(!html.contains(&format!("action=\"/statuses/{private}/reblog\"")), "{html}");
    assert!(!html.contains(&format!("/statuses/{private}/delete")), "not his post: {html}");
    assert!(html.contains("name=\"authenticity_token\" value=\"") && html.contains("name=\"return_to\""));
    let (_, html) = get_page(&world.app, "a.test", "/@alice", Some(&cookie)).await;
    assert!(html.contains("Only my followers read this"), "{html}");
    // Alice's own posts carry edit and delete.
    let alice_cookie = sign_in(&world.app, "a.test", "alice").await;
    let (_, html) = get_page(&world.app, "a.test", &format!("/@alice/{public}"), Some(&alice_cookie)).await;
    assert!(html.contains(&format!("href=\"/statuses/{public}/edit\"")), "{html}");
    assert!(html.contains(&format!("action=\"/statuses/{public}/delete\" data-confirm=")), "{html}");
    assert!(html.contains("aria-pressed=\"false\""), "{html}");
    world.app.stop().await;
}

#[tokio::test]
async fn one_tenant_never_shows_another_tenants_posts_or_people() {
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "dave").start().await;
    let alice = world.login("a.test", "alice").await;
    let dave = world.login("b.test", "dave").await;
    let id = alice.toot("Alice's words stay on a.test", "public").await;
    dave.toot("Dave posts on b.test", "public").await;
    for path in [format!("/@alice/{id}"), format!("/@dave/{id}"), "/@alice".into(), "/@alice.rss".into()] {
        let (status, html) = page(&world.app, "b.test", &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Alice's words"), "{path}: {html}");
    }
    for path in ["/@dave", "/", "/public/local", "/about", "/@dave.rss"] {
        let (status, html) = page(&world.app, "b.test", path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("Alice's words") && !html.contains("alice@a.test"), "{path}: {html}");
    }
    // A session of a.test is worth nothing on b.test.
    let cookie = sign_in(&world.app, "a.test", "alice").await;
    let response =
        world.app.client().get(world.app.url("b.test", "/home")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    world.app.stop().await;
}

#[tokio::test]
async fn profiles_and_timelines_are_paged_by_max_id() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let alice = world.login("a.test", "alice").await;
    let mut ids = Vec::new();
    for n in 1..=23 {
        ids.push(alice.toot(&format!("Numbered post {n:02} #counting"), "public").await);
    }
    for path in ["/@alice", "/public/local", "/tags/counting"] {
        let (_, first) = page(&world.app, "a.test", path).await;
        assert_eq!(first.matches("<article class=\"status").count(), 20, "{path}");
        assert!(first.contains("Numbered post 23") && !first.contains("Numbered post 03"), "{path}");
        let next = format!("{path}?max_id={}", ids[3]);
        assert!(first.contains(&format!("<a rel=\"next\" href=\"{next}\">")), "{path}: {first}");
        assert!(first.contains(&format!("<link rel=\"next\" href=\"{next}\">")), "{path}");
        let (_, second) = page(&world.app, "a.test", &next).await;
        assert_eq!(second.matches("<article class=\"status").count(), 3, "{path}: {second}");
        assert!(second.contains("Numbered post 03") && second.contains("Numbered post 01"), "{path}");
        assert!(!second.contains("Numbered post 04") && !second.contains("rel=\"next\""), "{path}");
    }
    let (_, tag) = page(&world.app, "a.test", "/tags/Counting").await;
    assert!(tag.contains("<h1>#counting</h1>"), "{tag}");
    // Signed in: the home timeline pages the same way.
    let cookie = sign_in(&world.app, "a.test", "alice").await;
    let (status, home) = get_page(&world.app, "a.test", "/home", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home.matches("<article class=\"status").count(), 20);
    assert!(home.contains(&format!("/home?max_id={}", ids[3])), "{home}");
    world.app.stop().await;
}

#[tokio::test]
async fn the_rss_feed_has_one_item_per_public_post() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let alice = world.login("a.test", "alice").await;
    patch(&alice, "/api/v1/accounts/update_credentials", &[("display_name", "Alice & Co")]).await;
    let public = alice.toot("Feed me <fish> & chips #food", "public").await;
    alice.toot("Not in the feed: unlisted", "unlisted").await;
    alice.toot("Not in the feed: followers only", "private").await;
    let response = world.app.client().get(world.app.url("a.test", "/@alice.rss")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/rss+xml; charset=utf-8");
    let xml = response.text().await.unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\""), "{xml}");
    assert!(xml.contains("<title>Alice &amp; Co</title>"), "{xml}");
    assert!(xml.contains("<link>http://a.test/@alice</link>"), "{xml}");
    assert!(xml.contains("<description>Public posts from @alice@a.test</description>"), "{xml}");
    assert!(xml.contains("<image><url>http://a.test/avatars/original/missing.png</url>"), "{xml}");
    assert_eq!(xml.matches("<item>").count(), 1, "{xml}");
    assert!(xml.contains(&format!("<guid isPermaLink=\"true\">http://a.test/@alice/{public}</guid>")), "{xml}");
    // The description is the post's HTML, escaped once for XML.
    assert!(xml.contains("Feed me &amp;lt;fish&amp;gt; &amp;amp; chips"), "{xml}");
    assert!(xml.contains("<pubDate>") && xml.contains("+0000</pubDate>"), "{xml}");
    assert!(xml.contains("<category>food</category>"), "{xml}");
    assert!(!xml.contains("Not in the feed"), "{xml}");
    assert_eq!(page(&world.app, "a.test", "/@nobody.rss").await.0, StatusCode::NOT_FOUND);
    world.app.stop().await;
}

#[tokio::test]
async fn the_front_page_and_about_page_show_the_tenants_description_rules_and_people() {
    let closed = NewDomain { registrations: Registrations::Closed, ..new_domain("b.test", None) };
    let world =
        World::new().tenant("a.test").domain(closed).user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    patch(&alice, "/api/v1/accounts/update_credentials", &[("note", "I watch birds.\n\nAnd <b>bold</b> things.")])
        .await;
    {
        let pool = world.app.database.pool();
        let mut conn = pool.get().await.unwrap();
        let tenant = world.domain("a.test").id;
        kereru_store::about::update(&mut conn, tenant, Some("Bird Town"), Some("A place for <bird> people & friends"))
            .await
            .unwrap();
        kereru_store::about::add_rule(&mut conn, tenant, "Be kind to <everyone>").await.unwrap();
        let gone = kereru_store::about::add_rule(&mut conn, tenant, "A rule removed again").await.unwrap();
        kereru_store::about::add_rule(&mut conn, tenant, "No spam").await.unwrap();
        assert!(kereru_store::about::remove_rule(&mut conn, tenant, gone.id).await.unwrap());
    }
    let (status, html) = page(&world.app, "a.test", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("A place for &lt;bird&gt; people &amp; friends"), "{html}");
    let kind = html.find("<li>Be kind to &lt;everyone&gt;</li>").expect("the first rule");
    let spam = html.find("<li>No spam</li>").expect("the second rule");
    assert!(kind < spam && !html.contains("A rule removed again"), "{html}");
    assert!(html.contains("@alice@a.test") && html.contains("@bob@a.test"), "{html}");
    assert!(html.contains("I watch birds. And &lt;b&gt;bold&lt;/b&gt; things."), "the bio as plain text: {html}");
    assert!(html.contains("href=\"/auth/sign_in\""), "{html}");
    // Sign-ups are open here; on a closed tenant there is no sign-up link, and it says so.
    assert!(html.contains("<a class=\"button\" href=\"/auth/sign_up\">Create an account</a>"), "{html}");
    let (_, closed) = page(&world.app, "b.test", "/").await;
    assert!(!closed.contains("href=\"/auth/sign_up\"") && closed.contains("not taking sign-ups"), "{closed}");
    let (status, about) = page(&world.app, "a.test", "/about").await;
    assert_eq!(status, StatusCode::OK);
    assert!(about.contains("A place for &lt;bird&gt; people") && about.contains("<li>No spam</li>"), "{about}");
    // The instance API says the same.
    let instance = alice.get_json("/api/v2/instance").await;
    assert_eq!(instance["description"], "A place for <bird> people & friends");
    assert_eq!(instance["rules"][0]["text"], "Be kind to <everyone>");
    assert_eq!(instance["rules"].as_array().unwrap().len(), 2);
    let v1 = alice.get_json("/api/v1/instance").await;
    assert_eq!(v1["title"], "Bird Town");
    assert_eq!(v1["rules"][1]["text"], "No spam");
    world.app.stop().await;
}

#[tokio::test]
async fn home_and_notifications_are_for_the_person_signed_in() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    for path in ["/home", "/notifications"] {
        let response = world.app.client().get(world.app.url("a.test", path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()["location"], format!("/auth/sign_in?return_to=%2F{}", &path[1..]));
    }
    let id = alice.toot("Something worth a star", "public").await;
    bob.post_json(&format!("/api/v1/statuses/{id}/favourite"), &[]).await;
    bob.post_json(&format!("/api/v1/accounts/{}/follow", alice.account_id), &[]).await;
    let cookie = sign_in(&world.app, "a.test", "alice").await;
    let (status, html) = get_page(&world.app, "a.test", "/notifications", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<li class=\"notification ").count(), 2, "{html}");
    assert!(html.contains("followed you") && html.contains("favourited your post"), "{html}");
    assert!(html.contains("Something worth a star"), "{html}");
    assert!(html.contains("aria-current=\"page\">Notifications"), "{html}");
    let (_, home) = get_page(&world.app, "a.test", "/home", Some(&cookie)).await;
    assert!(home.contains("Something worth a star") && !home.contains("{# =="), "{home}");
    assert!(home.contains("aria-current=\"page\">Home"), "{home}");
    world.app.stop().await;
}

/// Posts and profiles, local and from other servers, carrying script,
/// event-handler and `javascript:` payloads, render with none of them executable.
#[tokio::test]
async fn hostile_html_in_posts_and_profiles_is_never_executable() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start_federated(&["remote.test"], &[]).await;
    let alice = world.login("a.test", "alice").await;
    // A local account and post, full of payloads (local text is escaped).
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)> <a href=\"javascript:alert(3)\">x</a> \
                   javascript:alert(4) \"><svg onload=alert(5)>";
    patch(
        &alice,
        "/api/v1/accounts/update_credentials",
        &[
            ("display_name", "<script>alert(6)</script>"),
            ("note", payload),
            ("fields_attributes[0][name]", "<b onmouseover=alert(7)>x</b>"),
            ("fields_attributes[0][value]", "javascript:alert(8)"),
            ("fields_attributes[1][name]", "site"),
            ("fields_attributes[1][value]", "<a href=\"javascript:alert(9)\">click</a>"),
        ],
    )
    .await;
    let local = alice
        .post_json("/api/v1/statuses", &[("status", payload), ("spoiler_text", "<img src=x onerror=alert(10)>")])
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A remote actor whose profile and post are hostile; alice follows it and boosts the post.
    let mallory = world.remote.actor("remote.test", "mallory");
    let mut document = mallory.document();
    document["name"] = json!("<img src=x onerror=alert(11)>Mallory");
    document["summary"] =
        json!("<p>Hi<script>alert(12)</script><a href=\"javascript:alert(13)\" onclick=\"alert(14)\">me</a></p>");
    document["icon"] = json!({"type": "Image", "url": "javascript:alert(15)"});
    document["image"] = json!({"type": "Image", "url": "javascript:alert(16)"});
    document["url"] = json!("javascript:alert(17)");
    world.remote.put("remote.test", "/users/mallory", document);
    world.follow_accepted(&alice, "http://a.test/users/alice", &mallory).await;
    let note_id = format!("{}/statuses/1", mallory.id);
    let create = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{note_id}/activity"),
        "type": "Create", "actor": mallory.id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{}/followers", mallory.id)],
        "object": {"id": note_id, "type": "Note", "attributedTo": mallory.id,
            "content": "<p>mallory-was-here<script>alert(19)</script><img src=x onerror=alert(20)>\
                        <a href=\"javascript:alert(21)\">link</a><iframe src=\"http://remote.test/x\"></iframe>\
                        <a href=\"http://remote.test/ok\" onmouseover=\"alert(22)\" style=\"position:fixed\">ok</a></p>",
            "summary": "<b onclick=alert(23)>cw</b>",
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(24)",
                            "name": "\"><script>alert(25)</script>"},
                           {"type": "Document", "mediaType": "image/png", "url": "http://remote.test/pic.png",
                            "name": "\" onerror=\"alert(26)"}],
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{}/followers", mallory.id)]}});
    assert_eq!(world.post("http://a.test/users/alice/inbox", &create.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let home = alice.get_json("/api/v1/timelines/home").await;
    let remote = home
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uri"] == note_id.as_str())
        .unwrap_or_else(|| panic!("the remote post arrived: {home}"));
    let remote_id = remote["id"].as_str().unwrap().to_string();
    alice.post_json(&format!("/api/v1/statuses/{remote_id}/reblog"), &[]).await;

    let cookie = sign_in(&world.app, "a.test", "alice").await;
    let mut seen_remote = false;
    for (path, cookie) in [
        ("/@alice".to_string(), None),
        (format!("/@alice/{local}"), None),
        ("/".to_string(), None),
        ("/public/local".to_string(), None),
        ("/home".to_string(), Some(cookie.as_str())),
        ("/@alice".to_string(), Some(cookie.as_str())),
    ] {
        let (status, html) = get_page(&world.app, "a.test", &path, cookie).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_nothing_executable(&html, &path);
        seen_remote |= html.contains("mallory-was-here");
    }
    assert!(seen_remote, "the hostile remote post was on a page");
    let (_, html) = get_page(&world.app, "a.test", "/home", Some(&cookie)).await;
    assert!(html.contains("mallory-was-here") && html.contains("@mallory@remote.test"), "{html}");
    world.stop().await;
}

/// `PATCH` through the client API (profile updates).
async fn patch(session: &Session, path: &str, form: &[(&str, &str)]) {
    let response = session
        .client
        .patch(format!("http://{}{path}", session.host))
        .bearer_auth(&session.token)
        .form(form)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "PATCH {path}: {}", response.status());
}
