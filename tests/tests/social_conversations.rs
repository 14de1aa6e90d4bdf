//! Conversations (direct messages) and muted threads over the client API
//! (issue 15): one row per participant kept up to date as direct statuses are
//! posted, answered, received from another tenant and deleted; unread state,
//! mark read, remove; the `direct` stream's `conversation` events; and a
//! muted thread's silence. Other tenants' and other people's are out of reach.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{Session, World};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

async fn world() -> (World, Session, Session, Session, Session) {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("b.test", "dave")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let dave = world.login("b.test", "dave").await;
    (world, alice, bob, carol, dave)
}

fn accounts_of(conversation: &Value) -> Vec<String> {
    conversation["accounts"].as_array().unwrap().iter().map(|a| a["acct"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn conversations_follow_direct_messages() {
    let (world, alice, bob, carol, dave) = world().await;
    let dm = alice.toot("@bob a secret", "direct").await;
    alice.toot("a public post is no conversation", "public").await;

    let bobs = bob.get_json("/api/v1/conversations").await;
    assert_eq!(bobs.as_array().unwrap().len(), 1, "{bobs}");
    assert_eq!(bobs[0]["unread"], true);
    assert_eq!(accounts_of(&bobs[0]), vec!["alice"]);
    assert_eq!(bobs[0]["last_status"]["id"], dm.as_str());
    let alices = alice.get_json("/api/v1/conversations").await;
    assert_eq!(alices[0]["unread"], false, "the author's own is read");
    assert_eq!(accounts_of(&alices[0]), vec!["bob"]);
    assert_eq!(carol.get_json("/api/v1/conversations").await.as_array().unwrap().len(), 0);

    // A reply stays in the same conversation, which is unread again for alice.
    let reply = bob
        .post_json(
            "/api/v1/statuses",
            &[("status", "@alice got it"), ("visibility", "direct"), ("in_reply_to_id", &dm)],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let alices = alice.get_json("/api/v1/conversations").await;
    assert_eq!(alices.as_array().unwrap().len(), 1, "{alices}");
    assert_eq!(alices[0]["unread"], true);
    assert_eq!(alices[0]["last_status"]["id"], reply.as_str());
    let conversation = alices[0]["id"].as_str().unwrap().to_string();

    // Read, by its owner only; others' tokens (same tenant or not) find nothing.
    for other in [&carol, &dave, &bob] {
        let response = other.post(&format!("/api/v1/conversations/{conversation}/read"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{}", other.host);
        let response = other.delete(&format!("/api/v1/conversations/{conversation}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{}", other.host);
    }
    let read = alice.post_json(&format!("/api/v1/conversations/{conversation}/read"), &[]).await;
    assert_eq!(read["unread"], false);
    assert_eq!(read["id"], conversation.as_str());

    // A message to another tenant's person starts their conversation there.
    let far = alice.toot("@dave@b.test across the hill", "direct").await;
    let daves = dave.get_json("/api/v1/conversations").await;
    assert_eq!(daves[0]["last_status"]["id"], far.as_str(), "{daves}");
    assert_eq!(accounts_of(&daves[0]), vec!["alice@a.test"]);
    // Paged by the newest status, with a Link header.
    let page = alice.get("/api/v1/conversations?limit=1").await;
    let link = page.headers().get("link").unwrap().to_str().unwrap().to_string();
    assert!(link.contains(&format!("max_id={far}")), "{link}");
    let first: Value = page.json().await.unwrap();
    assert_eq!(first[0]["last_status"]["id"], far.as_str());
    let next = alice.get_json(&format!("/api/v1/conversations?max_id={far}")).await;
    assert_eq!(next[0]["id"], conversation.as_str());

    // Deleting the reply leaves the first message last; deleting that too ends it.
    assert_eq!(bob.delete(&format!("/api/v1/statuses/{reply}")).await.status(), StatusCode::OK);
    assert_eq!(bob.get_json("/api/v1/conversations").await[0]["last_status"]["id"], dm.as_str());
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{dm}")).await.status(), StatusCode::OK);
    assert_eq!(bob.get_json("/api/v1/conversations").await.as_array().unwrap().len(), 0);
    // Removing one's conversation leaves others' alone.
    let daves_id = daves[0]["id"].as_str().unwrap().to_string();
    assert_eq!(dave.delete(&format!("/api/v1/conversations/{daves_id}")).await.status(), StatusCode::OK);
    assert_eq!(dave.get_json("/api/v1/conversations").await.as_array().unwrap().len(), 0);
    assert_eq!(alice.get_json("/api/v1/conversations").await.as_array().unwrap().len(), 1);
    world.stop().await;
}

/// Server-sent events of a stream, read until one `found` accepts (10 s at most).
async fn sse_until(
    session: &Session,
    path: &str,
    found: impl Fn(&str, &Value) -> bool,
    act: impl AsyncFnOnce(),
) -> Vec<(String, Value)> {
    let url = format!("http://{}{path}", session.host);
    let mut response = session.client.get(&url).bearer_auth(&session.token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    act().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buffer = String::new();
    let mut seen = Vec::new();
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event: ")).map(str::to_string);
            let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            if let Some(event) = event {
                let json: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                let done = found(&event, &json);
                seen.push((event, json));
                if done {
                    return seen;
                }
            }
        }
        let chunk =
            timeout_at(deadline, response.chunk()).await.unwrap_or_else(|_| panic!("{path}: nothing; {seen:?}"));
        buffer.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
    }
}

#[tokio::test]
async fn the_direct_stream_sends_conversations() {
    let (world, alice, bob, _carol, _dave) = world().await;
    let sent = std::sync::Mutex::new(String::new());
    let events = sse_until(
        &bob,
        "/api/v1/streaming/direct",
        |event, json| event == "conversation" && json["last_status"]["content"].as_str().unwrap_or("").contains("psst"),
        async || {
            *sent.lock().unwrap() = alice.toot("@bob psst", "direct").await;
        },
    )
    .await;
    let (event, conversation) = events.last().unwrap();
    assert_eq!(event, "conversation");
    assert_eq!(conversation["unread"], true);
    assert_eq!(conversation["last_status"]["id"], sent.lock().unwrap().as_str());
    assert_eq!(accounts_of(conversation), vec!["alice"]);
    assert!(events.iter().all(|(e, _)| e != "update"), "no update events on direct: {events:?}");
    world.stop().await;
}

#[tokio::test]
async fn a_muted_thread_notifies_nothing() {
    let (world, alice, bob, carol, dave) = world().await;
    let root = alice.toot("what is everyone reading?", "public").await;
    let count = async || alice.get_json("/api/v1/notifications").await.as_array().unwrap().len();
    let reply = async |who: &Session, text: &str, parent: &str| -> String {
        let form = [("status", text), ("in_reply_to_id", parent)];
        who.post_json("/api/v1/statuses", &form).await["id"].as_str().unwrap().to_string()
    };
    let first = reply(&bob, "@alice a field guide", &root).await;
    assert_eq!(count().await, 1);

    let muted = alice.post_json(&format!("/api/v1/statuses/{root}/mute"), &[]).await;
    assert_eq!(muted["muted"], true, "{muted}");
    assert_eq!(alice.get_json(&format!("/api/v1/statuses/{root}")).await["muted"], true);
    let deep = reply(&bob, "@alice and a novel", &first).await;
    // Deeper in the thread, and a favourite: all quiet.
    alice.post_json(&format!("/api/v1/statuses/{deep}/favourite"), &[]).await;
    carol.post_json(&format!("/api/v1/statuses/{root}/favourite"), &[]).await;
    assert_eq!(count().await, 1, "nothing from the muted thread");
    assert_eq!(alice.get_json(&format!("/api/v1/statuses/{deep}")).await["muted"], true, "replies are in the thread");
    assert_eq!(bob.get_json(&format!("/api/v1/statuses/{root}")).await["muted"], false, "bob did not mute it");

    let unmuted = alice.post_json(&format!("/api/v1/statuses/{root}/unmute"), &[]).await;
    assert_eq!(unmuted["muted"], false);
    reply(&carol, "@alice poetry", &deep).await;
    assert_eq!(count().await, 2);

    // Another person's followers-only post is not there to mute; another tenant's id neither.
    let private = carol.toot("for my followers", "private").await;
    assert_eq!(alice.post(&format!("/api/v1/statuses/{private}/mute"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(dave.post(&format!("/api/v1/statuses/{root}/mute"), &[]).await.status(), StatusCode::NOT_FOUND);
    world.stop().await;
}

#[tokio::test]
async fn a_direct_message_from_another_server_is_a_conversation_until_deleted() {
    let world = World::new()
        .tenant("a.test")
        .tenant("c.test")
        .user("a.test", "alice")
        .user("c.test", "carol")
        .start_federated(&["remote.test"], &[])
        .await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("c.test", "carol").await;
    let note_id = format!("{}/statuses/77", mallory.id);
    let create = serde_json::json!({"id": format!("{note_id}/activity"), "type": "Create", "actor": mallory.id,
        "to": ["http://a.test/users/alice"],
        "object": {"id": note_id, "type": "Note", "attributedTo": mallory.id,
                   "content": "<p>@alice a word in private</p>", "to": ["http://a.test/users/alice"], "cc": [],
                   "tag": [{"type": "Mention", "href": "http://a.test/users/alice", "name": "@alice@a.test"}]}});
    assert_eq!(world.post("http://a.test/users/alice/inbox", &create.to_string(), &mallory.signer).await, 202);
    world.process().await;
    let conversations = alice.get_json("/api/v1/conversations").await;
    assert_eq!(conversations.as_array().unwrap().len(), 1, "{conversations}");
    assert_eq!(conversations[0]["unread"], true);
    assert_eq!(conversations[0]["last_status"]["visibility"], "direct");
    assert_eq!(accounts_of(&conversations[0]), vec!["mallory@remote.test"]);
    assert_eq!(carol.get_json("/api/v1/conversations").await.as_array().unwrap().len(), 0, "c.test got nothing");

    let delete = serde_json::json!({"id": format!("{}#delete/77", mallory.id), "type": "Delete", "actor": mallory.id,
        "object": {"id": note_id, "type": "Tombstone"}});
    assert_eq!(world.post("http://a.test/users/alice/inbox", &delete.to_string(), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(alice.get_json("/api/v1/conversations").await.as_array().unwrap().len(), 0);
    world.stop().await;
}
