//! Notifications as Mastodon 4.3+ apps read them: unread counts against the
//! `notifications` marker, `types[]`/`exclude_types[]`/`account_id`, grouped
//! notifications (`/api/v2/notifications`), and the notification policy with
//! its requests (filtered notifications held per sender until accepted).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{Session, World};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

async fn send_json(session: &Session, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
    let url = format!("http://{}{path}", session.host);
    let response = session.client.request(method, &url).bearer_auth(&session.token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn ids(page: &Value) -> Vec<String> {
    page.as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()).collect()
}

fn kinds(page: &Value) -> Vec<String> {
    page.as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap().to_string()).collect()
}

async fn count(session: &Session, path: &str) -> i64 {
    session.get_json(path).await["count"].as_i64().unwrap()
}

/// An open server-sent event stream of the user's notifications.
struct Notifications {
    response: reqwest::Response,
    buffer: String,
}

impl Notifications {
    async fn open(session: &Session) -> Notifications {
        let url = format!("http://{}/api/v1/streaming/user/notification", session.host);
        let response = session.client.get(&url).bearer_auth(&session.token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Notifications { response, buffer: String::new() }
    }

    /// The next `notification` event's payload (at most 10 s).
    async fn next(&mut self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if !block.lines().any(|l| l == "event: notification") {
                    continue;
                }
                let data: String = block.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                return serde_json::from_str(&data).unwrap();
            }
            let chunk = timeout_at(deadline, self.response.chunk()).await.expect("no notification within the wait");
            self.buffer.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
        }
    }
}

#[tokio::test]
async fn unread_counts_follow_the_marker_and_types_filter_the_list() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("b.test", "zoe")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let zoe = world.login("b.test", "zoe").await;

    let post = alice.toot("a post to like", "public").await;
    bob.post_json(&format!("/api/v1/accounts/{}/follow", alice.account_id), &[]).await;
    bob.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    carol.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    bob.toot("@alice hello", "public").await;

    let all = alice.get_json("/api/v1/notifications").await;
    assert_eq!(kinds(&all), ["mention", "favourite", "favourite", "follow"]);
    // The v1 entity carries the group key: both favourites of one post share it.
    assert_eq!(all[1]["group_key"], all[2]["group_key"]);
    assert!(all[1]["group_key"].as_str().unwrap().starts_with(&format!("favourite-{post}-")), "{}", all[1]);
    assert_eq!(all[0]["group_key"], format!("ungrouped-{}", all[0]["id"].as_str().unwrap()));

    // No marker: everything is unread; the limit caps the count.
    assert_eq!(count(&alice, "/api/v1/notifications/unread_count").await, 4);
    assert_eq!(count(&alice, "/api/v1/notifications/unread_count?limit=2").await, 2);
    assert_eq!(count(&alice, "/api/v1/notifications/unread_count?types[]=favourite").await, 2);
    // Grouped: the favourites are one group.
    assert_eq!(count(&alice, "/api/v2/notifications/unread_count").await, 3);
    assert_eq!(count(&alice, "/api/v2/notifications/unread_count?grouped_types[]=follow").await, 4);
    // Read up to the first favourite: the second favourite and the mention are left.
    let marked = all[2]["id"].as_str().unwrap();
    alice.post_json("/api/v1/markers", &[("notifications[last_read_id]", marked)]).await;
    assert_eq!(count(&alice, "/api/v1/notifications/unread_count").await, 2);
    assert_eq!(count(&alice, "/api/v2/notifications/unread_count").await, 2);
    assert_eq!(count(&bob, "/api/v1/notifications/unread_count").await, 0);

    // types[], exclude_types[] and account_id, alone and together.
    assert_eq!(kinds(&alice.get_json("/api/v1/notifications?types[]=favourite").await), ["favourite", "favourite"]);
    assert_eq!(
        kinds(&alice.get_json("/api/v1/notifications?exclude_types[]=favourite&exclude_types[]=mention").await),
        ["follow"]
    );
    let carols = alice.get_json(&format!("/api/v1/notifications?account_id={}", carol.account_id)).await;
    assert_eq!(carols.as_array().unwrap().len(), 1);
    assert_eq!(carols[0]["account"]["id"], carol.account_id.as_str());
    let bobs = alice
        .get_json(&format!("/api/v1/notifications?account_id={}&types[]=follow&types[]=mention", bob.account_id))
        .await;
    assert_eq!(kinds(&bobs), ["mention", "follow"]);
    // A type no one knows names nothing, as Mastodon: not everything.
    assert_eq!(alice.get_json("/api/v1/notifications?types[]=nonsense").await, json!([]));
    assert_eq!(count(&alice, "/api/v1/notifications/unread_count?types[]=nonsense").await, 0);

    // Another tenant's person has none of these, and their token is no key here.
    assert_eq!(count(&zoe, "/api/v1/notifications/unread_count").await, 0);
    let foreign =
        zoe.client.get("http://a.test/api/v1/notifications/unread_count").bearer_auth(&zoe.token).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::UNAUTHORIZED);
    // The routes with literal names are not taken for ids.
    assert_eq!(alice.get("/api/v1/notifications/policy").await.status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn grouped_notifications_page_show_list_accounts_and_dismiss() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "carol")
        .user("b.test", "zoe")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let carol = world.login("a.test", "carol").await;
    let zoe = world.login("b.test", "zoe").await;

    let post = alice.toot("a post to like", "public").await;
    bob.post_json(&format!("/api/v1/accounts/{}/follow", alice.account_id), &[]).await;
    bob.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    carol.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    let mention = bob.toot("@alice hello", "public").await;

    let grouped = alice.get_json("/api/v2/notifications").await;
    let groups = grouped["notification_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3, "{grouped}");
    assert_eq!(groups[0]["type"], "mention");
    assert_eq!(groups[0]["status_id"], mention.as_str());
    assert_eq!(groups[0]["notifications_count"], 1);
    let favourites = &groups[1];
    assert_eq!(favourites["type"], "favourite");
    assert_eq!(favourites["notifications_count"], 2);
    assert_eq!(favourites["status_id"], post.as_str());
    assert_eq!(favourites["sample_account_ids"], json!([carol.account_id, bob.account_id]));
    assert!(favourites["page_min_id"].as_str().unwrap() < favourites["page_max_id"].as_str().unwrap());
    assert_eq!(favourites["most_recent_notification_id"].as_i64().unwrap().to_string(), favourites["page_max_id"]);
    assert!(favourites["latest_page_notification_at"].is_string());
    assert_eq!(groups[2]["type"], "follow");
    assert!(groups[2].get("status_id").is_none());
    let key = favourites["group_key"].as_str().unwrap().to_string();
    let mut account_ids: Vec<&str> =
        grouped["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    account_ids.sort();
    let mut want = vec![bob.account_id.as_str(), carol.account_id.as_str()];
    want.sort();
    assert_eq!(account_ids, want);
    let status_ids: Vec<&str> =
        grouped["statuses"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(status_ids, [mention.as_str(), post.as_str()]);
    assert!(grouped.get("partial_accounts").is_none());

    // Partial avatars: the first sample in full, the others partial.
    let partial = alice.get_json("/api/v2/notifications?expand_accounts=partial_avatars").await;
    let full: Vec<&str> = partial["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert!(full.contains(&carol.account_id.as_str()) && full.contains(&bob.account_id.as_str()), "{partial}");
    assert_eq!(partial["partial_accounts"], json!([]));
    let (status, _) =
        send_json(&alice, reqwest::Method::GET, "/api/v2/notifications?expand_accounts=all", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Only follows grouped: each favourite is its own group.
    let ungrouped = alice.get_json("/api/v2/notifications?grouped_types[]=follow").await;
    assert_eq!(ungrouped["notification_groups"].as_array().unwrap().len(), 4);
    // Filters by type work here too.
    let only = alice.get_json("/api/v2/notifications?types[]=favourite").await;
    assert_eq!(only["notification_groups"].as_array().unwrap().len(), 1);
    assert_eq!(only["statuses"].as_array().unwrap().len(), 1);

    // One group a page, following the Link header.
    let response = alice.get("/api/v2/notifications?limit=1").await;
    let link = response.headers()["link"].to_str().unwrap().to_string();
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["notification_groups"][0]["type"], "mention");
    let next = link.split(';').next().unwrap().trim_matches(['<', '>']).to_string();
    let next_path = next.strip_prefix("http://a.test").unwrap();
    let second = alice.get_json(next_path).await;
    assert_eq!(second["notification_groups"][0]["group_key"], key.as_str());
    assert_eq!(second["notification_groups"][0]["notifications_count"], 2);

    // One group, and who is in it.
    let shown = alice.get_json(&format!("/api/v2/notifications/{key}")).await;
    assert_eq!(shown["notification_groups"][0]["notifications_count"], 2);
    assert!(shown["notification_groups"][0].get("page_min_id").is_none());
    let who = alice.get_json(&format!("/api/v2/notifications/{key}/accounts")).await;
    assert_eq!(ids(&who), [carol.account_id.clone(), bob.account_id.clone()]);
    let mention_key = groups[0]["group_key"].as_str().unwrap();
    assert_eq!(
        alice.get_json(&format!("/api/v2/notifications/{mention_key}")).await["statuses"][0]["id"],
        mention.as_str()
    );

    // Others' groups are not there for them: same tenant, other tenant, unknown keys.
    for (session, path) in [
        (&bob, format!("/api/v2/notifications/{key}")),
        (&bob, format!("/api/v2/notifications/{mention_key}")),
        (&zoe, format!("/api/v2/notifications/{key}")),
        (&zoe, format!("/api/v2/notifications/{mention_key}")),
        (&alice, "/api/v2/notifications/nonsense-1".to_string()),
        (&alice, "/api/v2/notifications/favourite-1-1".to_string()),
    ] {
        assert_eq!(session.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(zoe.get_json(&format!("/api/v2/notifications/{key}/accounts")).await, json!([]));
    // Dismissing someone else's group touches nothing.
    zoe.post_json(&format!("/api/v2/notifications/{key}/dismiss"), &[]).await;
    bob.post_json(&format!("/api/v2/notifications/{key}/dismiss"), &[]).await;
    assert_eq!(alice.get(&format!("/api/v2/notifications/{key}")).await.status(), StatusCode::OK);

    // Dismissing the group removes all of it.
    assert_eq!(alice.post_json(&format!("/api/v2/notifications/{key}/dismiss"), &[]).await, json!({}));
    assert_eq!(alice.get(&format!("/api/v2/notifications/{key}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(kinds(&alice.get_json("/api/v1/notifications").await), ["mention", "follow"]);
    world.stop().await;
}

#[tokio::test]
async fn the_policy_holds_notifications_in_requests_until_accepted_or_dismissed() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("a.test", "dave")
        .user("a.test", "erin")
        .user("b.test", "zoe")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let dave = world.login("a.test", "dave").await;
    let erin = world.login("a.test", "erin").await;
    let zoe = world.login("b.test", "zoe").await;
    alice.post_json(&format!("/api/v1/accounts/{}/follow", bob.account_id), &[]).await;
    let post = alice.toot("a post to like", "public").await;

    // Mastodon's defaults: private mentions from strangers are filtered (limited accounts'
    // notifications are dropped, as they were here before policies).
    let policy = alice.get_json("/api/v2/notifications/policy").await;
    assert_eq!(
        policy,
        json!({"for_not_following": "accept", "for_not_followers": "accept", "for_new_accounts": "accept",
               "for_private_mentions": "filter", "for_limited_accounts": "drop",
               "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}})
    );
    let mut stream = Notifications::open(&alice).await;
    let secret = dave.toot("@alice just for you", "direct").await;
    // A public mention from dave is let through; the direct one is held.
    let public = dave.toot("@alice hello in public", "public").await;
    let first = stream.next().await;
    assert_eq!(first["status"]["id"], public.as_str(), "the held mention was streamed: {first}");
    let statuses: Vec<String> = alice
        .get_json("/api/v1/notifications")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["status"]["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(statuses, [public.as_str()]);

    // Filtering whoever alice doesn't follow: dave's favourite is held too, bob's is not.
    let (status, body) = send_json(
        &alice,
        reqwest::Method::PATCH,
        "/api/v2/notifications/policy",
        json!({"for_not_following": "filter"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["for_not_following"], "filter");
    assert_eq!(body["for_private_mentions"], "filter");
    let (status, _) =
        send_json(&alice, reqwest::Method::PATCH, "/api/v2/notifications/policy", json!({"for_new_accounts": "maybe"}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    dave.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    bob.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    let next = stream.next().await;
    assert_eq!(next["account"]["id"], bob.account_id.as_str(), "dave's held favourite was streamed: {next}");
    assert_eq!(kinds(&alice.get_json("/api/v1/notifications").await), ["favourite", "mention"]);
    assert_eq!(count(&alice, "/api/v1/notifications/unread_count").await, 2);
    assert_eq!(alice.get_json("/api/v2/notifications").await["notification_groups"].as_array().unwrap().len(), 2);
    let summary = alice.get_json("/api/v2/notifications/policy").await["summary"].clone();
    assert_eq!(summary, json!({"pending_requests_count": 1, "pending_notifications_count": 2}));
    // The v1 view of the same policy.
    let v1 = alice.get_json("/api/v1/notifications/policy").await;
    assert_eq!(v1["filter_not_following"], true);
    assert_eq!(v1["filter_not_followers"], false);
    assert_eq!(v1["filter_private_mentions"], true);

    // One request, for dave, holding both; his notifications show when asked for by sender.
    let requests = alice.get_json("/api/v1/notifications/requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    let request = requests[0]["id"].as_str().unwrap().to_string();
    assert_eq!(requests[0]["account"]["id"], dave.account_id.as_str());
    assert_eq!(requests[0]["notifications_count"], "2");
    assert_eq!(requests[0]["last_status"]["id"], post.as_str());
    assert_eq!(alice.get_json(&format!("/api/v1/notifications/requests/{request}")).await["id"], request.as_str());
    let daves = alice.get_json(&format!("/api/v1/notifications?account_id={}", dave.account_id)).await;
    assert_eq!(kinds(&daves), ["favourite", "mention", "mention"]);
    assert_eq!(alice.get_json("/api/v1/notifications/requests/merged").await, json!({"merged": true}));

    // Nobody else sees or settles alice's request.
    for session in [&bob, &zoe] {
        assert_eq!(session.get_json("/api/v1/notifications/requests").await, json!([]));
        let path = format!("/api/v1/notifications/requests/{request}");
        assert_eq!(session.get(&path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(session.post(&format!("{path}/accept"), &[]).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(session.post(&format!("{path}/dismiss"), &[]).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(session.post_json("/api/v1/notifications/requests/dismiss", &[("id[]", &request)]).await, json!({}));
    }
    assert_eq!(alice.get(&format!("/api/v1/notifications/requests/{request}")).await.status(), StatusCode::OK);

    // Accepted: dave's notifications join the others, and his next one comes straight through.
    assert_eq!(alice.post_json(&format!("/api/v1/notifications/requests/{request}/accept"), &[]).await, json!({}));
    let listed: Vec<String> = alice
        .get_json("/api/v1/notifications")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["status"]["id"].as_str().map(str::to_string))
        .collect();
    assert!(listed.contains(&secret), "{listed:?}");
    assert_eq!(alice.get_json("/api/v1/notifications/requests").await, json!([]));
    assert_eq!(alice.get(&format!("/api/v1/notifications/requests/{request}")).await.status(), StatusCode::NOT_FOUND);
    let again = dave.toot("@alice once more", "direct").await;
    assert_eq!(stream.next().await["status"]["id"], again.as_str());

    // Dismissed (in bulk): erin's held notification goes with its request.
    erin.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    let requests = alice.get_json("/api/v1/notifications/requests").await;
    assert_eq!(requests[0]["account"]["id"], erin.account_id.as_str());
    let erins = requests[0]["id"].as_str().unwrap().to_string();
    alice.post_json("/api/v1/notifications/requests/dismiss", &[("id[]", &erins), ("id[]", "12345")]).await;
    assert_eq!(alice.get_json("/api/v1/notifications/requests").await, json!([]));
    assert_eq!(alice.get_json(&format!("/api/v1/notifications?account_id={}", erin.account_id)).await, json!([]));

    // Drop: nothing is kept at all. v1 writes the same policy with booleans.
    send_json(&alice, reqwest::Method::PATCH, "/api/v2/notifications/policy", json!({"for_not_following": "drop"}))
        .await;
    let unfavourited = erin.post(&format!("/api/v1/statuses/{post}/unfavourite"), &[]).await;
    assert_eq!(unfavourited.status(), StatusCode::OK);
    erin.post_json(&format!("/api/v1/statuses/{post}/favourite"), &[]).await;
    assert_eq!(alice.get_json("/api/v1/notifications/requests").await, json!([]));
    assert_eq!(alice.get_json(&format!("/api/v1/notifications?account_id={}", erin.account_id)).await, json!([]));
    let (status, v1) = send_json(
        &alice,
        reqwest::Method::PUT,
        "/api/v1/notifications/policy",
        json!({"filter_not_following": false, "filter_private_mentions": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1["filter_not_following"], false);
    let policy = alice.get_json("/api/v2/notifications/policy").await;
    assert_eq!(policy["for_not_following"], "accept");
    assert_eq!(policy["for_private_mentions"], "accept");
    // Another tenant's policy is its own.
    assert_eq!(zoe.get_json("/api/v2/notifications/policy").await["for_private_mentions"], "filter");
    world.stop().await;
}
