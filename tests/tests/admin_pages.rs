//! The administration area's shell and its tenant and host pages: who may
//! open each page (users, moderators, another tenant's admins and tenant
//! admins on host pages are refused), the settings, rules and invites an
//! admin manages, and the tenants a host admin adds, suspends, activates
//! and removes, each act with its audit row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_core::HostName;
use kereru_store::admin_actions::{self, LogScope};
use kereru_store::domains::{self, DomainState, Registrations};
use kereru_store::roles::Role;
use kereru_store::{about, invites};
use kereru_tests::World;
use kereru_tests::web::Browser;
use reqwest::StatusCode;

const TENANT_PAGES: &[&str] = &["/admin/settings", "/admin/rules", "/admin/invites"];
const HOST_PAGES: &[&str] = &["/admin/host/tenants", "/admin/host/queue"];

async fn world() -> World {
    World::new()
        .tenant("a.test")
        .tenant("b.test")
        .staff("a.test", "boss", Role::Admin)
        .staff("a.test", "mod", Role::Moderator)
        .user("a.test", "alice")
        .host_admin("a.test", "root")
        .staff("b.test", "other", Role::Admin)
        .start()
        .await
}

async fn signed_in(world: &World, host: &str, username: &str) -> Browser {
    let browser = Browser::new(&world.app, host);
    browser.sign_in(username).await;
    browser
}

async fn audit(world: &World, scope: LogScope) -> Vec<String> {
    let mut conn = world.pool.get().await.unwrap();
    admin_actions::list(&mut conn, scope, None, 100).await.unwrap().into_iter().map(|a| a.action).collect()
}

#[tokio::test]
async fn every_admin_page_refuses_who_it_must() {
    let world = world().await;
    let a = world.domain("a.test").id;
    let b_tenant = world.domain("b.test").id;

    // Signed out: to the sign-in page, and back here afterwards.
    let stranger = Browser::new(&world.app, "a.test");
    for path in ["/admin"].iter().chain(TENANT_PAGES).chain(HOST_PAGES) {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().unwrap().starts_with("/auth/sign_in"), "{path}");
    }

    // A user: 403 on every page and every form, and no Administration link.
    let alice = signed_in(&world, "a.test", "alice").await;
    let home = alice.get("/settings/profile").await;
    assert!(!home.body.contains("href=\"/admin\""), "a user sees no Administration link");
    let b_id = b_tenant.0.to_string();
    let b_page = format!("/admin/host/tenants/{b_id}");
    let b_remove = format!("/admin/host/tenants/{b_id}/remove");
    for path in ["/admin"].iter().chain(TENANT_PAGES).chain(HOST_PAGES).chain([&b_page.as_str(), &b_remove.as_str()]) {
        assert_eq!(alice.get(path).await.status, StatusCode::FORBIDDEN, "{path} for a user");
    }
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/settings".into(), vec![("name", "Taken"), ("description", ""), ("registrations", "open")]),
        ("/admin/rules".into(), vec![("text", "Be mean")]),
        ("/admin/host/tenants".into(), vec![("host", "evil.test"), ("registrations", "open")]),
        (format!("/admin/host/tenants/{b_id}/suspend"), vec![]),
        (format!("/admin/host/tenants/{b_id}/remove"), vec![("confirm", "b.test")]),
    ];
    for (action, fields) in &forms {
        let page = alice.submit("/settings/profile", action, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "POST {action} for a user");
    }
    {
        let mut conn = world.pool.get().await.unwrap();
        assert_ne!(domains::get(&mut conn, a).await.unwrap().name, "Taken");
        assert!(about::rules(&mut conn, a).await.unwrap().is_empty());
        assert!(domains::find_by_host(&mut conn, &HostName::parse("evil.test").unwrap()).await.unwrap().is_none());
        assert_eq!(domains::get(&mut conn, b_tenant).await.unwrap().state, DomainState::Active);
    }
    assert!(audit(&world, LogScope::Everything).await.is_empty(), "nothing was done");

    // A moderator: lands on the reports, sees the link, but not the admins' or host pages.
    let moderator = signed_in(&world, "a.test", "mod").await;
    let landing = moderator.get("/admin").await;
    assert_eq!(landing.status, StatusCode::SEE_OTHER);
    assert_eq!(landing.location(), Some("/admin/reports"));
    assert!(moderator.get("/settings/profile").await.body.contains("href=\"/admin\""), "staff see the link");
    for path in TENANT_PAGES.iter().chain(HOST_PAGES) {
        assert_eq!(moderator.get(path).await.status, StatusCode::FORBIDDEN, "{path} for a moderator");
    }

    // The tenant's admin: its pages, not the host's.
    let boss = signed_in(&world, "a.test", "boss").await;
    for path in ["/admin"].iter().chain(TENANT_PAGES) {
        let page = boss.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path} for the admin");
        assert!(page.body.contains("href=\"/admin/settings\""), "{path} has the admin navigation");
    }
    assert!(
        !boss.get("/admin").await.body.contains("href=\"/admin/host/tenants\""),
        "no host links for a tenant admin"
    );
    for path in HOST_PAGES.iter().chain([&b_page.as_str()]) {
        assert_eq!(boss.get(path).await.status, StatusCode::FORBIDDEN, "{path} for a tenant admin");
    }
    let page = boss.submit("/admin", &format!("/admin/host/tenants/{b_id}/suspend"), &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // Another tenant's admin: their session is worth nothing here, and a.test's ids are not theirs.
    let other = signed_in(&world, "b.test", "other").await;
    let mut conn = world.pool.get().await.unwrap();
    let rule = about::add_rule(&mut conn, a, "Be kind").await.unwrap();
    let boss_id = world.account("a.test", "boss").id;
    let invite = invites::create(&mut conn, a, boss_id, None, None).await.unwrap();
    drop(conn);
    let id = rule.id.to_string();
    for (action, fields) in [
        (format!("/admin/rules/{id}/remove"), vec![]),
        (format!("/admin/rules/{id}"), vec![("text", "Be mean")]),
        (format!("/admin/rules/{id}/move"), vec![("direction", "down")]),
        (format!("/admin/invites/{}/revoke", invite.id), vec![]),
    ] {
        let page = other.submit("/admin/rules", &action, &fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "POST {action} from b.test's admin");
    }
    assert!(
        !other.get("/admin/invites").await.body.contains(&invite.code),
        "b.test's admin sees only b.test's invites"
    );
    for path in HOST_PAGES {
        assert_eq!(other.get(path).await.status, StatusCode::FORBIDDEN, "{path} for b.test's admin");
    }
    let crossing = Browser::new(&world.app, "a.test");
    let page = crossing.get("/admin/settings").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "a b.test session does not sign anyone in on a.test");
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(about::rules(&mut conn, a).await.unwrap()[0].text, "Be kind");
    assert!(invites::find(&mut conn, a, &invite.code).await.unwrap().unwrap().valid_at(chrono::Utc::now()));
    drop(conn);
    world.stop().await;
}

#[tokio::test]
async fn an_admin_changes_the_settings() {
    let world = world().await;
    let a = world.domain("a.test").id;
    let boss = signed_in(&world, "a.test", "boss").await;
    let form = boss.get("/admin/settings").await;
    assert!(form.body.contains("value=\"a.test\""), "the current name is in the form");

    // Bad input: the form again with the message, nothing changed.
    let long = "x".repeat(101);
    let page = boss
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[("name", &long), ("description", "Hello"), ("registrations", "approval")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("at most 100 characters"), "{}", page.body);
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert!(page.body.contains("Hello"), "what was typed is kept");
    let page = boss
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[("name", "Kāinga"), ("description", ""), ("registrations", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    {
        let mut conn = world.pool.get().await.unwrap();
        let domain = domains::get(&mut conn, a).await.unwrap();
        assert_eq!((domain.name.as_str(), domain.registrations), ("a.test", Registrations::Open));
    }

    let page = boss
        .submit(
            "/admin/settings",
            "/admin/settings",
            &[
                ("name", " Kāinga "),
                ("description", "A home for friends."),
                ("registrations", "approval"),
                ("invites_by_users", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let after = boss.get(page.location().unwrap()).await;
    assert!(after.body.contains("The settings are saved."));
    assert!(after.body.contains("registrations-approval-hint\" checked"), "{}", after.body);
    let mut conn = world.pool.get().await.unwrap();
    let domain = domains::get(&mut conn, a).await.unwrap();
    assert_eq!(domain.name, "Kāinga");
    assert_eq!(domain.registrations, Registrations::Approval);
    assert_eq!(about::description(&mut conn, a).await.unwrap(), "A home for friends.");
    assert!(invites::users_may_invite(&mut conn, a).await.unwrap());
    drop(conn);
    assert!(boss.get("/about").await.body.contains("A home for friends."));
    assert_eq!(audit(&world, LogScope::Tenant(a)).await, vec!["update_settings"]);

    // The checkbox left out means no.
    boss.submit(
        "/admin/settings",
        "/admin/settings",
        &[("name", "Kāinga"), ("description", ""), ("registrations", "closed")],
    )
    .await;
    let mut conn = world.pool.get().await.unwrap();
    assert!(!invites::users_may_invite(&mut conn, a).await.unwrap());
    assert_eq!(domains::get(&mut conn, a).await.unwrap().registrations, Registrations::Closed);
    drop(conn);
    world.stop().await;
}

#[tokio::test]
async fn an_admin_keeps_the_rules() {
    let world = world().await;
    let a = world.domain("a.test").id;
    let boss = signed_in(&world, "a.test", "boss").await;
    for text in ["Be kind", "No spam", "Credit artists"] {
        let page = boss.submit("/admin/rules", "/admin/rules", &[("text", text)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let page = boss.submit("/admin/rules", "/admin/rules", &[("text", "   ")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("A rule must be 1 to 500 characters."));
    let long = "y".repeat(501);
    let page = boss.submit("/admin/rules", "/admin/rules", &[("text", &long)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(&long), "what was typed is kept");

    let texts = |rules: Vec<about::Rule>| rules.into_iter().map(|r| r.text).collect::<Vec<_>>();
    let mut conn = world.pool.get().await.unwrap();
    let rules = about::rules(&mut conn, a).await.unwrap();
    drop(conn);
    assert_eq!(texts(rules.clone()), ["Be kind", "No spam", "Credit artists"]);
    let (first, third) = (rules[0].id, rules[2].id);

    boss.submit("/admin/rules", &format!("/admin/rules/{third}/move"), &[("direction", "up")]).await;
    boss.submit("/admin/rules", &format!("/admin/rules/{first}/move"), &[("direction", "up")]).await; // already first
    let page = boss.submit("/admin/rules", &format!("/admin/rules/{first}"), &[("text", "Be kind to everyone")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(texts(about::rules(&mut conn, a).await.unwrap()), ["Be kind to everyone", "Credit artists", "No spam"]);
    drop(conn);

    let page = boss.get("/admin/rules").await;
    assert!(
        page.body.contains(&format!("action=\"/admin/rules/{first}/remove\" data-confirm=")),
        "removing asks first"
    );
    let page = boss.submit("/admin/rules", &format!("/admin/rules/{first}/remove"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(texts(about::rules(&mut conn, a).await.unwrap()), ["Credit artists", "No spam"]);
    drop(conn);
    assert!(boss.get("/about").await.body.contains("Credit artists"));
    let log = audit(&world, LogScope::Tenant(a)).await;
    assert_eq!(log.iter().filter(|a| *a == "create_rule").count(), 3);
    assert!(log.contains(&"move_rule".to_string()) && log.contains(&"update_rule".to_string()));
    assert_eq!(log[0], "remove_rule");
    world.stop().await;
}

#[tokio::test]
async fn an_admin_sees_and_revokes_every_invite() {
    let world = world().await;
    let a = world.domain("a.test").id;
    let alice_id = world.account("a.test", "alice").id;
    let mut conn = world.pool.get().await.unwrap();
    let invite = invites::create(&mut conn, a, alice_id, Some(5), None).await.unwrap();
    drop(conn);
    let boss = signed_in(&world, "a.test", "boss").await;
    let page = boss.get("/admin/invites").await;
    assert!(page.body.contains(&invite.code) && page.body.contains("@alice@a.test"), "{}", page.body);
    let page = boss.submit("/admin/invites", &format!("/admin/invites/{}/revoke", invite.id), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert!(!invites::find(&mut conn, a, &invite.code).await.unwrap().unwrap().valid_at(chrono::Utc::now()));
    drop(conn);
    assert_eq!(audit(&world, LogScope::Tenant(a)).await, vec!["revoke_invite"]);
    world.stop().await;
}

#[tokio::test]
async fn a_host_admin_adds_suspends_activates_and_removes_a_tenant() {
    let world = world().await;
    let a = world.domain("a.test").id;
    let root = signed_in(&world, "a.test", "root").await;
    let list = root.get("/admin/host/tenants").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("a.test") && list.body.contains("b.test"));
    assert!(root.get("/admin").await.body.contains("href=\"/admin/host/queue\""));

    // Bad input and a taken host: the form again, nothing added.
    let page = root
        .submit("/admin/host/tenants", "/admin/host/tenants", &[("host", "not a host"), ("registrations", "open")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("not a host"), "what was typed is kept");
    let page = root
        .submit("/admin/host/tenants", "/admin/host/tenants", &[("host", "b.test"), ("registrations", "open")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("already served"), "{}", page.body);

    let page = root
        .submit(
            "/admin/host/tenants",
            "/admin/host/tenants",
            &[("host", "c.test"), ("name", "Sea"), ("owner", "owner@c.test"), ("registrations", "approval")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let shown = root.get(page.location().unwrap()).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("<code>c.test.</code>") && shown.body.contains("<code>AAAA</code>"), "DNS records");
    assert!(shown.body.contains("DNS records to set"));
    let mut conn = world.pool.get().await.unwrap();
    let c = domains::find_by_host(&mut conn, &HostName::parse("c.test").unwrap()).await.unwrap().unwrap();
    drop(conn);
    assert_eq!((c.name.as_str(), c.registrations, c.state), ("Sea", Registrations::Approval, DomainState::Active));
    let base = format!("/admin/host/tenants/{}", c.id.0);

    let page = root.submit(&base, &format!("{base}/suspend"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(domains::get(&mut conn, c.id).await.unwrap().state, DomainState::Suspended);
    drop(conn);
    let page = root.submit(&base, &format!("{base}/activate"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(domains::get(&mut conn, c.id).await.unwrap().state, DomainState::Active);
    drop(conn);

    // Removing asks to type the host; anything else removes nothing.
    let confirm = root.get(&format!("{base}/remove")).await;
    assert!(confirm.body.contains("Type <strong>c.test</strong> to confirm"));
    let page = root.submit(&format!("{base}/remove"), &format!("{base}/remove"), &[("confirm", "b.test")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut conn = world.pool.get().await.unwrap();
    assert!(domains::get(&mut conn, c.id).await.is_ok());
    drop(conn);
    let page = root.submit(&format!("{base}/remove"), &format!("{base}/remove"), &[("confirm", "c.test")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert!(domains::get(&mut conn, c.id).await.is_err(), "removed");
    drop(conn);
    assert_eq!(root.get(&base).await.status, StatusCode::NOT_FOUND);

    // The tenant the host admin is signed in on cannot be suspended or removed from itself.
    let own = format!("/admin/host/tenants/{}", a.0);
    let page = root.submit(&own, &format!("{own}/suspend"), &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = root.submit(&format!("{own}/remove"), &format!("{own}/remove"), &[("confirm", "a.test")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(domains::get(&mut conn, a).await.unwrap().state, DomainState::Active);
    drop(conn);

    assert_eq!(
        audit(&world, LogScope::HostWide).await,
        vec!["remove_tenant", "activate_tenant", "suspend_tenant", "create_tenant"]
    );
    world.stop().await;
}

#[tokio::test]
async fn a_host_admin_sees_the_queues() {
    let world = world().await;
    let root = signed_in(&world, "a.test", "root").await;
    let page = root.get("/admin/host/queue").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Delivery queue") && page.body.contains("Received activities"));
    assert!(page.body.contains("queue queued=0 in_flight=0"), "{}", page.body);
    assert!(page.body.contains("Nothing is waiting."));
    let dashboard = root.get("/admin").await;
    assert!(dashboard.body.contains("received, waiting to be processed"));
    world.stop().await;
}
