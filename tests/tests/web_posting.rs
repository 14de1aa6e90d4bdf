//! Writing from the web interface: the compose form with images and alt
//! text, its errors (nothing is posted), the small forms under a post, edits,
//! and that none of them reaches another person's or another tenant's posts.

use image::{ImageFormat, Rgb, RgbImage};
use kereru_tests::{Browser, World};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::io::Cursor;

fn png() -> Vec<u8> {
    let picture = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut bytes = Cursor::new(Vec::new());
    picture.write_to(&mut bytes, ImageFormat::Png).unwrap_or_else(|e| panic!("png: {e}"));
    bytes.into_inner()
}

fn compose(token: &str, text: &str) -> Form {
    Form::new().text("authenticity_token", token.to_string()).text("status", text.to_string())
}

async fn compose_token(browser: &Browser) -> String {
    browser.get("/statuses/new").await.csrf_token()
}

#[tokio::test]
async fn a_post_with_an_image_and_alt_text_is_published_and_errors_post_nothing() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("alice").await;
    let api = world.login("a.test", "alice").await;
    let statuses = format!("/api/v1/accounts/{}/statuses", api.account_id);

    // No text, no image: the form comes back with the reason, nothing is posted.
    let token = compose_token(&browser).await;
    let refused = browser.post_multipart("/statuses", compose(&token, "  ").text("spoiler_text", "kept cw")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("role=\"alert\""), "{}", refused.body);
    assert!(refused.body.contains("Text can&#x27;t be blank") || refused.body.contains("Text can't be blank"));
    assert!(refused.body.contains("value=\"kept cw\""), "what was typed is kept");
    // Too long: refused too.
    let long = "x".repeat(501);
    let refused = browser.post_multipart("/statuses", compose(&token, &long)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Not an image: refused, and no attachment is left behind.
    let form = compose(&token, "a broken picture").part(
        "media_1",
        Part::bytes(b"not an image".to_vec())
            .file_name("x.png")
            .mime_str("image/png")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let refused = browser.post_multipart("/statuses", form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    // Without the CSRF token: 403.
    let forged = Form::new().text("status", "forged");
    assert_eq!(browser.post_multipart("/statuses", forged).await.status, StatusCode::FORBIDDEN);
    assert_eq!(api.get_json(&statuses).await.as_array().map(Vec::len), Some(0), "nothing was posted");
    let media_dir = world.app.media_dir.join(world.domain("a.test").id.0.to_string());
    let files = std::fs::read_dir(&media_dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "a refused post leaves no files");

    // A good post: text, content warning, visibility, language and an image with alt text.
    let image = Part::bytes(png()).file_name("garden.png").mime_str("image/png").unwrap_or_else(|e| panic!("{e}"));
    let form = compose(&token, "Kererū in the garden #birds")
        .text("spoiler_text", "bird photo")
        .text("visibility", "unlisted")
        .text("language", "en")
        .part("media_1", image)
        .text("description_1", "A wood pigeon on a branch");
    let posted = browser.post_multipart("/statuses", form).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let list = api.get_json(&statuses).await;
    let status = &list[0];
    assert_eq!(status["spoiler_text"], "bird photo");
    assert_eq!(status["visibility"], "unlisted");
    assert_eq!(status["language"], "en");
    assert_eq!(status["media_attachments"][0]["description"], "A wood pigeon on a branch");
    assert_eq!(status["media_attachments"][0]["type"], "image");
    assert!(status["content"].as_str().unwrap_or("").contains("Kererū in the garden"));
}

#[tokio::test]
async fn the_forms_under_a_post_act_as_the_api_does_and_only_on_what_the_person_may_touch() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "carol")
        .start()
        .await;
    let alice_api = world.login("a.test", "alice").await;
    let bob_api = world.login("a.test", "bob").await;
    let carol_api = world.login("b.test", "carol").await;
    let alices = alice_api.toot("hello from alice", "public").await;
    let carols = carol_api.toot("hello from carol", "public").await;

    let bob = Browser::new(&world.app, "a.test");
    bob.sign_in("bob").await;
    let token = bob.get("/").await.csrf_token();
    for action in ["favourite", "bookmark", "reblog"] {
        let page = bob
            .post(
                &format!("/statuses/{alices}/{action}"),
                &[("authenticity_token", &token), ("return_to", "/public/local")],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{action}: {}", page.body);
        assert_eq!(page.location(), Some("/public/local"));
    }
    let seen: Value = bob_api.get_json(&format!("/api/v1/statuses/{alices}")).await;
    assert_eq!(seen["favourited"], true);
    assert_eq!(seen["bookmarked"], true);
    assert_eq!(seen["reblogged"], true);
    let page = bob.post(&format!("/statuses/{alices}/unfavourite"), &[("authenticity_token", &token)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob_api.get_json(&format!("/api/v1/statuses/{alices}")).await["favourited"], false);

    // Bob cannot delete or edit alice's post; the forms answer 404 and nothing changes.
    let page = bob.post(&format!("/statuses/{alices}/delete"), &[("authenticity_token", &token)]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(bob.get(&format!("/statuses/{alices}/edit")).await.status, StatusCode::NOT_FOUND);
    let page = bob
        .post(&format!("/statuses/{alices}/edit"), &[("authenticity_token", &token), ("status", "bob was here")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        alice_api.get_json(&format!("/api/v1/statuses/{alices}")).await["content"]
            .as_str()
            .unwrap_or("")
            .contains("hello from alice")
    );
    // A post of another tenant, asked for through this tenant's host: not found.
    let page = bob.post(&format!("/statuses/{carols}/favourite"), &[("authenticity_token", &token)]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(carol_api.get_json(&format!("/api/v1/statuses/{carols}")).await["favourites_count"], 0);
    // An unknown action or a non-numeric id: 404.
    assert_eq!(
        bob.post(&format!("/statuses/{alices}/explode"), &[("authenticity_token", &token)]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.post("/statuses/abc/favourite", &[("authenticity_token", &token)]).await.status,
        StatusCode::NOT_FOUND
    );

    // Alice edits and deletes her own post.
    let alice = Browser::new(&world.app, "a.test");
    alice.sign_in("alice").await;
    let edit_form = alice.get(&format!("/statuses/{alices}/edit")).await;
    assert_eq!(edit_form.status, StatusCode::OK);
    assert!(edit_form.body.contains("hello from alice"));
    let token = edit_form.csrf_token();
    let page = alice
        .post(&format!("/statuses/{alices}/edit"), &[("authenticity_token", &token), ("status", "hello, edited")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some(format!("/@alice/{alices}").as_str()));
    let edited = alice_api.get_json(&format!("/api/v1/statuses/{alices}")).await;
    assert!(edited["content"].as_str().unwrap_or("").contains("hello, edited"));
    assert!(edited["edited_at"].is_string());
    let page = alice
        .post(
            &format!("/statuses/{alices}/delete"),
            &[("authenticity_token", &token), ("return_to", &format!("/@alice/{alices}"))],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/home"), "the deleted post's page is gone: go home");
    assert_eq!(alice_api.get(&format!("/api/v1/statuses/{alices}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reply_starts_with_the_mention_and_keeps_the_thread() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "bob").start().await;
    let alice_api = world.login("a.test", "alice").await;
    let parent = alice_api.toot("a question for everyone", "private").await;
    let bob_api = world.login("a.test", "bob").await;
    // Bob follows alice so that he may see her followers-only post.
    let alice_id = alice_api.account_id.clone();
    assert!(bob_api.post(&format!("/api/v1/accounts/{alice_id}/follow"), &[]).await.status().is_success());

    let bob = Browser::new(&world.app, "a.test");
    bob.sign_in("bob").await;
    let form = bob.get(&format!("/statuses/new?in_reply_to_id={parent}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("a question for everyone"), "the post answered is shown");
    assert!(form.body.contains(">@alice </textarea>"), "the reply starts with the mention");
    assert!(form.body.contains("value=\"private\" selected"), "a reply keeps the parent's audience");
    let token = form.csrf_token();
    let reply = Form::new()
        .text("authenticity_token", token)
        .text("status", "@alice an answer")
        .text("in_reply_to_id", parent.clone())
        .text("visibility", "private");
    assert_eq!(bob.post_multipart("/statuses", reply).await.status, StatusCode::SEE_OTHER);
    let context = alice_api.get_json(&format!("/api/v1/statuses/{parent}/context")).await;
    assert_eq!(context["descendants"][0]["content"].as_str().map(|c| c.contains("an answer")), Some(true));
    // A post the viewer may not see cannot be answered.
    let carol_world_post = alice_api.toot("only for those mentioned", "direct").await;
    let hidden = bob.get(&format!("/statuses/new?in_reply_to_id={carol_world_post}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}
