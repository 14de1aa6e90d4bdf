//! Reports (issue #13, "modfed"): moderators change a report's category and
//! rules (`PUT /api/v1/admin/reports/{id}` and the report page's form, with
//! an audit row, for their own tenant only), and a forwarded report also
//! reaches the servers the reported posts mention (`forward_to_domains[]`,
//! Mastodon 4.2) as a Flag signed by the instance actor — no other server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_store::roles::Role;
use kereru_store::schema::{admin_actions, deliveries, delivery_activities};
use kereru_tests::inbox::{Answer, MockInboxes};
use kereru_tests::oauth::{access_token, password_grant, register_app};
use kereru_tests::seed::PASSWORD;
use kereru_tests::session::Session;
use kereru_tests::web::Browser;
use kereru_tests::{TestApp, World, install_crypto_provider};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn staff_session(app: &TestApp, host: &str, username: &str) -> Session {
    let client = app.client();
    let scopes = "read write follow admin:read admin:write";
    let registered = register_app(
        &client,
        host,
        &[("client_name", "modfed"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)],
    )
    .await;
    let token = access_token(password_grant(&client, host, &registered, username, PASSWORD, scopes).await).await;
    let mut session = Session { client, host: host.to_string(), token, account_id: String::new() };
    let me = session.get_json("/api/v1/accounts/verify_credentials").await;
    session.account_id = me["id"].as_str().unwrap().to_string();
    session
}

async fn put(session: &Session, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = session
        .client
        .put(format!("http://{}{path}", session.host))
        .bearer_auth(&session.token)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit(world: &World, action: &str) -> Vec<(Option<i64>, String, String)> {
    let mut conn = world.pool.get().await.unwrap();
    admin_actions::table
        .filter(admin_actions::action.eq(action))
        .order(admin_actions::id.asc())
        .select((admin_actions::domain_id, admin_actions::actor_label, admin_actions::detail))
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn moderators_change_a_reports_category_and_rules_on_their_tenant_only() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .staff("a.test", "mod", Role::Moderator)
        .staff("b.test", "mod", Role::Moderator)
        .start()
        .await;
    let (rule, other_rule) = {
        let mut conn = world.pool.get().await.unwrap();
        let rule = kereru_store::about::add_rule(&mut conn, world.domain("a.test").id, "Be kind").await.unwrap();
        let other = kereru_store::about::add_rule(&mut conn, world.domain("b.test").id, "No spam").await.unwrap();
        (rule.id.to_string(), other.id.to_string())
    };
    let alice = world.login("a.test", "alice").await;
    let bob_id = world.account("a.test", "bob").id.0.to_string();
    let report = alice.post_json("/api/v1/reports", &[("account_id", &bob_id), ("comment", "rude")]).await;
    let id = report["id"].as_str().unwrap().to_string();
    assert_eq!(report["category"], "other");
    let path = format!("/api/v1/admin/reports/{id}");

    let moderator = staff_session(&world.app, "a.test", "mod").await;
    let (status, body) = put(&moderator, &path, &[("category", "violation"), ("rule_ids[]", &rule)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["category"], "violation");
    assert_eq!(body["rules"][0]["id"], rule.as_str(), "{body}");
    let shown = moderator.get_json(&path).await;
    assert_eq!(shown["category"], "violation");

    // Bad input changes nothing.
    let (status, body) = put(&moderator, &path, &[("category", "mean")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().unwrap().contains("mean"), "{body}");
    let (status, _) = put(&moderator, &path, &[("category", "violation"), ("rule_ids[]", &other_rule)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another tenant's rule");
    assert_eq!(moderator.get_json(&path).await["category"], "violation");

    // Only the category: a spam report names no rules.
    let (status, body) = put(&moderator, &path, &[("category", "spam")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["category"], "spam");
    assert_eq!(body["rules"], json!([]), "{body}");

    // Nobody else: a person (403), another tenant's moderator (404 for this id).
    let (status, _) = put(&alice, &path, &[("category", "legal")]).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED, "{status}");
    let other = staff_session(&world.app, "b.test", "mod").await;
    let (status, _) = put(&other, &path, &[("category", "legal")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(moderator.get_json(&path).await["category"], "spam");

    let rows = audit(&world, "update_report").await;
    let a = Some(world.domain("a.test").id.0);
    assert_eq!(
        rows,
        vec![
            (a, "@mod@a.test".into(), format!("category violation, rules {rule}")),
            (a, "@mod@a.test".into(), "category spam".into())
        ]
    );

    // The report page's form does the same.
    let browser = Browser::new(&world.app, "a.test");
    browser.sign_in("mod").await;
    let page_path = format!("/admin/reports/{id}");
    let page = browser.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"rule_ids\""), "{}", page.body);
    let token = page.csrf_token();
    let saved = browser
        .post(&page_path, &[("authenticity_token", &token), ("category", "violation"), ("rule_ids", &rule)])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(moderator.get_json(&path).await["category"], "violation");
    let bad = browser.post(&page_path, &[("authenticity_token", &token), ("category", "mean")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("role=\"alert\""), "{}", bad.body);
    let elsewhere = Browser::new(&world.app, "b.test");
    elsewhere.sign_in("mod").await;
    let token = elsewhere.get("/admin/reports").await.csrf_token();
    let refused = elsewhere.post(&page_path, &[("authenticity_token", &token), ("category", "legal")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(moderator.get_json(&path).await["category"], "violation");
    assert_eq!(audit(&world, "update_report").await.len(), 3);
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
async fn a_report_is_forwarded_to_the_servers_its_posts_mention_when_asked() {
    let author_host = MockInboxes::host(0);
    let mentioned_host = MockInboxes::host(1);
    let world = World::new()
        .tenant("a.test")
        .user("a.test", "alice")
        .start_federated(&[&author_host, &mentioned_host, "bystander.test"], &[])
        .await;
    let alice_actor = "http://a.test/users/alice";
    let alice = world.login("a.test", "alice").await;
    let bob = world.remote.actor(&author_host, "bob");
    world.follow_accepted(&alice, alice_actor, &bob).await;
    let bob_id = alice.get_json(&format!("/api/v1/accounts/lookup?acct=bob@{author_host}")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // carol (on inbox-1.test) is known here; bob's post mentions her.
    let carol = world.remote.actor(&mentioned_host, "carol");
    world.remote.put(
        &mentioned_host,
        "/.well-known/webfinger",
        json!({"subject": format!("acct:carol@{mentioned_host}"),
               "links": [{"rel": "self", "type": "application/activity+json", "href": carol.id}]}),
    );
    alice.get_json(&format!("/api/v2/search?q=carol@{mentioned_host}&resolve=true&type=accounts")).await;
    let note_id = format!("{}/statuses/1", bob.id);
    let create = json!({"id": format!("{note_id}/activity"), "type": "Create", "actor": bob.id,
        "object": {"id": note_id, "type": "Note", "attributedTo": bob.id,
                   "content": "<p>@carol you are awful</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
                   "tag": [{"type": "Mention", "href": carol.id, "name": format!("@carol@{mentioned_host}")}]}});
    assert_eq!(world.post("http://a.test/inbox", &create.to_string(), &bob.signer).await, 202);
    world.process().await;
    let search = alice.get_json(&format!("/api/v1/accounts/{bob_id}/statuses")).await;
    let status_id = search[0]["id"].as_str().unwrap_or_else(|| panic!("{search}")).to_string();

    // A domain the posts do not involve: 422, and no report is filed.
    let refused = alice
        .post(
            "/api/v1/reports",
            &[
                ("account_id", &bob_id),
                ("status_ids[]", &status_id),
                ("forward", "true"),
                ("forward_to_domains[]", "bystander.test"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("bystander.test"), "{body}");

    let report = alice
        .post_json(
            "/api/v1/reports",
            &[
                ("account_id", &bob_id),
                ("status_ids[]", &status_id),
                ("comment", "harassing carol"),
                ("forward", "true"),
                ("forward_to_domains[]", &mentioned_host),
            ],
        )
        .await;
    assert_eq!(report["forwarded"], true, "{report}");
    let flags: Vec<(Value, Vec<String>)> = {
        let mut conn = world.pool.get().await.unwrap();
        let rows: Vec<(i64, String)> = delivery_activities::table
            .select((delivery_activities::id, delivery_activities::body))
            .load(&mut conn)
            .await
            .unwrap();
        let mut out = Vec::new();
        for (id, body) in rows {
            let value: Value = serde_json::from_str(&body).unwrap();
            if value["type"] == "Flag" {
                let mut inboxes: Vec<String> = deliveries::table
                    .filter(deliveries::activity_id.eq(id))
                    .select(deliveries::inbox)
                    .load(&mut conn)
                    .await
                    .unwrap();
                inboxes.sort();
                out.push((value, inboxes));
            }
        }
        out
    };
    assert_eq!(flags.len(), 1, "one Flag: {flags:?}");
    assert_eq!(flags[0].0["actor"], "http://a.test/actor");
    assert_eq!(flags[0].0["object"], json!([bob.id, note_id]));
    assert_eq!(flags[0].1, vec![MockInboxes::inbox(0), MockInboxes::inbox(1)]);

    // Both servers receive it, signed by the instance actor.
    let actor: Value = world.app.client().get("http://a.test/actor").send().await.unwrap().json().await.unwrap();
    install_crypto_provider();
    let inboxes = MockInboxes::start(2, 1, 1, Arc::new(|_, _| Answer::status(202)));
    inboxes.trust(actor["publicKey"]["id"].as_str().unwrap(), actor["publicKey"]["publicKeyPem"].as_str().unwrap());
    // alice's Follow of bob is queued too, signed with her key.
    let person: Value = world
        .app
        .client()
        .get(alice_actor)
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    inboxes.trust(person["publicKey"]["id"].as_str().unwrap(), person["publicKey"]["publicKeyPem"].as_str().unwrap());
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
    while (inboxes.accepted(1) == 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = task.await;
    assert_eq!(inboxes.accepted(1), 1, "the mentioned account's server got the Flag");
    assert!(inboxes.accepted(0) >= 1, "the author's server got it too");
    assert_eq!(inboxes.bad_signatures(), 0);
    inboxes.stop().await;
    world.stop().await;
}
