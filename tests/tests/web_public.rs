//! The public pages of the web interface: posts, profiles, feeds, the front
//! page; what they show a visitor and a signed-in person, and what they never
//! show (other tenants' posts, posts a visitor may not see, executable HTML).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{TestApp, World};
use reqwest::StatusCode;

/// A page's HTML as a browser gets it (tera writes `/` in attributes as `&#x2F;`).
async fn page(app: &TestApp, host: &str, path: &str) -> (StatusCode, String) {
    let response = app.client().get(app.url(host, path)).header("Accept", "text/html").send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap().replace("&#x2F;", "/"))
}

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
    assert!(html.contains("property=\"og:type\" content=\"article\""), "{html}");
    // A visitor gets no action buttons.
    assert!(!html.contains("/favourite\""), "{html}");
    // The reply's page shows its ancestor above it.
    let (_, html) = page(&world.app, "a.test", &format!("/@carol/{reply}")).await;
    let ancestor = html.find(&format!("id=\"status-{first}\"")).expect("ancestor shown");
    let focus = html.find("focus\"").expect("focus");
    assert!(ancestor < focus, "the ancestor comes first");
    world.app.stop().await;
}
