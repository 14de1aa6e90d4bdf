//! A host admin moderates every tenant: signed in on a.test, they resolve a
//! b.test report and suspend a b.test account through
//! `/admin/host/tenants/{domain_id}/reports|accounts` (the tenant pages'
//! handlers and templates, for the tenant in the path). The audit rows name
//! the host admin and the tenant acted on, and b.test's admin reads them in
//! b.test's log. A tenant's admin is refused every such page and form (403);
//! an id of another tenant's report or account under a tenant's path is 404.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_store::admin_actions::{self, LogScope};
use kereru_store::roles::Role;
use kereru_store::{AccountId, moderation, reports};
use kereru_tests::World;
use kereru_tests::web::Browser;
use reqwest::StatusCode;

async fn signed_in(world: &World, host: &str, username: &str) -> Browser {
    let browser = Browser::new(&world.app, host);
    browser.sign_in(username).await;
    browser
}

#[tokio::test]
async fn a_host_admin_acts_on_another_tenants_reports_and_accounts() {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .host_admin("a.test", "root")
        .staff("a.test", "boss", Role::Admin)
        .user("a.test", "alice")
        .user("a.test", "amy")
        .staff("b.test", "badmin", Role::Admin)
        .staff("b.test", "bmod", Role::Moderator)
        .user("b.test", "carol")
        .user("b.test", "dave")
        .start()
        .await;
    let a = world.domain("a.test").id;
    let b = world.domain("b.test").id;
    let dave = world.account("b.test", "dave").id;
    let amy = world.account("a.test", "amy").id;
    let root_id = world.account("a.test", "root").id;

    // carol reports dave on b.test; alice reports amy on a.test.
    let carol = world.login("b.test", "carol").await;
    let report = carol
        .post_json("/api/v1/reports", &[("account_id", &dave.0.to_string()), ("comment", "spam everywhere")])
        .await;
    let b_report: i64 = report["id"].as_str().unwrap().parse().unwrap();
    let alice = world.login("a.test", "alice").await;
    let report = alice.post_json("/api/v1/reports", &[("account_id", &amy.0.to_string())]).await;
    let a_report: i64 = report["id"].as_str().unwrap().parse().unwrap();

    let base = format!("/admin/host/tenants/{}", b.0);
    let reports_page = format!("{base}/reports");
    let report_page = format!("{base}/reports/{b_report}");
    let accounts_page = format!("{base}/accounts");
    let dave_page = format!("{base}/accounts/{}", dave.0);

    // The overview and the tenants list lead to b.test's queue on this host.
    let root = signed_in(&world, "a.test", "root").await;
    let overview = root.get("/admin/host/moderation").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains(&format!("href=\"{report_page}\"")), "{}", overview.body);
    assert!(overview.body.contains(&format!("href=\"{accounts_page}\"")));
    let tenants = root.get("/admin/host/tenants").await;
    assert!(tenants.body.contains(&format!("href=\"{reports_page}\"")), "{}", tenants.body);

    // b.test's queue, on a.test: b's report, not a's; links lead to b.test.
    let queue = root.get(&reports_page).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains(&format!("href=\"{report_page}\"")), "{}", queue.body);
    assert!(!queue.body.contains(&format!("/reports/{a_report}\"")), "a.test's report is not in b.test's queue");
    assert!(queue.body.contains("you act on this tenant as a host admin"));
    let shown = root.get(&report_page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("spam everywhere"));
    let unescaped = shown.body.replace("&#x2F;", "/");
    assert!(unescaped.contains("href=\"http://b.test/@dave\""), "dave's profile is on b.test: {}", shown.body);
    assert!(shown.body.contains(&format!("action=\"{report_page}/resolve\"")));

    // Resolve it.
    let done =
        root.submit(&report_page, &format!("{report_page}/resolve"), &[("action_taken", "Account suspended")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), Some(report_page.as_str()));
    {
        let mut conn = world.pool.get().await.unwrap();
        let stored = reports::get(&mut conn, b, b_report).await.unwrap().unwrap();
        assert!(stored.resolved());
        assert_eq!(stored.action_taken, "Account suspended");
        assert_eq!(stored.action_taken_by_account_id, Some(root_id.0));
    }

    // Suspend dave.
    let page = root.get(&dave_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("action=\"{dave_page}/act\"")));
    let done = root.submit(&dave_page, &format!("{dave_page}/act"), &[("action", "suspend"), ("text", "spam")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), Some(format!("{dave_page}?done=suspend").as_str()));
    {
        let mut conn = world.pool.get().await.unwrap();
        let found = moderation::get(&mut conn, b, dave).await.unwrap().unwrap();
        assert!(found.verdict.suspended_at.is_some(), "suspended on b.test");
        // The audit rows: on b.test, by the host admin of a.test.
        let log = admin_actions::list(&mut conn, LogScope::Tenant(b), None, 50).await.unwrap();
        for verb in ["resolve_report", "suspend"] {
            let row = log.iter().find(|r| r.action == verb).unwrap_or_else(|| panic!("no {verb} row: {log:?}"));
            assert_eq!(row.domain_id, Some(b.0), "{row:?}");
            assert_eq!(row.account_id, Some(root_id.0), "{row:?}");
            assert_eq!(row.actor_label, "@root@a.test", "{row:?}");
        }
        let a_log = admin_actions::list(&mut conn, LogScope::Tenant(a), None, 50).await.unwrap();
        assert!(a_log.iter().all(|r| r.action != "suspend"), "nothing was done on a.test: {a_log:?}");
    }
    // b.test's accounts list on a.test shows dave suspended; b.test's admin reads the act in its log.
    let list = root.get(&accounts_page).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("href=\"{dave_page}\"")) && list.body.contains("Suspended"));
    let badmin = signed_in(&world, "b.test", "badmin").await;
    let log = badmin.get("/admin/action_logs").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("@root@a.test") && log.body.contains("@dave"), "{}", log.body);

    // Ids of another tenant's objects under b.test's path are 404, and change nothing.
    let alice_id = world.account("a.test", "alice").id;
    assert_eq!(root.get(&format!("{base}/reports/{a_report}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(root.get(&format!("{base}/accounts/{}", alice_id.0)).await.status, StatusCode::NOT_FOUND);
    let refused = root.submit(&reports_page, &format!("{base}/reports/{a_report}/resolve"), &[]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused =
        root.submit(&reports_page, &format!("{base}/accounts/{}/act", alice_id.0), &[("action", "silence")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(root.get("/admin/host/tenants/999999/reports").await.status, StatusCode::NOT_FOUND);
    assert_eq!(root.get("/admin/host/tenants/999999/accounts").await.status, StatusCode::NOT_FOUND);
    {
        let mut conn = world.pool.get().await.unwrap();
        assert!(!reports::get(&mut conn, a, a_report).await.unwrap().unwrap().resolved());
        let alice_now = moderation::get(&mut conn, a, alice_id).await.unwrap().unwrap();
        assert!(alice_now.verdict.silenced_at.is_none());
    }

    // Tenant staff are refused every host page and form, even for their own tenant.
    let boss = signed_in(&world, "a.test", "boss").await;
    let bmod = signed_in(&world, "b.test", "bmod").await;
    let a_base = format!("/admin/host/tenants/{}", a.0);
    let b_dave = format!("/admin/accounts/{}", dave.0);
    for (browser, who, base) in [
        (&boss, "a.test's admin", &base),
        (&badmin, "b.test's admin", &base),
        (&bmod, "b.test's moderator", &base),
        (&boss, "a.test's admin on a", &a_base),
    ] {
        for path in ["/reports", &format!("/reports/{b_report}"), "/accounts", &format!("/accounts/{}", dave.0)] {
            let path = format!("{base}{path}");
            assert_eq!(browser.get(&path).await.status, StatusCode::FORBIDDEN, "{path} for {who}");
        }
        let forms = [
            (format!("{base}/reports/{b_report}/reopen"), vec![]),
            (format!("{base}/reports/{b_report}/assign_to_self"), vec![]),
            (format!("{base}/accounts/{}/act", dave.0), vec![("action", "unsuspend")]),
            (format!("{base}/accounts/{}/role", dave.0), vec![("role", "admin")]),
        ];
        for (action, fields) in &forms {
            let page = browser.submit("/settings/profile", action, fields).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "POST {action} for {who}");
        }
    }
    // Their own pages still work, for their own tenant only.
    assert_eq!(badmin.get(&b_dave).await.status, StatusCode::OK);
    assert_eq!(boss.get(&b_dave).await.status, StatusCode::NOT_FOUND);
    {
        let mut conn = world.pool.get().await.unwrap();
        let found = moderation::get(&mut conn, b, dave).await.unwrap().unwrap();
        assert!(found.verdict.suspended_at.is_some(), "the refused unsuspend changed nothing");
        assert!(reports::get(&mut conn, b, b_report).await.unwrap().unwrap().resolved(), "still resolved");
        let dave_role = kereru_store::roles::staff(&mut conn, b, AccountId(dave.0)).await.unwrap().unwrap();
        assert_eq!(dave_role.role, Role::User);
    }

    // The host admin reopens it again from a.test.
    let done = root.submit(&report_page, &format!("{report_page}/reopen"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let mut conn = world.pool.get().await.unwrap();
    assert!(!reports::get(&mut conn, b, b_report).await.unwrap().unwrap().resolved());
    drop(conn);
    world.stop().await;
}
