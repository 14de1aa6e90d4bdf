//! `kereru domain update HOST --limited-federation true|false`: the tenant's
//! limited federation mode from the command line, shown by `domain show`,
//! other tenants unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, scratch_dir};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn limited_federation_is_switched_from_the_command_line() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-modfed");
    let cmd = || kereru(&data, Some(&db.url));
    ok(cmd(), &["domain", "add", "a.test"], "");
    ok(cmd(), &["domain", "add", "b.test"], "");
    let limited = "  federation:     limited";
    assert!(!ok(cmd(), &["domain", "show", "a.test"], "").contains(limited));

    let on = ok(cmd(), &["domain", "update", "a.test", "--limited-federation", "true"], "");
    assert!(on.contains("limited federation on for a.test"), "{on}");
    assert!(ok(cmd(), &["domain", "show", "a.test"], "").contains(limited));
    assert!(!ok(cmd(), &["domain", "show", "b.test"], "").contains(limited), "only a.test");
    fails(cmd(), &["domain", "update", "nowhere.test", "--limited-federation", "true"], "", "nowhere.test");

    let off = ok(cmd(), &["domain", "update", "a.test", "--limited-federation", "false"], "");
    assert!(off.contains("limited federation off for a.test"), "{off}");
    assert!(!ok(cmd(), &["domain", "show", "a.test"], "").contains(limited));
}
