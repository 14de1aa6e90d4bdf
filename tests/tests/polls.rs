//! Polls (issue 15): made with a status, shown in it with the viewer's
//! votes, voted in by Mastodon's rules, seen only where the status is,
//! changed by an edit, and ended by the expiry worker with `poll`
//! notifications to the author and every voter.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::Scheme;
use kereru_store::schema::polls;
use kereru_tests::{Session, World};
use serde_json::Value;

async fn poll_post(session: &Session, form: &[(&str, &str)]) -> reqwest::Response {
    session.post("/api/v1/statuses", form).await
}

async fn error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or_default().to_string())
}

async fn vote(session: &Session, poll: &str, choices: &[&str]) -> reqwest::Response {
    let form: Vec<(&str, &str)> = choices.iter().map(|c| ("choices[]", *c)).collect();
    session.post(&format!("/api/v1/polls/{poll}/votes"), &form).await
}

fn counts(poll: &Value) -> Vec<Value> {
    poll["options"].as_array().unwrap().iter().map(|o| o["votes_count"].clone()).collect()
}

async fn end_all_now(world: &World) {
    let mut conn = world.pool.get().await.unwrap();
    diesel::update(polls::table)
        .set(polls::expires_at.eq(Some(Utc::now() - Duration::seconds(1))))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_poll_is_voted_in_by_mastodons_rules_and_its_end_is_notified_to_author_and_voters() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "carol")
        .user("a.test", "dave")
        .user("b.test", "bob")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let dave = world.login("a.test", "dave").await;
    let bob = world.login("b.test", "bob").await;

    // Refused polls: too few or too many options, too short or too long, duplicates.
    for form in [
        vec![("status", "q"), ("poll[options][]", "one"), ("poll[expires_in]", "600")],
        vec![("status", "q"), ("poll[options][]", "a"), ("poll[options][]", "b"), ("poll[expires_in]", "60")],
        vec![("status", "q"), ("poll[options][]", "a"), ("poll[options][]", "b"), ("poll[expires_in]", "99999999")],
        vec![("status", "q"), ("poll[options][]", "a"), ("poll[options][]", "a"), ("poll[expires_in]", "600")],
        vec![
            ("status", "q"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[options][]", "c"),
            ("poll[options][]", "d"),
            ("poll[options][]", "e"),
            ("poll[expires_in]", "600"),
        ],
    ] {
        assert_eq!(error(poll_post(&alice, &form).await).await.0, 422, "{form:?}");
    }

    let status = alice
        .post_json(
            "/api/v1/statuses",
            &[
                ("status", "tea or coffee?"),
                ("poll[options][]", "tea"),
                ("poll[options][]", "coffee"),
                ("poll[options][]", "water"),
                ("poll[expires_in]", "600"),
            ],
        )
        .await;
    let poll = &status["poll"];
    let id = poll["id"].as_str().unwrap().to_string();
    assert_eq!(poll["options"][1]["title"], "coffee");
    assert_eq!(
        (poll["multiple"].clone(), poll["expired"].clone(), poll["voted"].clone()),
        (false.into(), false.into(), false.into())
    );
    assert_eq!(poll["own_votes"], serde_json::json!([]));
    assert_eq!(counts(poll), [0, 0, 0]);
    let expires: chrono::DateTime<Utc> = poll["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - Utc::now() - Duration::seconds(600)).num_seconds().abs() < 30, "{poll}");

    // Carol votes; a second vote, a choice that isn't there, two choices, and the author are refused.
    let voted = vote(&carol, &id, &["1"]).await;
    assert_eq!(voted.status(), 200);
    let voted: Value = voted.json().await.unwrap();
    assert_eq!((voted["voted"].clone(), voted["own_votes"].clone()), (true.into(), serde_json::json!([1])));
    assert_eq!(counts(&voted), [0, 1, 0]);
    assert_eq!((voted["votes_count"].clone(), voted["voters_count"].clone()), (1.into(), 1.into()));
    let (code, message) = error(vote(&carol, &id, &["0"]).await).await;
    assert_eq!((code, message.as_str()), (422, "Validation failed: You have already voted on this poll"));
    assert_eq!(error(vote(&dave, &id, &["3"]).await).await.0, 422);
    assert_eq!(error(vote(&dave, &id, &["0", "2"]).await).await.0, 422, "one choice in a single-choice poll");
    assert_eq!(error(vote(&dave, &id, &[]).await).await.0, 400);
    let (code, message) = error(vote(&alice, &id, &["0"]).await).await;
    assert_eq!((code, message.as_str()), (422, "Validation failed: You cannot vote in your own polls"));
    assert_eq!(vote(&dave, &id, &["0"]).await.status(), 200);

    // Everyone sees the counts; each their own votes; nobody's votes without a token.
    let seen = carol.get_json(&format!("/api/v1/polls/{id}")).await;
    assert_eq!(
        (counts(&seen), seen["own_votes"].clone()),
        (vec![1.into(), 1.into(), 0.into()], serde_json::json!([1]))
    );
    let by_alice = alice.get_json(&format!("/api/v1/statuses/{}", status["id"].as_str().unwrap())).await;
    assert_eq!((by_alice["poll"]["voted"].clone(), by_alice["poll"]["votes_count"].clone()), (false.into(), 2.into()));
    let anonymous: Value =
        world.app.client().get(format!("http://a.test/api/v1/polls/{id}")).send().await.unwrap().json().await.unwrap();
    assert!(anonymous.get("voted").is_none() && anonymous.get("own_votes").is_none(), "{anonymous}");
    assert_eq!(anonymous["votes_count"], 2);

    // Another tenant that never received the status knows no such poll; nor does an unknown id.
    assert_eq!(bob.get(&format!("/api/v1/polls/{id}")).await.status(), 404);
    assert_eq!(error(vote(&bob, &id, &["0"]).await).await.0, 404);
    assert_eq!(carol.get("/api/v1/polls/999999").await.status(), 404);
    let foreign = world
        .app
        .client()
        .get(format!("http://a.test/api/v1/polls/{id}"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 401, "b.test's token is unknown on a.test");

    // A followers-only poll: others of the tenant cannot see it or vote.
    let private = alice
        .post_json(
            "/api/v1/statuses",
            &[
                ("status", "secret"),
                ("visibility", "private"),
                ("poll[options][]", "x"),
                ("poll[options][]", "y"),
                ("poll[expires_in]", "600"),
            ],
        )
        .await;
    let private_id = private["poll"]["id"].as_str().unwrap().to_string();
    assert_eq!(dave.get(&format!("/api/v1/polls/{private_id}")).await.status(), 404);
    assert_eq!(error(vote(&dave, &private_id, &["0"]).await).await.0, 404);

    // The end: voting is over; the worker notifies the author and both voters once.
    end_all_now(&world).await;
    let (code, message) = error(vote(&alice_stranger(&world).await, &id, &["2"]).await).await;
    assert_eq!((code, message.as_str()), (422, "Validation failed: The poll has already ended"));
    assert_eq!(kereru_service::polls::end_due(&world.pool, Scheme::Http).await.unwrap(), 2);
    assert_eq!(kereru_service::polls::end_due(&world.pool, Scheme::Http).await.unwrap(), 0);
    for session in [&alice, &carol, &dave] {
        let notes = session.get_json("/api/v1/notifications?types[]=poll").await;
        let about: Vec<&Value> =
            notes.as_array().unwrap().iter().filter(|n| n["status"]["poll"]["id"] == id.as_str()).collect();
        assert_eq!(about.len(), 1, "one poll notification each: {notes}");
        assert_eq!(about[0]["type"], "poll");
        assert_eq!(about[0]["account"]["id"], alice.account_id.as_str(), "from the poll's author");
        assert_eq!(about[0]["status"]["poll"]["expired"], true);
    }
    world.stop().await;
}

/// A fresh person of a.test, who has not voted anywhere.
async fn alice_stranger(world: &World) -> Session {
    kereru_tests::add_user(&world.pool, world.domain("a.test"), "erin").await;
    world.login("a.test", "erin").await
}

#[tokio::test]
async fn multiple_choice_hidden_totals_and_edits_follow_mastodon() {
    let world = World::new().tenant("a.test").user("a.test", "alice").user("a.test", "carol").start().await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let status = alice
        .post_json(
            "/api/v1/statuses",
            &[
                ("status", "pick any"),
                ("poll[options][]", "red"),
                ("poll[options][]", "green"),
                ("poll[options][]", "blue"),
                ("poll[expires_in]", "3600"),
                ("poll[multiple]", "true"),
                ("poll[hide_totals]", "true"),
            ],
        )
        .await;
    let id = status["poll"]["id"].as_str().unwrap().to_string();
    assert_eq!(status["poll"]["multiple"], true);
    let voted: Value = vote(&carol, &id, &["0", "2"]).await.json().await.unwrap();
    assert_eq!((voted["votes_count"].clone(), voted["voters_count"].clone()), (2.into(), 1.into()));
    assert_eq!(voted["own_votes"], serde_json::json!([0, 2]));
    assert_eq!(counts(&voted), [Value::Null, Value::Null, Value::Null], "totals hidden while it runs");
    // Another option later is a vote more; the same option again is not.
    let again: Value = vote(&carol, &id, &["1"]).await.json().await.unwrap();
    assert_eq!((again["votes_count"].clone(), again["voters_count"].clone()), (3.into(), 1.into()));
    assert_eq!(error(vote(&carol, &id, &["0"]).await).await.0, 422);

    // Federated as a Question with anyOf and its counts.
    {
        let mut conn = world.pool.get().await.unwrap();
        let row = kereru_store::statuses::get_unchecked(
            &mut conn,
            kereru_store::StatusId(status["id"].as_str().unwrap().parse().unwrap()),
        )
        .await
        .unwrap()
        .unwrap();
        let (note, _) = kereru_service::federation::outbound::note_of(&mut conn, Scheme::Http, &row).await.unwrap();
        assert_eq!(note["type"], "Question");
        assert_eq!(note["anyOf"][2]["name"], "blue");
        assert_eq!(note["anyOf"][2]["replies"]["totalItems"], 1);
        assert_eq!(note["votersCount"], 1);
        assert!(note["endTime"].is_string() && note.get("closed").is_none() && note.get("oneOf").is_none(), "{note}");
    }

    // An edit with other options starts the poll anew; an edit without a poll removes it.
    let path = format!("/api/v1/statuses/{}", status["id"].as_str().unwrap());
    let url = format!("http://a.test{path}");
    let form = [
        ("status", "pick one now"),
        ("poll[options][]", "cats"),
        ("poll[options][]", "dogs"),
        ("poll[expires_in]", "600"),
    ];
    let edited: Value =
        alice.client.put(&url).bearer_auth(&alice.token).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(edited["poll"]["options"][1]["title"], "dogs", "{edited}");
    assert_eq!((edited["poll"]["votes_count"].clone(), edited["poll"]["multiple"].clone()), (0.into(), false.into()));
    let edited: Value = alice
        .client
        .put(&url)
        .bearer_auth(&alice.token)
        .form(&[("status", "no poll")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["poll"], Value::Null, "{edited}");
    assert_eq!(carol.get(&format!("/api/v1/polls/{id}")).await.status(), 404);
    world.stop().await;
}
