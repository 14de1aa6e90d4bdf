//! Polls across servers (issue 15), as Mastodon federates them: a remote
//! Question becomes a poll here and Update{Question} refreshes its counts
//! (not an edit); a vote from here goes to the poll's author as a Create of
//! a Note named after the option; a remote vote on a poll of ours is counted,
//! once, and never stored as a status; a remote poll's end is notified to
//! the local voters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::Scheme;
use kereru_store::schema::{deliveries, delivery_activities, polls};
use kereru_tests::World;
use serde_json::{Value, json};

const ALICE: &str = "http://a.test/users/alice";
const ALICE_INBOX: &str = "http://a.test/users/alice/inbox";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn question(id: &str, author: &str, counts: [i64; 2], voters: i64) -> Value {
    json!({"id": id, "type": "Question", "attributedTo": author, "content": "<p>cats or dogs?</p>",
           "published": "2026-12-01T10:00:00Z", "to": [PUBLIC], "cc": [format!("{author}/followers")],
           "endTime": (Utc::now() + Duration::days(1)).to_rfc3339(), "votersCount": voters,
           "oneOf": [
               {"type": "Note", "name": "cats", "replies": {"type": "Collection", "totalItems": counts[0]}},
               {"type": "Note", "name": "dogs", "replies": {"type": "Collection", "totalItems": counts[1]}}]})
}

/// Queued activities of `kind`, with their inboxes.
async fn queued(world: &World, kind: &str) -> Vec<(Value, Vec<String>)> {
    let mut conn = world.pool.get().await.unwrap();
    let rows: Vec<(i64, String)> = delivery_activities::table
        .select((delivery_activities::id, delivery_activities::body))
        .load(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for (id, body) in rows {
        let value: Value = serde_json::from_str(&body).unwrap();
        if value["type"] == kind {
            let inboxes: Vec<String> = deliveries::table
                .filter(deliveries::activity_id.eq(id))
                .select(deliveries::inbox)
                .load(&mut conn)
                .await
                .unwrap();
            out.push((value, inboxes));
        }
    }
    out
}

/// Queued activities whose object is a vote Note, with their inboxes.
async fn queued_votes(world: &World) -> Vec<(Value, Vec<String>)> {
    let mut conn = world.pool.get().await.unwrap();
    let rows: Vec<(i64, String)> = delivery_activities::table
        .select((delivery_activities::id, delivery_activities::body))
        .load(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for (id, body) in rows {
        let value: Value = serde_json::from_str(&body).unwrap();
        if value["type"] != "Create" || value["object"]["name"].is_null() {
            continue;
        }
        let inboxes: Vec<String> = deliveries::table
            .filter(deliveries::activity_id.eq(id))
            .select(deliveries::inbox)
            .load(&mut conn)
            .await
            .unwrap();
        out.push((value, inboxes));
    }
    out
}

#[tokio::test]
async fn polls_federate_as_mastodon_questions_and_votes() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start_federated(&["remote.test"], &[]).await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let alice = world.login("a.test", "alice").await;
    world.follow_accepted(&alice, ALICE, &mallory).await;

    // Mallory's Question arrives: a status with its poll and counts.
    let question_id = format!("{}/statuses/1", mallory.id);
    let create = json!({"id": format!("{question_id}/activity"), "type": "Create", "actor": mallory.id,
                        "to": [PUBLIC], "object": question(&question_id, &mallory.id, [3, 1], 4)});
    assert_eq!(world.post(ALICE_INBOX, &create.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let home = alice.get_json("/api/v1/timelines/home").await;
    let status = home.as_array().unwrap().iter().find(|s| s["uri"] == question_id.as_str()).expect("in home").clone();
    let poll = &status["poll"];
    assert_eq!(poll["options"][0], json!({"title": "cats", "votes_count": 3}), "{status}");
    assert_eq!((poll["votes_count"].clone(), poll["voters_count"].clone()), (4.into(), 4.into()));
    let poll_id = poll["id"].as_str().unwrap().to_string();

    // Alice votes: counted here at once, and sent to Mallory alone as Mastodon sends votes.
    let voted = alice.post_json(&format!("/api/v1/polls/{poll_id}/votes"), &[("choices[]", "1")]).await;
    assert_eq!(voted["options"][1]["votes_count"], 2);
    let votes = queued_votes(&world).await;
    assert_eq!(votes.len(), 1, "{votes:?}");
    let (activity, inboxes) = &votes[0];
    assert_eq!(inboxes, &vec![format!("{}/inbox", mallory.id)], "the author's own inbox");
    assert_eq!(activity["actor"], ALICE);
    assert_eq!(activity["object"]["type"], "Note");
    assert_eq!(activity["object"]["name"], "dogs");
    assert_eq!(activity["object"]["inReplyTo"], question_id.as_str());
    assert_eq!(activity["object"]["attributedTo"], ALICE);
    assert_eq!(activity["object"]["to"], mallory.id.as_str());

    // Mallory's server publishes new counts: taken, and not an edit.
    let update = json!({"id": format!("{question_id}#updates/1"), "type": "Update", "actor": mallory.id,
                        "to": [PUBLIC], "object": question(&question_id, &mallory.id, [5, 2], 7)});
    assert_eq!(world.post(ALICE_INBOX, &update.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let refreshed = alice.get_json(&format!("/api/v1/polls/{poll_id}")).await;
    assert_eq!(
        (refreshed["options"][0]["votes_count"].clone(), refreshed["voters_count"].clone()),
        (5.into(), 7.into())
    );
    assert_eq!(refreshed["own_votes"], json!([1]), "alice's vote is still hers");
    let shown = alice.get_json(&format!("/api/v1/statuses/{}", status["id"].as_str().unwrap())).await;
    assert_eq!(shown["edited_at"], Value::Null);

    // Mallory votes in alice's poll: counted once, not a status.
    let ours = alice
        .post_json(
            "/api/v1/statuses",
            &[
                ("status", "tea?"),
                ("poll[options][]", "tea"),
                ("poll[options][]", "no tea"),
                ("poll[expires_in]", "600"),
            ],
        )
        .await;
    let ours_uri = ours["uri"].as_str().unwrap().to_string();
    let ours_poll = ours["poll"]["id"].as_str().unwrap().to_string();
    for n in 1..=2 {
        let vote_id = format!("{}#votes/{n}", mallory.id);
        let vote = json!({"id": format!("{vote_id}/activity"), "type": "Create", "actor": mallory.id, "to": ALICE,
                          "object": {"id": vote_id, "type": "Note", "name": "tea", "attributedTo": mallory.id,
                                     "to": ALICE, "inReplyTo": ours_uri}});
        assert_eq!(world.post(ALICE_INBOX, &vote.to_string(), &mallory.signer).await, 202);
        world.process().await;
        assert_eq!(world.statuses_with_uri(&vote_id).await, 0, "a vote is not a status");
    }
    let counted = alice.get_json(&format!("/api/v1/polls/{ours_poll}")).await;
    assert_eq!((counted["options"][0]["votes_count"].clone(), counted["voters_count"].clone()), (1.into(), 1.into()));

    // The new counts go out to the servers that have the poll, once, a few minutes after the votes.
    let follow =
        json!({"id": format!("{}#follows/1", mallory.id), "type": "Follow", "actor": mallory.id, "object": ALICE});
    assert_eq!(world.post(ALICE_INBOX, &follow.to_string(), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(kereru_service::polls::federate_due(&world.pool, Scheme::Http).await.unwrap(), 0, "not yet");
    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::update(polls::table.filter(polls::federate_after.is_not_null()))
            .set(polls::federate_after.eq(Some(Utc::now() - Duration::seconds(1))))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(kereru_service::polls::federate_due(&world.pool, Scheme::Http).await.unwrap(), 1);
    assert_eq!(kereru_service::polls::federate_due(&world.pool, Scheme::Http).await.unwrap(), 0, "once");
    let updates: Vec<(Value, Vec<String>)> = queued(&world, "Update").await;
    let (update, inboxes) = updates.iter().find(|(u, _)| u["object"]["id"] == ours_uri.as_str()).expect("an Update");
    assert_eq!(update["object"]["type"], "Question");
    assert_eq!(update["object"]["oneOf"][0]["replies"]["totalItems"], 1);
    assert_eq!(inboxes, &vec!["http://remote.test/inbox".to_string()], "mallory's server, which follows alice");

    // Both end: alice hears of the remote one she voted in, and of her own.
    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::update(polls::table)
            .set(polls::expires_at.eq(Some(Utc::now() - Duration::seconds(1))))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(kereru_service::polls::end_due(&world.pool, Scheme::Http).await.unwrap(), 2);
    let notes = alice.get_json("/api/v1/notifications?types[]=poll").await;
    let mut about: Vec<String> =
        notes.as_array().unwrap().iter().map(|n| n["status"]["uri"].as_str().unwrap().to_string()).collect();
    about.sort();
    let mut expected = vec![question_id.clone(), ours_uri.clone()];
    expected.sort();
    assert_eq!(about, expected, "{notes}");
    world.stop().await;
}
