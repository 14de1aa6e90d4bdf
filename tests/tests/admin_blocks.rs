//! Server-level blocks (issue #13): the admin API for domain blocks, allows,
//! e-mail domain and IP blocks, their reach (a tenant's admins only, their
//! tenant only), and their effects: a suspension severs follows and stops
//! delivery, a silence keeps a server's posts out of public timelines and its
//! people's notifications from strangers, e-mail and IP blocks at sign-up,
//! `no_access` addresses refused; and `/api/v1/instance/domain_blocks`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_store::domain_blocks::{self, Publish};
use kereru_store::roles::Role;
use kereru_store::schema::{accounts, admin_actions, deliveries, delivery_activities, follows, notifications, users};
use kereru_tests::oauth::{access_token, app_token, password_grant, register_app};
use kereru_tests::remote::RemoteActor;
use kereru_tests::seed::PASSWORD;
use kereru_tests::{FederatedWorld, Session, TestApp, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN_SCOPES: &str = "read write follow admin:read admin:write";

/// `username` on `host` with a token from `client` that asks for the admin scopes.
async fn admin_session_from(app: &TestApp, client: reqwest::Client, host: &str, username: &str) -> Session {
    let registered = register_app(
        &client,
        host,
        &[("client_name", "admin tests"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", ADMIN_SCOPES)],
    )
    .await;
    let token = access_token(password_grant(&client, host, &registered, username, PASSWORD, ADMIN_SCOPES).await).await;
    let mut session = Session { client, host: host.to_string(), token, account_id: String::new() };
    let me = session.get_json("/api/v1/accounts/verify_credentials").await;
    session.account_id = me["id"].as_str().unwrap().to_string();
    let _ = app;
    session
}

async fn admin_session(app: &TestApp, host: &str, username: &str) -> Session {
    admin_session_from(app, app.client(), host, username).await
}

async fn put(session: &Session, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    session
        .client
        .put(format!("http://{}{path}", session.host))
        .bearer_auth(&session.token)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit_actions(world: &World) -> Vec<String> {
    let mut conn = world.pool.get().await.unwrap();
    admin_actions::table.order(admin_actions::id).select(admin_actions::action).load(&mut conn).await.unwrap()
}

#[tokio::test]
async fn domain_blocks_are_an_admins_own_tenants_and_keep_mastodons_shape() {
    let world = World::new()
        .tenant("a.test")
        .tenant("c.test")
        .staff("a.test", "root", Role::Admin)
        .staff("a.test", "mod", Role::Moderator)
        .user("a.test", "alice")
        .staff("c.test", "carol", Role::Admin)
        .start()
        .await;
    let root = admin_session(&world.app, "a.test", "root").await;
    let created =
        root.post_json("/api/v1/admin/domain_blocks", &[("domain", "Bad.Example."), ("public_comment", "spam")]).await;
    assert_eq!(created["domain"], "bad.example");
    assert_eq!(created["severity"], "suspend", "the default, as Mastodon");
    assert_eq!(created["public_comment"], "spam");
    assert_eq!(created["private_comment"], Value::Null);
    assert_eq!(created["reject_media"], false);
    assert_eq!(created["obfuscate"], false);
    assert_eq!(created["digest"].as_str().unwrap().len(), 64);
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    let id = created["id"].as_str().unwrap().to_string();

    // The same host again, or a subdomain less strictly: 422, nothing added.
    for form in [vec![("domain", "bad.example")], vec![("domain", "media.bad.example"), ("severity", "silence")]] {
        let (status, body) = status_and_body(root.post("/api/v1/admin/domain_blocks", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"].as_str().unwrap().contains("bad.example"), "{body}");
    }
    for form in [vec![("domain", "not a host")], vec![("domain", "ok.example"), ("severity", "nuke")], vec![]] {
        let (status, _) = status_and_body(root.post("/api/v1/admin/domain_blocks", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
    }
    let listed = root.get_json("/api/v1/admin/domain_blocks").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(root.get_json(&format!("/api/v1/admin/domain_blocks/{id}")).await["domain"], "bad.example");

    // Update: only the given fields change.
    let (status, updated) = status_and_body(
        put(&root, &format!("/api/v1/admin/domain_blocks/{id}"), &[("severity", "silence"), ("reject_media", "true")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["severity"], "silence");
    assert_eq!(updated["reject_media"], true);
    assert_eq!(updated["public_comment"], "spam");

    // Moderators and users: 403 with Mastodon's message; another tenant's admin: 404 for this id.
    let moderator = admin_session(&world.app, "a.test", "mod").await;
    let alice = admin_session(&world.app, "a.test", "alice").await;
    for who in [&moderator, &alice] {
        for response in [
            who.get("/api/v1/admin/domain_blocks").await,
            who.post("/api/v1/admin/domain_blocks", &[("domain", "other.example")]).await,
            who.delete(&format!("/api/v1/admin/domain_blocks/{id}")).await,
        ] {
            let (status, body) = status_and_body(response).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(body["error"], "This action is not allowed");
        }
    }
    let carol = admin_session(&world.app, "c.test", "carol").await;
    assert_eq!(carol.get_json("/api/v1/admin/domain_blocks").await, json!([]));
    assert_eq!(carol.get(&format!("/api/v1/admin/domain_blocks/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        put(&carol, &format!("/api/v1/admin/domain_blocks/{id}"), &[("severity", "noop")]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(carol.delete(&format!("/api/v1/admin/domain_blocks/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(root.get_json(&format!("/api/v1/admin/domain_blocks/{id}")).await["severity"], "silence");
    // A token without the admin scopes: 403 too.
    let plain = world.login("a.test", "root").await;
    assert_eq!(plain.get("/api/v1/admin/domain_blocks").await.status(), StatusCode::FORBIDDEN);

    assert_eq!(root.delete(&format!("/api/v1/admin/domain_blocks/{id}")).await.status(), StatusCode::OK);
    assert_eq!(root.get(&format!("/api/v1/admin/domain_blocks/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        audit_actions(&world).await,
        vec!["create_domain_block", "update_domain_block", "destroy_domain_block"],
        "one audit row per change, none for refusals"
    );
    world.stop().await;
}

#[tokio::test]
async fn allows_email_domain_blocks_and_ip_blocks_are_kept_per_tenant() {
    let world = World::new()
        .tenant("a.test")
        .tenant("c.test")
        .staff("a.test", "root", Role::Admin)
        .staff("c.test", "carol", Role::Admin)
        .start()
        .await;
    let root = admin_session(&world.app, "a.test", "root").await;
    let carol = admin_session(&world.app, "c.test", "carol").await;

    let allow = root.post_json("/api/v1/admin/domain_allows", &[("domain", "friends.example")]).await;
    assert_eq!(allow["domain"], "friends.example");
    let allow_id = allow["id"].as_str().unwrap().to_string();
    assert_eq!(root.get_json("/api/v1/admin/domain_allows").await.as_array().unwrap().len(), 1);

    let email = root.post_json("/api/v1/admin/email_domain_blocks", &[("domain", "spam.example")]).await;
    assert_eq!(email["domain"], "spam.example");
    assert_eq!(email["history"], json!([]));
    let email_id = email["id"].as_str().unwrap().to_string();
    let again = root.post("/api/v1/admin/email_domain_blocks", &[("domain", "spam.example")]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ip = root
        .post_json(
            "/api/v1/admin/ip_blocks",
            &[("ip", "10.1.2.3/16"), ("severity", "no_access"), ("comment", "abuse"), ("expires_in", "3600")],
        )
        .await;
    assert_eq!(ip["ip"], "10.1.0.0/16", "normalized to the network");
    assert_eq!(ip["severity"], "no_access");
    assert!(ip["expires_at"].is_string());
    let ip_id = ip["id"].as_str().unwrap().to_string();
    for form in [vec![("ip", "10.0.0.300"), ("severity", "no_access")], vec![("ip", "10.0.0.1"), ("severity", "x")]] {
        assert_eq!(root.post("/api/v1/admin/ip_blocks", &form).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, updated) =
        status_and_body(put(&root, &format!("/api/v1/admin/ip_blocks/{ip_id}"), &[("comment", "Updated")]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((updated["comment"].as_str(), updated["ip"].as_str()), (Some("Updated"), Some("10.1.0.0/16")));

    // Carol (c.test's admin) sees none of them and reaches none by id.
    for (list, id) in [
        ("/api/v1/admin/domain_allows", &allow_id),
        ("/api/v1/admin/email_domain_blocks", &email_id),
        ("/api/v1/admin/ip_blocks", &ip_id),
    ] {
        assert_eq!(carol.get_json(list).await, json!([]), "{list}");
        assert_eq!(carol.get(&format!("{list}/{id}")).await.status(), StatusCode::NOT_FOUND, "{list}");
        assert_eq!(carol.delete(&format!("{list}/{id}")).await.status(), StatusCode::NOT_FOUND, "{list}");
        assert_eq!(root.get(&format!("{list}/{id}")).await.status(), StatusCode::OK, "{list}");
    }
    for (list, id) in [
        ("/api/v1/admin/domain_allows", &allow_id),
        ("/api/v1/admin/email_domain_blocks", &email_id),
        ("/api/v1/admin/ip_blocks", &ip_id),
    ] {
        assert_eq!(root.delete(&format!("{list}/{id}")).await.status(), StatusCode::OK, "{list}");
        assert_eq!(root.get_json(list).await, json!([]), "{list}");
    }
    assert_eq!(audit_actions(&world).await.len(), 7);
    world.stop().await;
}

async fn sign_up(app: &TestApp, client: &reqwest::Client, username: &str, email: &str) -> reqwest::Response {
    let token = app_token(client, "a.test", "signup", "read write").await;
    let form = [("username", username), ("email", email), ("password", "a good password"), ("agreement", "true")];
    client.post(app.url("a.test", "/api/v1/accounts")).bearer_auth(token).form(&form).send().await.unwrap()
}

async fn approved(world: &World, email: &str) -> bool {
    let mut conn = world.pool.get().await.unwrap();
    users::table.filter(users::email.eq(email)).select(users::approved).first(&mut conn).await.unwrap()
}

#[tokio::test]
async fn email_and_ip_blocks_apply_at_sign_up_and_no_access_refuses_the_api() {
    let world = World::new()
        .tenant("a.test")
        .tenant("c.test")
        .staff("a.test", "root", Role::Admin)
        .user("a.test", "alice")
        .start()
        .await;
    let root = admin_session(&world.app, "a.test", "root").await;
    root.post_json("/api/v1/admin/email_domain_blocks", &[("domain", "spam.example")]).await;
    root.post_json("/api/v1/admin/ip_blocks", &[("ip", "127.0.0.2"), ("severity", "sign_up_block")]).await;
    root.post_json("/api/v1/admin/ip_blocks", &[("ip", "127.0.0.3/32"), ("severity", "sign_up_requires_approval")])
        .await;
    root.post_json("/api/v1/admin/ip_blocks", &[("ip", "127.0.0.4"), ("severity", "no_access")]).await;
    let app = &world.app;

    // A blocked e-mail domain (and its subdomains): 422 on the API, the form again on the web.
    for email in ["x@spam.example", "y@mx.SPAM.example"] {
        let (status, body) = status_and_body(sign_up(app, &app.client(), "spammer", email).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"].as_str().unwrap().contains("Email"), "{body}");
    }
    let browser = kereru_tests::web::Browser::new(app, "a.test");
    let form = [
        ("username", "webspammer"),
        ("email", "z@spam.example"),
        ("password", "a good password"),
        ("password_confirmation", "a good password"),
        ("agreement", "1"),
    ];
    let page = browser.submit("/auth/sign_up", "/auth/sign_up", &form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains("e-mail domain are not allowed"), "{}", page.body);
    // From a blocked address: refused; from an address needing approval: pending.
    let from = |last: u8| app.client_from(std::net::IpAddr::from([127, 0, 0, last]));
    assert_eq!(sign_up(app, &from(2), "blocked", "b@mail.test").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(sign_up(app, &from(3), "waiting", "w@mail.test").await.status(), StatusCode::OK);
    assert!(!approved(&world, "w@mail.test").await, "the sign-up waits for approval");
    assert_eq!(sign_up(app, &from(5), "welcome", "ok@mail.test").await.status(), StatusCode::OK);
    assert!(approved(&world, "ok@mail.test").await);

    // no_access: no password grant and no API from that address; others are untouched.
    let alice = world.login("a.test", "alice").await;
    let stolen =
        Session { client: from(4), host: alice.host.clone(), token: alice.token.clone(), account_id: String::new() };
    let (status, body) = status_and_body(stolen.get("/api/v1/accounts/verify_credentials").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let registered =
        register_app(&from(5), "a.test", &[("client_name", "x"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob")]).await;
    let refused = password_grant(&from(4), "a.test", &registered, "alice", PASSWORD, "read").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(alice.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::OK);

    // c.test is not a.test: none of a.test's blocks apply there.
    let token = app_token(&from(2), "c.test", "signup", "read write").await;
    let form =
        [("username", "free"), ("email", "f@spam.example"), ("password", "a good password"), ("agreement", "true")];
    let elsewhere =
        from(2).post(app.url("c.test", "/api/v1/accounts")).bearer_auth(token).form(&form).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn instance_domain_blocks_are_shown_as_the_tenant_chooses() {
    let world =
        World::new().tenant("a.test").staff("a.test", "root", Role::Admin).user("a.test", "alice").start().await;
    let root = admin_session(&world.app, "a.test", "root").await;
    root.post_json("/api/v1/admin/domain_blocks", &[("domain", "secret.example"), ("obfuscate", "true")]).await;
    root.post_json(
        "/api/v1/admin/domain_blocks",
        &[("domain", "loud.example"), ("severity", "silence"), ("public_comment", "too loud")],
    )
    .await;
    {
        let mut conn = world.pool.get().await.unwrap();
        domain_blocks::add(&mut conn, None, "everyone.example").await.unwrap();
    }
    let anonymous = world.app.client();
    let url = world.app.url("a.test", "/api/v1/instance/domain_blocks");
    let alice = world.login("a.test", "alice").await;
    assert_eq!(anonymous.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND, "disabled by default");

    let tenant = world.domain("a.test").id;
    let publish = |publish: Publish| {
        let pool = world.pool.clone();
        async move {
            let mut conn = pool.get().await.unwrap();
            domain_blocks::set_publish(&mut conn, tenant, publish).await.unwrap();
        }
    };
    publish(Publish::Users).await;
    assert_eq!(anonymous.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(alice.get_json("/api/v1/instance/domain_blocks").await.as_array().unwrap().len(), 3);
    publish(Publish::All).await;
    let shown: Value = anonymous.get(&url).send().await.unwrap().json().await.unwrap();
    let by_digest = |host: &str| {
        let digest = kereru_core::blocks::digest(host);
        shown.as_array().unwrap().iter().find(|b| b["digest"] == digest).cloned().unwrap_or_else(|| panic!("{shown}"))
    };
    assert_eq!(by_digest("secret.example")["domain"], kereru_core::blocks::obfuscated("secret.example"));
    assert_ne!(by_digest("secret.example")["domain"], "secret.example");
    assert_eq!(by_digest("loud.example")["severity"], "silence");
    assert_eq!(by_digest("loud.example")["comment"], "too loud");
    assert_eq!(by_digest("everyone.example")["severity"], "suspend", "host-wide blocks apply too");
    world.stop().await;
}

const ALICE: &str = "http://a.test/users/alice";

async fn media_of(session: &Session, status: &str) -> Value {
    session.get_json(&format!("/api/v1/statuses/{status}")).await["media_attachments"].clone()
}

async fn public_contents(session: &Session) -> Vec<String> {
    let page = session.get_json("/api/v1/timelines/public").await;
    page.as_array().unwrap().iter().map(|s| s["content"].as_str().unwrap().to_string()).collect()
}

async fn count_follows(world: &FederatedWorld) -> i64 {
    let mut conn = world.pool.get().await.unwrap();
    follows::table.count().get_result(&mut conn).await.unwrap()
}

async fn deliveries_to(world: &FederatedWorld, host: &str) -> i64 {
    let mut conn = world.pool.get().await.unwrap();
    deliveries::table.filter(deliveries::host.eq(host)).count().get_result(&mut conn).await.unwrap()
}

fn follow(actor: &RemoteActor, n: u32, object: &str) -> String {
    json!({"id": format!("{}#follows/{n}", actor.id), "type": "Follow", "actor": actor.id, "object": object})
        .to_string()
}

#[tokio::test]
async fn a_suspension_severs_follows_both_ways_and_stops_delivery() {
    let world = World::new()
        .tenant("a.test")
        .tenant("c.test")
        .staff("a.test", "root", Role::Admin)
        .user("a.test", "alice")
        .user("c.test", "carol")
        .start_federated(&["remote.test"], &[])
        .await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let zoe = world.remote.actor("remote.test", "zoe");
    let alice = world.login("a.test", "alice").await;
    // Mallory follows alice and carol; alice follows zoe.
    assert_eq!(world.post(&format!("{ALICE}/inbox"), &follow(&mallory, 1, ALICE), &mallory.signer).await, 202);
    let carol_actor = "http://c.test/users/carol";
    assert_eq!(world.post("http://c.test/inbox", &follow(&mallory, 2, carol_actor), &mallory.signer).await, 202);
    world.process().await;
    world.follow_accepted(&alice, ALICE, &zoe).await;
    assert_eq!(count_follows(&world).await, 3);
    alice.toot("before the block", "public").await;
    let before = deliveries_to(&world, "remote.test").await;
    assert!(before > 0, "a follower's server gets alice's posts");

    let root = admin_session(&world.app, "a.test", "root").await;
    let block = root.post_json("/api/v1/admin/domain_blocks", &[("domain", "remote.test")]).await;
    assert_eq!(block["severity"], "suspend");
    assert_eq!(count_follows(&world).await, 1, "a.test's follows with remote.test are gone, c.test's stay");
    let followers = alice.get_json(&format!("/api/v1/accounts/{}/followers", alice.account_id)).await;
    assert_eq!(followers, json!([]));
    let following = alice.get_json(&format!("/api/v1/accounts/{}/following", alice.account_id)).await;
    assert_eq!(following, json!([]));

    let queued_from = |tenant: &str| {
        let pool = world.pool.clone();
        let tenant = world.domain(tenant).id.0;
        async move {
            let mut conn = pool.get().await.unwrap();
            deliveries::table
                .inner_join(delivery_activities::table)
                .inner_join(accounts::table.on(accounts::id.eq(delivery_activities::account_id)))
                .filter(accounts::domain_id.eq(tenant))
                .filter(deliveries::host.eq("remote.test"))
                .filter(deliveries::state.eq("queued"))
                .count()
                .get_result::<i64>(&mut conn)
                .await
                .unwrap()
        }
    };
    assert_eq!(queued_from("a.test").await, 0, "what a.test still had queued for remote.test is given up");
    assert_eq!(queued_from("c.test").await, 1, "c.test's (carol's Accept) stays queued");
    alice.toot("after the block", "public").await;
    assert_eq!(deliveries_to(&world, "remote.test").await, before, "nothing more is queued for remote.test");
    // Their new activities are refused.
    assert_eq!(world.post(&format!("{ALICE}/inbox"), &follow(&mallory, 3, ALICE), &mallory.signer).await, 403);
    let detail: Vec<String> = {
        let mut conn = world.pool.get().await.unwrap();
        admin_actions::table.select(admin_actions::detail).load(&mut conn).await.unwrap()
    };
    assert_eq!(detail, vec!["suspend; 2 follows removed".to_string()]);
    world.stop().await;
}

#[tokio::test]
async fn a_silence_keeps_a_server_out_of_public_timelines_and_strangers_notifications() {
    let world = World::new()
        .tenant("a.test")
        .staff("a.test", "root", Role::Admin)
        .user("a.test", "alice")
        .user("a.test", "bob")
        .start_federated(&["remote.test"], &[])
        .await;
    let mallory = world.remote.actor("remote.test", "mallory");
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let note = |n: u32| {
        json!({"id": format!("{}/statuses/{n}/activity", mallory.id), "type": "Create", "actor": mallory.id,
               "to": [public], "cc": [],
               "object": {"id": format!("{}/statuses/{n}", mallory.id), "type": "Note", "attributedTo": mallory.id,
                          "content": format!("<p>loud post {n}</p>"), "to": [public], "cc": [],
                          "attachment": [{"type": "Document", "mediaType": "image/png",
                                          "url": format!("http://remote.test/media/{n}.png"), "name": "a picture"}],
                          "tag": [{"type": "Mention", "href": ALICE, "name": "@alice@a.test"}]}})
        .to_string()
    };
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    assert_eq!(world.post("http://a.test/inbox", &note(1), &mallory.signer).await, 202);
    world.process().await;
    assert!(public_contents(&bob).await.iter().any(|c| c.contains("loud post 1")));
    let mentions = |world: &FederatedWorld| {
        let pool = world.pool.clone();
        let alice_id: i64 = alice.account_id.parse().unwrap();
        async move {
            let mut conn = pool.get().await.unwrap();
            notifications::table
                .filter(notifications::account_id.eq(alice_id))
                .count()
                .get_result::<i64>(&mut conn)
                .await
                .unwrap()
        }
    };
    assert_eq!(mentions(&world).await, 1);

    let root = admin_session(&world.app, "a.test", "root").await;
    let status_id = bob.get_json("/api/v1/timelines/public").await[0]["id"].as_str().unwrap().to_string();
    assert_eq!(media_of(&bob, &status_id).await.as_array().unwrap().len(), 1);
    root.post_json(
        "/api/v1/admin/domain_blocks",
        &[("domain", "remote.test"), ("severity", "silence"), ("reject_media", "true")],
    )
    .await;
    assert_eq!(media_of(&bob, &status_id).await, json!([]), "its media rejected here");
    assert!(public_contents(&bob).await.iter().all(|c| !c.contains("loud post")), "out of the public timeline");
    let anonymous: Value = world
        .app
        .client()
        .get(world.app.url("a.test", "/api/v1/timelines/public"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous, json!([]));
    // A new post mentioning alice, who does not follow mallory: no notification.
    assert_eq!(world.post("http://a.test/inbox", &note(2), &mallory.signer).await, 202);
    world.process().await;
    assert_eq!(mentions(&world).await, 1, "no notification from a silenced stranger");
    // Still delivered and readable (a silence is not a suspension).
    assert_eq!(world.statuses_with_uri(&format!("{}/statuses/2", mallory.id)).await, 1);
    // Someone who follows mallory still sees them in public timelines.
    world.follow_accepted(&alice, ALICE, &mallory).await;
    assert!(public_contents(&alice).await.iter().any(|c| c.contains("loud post")));
    assert!(public_contents(&bob).await.iter().all(|c| !c.contains("loud post")));
    world.stop().await;
}

#[tokio::test]
async fn the_domain_block_pages_reach_their_own_list_only() {
    use kereru_tests::web::Browser;
    let world = World::new()
        .tenant("a.test")
        .tenant("c.test")
        .staff("a.test", "root", Role::Admin)
        .staff("a.test", "mod", Role::Moderator)
        .host_admin("a.test", "host")
        .staff("c.test", "carol", Role::Admin)
        .start()
        .await;
    let root = Browser::new(&world.app, "a.test");
    root.sign_in("root").await;
    let page = root.get("/admin/domain_blocks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No domain is blocked here"));

    // Add: a bad domain comes back with the message and what was typed; a good one is listed.
    let bad = root
        .submit("/admin/domain_blocks", "/admin/domain_blocks", &[("domain", "not a host"), ("public_comment", "kept")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("aria-invalid=\"true\"") && bad.body.contains("value=\"kept\""), "{}", bad.body);
    let added = root
        .submit(
            "/admin/domain_blocks",
            "/admin/domain_blocks",
            &[("domain", "loud.example"), ("severity", "silence"), ("reject_media", "on"), ("public_comment", "noise")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let listed = root.get("/admin/domain_blocks").await;
    assert!(listed.body.contains("loud.example") && listed.body.contains("reject media"), "{}", listed.body);
    let block = {
        let mut conn = world.pool.get().await.unwrap();
        domain_blocks::list_blocks(&mut conn, Some(world.domain("a.test").id)).await.unwrap().remove(0)
    };
    assert_eq!(
        (block.severity.as_str(), block.reject_media, block.public_comment.as_str()),
        ("silence", true, "noise")
    );

    // Edit, then publish the list.
    let edit = format!("/admin/domain_blocks/{}/edit", block.id);
    let saved = root
        .submit(
            &edit,
            &format!("/admin/domain_blocks/{}", block.id),
            &[("severity", "suspend"), ("public_comment", "gone")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let published =
        root.submit("/admin/domain_blocks", "/admin/domain_blocks/publish", &[("show_domain_blocks", "all")]).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let shown: Value = world
        .app
        .client()
        .get(world.app.url("a.test", "/api/v1/instance/domain_blocks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown[0]["domain"], "loud.example");
    assert_eq!(shown[0]["severity"], "suspend");
    assert_eq!(shown[0]["comment"], "gone");

    // A moderator, and another tenant's admin: refused; the latter's ids of a.test are 404.
    let moderator = Browser::new(&world.app, "a.test");
    moderator.sign_in("mod").await;
    assert_eq!(moderator.get("/admin/domain_blocks").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        root.get("/admin/host/domain_blocks").await.status,
        StatusCode::FORBIDDEN,
        "tenant admins: not host-wide"
    );
    let carol = Browser::new(&world.app, "c.test");
    carol.sign_in("carol").await;
    assert!(!carol.get("/admin/domain_blocks").await.body.contains("loud.example"));
    assert_eq!(carol.get(&edit).await.status, StatusCode::NOT_FOUND);
    let token = carol.get("/admin/domain_blocks").await.csrf_token();
    let removed = carol
        .post(&format!("/admin/domain_blocks/{}/delete", block.id), &[("authenticity_token", token.as_str())])
        .await;
    assert_eq!(removed.status, StatusCode::NOT_FOUND);

    // The host admin's page: host-wide blocks, which every tenant then has.
    let host = Browser::new(&world.app, "a.test");
    host.sign_in("host").await;
    let added = host
        .submit("/admin/host/domain_blocks", "/admin/host/domain_blocks", &[("domain", "everywhere.example")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(carol.get("/admin/domain_blocks").await.body.contains("everywhere.example"), "shown as host-wide");
    {
        let mut conn = world.pool.get().await.unwrap();
        assert!(domain_blocks::is_blocked(&mut conn, world.domain("c.test").id, "everywhere.example").await.unwrap());
    }
    // Remove (the page asks first: data-confirm).
    let page = root.get("/admin/domain_blocks").await;
    assert!(page.body.contains("data-confirm=\"Lift the block of loud.example"));
    let removed = root
        .post(
            &format!("/admin/domain_blocks/{}/delete", block.id),
            &[("authenticity_token", page.csrf_token().as_str())],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(root.get("/admin/domain_blocks").await.body.contains("No domain is blocked here"));
    world.stop().await;
}
