//! Reports end to end: a person reports through the client API, a tenant's
//! moderators work the queue through Mastodon's admin API (with audit rows),
//! a remote `Flag` lands in the same queue, a report about a remote account
//! is forwarded as a `Flag` signed by the tenant's instance actor, and no
//! other tenant's staff reaches any of it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_store::roles::Role;
use kereru_store::schema::{admin_actions, delivery_activities, domain_blocks};
use kereru_tests::inbox::{Answer, MockInboxes};
use kereru_tests::oauth::{access_token, password_grant, register_app};
use kereru_tests::seed::PASSWORD;
use kereru_tests::session::Session;
use kereru_tests::{TestApp, World, install_crypto_provider};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A session whose token carries the admin scopes too.
async fn staff_session(app: &TestApp, host: &str, username: &str) -> Session {
    let client = app.client();
    let scopes = "read write admin:read admin:write";
    let registered = register_app(
        &client,
        host,
        &[("client_name", "moderation"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)],
    )
    .await;
    let token = access_token(password_grant(&client, host, &registered, username, PASSWORD, scopes).await).await;
    let mut session = Session { client, host: host.to_string(), token, account_id: String::new() };
    let me = session.get_json("/api/v1/accounts/verify_credentials").await;
    session.account_id = me["id"].as_str().unwrap().to_string();
    session
}

async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit_rows(world: &World, report_id: &str) -> Vec<String> {
    let mut conn = world.pool.get().await.unwrap();
    admin_actions::table
        .filter(admin_actions::target_type.eq("report"))
        .filter(admin_actions::target_id.eq(report_id.parse::<i64>().unwrap()))
        .order(admin_actions::id.asc())
        .select(admin_actions::action)
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_report_goes_through_the_queue_and_other_tenants_cannot_touch_it() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .staff("a.test", "mod", Role::Moderator)
        .staff("b.test", "bmod", Role::Admin)
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let bobs_post = bob.toot("something rude", "public").await;
    let alices_post = alice.toot("my own words", "public").await;
    let bob_id = bob.account_id.clone();

    // The reporter gets Mastodon's Report entity, which never names who reported.
    let report = alice
        .post_json(
            "/api/v1/reports",
            &[
                ("account_id", &bob_id),
                ("status_ids[]", &bobs_post),
                ("comment", "please look"),
                ("category", "spam"),
                ("forward", "true"),
            ],
        )
        .await;
    assert_eq!(report["target_account"]["id"], bob_id.as_str(), "{report}");
    assert_eq!(report["status_ids"], json!([bobs_post]), "{report}");
    assert_eq!(report["category"], "spam");
    assert_eq!(report["action_taken"], false);
    assert_eq!(report["forwarded"], false, "a local account's report is not forwarded: {report}");
    assert!(report.get("account").is_none(), "{report}");
    let id = report["id"].as_str().unwrap().to_string();

    // Bad input changes nothing: a post of someone else, an unknown category, an unknown account.
    let (code, _) = status_and_body(
        alice.post("/api/v1/reports", &[("account_id", &bob_id), ("status_ids[]", &alices_post)]).await,
    )
    .await;
    assert_eq!(code, 404, "a post not by the reported account");
    let (code, body) =
        status_and_body(alice.post("/api/v1/reports", &[("account_id", &bob_id), ("category", "nonsense")]).await)
            .await;
    assert_eq!(code, 422, "{body}");
    assert!(body["error"].is_string(), "{body}");
    let (code, _) = status_and_body(alice.post("/api/v1/reports", &[("account_id", "999999")]).await).await;
    assert_eq!(code, 404);
    let (code, _) =
        status_and_body(alice.post("/api/v1/reports", &[("account_id", &bob_id), ("rule_ids[]", "12345")]).await).await;
    assert_eq!(code, 422, "a rule this server does not have");

    // A moderator works the queue.
    let moderator = staff_session(&world.app, "a.test", "mod").await;
    let open = moderator.get_json("/api/v1/admin/reports").await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let shown = moderator.get_json(&format!("/api/v1/admin/reports/{id}")).await;
    assert_eq!(shown["account"]["account"]["id"], alice.account_id.as_str(), "{shown}");
    assert_eq!(shown["target_account"]["id"], bob_id.as_str(), "{shown}");
    assert_eq!(shown["target_account"]["domain"], Value::Null);
    assert_eq!(shown["statuses"][0]["id"], bobs_post.as_str(), "{shown}");
    assert_eq!(shown["assigned_account"], Value::Null);

    let assigned = moderator.post_json(&format!("/api/v1/admin/reports/{id}/assign_to_self"), &[]).await;
    assert_eq!(assigned["assigned_account"]["id"], moderator.account_id.as_str(), "{assigned}");
    let unassigned = moderator.post_json(&format!("/api/v1/admin/reports/{id}/unassign"), &[]).await;
    assert_eq!(unassigned["assigned_account"], Value::Null);
    let resolved = moderator
        .post_json(&format!("/api/v1/admin/reports/{id}/resolve"), &[("action_taken", "Warned the author")])
        .await;
    assert_eq!(resolved["action_taken"], true, "{resolved}");
    assert_eq!(resolved["action_taken_by_account"]["id"], moderator.account_id.as_str());
    assert!(moderator.get_json("/api/v1/admin/reports").await.as_array().unwrap().is_empty());
    let done = moderator.get_json("/api/v1/admin/reports?resolved=true").await;
    assert_eq!(done.as_array().unwrap().len(), 1);
    let by_target =
        moderator.get_json(&format!("/api/v1/admin/reports?resolved=true&target_account_id={bob_id}")).await;
    assert_eq!(by_target.as_array().unwrap().len(), 1);
    let by_other = moderator
        .get_json(&format!("/api/v1/admin/reports?resolved=true&target_account_id={}", alice.account_id))
        .await;
    assert!(by_other.as_array().unwrap().is_empty());
    let reopened = moderator.post_json(&format!("/api/v1/admin/reports/{id}/reopen"), &[]).await;
    assert_eq!(reopened["action_taken"], false);
    assert_eq!(
        audit_rows(&world, &id).await,
        ["assign_report", "unassign_report", "resolve_report", "reopen_report"],
        "every step is in the audit log"
    );

    // A person who is not staff: refused, with admin scopes or without.
    let plain = staff_session(&world.app, "a.test", "alice").await;
    let (code, body) = status_and_body(plain.get("/api/v1/admin/reports").await).await;
    assert_eq!((code, body["error"].as_str()), (403, Some("This action is not allowed")));
    let (code, _) = status_and_body(plain.post(&format!("/api/v1/admin/reports/{id}/resolve"), &[]).await).await;
    assert_eq!(code, 403);
    let (code, _) = status_and_body(moderator.get("/api/v1/admin/reports").await).await;
    assert_eq!(code, 200);
    let (code, _) = status_and_body(alice.get("/api/v1/admin/reports").await).await;
    assert_eq!(code, 403, "a token without admin scopes");

    // Another tenant's admin sees nothing of a.test's queue and changes nothing.
    let other = staff_session(&world.app, "b.test", "bmod").await;
    assert!(other.get_json("/api/v1/admin/reports").await.as_array().unwrap().is_empty());
    assert!(other.get_json("/api/v1/admin/reports?resolved=true").await.as_array().unwrap().is_empty());
    let (code, _) = status_and_body(other.get(&format!("/api/v1/admin/reports/{id}")).await).await;
    assert_eq!(code, 404);
    for step in ["assign_to_self", "unassign", "resolve", "reopen"] {
        let (code, _) = status_and_body(other.post(&format!("/api/v1/admin/reports/{id}/{step}"), &[]).await).await;
        assert_eq!(code, 404, "{step} on another tenant's report");
    }
    let still = moderator.get_json(&format!("/api/v1/admin/reports/{id}")).await;
    assert_eq!(still["action_taken"], false);
    assert_eq!(still["assigned_account"], Value::Null);
    assert_eq!(audit_rows(&world, &id).await.len(), 4);
    // An a.test token sent to b.test is not b.test's.
    let stray = Session { host: "b.test".into(), ..staff_session(&world.app, "a.test", "mod").await };
    let (code, _) = status_and_body(stray.get(&format!("/api/v1/admin/reports/{id}")).await).await;
    assert_eq!(code, 401);
    world.stop().await;
}

#[tokio::test]
async fn a_remote_flag_lands_in_the_queue_unless_its_server_is_rejected() {
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .staff("a.test", "mod", Role::Moderator)
        .start_federated(&["remote.test", "rude.test"], &[])
        .await;
    let alice = world.login("a.test", "alice").await;
    let post = alice.toot("hello world", "public").await;
    let uri = alice.get_json(&format!("/api/v1/statuses/{post}")).await["uri"].as_str().unwrap().to_string();
    let mallory = world.remote.actor("remote.test", "mallory");
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://remote.test/flags/1", "type": "Flag", "actor": mallory.id,
        "content": "Spam: this account sells things",
        "object": ["http://a.test/users/alice", uri],
    });
    assert_eq!(world.post("http://a.test/inbox", &flag.to_string(), &mallory.signer).await, 202);
    world.process().await;

    let moderator = staff_session(&world.app, "a.test", "mod").await;
    let open = moderator.get_json("/api/v1/admin/reports").await;
    let list = open.as_array().unwrap();
    assert_eq!(list.len(), 1, "{open}");
    assert_eq!(list[0]["category"], "spam");
    assert_eq!(list[0]["comment"], "Spam: this account sells things");
    assert_eq!(list[0]["target_account"]["id"], alice.account_id.as_str());
    assert_eq!(list[0]["account"]["domain"], "remote.test", "{}", list[0]);
    assert_eq!(list[0]["statuses"][0]["id"], post.as_str());

    // The same Flag again files nothing new.
    assert_eq!(world.post("http://a.test/inbox", &flag.to_string(), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(moderator.get_json("/api/v1/admin/reports").await.as_array().unwrap().len(), 1);

    // A server whose reports the tenant rejects.
    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::insert_into(domain_blocks::table)
            .values((
                domain_blocks::id.eq(kereru_store::ids::next_id()),
                domain_blocks::domain_id.eq(world.domain("a.test").id.0),
                domain_blocks::host.eq("rude.test"),
                domain_blocks::severity.eq("noop"),
                domain_blocks::reject_reports.eq(true),
            ))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let rude = world.remote.actor("rude.test", "troll");
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://rude.test/flags/1", "type": "Flag", "actor": rude.id,
        "content": "lol", "object": ["http://a.test/users/alice"],
    });
    // Refused at the inbox (a block) or accepted and then dropped: either way no report.
    let answer = world.post("http://a.test/inbox", &flag.to_string(), &rude.signer).await;
    assert!(answer == 202 || answer == 403, "{answer}");
    world.process().await;
    assert_eq!(moderator.get_json("/api/v1/admin/reports").await.as_array().unwrap().len(), 1);
    world.stop().await;
}

fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 4,
        per_host: 2,
        batch: 8,
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        horizon: Duration::from_secs(3600),
        host_failure_threshold: 1000,
        stats_interval: Duration::ZERO,
        keep_finished: Duration::ZERO,
        prune_interval: Duration::ZERO,
    }
}

#[tokio::test]
async fn a_forwarded_report_reaches_the_remote_inbox_signed_by_the_instance_actor() {
    // The remote account lives on inbox-0.test: its documents come from the
    // remote stand-in, its inbox is a mock that checks every signature.
    let world =
        World::new().tenant("a.test").user("a.test", "alice").start_federated(&[&MockInboxes::host(0)], &[]).await;
    let host = MockInboxes::host(0);
    let bob = world.remote.actor(&host, "bob");
    world.remote.put(
        &host,
        "/.well-known/webfinger",
        json!({"subject": format!("acct:bob@{host}"),
               "links": [{"rel": "self", "type": "application/activity+json", "href": bob.id}]}),
    );
    let alice = world.login("a.test", "alice").await;
    let found = alice.get_json(&format!("/api/v2/search?q=bob@{host}&resolve=true&type=accounts")).await;
    let bob_id = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();

    let report = alice
        .post_json("/api/v1/reports", &[("account_id", &bob_id), ("comment", "harassment"), ("forward", "true")])
        .await;
    assert_eq!(report["forwarded"], true, "{report}");

    // The instance actor: an Application at /actor with its own key.
    let actor: Value = world.app.client().get("http://a.test/actor").send().await.unwrap().json().await.unwrap();
    assert_eq!(actor["type"], "Application", "{actor}");
    assert_eq!(actor["id"], "http://a.test/actor");
    assert_eq!(actor["preferredUsername"], "a.test");
    let key_id = actor["publicKey"]["id"].as_str().unwrap();
    assert_eq!(key_id, "http://a.test/actor#main-key");
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();

    // What was queued: a Flag from the instance actor, never naming alice.
    let bodies: Vec<String> = {
        let mut conn = world.pool.get().await.unwrap();
        delivery_activities::table.select(delivery_activities::body).load(&mut conn).await.unwrap()
    };
    let flags: Vec<Value> =
        bodies.iter().map(|b| serde_json::from_str::<Value>(b).unwrap()).filter(|v| v["type"] == "Flag").collect();
    assert_eq!(flags.len(), 1, "{bodies:?}");
    assert_eq!(flags[0]["actor"], "http://a.test/actor");
    assert_eq!(flags[0]["object"], json!([bob.id]));
    assert_eq!(flags[0]["content"], "harassment");
    assert!(!bodies.iter().any(|b| b.contains("alice")), "the reporter is never named: {bodies:?}");

    // The instance actor is nobody's account: not found, not searchable.
    let search = alice.get_json("/api/v2/search?q=a.test&type=accounts").await;
    assert!(search["accounts"].as_array().unwrap().is_empty(), "{search}");
    let (code, _) = status_and_body(alice.get("/api/v1/accounts/lookup?acct=a.test").await).await;
    assert_eq!(code, 404);

    // The delivery worker sends it; the mock inbox verifies the signature against /actor's key.
    install_crypto_provider();
    let inboxes = MockInboxes::start(1, 1, 1, Arc::new(|_, _| Answer::status(202)));
    inboxes.trust(key_id, pem);
    let fetcher = Arc::new(
        Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve: inboxes.resolve.clone(),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            ..FetchSettings::default()
        })
        .unwrap(),
    );
    let worker = Worker::new(world.pool.clone(), fetcher, worker_settings());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(20);
    while inboxes.accepted(0) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = task.await;
    assert_eq!(inboxes.accepted(0), 1, "the Flag reached the inbox");
    assert_eq!(inboxes.bad_signatures(), 0);
    inboxes.stop().await;
    world.stop().await;
}

#[tokio::test]
async fn the_report_form_and_the_admin_pages_work_the_queue_for_this_tenant_only() {
    use kereru_tests::web::Browser;
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .staff("a.test", "mod", Role::Moderator)
        .staff("b.test", "bmod", Role::Admin)
        .start()
        .await;
    let bob = world.login("a.test", "bob").await;
    let post = bob.toot("buy my stuff", "public").await;
    let bob_id = bob.account_id.clone();

    // Alice reports Bob's post from the web: the form, then the thanks.
    let alice = Browser::new(&world.app, "a.test");
    alice.sign_in("alice").await;
    let form_path = format!("/reports/new?account_id={bob_id}&status_id={post}");
    let form = alice.get(&form_path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("buy my stuff"), "the post is offered: {}", form.body);
    assert!(form.body.contains(&format!("value=\"{post}\" checked")), "and chosen");
    assert!(!form.body.contains("name=\"forward\""), "no forwarding for a local account");
    // A post on her timeline offers the Report action.
    let page = alice.get(&format!("/@bob/{post}")).await;
    assert!(page.body.contains(&format!("/reports/new?account_id={bob_id}&amp;status_id={post}")), "{}", page.body);

    let bad = alice
        .submit(&form_path, "/reports", &[("account_id", &bob_id), ("category", "nonsense"), ("comment", "x")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));
    let sent = alice
        .submit(
            &form_path,
            "/reports",
            &[("account_id", &bob_id), ("category", "spam"), ("status_ids", &post), ("comment", "selling things")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), Some("/reports/sent"));
    assert_eq!(alice.get("/reports/sent").await.status, 200);
    // Without the token nothing is filed.
    let forged = alice.post("/reports", &[("account_id", &bob_id), ("comment", "forged")]).await;
    assert_eq!(forged.status, 403);

    let moderator = staff_session(&world.app, "a.test", "mod").await;
    let open = moderator.get_json("/api/v1/admin/reports").await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let id = open[0]["id"].as_str().unwrap().to_string();
    assert_eq!(open[0]["comment"], "selling things");
    assert_eq!(open[0]["category"], "spam");
    assert_eq!(open[0]["statuses"][0]["id"], post.as_str());

    // A person who is not staff gets the 403 page.
    let denied = alice.get("/admin/reports").await;
    assert_eq!(denied.status, 403);
    assert_eq!(alice.get(&format!("/admin/reports/{id}")).await.status, 403);

    // The moderator's pages.
    let web_mod = Browser::new(&world.app, "a.test");
    web_mod.sign_in("mod").await;
    let queue = web_mod.get("/admin/reports").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.contains(&format!("/admin/reports/{id}")), "{}", queue.body);
    assert!(queue.body.contains("@bob@a.test"));
    let shown = web_mod.get(&format!("/admin/reports/{id}")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("buy my stuff") && shown.body.contains("selling things"), "{}", shown.body);
    assert!(shown.body.contains(&format!("/admin/accounts/{bob_id}")), "links to the account actions");
    let page_path = format!("/admin/reports/{id}");
    let assigned = web_mod.submit(&page_path, &format!("/admin/reports/{id}/assign_to_self"), &[]).await;
    assert_eq!((assigned.status.as_u16(), assigned.location()), (303, Some(page_path.as_str())));
    let long = "x".repeat(600);
    let refused = web_mod.submit(&page_path, &format!("/admin/reports/{id}/resolve"), &[("action_taken", &long)]).await;
    assert_eq!(refused.status, 422, "too long an action");
    let resolved =
        web_mod.submit(&page_path, &format!("/admin/reports/{id}/resolve"), &[("action_taken", "Post removed")]).await;
    assert_eq!(resolved.status, 303);
    let after = moderator.get_json(&format!("/api/v1/admin/reports/{id}")).await;
    assert_eq!(after["action_taken"], true);
    assert_eq!(after["assigned_account"]["id"], moderator.account_id.as_str());
    assert_eq!(audit_rows(&world, &id).await, ["assign_report", "resolve_report"]);
    let done = web_mod.get("/admin/reports?resolved=1").await;
    assert!(done.body.contains("Post removed"), "{}", done.body);
    assert!(web_mod.get("/admin/reports").await.body.contains("No open reports"));

    // Another tenant's admin: not found, and nothing changes.
    let other = Browser::new(&world.app, "b.test");
    other.sign_in("bmod").await;
    assert!(!other.get("/admin/reports?resolved=1").await.body.contains(&id));
    assert_eq!(other.get(&format!("/admin/reports/{id}")).await.status, 404);
    let token = other.get("/admin/reports").await.csrf_token();
    for step in ["reopen", "unassign", "assign_to_self", "resolve"] {
        let answer = other.post(&format!("/admin/reports/{id}/{step}"), &[("authenticity_token", &token)]).await;
        assert_eq!(answer.status, 404, "{step}");
    }
    // Nor can b.test's people report a.test's accounts it does not know.
    assert_eq!(other.get(&format!("/reports/new?account_id={bob_id}")).await.status, 404);
    assert_eq!(audit_rows(&world, &id).await.len(), 2);
    world.stop().await;
}
