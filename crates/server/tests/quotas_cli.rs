//! `kereru provider plan ...` and `kereru domain set-plan`: plans from the
//! command line, a tenant put on one, `kereru user create` refused past its
//! max_accounts, and `kereru domain show` printing the plan and usage.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, scratch_dir};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn plans_are_kept_a_domain_is_put_on_one_and_its_quotas_hold_on_the_command_line() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-quotas");
    let cmd = || kereru(&data, Some(&db.url));
    ok(cmd(), &["domain", "add", "a.test"], "");
    ok(cmd(), &["domain", "add", "b.test"], "");

    let created =
        ok(cmd(), &["provider", "plan", "create", "small", "--max-accounts", "1", "--posts-per-day", "50"], "");
    assert!(created.contains("created plan small\tmax_accounts=1\t"), "{created}");
    assert!(created.contains("posts_per_day=50\tremote_follows=unlimited"), "{created}");
    fails(cmd(), &["provider", "plan", "create", "small"], "", "a plan named small already exists");
    fails(cmd(), &["provider", "plan", "create", "no way"], "", "a plan name is 1 to 64 letters");
    fails(cmd(), &["domain", "set-plan", "a.test", "nope"], "", "there is no plan named nope");

    assert_eq!(ok(cmd(), &["domain", "set-plan", "a.test", "small"], "").trim(), "a.test is on plan small");
    let email = |name: &str| format!("{name}@mail.test");
    let create = |name: &'static str, domain: &'static str| {
        let address = email(name);
        let args = ["user", "create", "--domain", domain, "--username", name, "--email", address.as_str()];
        args.map(str::to_string)
    };
    let first = create("alice", "a.test");
    ok(cmd(), &first.iter().map(String::as_str).collect::<Vec<_>>(), "a good password\n");
    let second = create("bob", "a.test");
    fails(cmd(), &second.iter().map(String::as_str).collect::<Vec<_>>(), "a good password\n", "max_accounts");
    // b.test has no plan.
    for name in ["bob", "carol"] {
        ok(cmd(), &create(name, "b.test").iter().map(String::as_str).collect::<Vec<_>>(), "a good password\n");
    }

    let shown = ok(cmd(), &["domain", "show", "a.test"], "");
    assert!(shown.contains("plan:           small"), "{shown}");
    assert!(shown.contains("max_accounts         1 of 1"), "{shown}");
    assert!(shown.contains("posts_per_day        0 of 50"), "{shown}");
    assert!(shown.contains("custom_emoji         not counted of unlimited"), "{shown}");
    assert!(shown.contains("1 accounts"), "{shown}");
    let other = ok(cmd(), &["domain", "show", "b.test"], "");
    assert!(other.contains("plan:           (none: no limits)"), "{other}");
    assert!(other.contains("2 accounts"), "{other}");

    // Raising the limit lets the next one in; a plan in use is not deleted.
    let updated = ok(cmd(), &["provider", "plan", "update", "small", "--max-accounts", "unlimited"], "");
    assert!(updated.contains("max_accounts=unlimited") && updated.contains("posts_per_day=50"), "{updated}");
    assert!(updated.contains("tenants=1"), "{updated}");
    ok(cmd(), &second.iter().map(String::as_str).collect::<Vec<_>>(), "a good password\n");
    fails(cmd(), &["provider", "plan", "delete", "small"], "", "still has tenants");
    let listed = ok(cmd(), &["provider", "plan", "list"], "");
    assert!(listed.starts_with("small\t"), "{listed}");
    assert_eq!(ok(cmd(), &["domain", "set-plan", "a.test", "--none"], "").trim(), "a.test has no plan (no limits)");
    assert_eq!(ok(cmd(), &["provider", "plan", "delete", "small"], "").trim(), "deleted plan small");
    fails(cmd(), &["provider", "plan", "delete", "small"], "", "no plan small");
    assert!(ok(cmd(), &["provider", "plan", "list"], "").contains("no plans yet"));
}
