//! Federation end to end: two `kereru serve` processes, each with its own
//! database, on loopback (host names mapped with `federation.resolve`);
//! process A serves two tenants (a.test and c.test), process B one
//! (b.test). Everything is driven through the Mastodon client API, and every
//! check is what a person on the receiving side would see there.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

mod common;

use common::*;
use kereru_tests::{fresh_database, scratch_dir};
use serde_json::Value;
use std::io::Write;
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long enough password";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Node {
    served: Served,
    hosts: Vec<&'static str>,
    dir: std::path::PathBuf,
    config: std::path::PathBuf,
    database_url: String,
}

impl Node {
    /// A `kereru` command on this node's configuration and database.
    fn command(&self) -> std::process::Command {
        let mut command = kereru(&self.dir, Some(&self.database_url));
        command.arg("--config").arg(&self.config);
        command
    }
}

/// Provisions `tenants` (host, users) on a new database and serves them on `port`,
/// with every host in `map` resolving to its port.
fn node(tenants: &[(&'static str, &[&str])], port: u16, map: &[(&str, u16)], database_url: &str) -> Node {
    let dir = scratch_dir("federation-node");
    let config = dir.join("kereru.toml");
    let mut file = std::fs::File::create(&config).unwrap();
    writeln!(
        file,
        "[oauth]\npassword_grant = true\n\n[rate_limit]\nrequests = 1000000\n\n[delivery]\npoll_interval_ms = 20\nretry_base_ms = 100\nstats_interval_seconds = 0\n\n[federation]\nallow_private_addresses = true\n\n[federation.resolve]"
    )
    .unwrap();
    for (host, port) in map {
        writeln!(file, "\"{host}\" = \"127.0.0.1:{port}\"").unwrap();
    }
    let cmd = || {
        let mut command = kereru(&dir, Some(database_url));
        command.arg("--config").arg(&config);
        command
    };
    for (host, users) in tenants {
        ok(cmd(), &["domain", "add", host], "");
        for user in *users {
            let email = format!("{user}@mail.test");
            ok(cmd(), &["user", "create", "--domain", host, "--username", user, "--email", &email], PASSWORD);
        }
    }
    let listen = format!("127.0.0.1:{port}");
    let served = Served::start_listening(cmd(), &["serve", "--http", &listen], "kereru listening on http://");
    let hosts = tenants.iter().map(|(h, _)| *h).collect();
    Node { served, hosts, dir, config, database_url: database_url.to_string() }
}

/// One account's Mastodon API session.
struct User {
    client: reqwest::Client,
    base: String,
    token: String,
    handle: String,
}

impl User {
    async fn login(node: &Node, host: &str, username: &str) -> User {
        let client = node.served.client(&node.hosts);
        let base = format!("http://{host}:{}", node.served.addr.port());
        let app: Value = client
            .post(format!("{base}/api/v1/apps"))
            .form(&[
                ("client_name", "federation test"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
                ("scopes", "read write follow"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token: Value = client
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", app["client_id"].as_str().unwrap()),
                ("client_secret", app["client_secret"].as_str().unwrap()),
                ("username", &format!("{username}@mail.test")),
                ("password", PASSWORD),
                ("scope", "read write follow"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string();
        User { client, base, token, handle: format!("{username}@{host}") }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response =
            self.client.post(format!("{}{path}", self.base)).bearer_auth(&self.token).form(form).send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "{} POST {path}: {body}", self.handle);
        body
    }

    async fn put(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response =
            self.client.put(format!("{}{path}", self.base)).bearer_auth(&self.token).form(form).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{} PUT {path}", self.handle);
        response.json().await.unwrap()
    }

    async fn patch(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response =
            self.client.patch(format!("{}{path}", self.base)).bearer_auth(&self.token).form(form).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{} PATCH {path}", self.handle);
        response.json().await.unwrap()
    }

    async fn delete(&self, path: &str) {
        let response =
            self.client.delete(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{} DELETE {path}", self.handle);
    }

    /// Finds `handle` (through WebFinger when it is on another server) and returns its account id here.
    async fn resolve(&self, handle: &str) -> String {
        let (status, found) = self.get(&format!("/api/v2/search?q={handle}&resolve=true&type=accounts")).await;
        assert_eq!(status, 200, "{found}");
        found["accounts"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{} cannot find {handle}: {found}", self.handle))
            .to_string()
    }

    async fn home(&self) -> Vec<Value> {
        let (status, list) = self.get("/api/v1/timelines/home?limit=40").await;
        assert_eq!(status, 200);
        list.as_array().cloned().unwrap_or_default()
    }

    async fn notifications(&self) -> Vec<Value> {
        let (status, list) = self.get("/api/v1/notifications?limit=40").await;
        assert_eq!(status, 200);
        list.as_array().cloned().unwrap_or_default()
    }
}

/// Polls `check` until it gives a value, for at most 20 s (deliveries cross
/// two queues and two processes; each step normally takes milliseconds).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn contains_text(list: &[Value], text: &str) -> Option<Value> {
    list.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains(text))).cloned()
}

async fn following(user: &User, id: &str) -> bool {
    let (_, rel) = user.get(&format!("/api/v1/accounts/relationships?id[]={id}")).await;
    rel[0]["following"] == Value::Bool(true)
}

/// A marker that nothing arrived: a later post by the same author, through the
/// same path, arrives first. Ordering on one path makes "not delivered" observable
/// without sleeping.
async fn post(user: &User, text: &str, visibility: &str) -> Value {
    user.post("/api/v1/statuses", &[("status", text), ("visibility", visibility)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_and_two_tenants_federate_through_the_client_api() {
    let db_a = fresh_database().await;
    let db_b = fresh_database().await;
    let (port_a, port_b) = (free_port(), free_port());
    let map = [("a.test", port_a), ("c.test", port_a), ("b.test", port_b)];
    let a = node(&[("a.test", &["alice"]), ("c.test", &["carol"])], port_a, &map, &db_a.url);
    let b = node(&[("b.test", &["bob", "dave"])], port_b, &map, &db_b.url);
    let alice = User::login(&a, "a.test", "alice").await;
    let carol = User::login(&a, "c.test", "carol").await;
    let bob = User::login(&b, "b.test", "bob").await;
    let dave = User::login(&b, "b.test", "dave").await;

    // Follows across servers are accepted by the other server's Accept.
    let alice_at_b = bob.resolve("alice@a.test").await;
    bob.post(&format!("/api/v1/accounts/{alice_at_b}/follow"), &[]).await;
    let bob_at_a = alice.resolve("bob@b.test").await;
    alice.post(&format!("/api/v1/accounts/{bob_at_a}/follow"), &[]).await;
    let bob_at_c = carol.resolve("bob@b.test").await;
    carol.post(&format!("/api/v1/accounts/{bob_at_c}/follow"), &[]).await;
    eventually("bob's follow of alice is accepted", || async { following(&bob, &alice_at_b).await.then_some(()) })
        .await;
    eventually("alice's follow of bob is accepted", || async { following(&alice, &bob_at_a).await.then_some(()) })
        .await;
    eventually("carol's follow of bob is accepted", || async { following(&carol, &bob_at_c).await.then_some(()) })
        .await;
    let follow = eventually("alice is told bob follows her", || async {
        alice.notifications().await.into_iter().find(|n| n["type"] == "follow")
    })
    .await;
    assert_eq!(follow["account"]["acct"], "bob@b.test");

    // A public post reaches its followers on the other server, and nobody else's home.
    let hello = post(&alice, "hello fediverse", "public").await;
    let hello_at_b =
        eventually("alice's post reaches bob", || async { contains_text(&bob.home().await, "hello fediverse") }).await;
    assert_eq!(hello_at_b["account"]["acct"], "alice@a.test");
    assert_eq!(hello_at_b["uri"], hello["uri"]);
    let hello_id_b = hello_at_b["id"].as_str().unwrap().to_string();

    // Followers-only reaches bob, not dave (same server, not a follower), not carol (same host as alice).
    post(&alice, "only for followers", "private").await;
    let private_at_b = eventually("the followers-only post reaches bob", || async {
        contains_text(&bob.home().await, "only for followers")
    })
    .await;
    assert_eq!(private_at_b["visibility"], "private");
    let private_id_b = private_at_b["id"].as_str().unwrap();
    assert_eq!(dave.get(&format!("/api/v1/statuses/{private_id_b}")).await.0, 404, "dave must not see it");
    assert!(contains_text(&dave.home().await, "only for followers").is_none());
    assert!(contains_text(&carol.home().await, "only for followers").is_none());
    assert!(contains_text(&carol.home().await, "hello fediverse").is_none(), "carol does not follow alice");

    // A reply with a mention comes back threaded and notifies alice.
    let reply =
        bob.post("/api/v1/statuses", &[("status", "@alice@a.test hello back"), ("in_reply_to_id", &hello_id_b)]).await;
    assert_eq!(reply["in_reply_to_id"], hello_id_b.as_str());
    let mention = eventually("alice is told of bob's reply", || async {
        alice.notifications().await.into_iter().find(|n| n["type"] == "mention")
    })
    .await;
    assert_eq!(mention["account"]["acct"], "bob@b.test");
    assert_eq!(mention["status"]["in_reply_to_id"], hello["id"], "the reply threads under alice's post");
    // It is in alice's home (she follows bob), not carol's: carol follows bob but not alice, and
    // a home shows replies only to those one follows.
    eventually("bob's reply reaches alice's home", || async { contains_text(&alice.home().await, "hello back") }).await;
    assert!(contains_text(&carol.home().await, "hello back").is_none());

    // A reply that mentions nobody still reaches the server of the account it answers.
    dave.post("/api/v1/statuses", &[("status", "a reply without a mention"), ("in_reply_to_id", &hello_id_b)]).await;
    let hello_id = hello["id"].as_str().unwrap().to_string();
    eventually("dave's reply reaches alice's thread", || async {
        let (_, context) = alice.get(&format!("/api/v1/statuses/{hello_id}/context")).await;
        let descendants = context["descendants"].as_array()?;
        descendants.iter().any(|s| s["content"].as_str().is_some_and(|c| c.contains("without a mention"))).then_some(())
    })
    .await;

    // A like and a boost reach the author.
    bob.post(&format!("/api/v1/statuses/{hello_id_b}/favourite"), &[]).await;
    bob.post(&format!("/api/v1/statuses/{hello_id_b}/reblog"), &[]).await;
    let hello_id_a = hello["id"].as_str().unwrap().to_string();
    eventually("alice's post counts bob's like and boost", || async {
        let (_, status) = alice.get(&format!("/api/v1/statuses/{hello_id_a}")).await;
        (status["favourites_count"] == 1 && status["reblogs_count"] == 1).then_some(())
    })
    .await;
    let kinds: Vec<String> =
        alice.notifications().await.iter().map(|n| n["type"].as_str().unwrap_or_default().to_string()).collect();
    assert!(kinds.contains(&"favourite".to_string()) && kinds.contains(&"reblog".to_string()), "{kinds:?}");
    // Carol follows bob, so his boost brings alice's post to carol's home.
    eventually("bob's boost reaches carol", || async {
        carol.home().await.into_iter().find(|s| s["reblog"]["uri"] == hello["uri"])
    })
    .await;

    // An edit and a delete follow the post.
    alice.put(&format!("/api/v1/statuses/{hello_id_a}"), &[("status", "hello, edited")]).await;
    eventually("the edit reaches bob", || async {
        let (_, status) = bob.get(&format!("/api/v1/statuses/{hello_id_b}")).await;
        status["content"].as_str().is_some_and(|c| c.contains("hello, edited")).then_some(())
    })
    .await;
    alice.delete(&format!("/api/v1/statuses/{hello_id_a}")).await;
    eventually("the delete reaches bob", || async {
        (bob.get(&format!("/api/v1/statuses/{hello_id_b}")).await.0 == 404).then_some(())
    })
    .await;

    // A profile change reaches the followers' server.
    alice.patch("/api/v1/accounts/update_credentials", &[("display_name", "Alice Liddell")]).await;
    eventually("bob's server shows alice's new name", || async {
        let (_, account) = bob.get(&format!("/api/v1/accounts/{alice_at_b}")).await;
        (account["display_name"] == "Alice Liddell").then_some(())
    })
    .await;

    // Unfollow stops delivery: carol leaves, alice stays; bob's next post reaches alice only.
    carol.post(&format!("/api/v1/accounts/{bob_at_c}/unfollow"), &[]).await;
    eventually("bob's server drops carol as a follower", || async {
        let bob_id = bob.get("/api/v1/accounts/verify_credentials").await.1["id"].as_str()?.to_string();
        let (_, followers) = bob.get(&format!("/api/v1/accounts/{bob_id}/followers")).await;
        let accts: Vec<&str> = followers.as_array()?.iter().filter_map(|f| f["acct"].as_str()).collect();
        (!accts.contains(&"carol@c.test")).then_some(())
    })
    .await;
    post(&bob, "after carol left", "public").await;
    eventually("bob's post reaches alice", || async { contains_text(&alice.home().await, "after carol left") }).await;
    assert!(contains_text(&carol.home().await, "after carol left").is_none());

    // A block stops everything: bob's follow of alice ends on his server, and her posts stop reaching him.
    alice.post(&format!("/api/v1/accounts/{bob_at_a}/block"), &[]).await;
    eventually("the block ends bob's follow", || async { (!following(&bob, &alice_at_b).await).then_some(()) }).await;
    post(&alice, "after the block", "public").await;
    // Dave follows alice now: her next post reaching dave shows the earlier one had its chance.
    let alice_at_b_for_dave = dave.resolve("alice@a.test").await;
    dave.post(&format!("/api/v1/accounts/{alice_at_b_for_dave}/follow"), &[]).await;
    eventually("dave's follow is accepted", || async { following(&dave, &alice_at_b_for_dave).await.then_some(()) })
        .await;
    post(&alice, "for dave", "public").await;
    eventually("alice's post reaches dave", || async { contains_text(&dave.home().await, "for dave") }).await;
    assert!(contains_text(&bob.home().await, "after the block").is_none());
    assert!(contains_text(&bob.home().await, "for dave").is_none());
    assert!(contains_text(&dave.home().await, "after the block").is_none(), "sent before anyone there followed");

    // B's admin blocks a.test for b.test: A's next delivery is refused (403) and given up, and dave never sees it.
    ok(b.command(), &["block", "add", "a.test", "--domain", "b.test"], "");
    assert_eq!(ok(b.command(), &["block", "list", "--domain", "b.test"], "").trim(), "a.test");
    post(&alice, "after the domain block", "public").await;
    eventually("a.test's delivery to b.test is refused and given up", || async {
        let stats = ok(a.command(), &["queue", "stats"], "");
        let given_up = stats.lines().find_map(|l| l.strip_prefix("given up"))?.trim().parse::<u64>().ok()?;
        (given_up >= 1).then_some(())
    })
    .await;
    assert!(contains_text(&dave.home().await, "after the domain block").is_none());
}
