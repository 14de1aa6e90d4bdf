//! Sign-up validation as Mastodon's (every field's problem named in
//! `details`), and the client's language: `Accept-Language` picks the
//! language of error messages and of the mails a sign-up sends (issue 15).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use kereru_store::domains::{NewDomain, Registrations};
use kereru_tests::{TestApp, World, new_domain, oauth};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn sign_up(app: &TestApp, form: &[(&str, &str)], language: Option<&str>) -> (StatusCode, Value) {
    let client = app.client();
    let token = oauth::app_token(&client, "open.test", "signup", "read write").await;
    let mut request = client.post(app.url("open.test", "/api/v1/accounts")).bearer_auth(token).form(form);
    if let Some(language) = language {
        request = request.header("Accept-Language", language);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn open_world() -> kereru_tests::world::WorldBuilder {
    World::new()
        .domain(NewDomain { registrations: Registrations::Open, ..new_domain("open.test", None) })
        .user("open.test", "taken")
}

#[derive(diesel::QueryableByName)]
struct Sent {
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    body_text: String,
}

async fn mails_to(world: &World, to: &str) -> Vec<Sent> {
    let mut conn = world.pool.get().await.unwrap();
    diesel::sql_query("SELECT subject, body_text FROM mail_outbox WHERE domain_id = $1 AND to_address = $2 ORDER BY id")
        .bind::<BigInt, _>(world.domain("open.test").id.0)
        .bind::<Text, _>(to)
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sign_up_names_every_fields_problem_at_once_with_mastodons_codes() {
    let world = open_world().start().await;
    let (status, body) =
        sign_up(&world.app, &[("username", "no spaces!"), ("email", "not-an-address"), ("password", "short")], None)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"]["username"][0]["error"], "ERR_INVALID", "{body}");
    assert_eq!(body["details"]["email"], json!([{"error": "ERR_INVALID", "description": "is invalid"}]));
    assert_eq!(
        body["details"]["password"],
        json!([{"error": "ERR_TOO_SHORT", "description": "is too short (minimum is 8 characters)"}])
    );
    assert_eq!(body["details"]["agreement"], json!([{"error": "ERR_ACCEPTED", "description": "must be accepted"}]));
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("Validation failed: Username must contain only letters"), "{error}");
    assert!(
        error.contains("Email is invalid, Password is too short (minimum is 8 characters), Agreement must be accepted"),
        "{error}"
    );

    let (_, body) = sign_up(&world.app, &[("agreement", "true")], None).await;
    for field in ["username", "email", "password"] {
        assert_eq!(body["details"][field][0]["error"], "ERR_BLANK", "{field}: {body}");
    }
    assert!(body["details"].get("agreement").is_none(), "{body}");

    // Taken, after the form itself is fine.
    let (status, body) = sign_up(
        &world.app,
        &[("username", "Taken"), ("email", "x@mail.test"), ("password", "a good password"), ("agreement", "1")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"], json!({"username": [{"error": "ERR_TAKEN", "description": "has already been taken"}]}));
    assert_eq!(body["error"], "Validation failed: Username has already been taken");

    // A refused sign-up made nothing, sent nothing.
    assert!(mails_to(&world, "x@mail.test").await.is_empty());
    assert!(mails_to(&world, "not-an-address").await.is_empty());

    // A mail domain of one label is an address, as Mastodon accepts it.
    let (status, body) = sign_up(
        &world.app,
        &[("username", "local"), ("email", "me@localhost"), ("password", "a good password"), ("agreement", "true")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(mails_to(&world, "me@localhost").await.len(), 1, "its confirmation mail");
    world.stop().await;
}

#[tokio::test]
async fn accept_language_picks_the_language_of_errors_and_of_the_sign_up_mail() {
    let world = open_world().start().await;
    let (status, body) =
        sign_up(&world.app, &[("username", "taken"), ("password", "short")], Some("de-DE,de;q=0.9,en;q=0.5")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["details"]["password"],
        json!([{"error": "ERR_TOO_SHORT", "description": "ist zu kurz (mindestens 8 Zeichen)"}]),
        "codes stay, descriptions are German"
    );
    assert_eq!(body["details"]["email"][0]["description"], "muss ausgefüllt werden");
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("Validierung fehlgeschlagen: "), "{error}");
    assert!(error.contains("E-Mail-Adresse muss ausgefüllt werden"), "{error}");

    // Any endpoint's error: an unknown status, an invalid token.
    let client = world.app.client();
    let missing = client
        .get(world.app.url("open.test", "/api/v1/statuses/1"))
        .header("Accept-Language", "de")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()["content-language"], "de");
    assert_eq!(missing.json::<Value>().await.unwrap(), json!({"error": "Datensatz nicht gefunden"}));
    let invalid = client
        .get(world.app.url("open.test", "/api/v1/accounts/verify_credentials"))
        .bearer_auth("not-a-token")
        .header("Accept-Language", "fr-CH, de;q=0.7")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNAUTHORIZED);
    assert!(invalid.headers().contains_key("www-authenticate"), "headers kept");
    assert_eq!(invalid.json::<Value>().await.unwrap()["error"], "Der Zugriffstoken ist ungültig");
    // English when asked, when nothing asked is spoken here, and when nothing is asked.
    for language in [Some("en"), Some("fr, ja;q=0.5"), None] {
        let mut request = client.get(world.app.url("open.test", "/api/v1/statuses/1"));
        if let Some(language) = language {
            request = request.header("Accept-Language", language);
        }
        let response = request.send().await.unwrap();
        assert!(response.headers().get("content-language").is_none(), "{language:?}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "Record not found", "{language:?}");
    }
    // A browser's error page too.
    let page = client
        .get(world.app.url("open.test", "/no/such/page"))
        .header("Accept-Language", "de")
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let html = page.text().await.unwrap();
    assert!(html.contains("lang=\"de\"") && html.contains("Die gesuchte Seite gibt es hier nicht"), "{html}");

    // The sign-up's mail speaks the app's language; the saved locale keeps it for later mails.
    let (status, _) = sign_up(
        &world.app,
        &[("username", "anna"), ("email", "anna@mail.test"), ("password", "a good password"), ("agreement", "true")],
        Some("de"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sign_up(
        &world.app,
        &[("username", "ann"), ("email", "ann@mail.test"), ("password", "a good password"), ("agreement", "true")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let german = mails_to(&world, "anna@mail.test").await;
    assert_eq!(german.len(), 1);
    assert!(german[0].subject.starts_with("Bestätige deine E-Mail-Adresse"), "{}", german[0].subject);
    assert!(german[0].body_text.starts_with("Hallo anna,"), "{}", german[0].body_text);
    let english = mails_to(&world, "ann@mail.test").await;
    assert!(english[0].subject.starts_with("Confirm your e-mail address"), "{}", english[0].subject);
    // A password reset asked for in English still reaches anna in German.
    let visitor = kereru_tests::web::Browser::new(&world.app, "open.test");
    visitor.submit("/auth/password/new", "/auth/password/new", &[("email", "anna@mail.test")]).await;
    let mails = mails_to(&world, "anna@mail.test").await;
    assert_eq!(mails.len(), 2, "the reset mail");
    assert!(mails[1].subject.starts_with("Setze dein Passwort"), "{}", mails[1].subject);
    world.stop().await;
}
