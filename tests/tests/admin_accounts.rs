//! Account moderation (#13): Mastodon's admin accounts API (v1, v2), the
//! effects of each action, the audit log, roles, the /admin/accounts pages
//! and /admin/action_logs — and that no tenant's staff reaches another's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use kereru_store::accounts::{self, NewLocalAccount};
use kereru_store::roles::Role;
use kereru_tests::oauth::{access_token, password_grant, register_app};
use kereru_tests::seed::PASSWORD;
use kereru_tests::session::Session;
use kereru_tests::web::Browser;
use kereru_tests::{TestApp, World};
use reqwest::StatusCode;
use serde_json::Value;

/// A session whose token also has the admin scopes.
async fn admin_login(app: &TestApp, host: &str, username: &str) -> Session {
    let client = app.client();
    let scopes = "read write admin:read admin:write";
    let registered = register_app(
        &client,
        host,
        &[("client_name", "admin tests"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)],
    )
    .await;
    let token = access_token(password_grant(&client, host, &registered, username, PASSWORD, scopes).await).await;
    let me: Value = client
        .get(format!("http://{host}/api/v1/accounts/verify_credentials"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Session { client, host: host.into(), token, account_id: me["id"].as_str().unwrap().into() }
}

fn ids(page: &Value) -> Vec<String> {
    page.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

async fn status_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The audit log's (actor, action, target) rows of `host`'s tenant, oldest first.
async fn audit(world: &World, host: &str) -> Vec<(String, String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        actor_label: String,
        #[diesel(sql_type = Text)]
        action: String,
        #[diesel(sql_type = Text)]
        target_label: String,
    }
    let mut conn = world.pool.get().await.unwrap();
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT actor_label, action, target_label FROM admin_actions WHERE domain_id = $1 ORDER BY id",
    )
    .bind::<BigInt, _>(world.domain(host).id.0)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.actor_label, r.action, r.target_label)).collect()
}

async fn pending_sign_up(world: &World, host: &str, username: &str) -> String {
    let mut conn = world.pool.get().await.unwrap();
    let account = accounts::create_local(
        &mut conn,
        world.domain(host).id,
        NewLocalAccount {
            username: kereru_core::Username::parse(username).unwrap(),
            email: format!("{username}@mail.example"),
            password: PASSWORD.into(),
            role: Role::User,
            approved: false,
            signup_reason: Some("I'd like to join".into()),
            locale: None,
        },
    )
    .await
    .unwrap();
    account.id.0.to_string()
}

fn world() -> kereru_tests::world::WorldBuilder {
    World::new()
        .tenant("a.test")
        .tenant("b.test")
        .staff("a.test", "boss", Role::Admin)
        .staff("a.test", "mod", Role::Moderator)
        .user("a.test", "alice")
        .user("a.test", "bob")
        .staff("b.test", "other", Role::Admin)
        .user("b.test", "carol")
        .host_admin("b.test", "root")
}

#[tokio::test]
async fn the_admin_api_lists_shows_and_refuses_who_does_not_reach() {
    let world = world().start().await;
    let app = &world.app;
    let moderator = admin_login(app, "a.test", "mod").await;
    let alice_id = world.account("a.test", "alice").id.0.to_string();
    let carol_id = world.account("b.test", "carol").id.0.to_string();

    // A user's token with the admin scopes: the role does not reach.
    let alice_admin = admin_login(app, "a.test", "alice").await;
    let (status, body) = status_of(alice_admin.get("/api/v1/admin/accounts").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "This action is not allowed");
    // A moderator's token without the admin scopes: the scope does not.
    let plain = world.login("a.test", "mod").await;
    assert_eq!(plain.get("/api/v1/admin/accounts").await.status(), StatusCode::FORBIDDEN);
    // No token at all.
    let anonymous = app.client().get(app.url("a.test", "/api/v1/admin/accounts")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let local = moderator.get_json("/api/v1/admin/accounts?local=true").await;
    let listed = ids(&local);
    assert!(listed.contains(&alice_id), "{local}");
    assert!(!listed.contains(&carol_id), "another tenant's account is not listed");
    let alice = local.as_array().unwrap().iter().find(|a| a["id"] == alice_id.as_str()).unwrap();
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["domain"], Value::Null);
    assert_eq!(alice["email"], "alice@mail.example");
    assert_eq!(alice["approved"], true);
    assert_eq!(alice["suspended"], false);
    assert_eq!(alice["role"]["id"], "-99");
    assert_eq!(alice["account"]["acct"], "alice");

    let staff = moderator.get_json("/api/v2/admin/accounts?origin=local&permissions=staff").await;
    let mut names: Vec<&str> = staff.as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["boss", "mod"]);
    let by_name = moderator.get_json("/api/v2/admin/accounts?username=ali").await;
    assert_eq!(ids(&by_name), [alice_id.as_str()]);
    let (status, _) = status_of(moderator.get("/api/v2/admin/accounts?status=nonsense").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let paged = moderator.get("/api/v1/admin/accounts?limit=2").await;
    assert!(paged.headers().get("link").is_some(), "a page has its Link header");
    assert_eq!(ids(&paged.json::<Value>().await.unwrap()).len(), 2);

    let shown = moderator.get_json(&format!("/api/v1/admin/accounts/{alice_id}")).await;
    assert_eq!(shown["username"], "alice");
    assert_eq!(moderator.get(&format!("/api/v1/admin/accounts/{carol_id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(moderator.get("/api/v1/admin/accounts/nonsense").await.status(), StatusCode::NOT_FOUND);

    // A moderator does not act on an admin, nor on themselves.
    let boss_id = world.account("a.test", "boss").id.0.to_string();
    let (status, _) =
        status_of(moderator.post(&format!("/api/v1/admin/accounts/{boss_id}/action"), &[("type", "suspend")]).await)
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = status_of(
        moderator
            .post(&format!("/api/v1/admin/accounts/{}/action", moderator.account_id), &[("type", "silence")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        status_of(moderator.post(&format!("/api/v1/admin/accounts/{alice_id}/action"), &[("type", "explode")]).await)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(audit(&world, "a.test").await.is_empty(), "refusals change nothing");
    world.stop().await;
}

#[tokio::test]
async fn another_tenants_staff_reaches_nothing_here() {
    let world = world().start().await;
    let app = &world.app;
    let alice_id = world.account("a.test", "alice").id.0.to_string();
    let pending = pending_sign_up(&world, "a.test", "newbie").await;
    for (host, user) in [("b.test", "other"), ("b.test", "root")] {
        let staff = admin_login(app, host, user).await;
        let listed = ids(&staff.get_json("/api/v1/admin/accounts").await);
        assert!(!listed.contains(&alice_id) && !listed.contains(&pending), "{user} lists only b.test's accounts");
        for id in [&alice_id, &pending] {
            assert_eq!(staff.get(&format!("/api/v1/admin/accounts/{id}")).await.status(), StatusCode::NOT_FOUND);
            for action in ["approve", "reject", "enable", "unsilence", "unsuspend", "unsensitive"] {
                let response = staff.post(&format!("/api/v1/admin/accounts/{id}/{action}"), &[]).await;
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{user} {action} on a.test");
            }
            let response = staff.post(&format!("/api/v1/admin/accounts/{id}/action"), &[("type", "suspend")]).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
            assert_eq!(staff.delete(&format!("/api/v1/admin/accounts/{id}")).await.status(), StatusCode::NOT_FOUND);
        }
        // A b.test token on a.test is simply unknown there.
        let elsewhere = staff
            .client
            .get(app.url("a.test", "/api/v1/admin/accounts"))
            .bearer_auth(&staff.token)
            .send()
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(audit(&world, "a.test").await.is_empty());
    let alice = world.login("a.test", "alice").await;
    assert_eq!(alice.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn suspending_silencing_and_disabling_take_effect_and_are_undone() {
    let world = world().start().await;
    let app = &world.app;
    let moderator = admin_login(app, "a.test", "mod").await;
    let alice = world.login("a.test", "alice").await;
    let bob = world.login("a.test", "bob").await;
    let alice_id = alice.account_id.clone();
    let bob_id = bob.account_id.clone();
    let post = alice.toot("hello from alice", "public").await;
    let bob_post = bob.toot("hello from bob", "public").await;
    assert!(bob.timeline_ids("/api/v1/timelines/public").await.contains(&post));

    // Suspend: the token is refused with Mastodon's 403, posts and profile are gone.
    let done = moderator
        .post_json(
            &format!("/api/v1/admin/accounts/{alice_id}/action"),
            &[("type", "suspend"), ("text", "spam"), ("send_email_notification", "false")],
        )
        .await;
    assert_eq!(done, serde_json::json!({}));
    let (status, body) = status_of(alice.get("/api/v1/accounts/verify_credentials").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "Your login is currently disabled");
    let client = app.client();
    let registered = register_app(
        &client,
        "a.test",
        &[("client_name", "again"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read")],
    )
    .await;
    let grant = password_grant(&client, "a.test", &registered, "alice", PASSWORD, "read").await;
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST, "no new token either");
    assert!(!bob.timeline_ids("/api/v1/timelines/public").await.contains(&post));
    assert_eq!(bob.get(&format!("/api/v1/statuses/{post}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get(&format!("/api/v1/accounts/{alice_id}")).await.status(), StatusCode::NOT_FOUND);
    let actor = client
        .get(app.url("a.test", "/users/alice"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(actor.status(), StatusCode::GONE);
    assert_eq!(client.get(app.url("a.test", "/@alice")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let shown = moderator.get_json(&format!("/api/v1/admin/accounts/{alice_id}")).await;
    assert_eq!(shown["suspended"], true);
    let suspended = moderator.get_json("/api/v2/admin/accounts?status=suspended").await;
    assert_eq!(ids(&suspended), [alice_id.as_str()]);

    // Unsuspend restores everything.
    let shown = moderator.post_json(&format!("/api/v1/admin/accounts/{alice_id}/unsuspend"), &[]).await;
    assert_eq!(shown["suspended"], false);
    assert_eq!(alice.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::OK);
    assert!(bob.timeline_ids("/api/v1/timelines/public").await.contains(&post));
    let actor = client
        .get(app.url("a.test", "/users/alice"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(actor.status(), StatusCode::OK);

    // Silence: out of the public timeline for those who don't follow bob; no notifications to them.
    moderator.post_json(&format!("/api/v1/admin/accounts/{bob_id}/action"), &[("type", "silence")]).await;
    assert!(!alice.timeline_ids("/api/v1/timelines/public").await.contains(&bob_post));
    assert!(bob.timeline_ids("/api/v1/timelines/public").await.contains(&bob_post), "their own posts stay");
    bob.post_json("/api/v1/statuses", &[("status", "@alice hi there"), ("visibility", "public")]).await;
    let notifications = alice.get_json("/api/v1/notifications").await;
    assert_eq!(notifications.as_array().unwrap().len(), 0, "{notifications}");
    let shown = moderator.post_json(&format!("/api/v1/admin/accounts/{bob_id}/unsilence"), &[]).await;
    assert_eq!(shown["silenced"], false);
    assert!(alice.timeline_ids("/api/v1/timelines/public").await.contains(&bob_post));

    // Sensitive: bob's posts show as sensitive until undone.
    moderator.post_json(&format!("/api/v1/admin/accounts/{bob_id}/action"), &[("type", "sensitive")]).await;
    assert_eq!(alice.get_json(&format!("/api/v1/statuses/{bob_post}")).await["sensitive"], true);
    moderator.post_json(&format!("/api/v1/admin/accounts/{bob_id}/unsensitive"), &[]).await;
    assert_eq!(alice.get_json(&format!("/api/v1/statuses/{bob_post}")).await["sensitive"], false);

    // Disable: the login is refused, the account stays visible.
    moderator.post_json(&format!("/api/v1/admin/accounts/{bob_id}/action"), &[("type", "disable")]).await;
    assert_eq!(bob.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(alice.get(&format!("/api/v1/accounts/{bob_id}")).await.status(), StatusCode::OK);
    let disabled = moderator.get_json("/api/v1/admin/accounts?disabled=true").await;
    assert_eq!(ids(&disabled), [bob_id.as_str()]);
    let shown = moderator.post_json(&format!("/api/v1/admin/accounts/{bob_id}/enable"), &[]).await;
    assert_eq!(shown["disabled"], false);
    assert_eq!(bob.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::OK);

    let log = audit(&world, "a.test").await;
    let actions: Vec<&str> = log.iter().map(|(_, action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        ["suspend", "unsuspend", "silence", "unsilence", "sensitive", "unsensitive", "disable", "enable"]
    );
    assert_eq!(log[0], ("@mod@a.test".to_string(), "suspend".to_string(), "@alice".to_string()));
    assert!(audit(&world, "b.test").await.is_empty());
    world.stop().await;
}

#[tokio::test]
async fn pending_sign_ups_are_approved_or_rejected() {
    let world = world().start().await;
    let app = &world.app;
    let moderator = admin_login(app, "a.test", "mod").await;
    let newbie = pending_sign_up(&world, "a.test", "newbie").await;
    let spammer = pending_sign_up(&world, "a.test", "spammer").await;
    let mut pending = ids(&moderator.get_json("/api/v2/admin/accounts?status=pending").await);
    pending.sort();
    let mut expected = vec![newbie.clone(), spammer.clone()];
    expected.sort();
    assert_eq!(pending, expected);
    let listed = moderator.get_json("/api/v1/admin/accounts?pending=true").await;
    assert_eq!(listed[0]["invite_request"], "I'd like to join");
    assert_eq!(listed[0]["approved"], false);

    let approved = moderator.post_json(&format!("/api/v1/admin/accounts/{newbie}/approve"), &[]).await;
    assert_eq!(approved["approved"], true);
    let mails = kereru_tests::mail::outbox(&world, "a.test").await;
    assert!(mails.iter().any(|m| m.to_address == "newbie@mail.example" && m.subject.contains("approved")));
    let again = moderator.post(&format!("/api/v1/admin/accounts/{newbie}/approve"), &[]).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN, "not waiting any more");
    let reject_approved = moderator.post(&format!("/api/v1/admin/accounts/{newbie}/reject"), &[]).await;
    assert_eq!(reject_approved.status(), StatusCode::FORBIDDEN, "only a pending sign-up is rejected");
    let newbie_session = world.login("a.test", "newbie").await;
    assert_eq!(newbie_session.get("/api/v1/accounts/verify_credentials").await.status(), StatusCode::OK);

    let rejected = moderator.post_json(&format!("/api/v1/admin/accounts/{spammer}/reject"), &[]).await;
    assert_eq!(rejected["username"], "spammer");
    assert_eq!(moderator.get(&format!("/api/v1/admin/accounts/{spammer}")).await.status(), StatusCode::NOT_FOUND);
    let client = app.client();
    let registered = register_app(
        &client,
        "a.test",
        &[("client_name", "gone"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read")],
    )
    .await;
    let grant = password_grant(&client, "a.test", &registered, "spammer", PASSWORD, "read").await;
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST, "the login is gone");

    // Deleting needs an admin and a suspended account.
    let alice_id = world.account("a.test", "alice").id.0.to_string();
    assert_eq!(moderator.delete(&format!("/api/v1/admin/accounts/{alice_id}")).await.status(), StatusCode::FORBIDDEN);
    let boss = admin_login(app, "a.test", "boss").await;
    let (status, _) = status_of(boss.delete(&format!("/api/v1/admin/accounts/{alice_id}")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not suspended");
    boss.post_json(&format!("/api/v1/admin/accounts/{alice_id}/action"), &[("type", "suspend")]).await;
    let deleted = boss.delete(&format!("/api/v1/admin/accounts/{alice_id}")).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(boss.get(&format!("/api/v1/admin/accounts/{alice_id}")).await.status(), StatusCode::NOT_FOUND);

    let actions: Vec<String> = audit(&world, "a.test").await.into_iter().map(|(_, a, _)| a).collect();
    assert_eq!(actions, ["approve", "reject", "suspend", "delete"]);
    world.stop().await;
}

#[tokio::test]
async fn roles_change_with_an_audit_row_and_the_last_admin_stays() {
    use kereru_service::moderation::roles::{Granter, RoleError, set_role};
    let world = world().start().await;
    let tenant = world.domain("a.test").id;
    let boss = world.account("a.test", "boss").id;
    let alice = world.account("a.test", "alice").id;
    let mut conn = world.pool.get().await.unwrap();
    let refused = set_role(&mut conn, tenant, &Granter::CommandLine, boss, "@boss@a.test", Role::User).await;
    assert!(matches!(refused, Err(RoleError::LastAdmin(_))), "{refused:?}");
    assert!(set_role(&mut conn, tenant, &Granter::CommandLine, alice, "@alice@a.test", Role::Admin).await.unwrap());
    assert!(set_role(&mut conn, tenant, &Granter::CommandLine, boss, "@boss@a.test", Role::User).await.unwrap());
    // A login of another tenant has no role here.
    let carol = world.account("b.test", "carol").id;
    let elsewhere = set_role(&mut conn, tenant, &Granter::CommandLine, carol, "@carol", Role::Moderator).await;
    assert!(matches!(elsewhere, Err(RoleError::NoLogin(_))));
    drop(conn);
    let log = audit(&world, "a.test").await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0], ("command line".to_string(), "change_role".to_string(), "@alice@a.test".to_string()));
    // alice, now admin, reaches the admin API; boss no longer does.
    let alice_admin = admin_login(&world.app, "a.test", "alice").await;
    assert_eq!(alice_admin.get("/api/v1/admin/accounts").await.status(), StatusCode::OK);
    let boss_admin = admin_login(&world.app, "a.test", "boss").await;
    assert_eq!(boss_admin.get("/api/v1/admin/accounts").await.status(), StatusCode::FORBIDDEN);
    world.stop().await;
}

#[tokio::test]
async fn the_admin_pages_act_on_this_tenants_accounts_only() {
    let world = world().start().await;
    let app = &world.app;
    let alice_id = world.account("a.test", "alice").id.0.to_string();
    let newbie = pending_sign_up(&world, "a.test", "newbie").await;

    let moderator = Browser::new(app, "a.test");
    moderator.sign_in("mod").await;
    let list = moderator.get("/admin/accounts").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("alice") && list.body.contains("newbie"));
    assert!(!list.body.contains("carol"));
    let filtered = moderator.get("/admin/accounts?status=pending").await;
    assert!(filtered.body.contains("newbie") && !filtered.body.contains("@alice"), "{}", filtered.body);

    let page = moderator.get(&format!("/admin/accounts/{alice_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("alice@mail.example"));
    let done = moderator
        .submit(
            &format!("/admin/accounts/{alice_id}"),
            &format!("/admin/accounts/{alice_id}/act"),
            &[("action", "suspend"), ("text", "spam")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = moderator.get(&format!("/admin/accounts/{alice_id}")).await;
    assert!(page.body.contains("Suspended"), "{}", page.body);
    // The suspended person cannot sign in on the web either.
    let alice = Browser::new(app, "a.test");
    let refused = alice.submit("/auth/sign_in", "/auth/sign_in", &[("login", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Your login is currently disabled"));
    let done =
        moderator.submit("/admin/accounts", &format!("/admin/accounts/{newbie}/act"), &[("action", "approve")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let done = moderator
        .submit(
            &format!("/admin/accounts/{alice_id}"),
            &format!("/admin/accounts/{alice_id}/act"),
            &[("action", "explode")],
        )
        .await;
    assert_eq!(done.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown action changes nothing");
    let done = moderator
        .submit(
            &format!("/admin/accounts/{alice_id}"),
            &format!("/admin/accounts/{alice_id}/act"),
            &[("action", "reset_password")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let mails = kereru_tests::mail::outbox(&world, "a.test").await;
    assert!(mails.iter().any(|m| m.to_address == "alice@mail.example" && m.body_text.contains("/auth/password")));

    let log = moderator.get("/admin/action_logs").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("@mod@a.test") && log.body.contains("suspend") && log.body.contains("@alice"));

    // A moderator sees no role form; an admin does and changes a role.
    assert!(!page.body.contains("name=\"role\""));
    let boss = Browser::new(app, "a.test");
    boss.sign_in("boss").await;
    let bob_id = world.account("a.test", "bob").id.0.to_string();
    let done = boss
        .submit(
            &format!("/admin/accounts/{bob_id}"),
            &format!("/admin/accounts/{bob_id}/role"),
            &[("role", "moderator")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let bob_page = boss.get(&format!("/admin/accounts/{bob_id}")).await;
    assert!(bob_page.body.contains("name=\"role\""));

    // A user is refused; another tenant's staff finds nothing of a.test's.
    let user = Browser::new(app, "b.test");
    user.sign_in("carol").await;
    assert_eq!(user.get("/admin/accounts").await.status, StatusCode::FORBIDDEN);
    assert_eq!(user.get("/admin/action_logs").await.status, StatusCode::FORBIDDEN);
    let other = Browser::new(app, "b.test");
    other.sign_in("other").await;
    assert_eq!(other.get("/admin/accounts").await.status, StatusCode::OK);
    assert!(!other.get("/admin/accounts").await.body.contains("alice"));
    assert_eq!(other.get(&format!("/admin/accounts/{alice_id}")).await.status, StatusCode::NOT_FOUND);
    let refused =
        other.submit("/admin/accounts", &format!("/admin/accounts/{alice_id}/act"), &[("action", "unsuspend")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let others_log = other.get("/admin/action_logs").await;
    assert!(!others_log.body.contains("@alice"), "a tenant's log is its own");
    // The host admin's log has every tenant's acts.
    let root = Browser::new(app, "b.test");
    root.sign_in("root").await;
    let everything = root.get("/admin/action_logs").await;
    assert!(everything.body.contains("@mod@a.test"), "{}", everything.body);
    // Still suspended: the other tenant's attempt changed nothing.
    let page = moderator.get(&format!("/admin/accounts/{alice_id}")).await;
    assert!(page.body.contains("Suspended"));
    world.stop().await;
}

#[tokio::test]
async fn an_action_closes_the_report_it_names_and_only_this_tenants() {
    let world = world().start().await;
    let moderator = admin_login(&world.app, "a.test", "mod").await;
    let alice = world.account("a.test", "alice").id.0;
    let bob = world.account("a.test", "bob").id.0;
    let carol = world.account("b.test", "carol").id.0;
    let mut conn = world.pool.get().await.unwrap();
    for (id, host, by, about) in [(1001_i64, "a.test", bob, alice), (1002, "b.test", carol, alice)] {
        diesel::sql_query(
            "INSERT INTO reports (id, domain_id, account_id, target_account_id, status_ids, comment) \
             VALUES ($1, $2, $3, $4, '{}', 'spam')",
        )
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(world.domain(host).id.0)
        .bind::<BigInt, _>(by)
        .bind::<BigInt, _>(about)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let path = format!("/api/v1/admin/accounts/{alice}/action");
    // Another tenant's report: 404, and the silence is undone with it.
    let refused = moderator.post(&path, &[("type", "silence"), ("report_id", "1002")]).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let shown = moderator.get_json(&format!("/api/v1/admin/accounts/{alice}")).await;
    assert_eq!(shown["silenced"], false, "nothing changed");
    assert!(audit(&world, "a.test").await.is_empty());

    moderator.post_json(&path, &[("type", "silence"), ("report_id", "1001"), ("text", "see report")]).await;
    #[derive(diesel::QueryableByName)]
    struct Acted {
        #[diesel(sql_type = Text)]
        action_taken: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        closed: bool,
    }
    let acted = |id: i64| {
        diesel::sql_query("SELECT action_taken, action_taken_at IS NOT NULL AS closed FROM reports WHERE id = $1")
            .bind::<BigInt, _>(id)
    };
    let ours: Acted = acted(1001).get_result(&mut conn).await.unwrap();
    assert!(ours.closed && ours.action_taken == "silence");
    let theirs: Acted = acted(1002).get_result(&mut conn).await.unwrap();
    assert!(!theirs.closed, "the other tenant's report is untouched");
    drop(conn);
    let log = audit(&world, "a.test").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1, "silence");
    // A warning (type none) only records, and mails the person (as Mastodon, unless asked not to).
    let mails_to_alice = || async {
        kereru_tests::mail::outbox(&world, "a.test")
            .await
            .into_iter()
            .filter(|m| m.to_address == "alice@mail.example")
            .collect::<Vec<_>>()
    };
    let before = mails_to_alice().await.len();
    moderator.post_json(&path, &[("type", "none"), ("text", "please stop")]).await;
    assert_eq!(audit(&world, "a.test").await.last().unwrap().1, "warn");
    let mails = mails_to_alice().await;
    assert_eq!(mails.len(), before + 1);
    assert!(mails.last().unwrap().body_text.contains("please stop"), "{}", mails.last().unwrap().body_text);
    moderator.post_json(&path, &[("type", "none"), ("send_email_notification", "false")]).await;
    assert_eq!(mails_to_alice().await.len(), before + 1, "not asked to tell");
    world.stop().await;
}
