//! A remote Note quoting another remote post shows as accepted only when
//! its `quoteAuthorization` holds up (FEP-044f, as Mastodon 4.5 checks it):
//! fetched from the quoted author's server, granted by that author, for
//! this very Note and this very post. Anything else stays pending.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::World;
use serde_json::{Value, json};

const AMY: &str = "http://a.test/users/amy";
const AMY_INBOX: &str = "http://a.test/users/amy/inbox";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn authorization(id: &str, by: &str, interacting: &str, target: &str) -> Value {
    json!({"@context": ["https://www.w3.org/ns/activitystreams", {"QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization"}],
           "id": id, "type": "QuoteAuthorization", "attributedTo": by,
           "interactingObject": interacting, "interactionTarget": target})
}

#[tokio::test]
async fn a_forged_quote_authorization_is_refused_and_a_true_one_accepted() {
    let world =
        World::new().tenant("a.test").user("a.test", "amy").start_federated(&["remote.test", "evil.test"], &[]).await;
    let amy = world.login("a.test", "amy").await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let bob = world.remote.actor("remote.test", "bob");
    world.follow_accepted(&amy, AMY, &mallory).await;
    let quoted = "http://remote.test/users/bob/statuses/1";
    world.remote.put(
        "remote.test",
        "/users/bob/statuses/1",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": quoted, "type": "Note",
               "attributedTo": bob.id, "content": "<p>the original</p>", "to": [PUBLIC],
               "published": "2026-12-01T00:00:00Z"}),
    );
    let note = |n: u32, authorization: &str| {
        let id = format!("{}/statuses/{n}", mallory.id);
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{id}/activity"), "type": "Create",
               "actor": mallory.id, "to": [PUBLIC],
               "object": {"id": id, "type": "Note", "attributedTo": mallory.id, "content": format!("<p>quote {n}</p>"),
                          "to": [PUBLIC], "published": "2026-12-01T01:00:00Z",
                          "quote": quoted, "quoteAuthorization": authorization}})
    };
    let m = |n: u32| format!("{}/statuses/{n}", mallory.id);
    // 1: granted by bob, served by bob's server, for note 1 and bob's post.
    world.remote.put("remote.test", "/auth/1", authorization("http://remote.test/auth/1", &bob.id, &m(1), quoted));
    // 2: bob's, but for another note.
    world.remote.put("remote.test", "/auth/2", authorization("http://remote.test/auth/2", &bob.id, &m(1), quoted));
    // 3: granted by the quoter itself.
    world.remote.put("remote.test", "/auth/3", authorization("http://remote.test/auth/3", &mallory.id, &m(3), quoted));
    // 4: on another server than the quoted author's.
    world.remote.put("evil.test", "/auth/4", authorization("http://evil.test/auth/4", &bob.id, &m(4), quoted));
    // 5: bob's server answers with a document of another id.
    world.remote.put("remote.test", "/auth/5", authorization("http://remote.test/auth/1", &bob.id, &m(5), quoted));
    let auths = [
        "http://remote.test/auth/1",
        "http://remote.test/auth/2",
        "http://remote.test/auth/3",
        "http://evil.test/auth/4",
        "http://remote.test/auth/5",
    ];
    for (i, auth) in auths.iter().enumerate() {
        let n = i as u32 + 1;
        assert_eq!(world.post(AMY_INBOX, &note(n, auth).to_string(), &mallory.signer).await, 202);
    }
    world.process().await;

    let home = amy.get_json("/api/v1/timelines/home").await;
    let state = |n: u32| {
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == m(n))
            .map(|s| s["quote"]["state"].clone())
            .unwrap_or_else(|| panic!("note {n} did not arrive: {home}"))
    };
    assert_eq!(state(1), "accepted", "{home}");
    for n in 2..=5 {
        assert_eq!(state(n), "pending", "note {n}: {home}");
    }
    assert_eq!(
        world.remote.requests_to_host("evil.test"),
        0,
        "an authorization off the author's server is not fetched"
    );
    let first = home.as_array().unwrap().iter().find(|s| s["uri"] == m(1)).unwrap();
    assert_eq!(first["quote"]["quoted_status"]["uri"], quoted);
    world.stop().await;
}
