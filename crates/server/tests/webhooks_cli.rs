//! `kereru provider webhook add|list|test|remove` end to end: the secret is
//! printed once, the list shows the webhook (never the secret) and its
//! deliveries, unknown ids and events are one-line errors that change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, scratch_dir};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_are_added_listed_tested_and_removed_from_the_command_line() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-webhooks");
    let cmd = || kereru(&data, Some(&db.url));

    let empty = ok(cmd(), &["provider", "webhook", "list"], "");
    assert!(empty.contains("no webhooks"), "{empty}");
    fails(
        cmd(),
        &["provider", "webhook", "add", "https://shop.example/hooks", "--event", "tenant.eaten"],
        "",
        "not an event",
    );
    fails(cmd(), &["provider", "webhook", "add", "ftp://shop.example/hooks"], "", "http or https");
    let empty = ok(cmd(), &["provider", "webhook", "list"], "");
    assert!(empty.contains("no webhooks"), "nothing was added: {empty}");

    let added = ok(
        cmd(),
        &[
            "provider",
            "webhook",
            "add",
            "https://shop.example/hooks",
            "--event",
            "report.created",
            "--event",
            "tenant.suspended",
        ],
        "",
    );
    let secret = added.lines().find_map(|l| l.strip_prefix("secret: ")).expect("a secret line").to_string();
    assert!(secret.starts_with("whsec_"), "{added}");
    let id: i64 = added.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(added.contains("tenant.suspended, report.created"), "{added}");

    let tested = ok(cmd(), &["provider", "webhook", "test", &id.to_string()], "");
    assert!(tested.contains("queued"), "{tested}");
    let listed = ok(cmd(), &["provider", "webhook", "list"], "");
    assert!(listed.contains("https://shop.example/hooks") && listed.contains("enabled"), "{listed}");
    assert!(listed.contains("webhook.test: queued"), "the test delivery is listed: {listed}");
    assert!(!listed.contains(&secret), "the secret is never listed");

    fails(cmd(), &["provider", "webhook", "remove", "424242"], "", "no webhook 424242");
    let removed = ok(cmd(), &["provider", "webhook", "remove", &id.to_string()], "");
    assert!(removed.contains("removed"), "{removed}");
    let empty = ok(cmd(), &["provider", "webhook", "list"], "");
    assert!(empty.contains("no webhooks"), "{empty}");
}
