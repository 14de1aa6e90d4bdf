//! `kereru admin grant|revoke`: roles from the command line, the last admin
//! kept, one-line errors that change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, scratch_dir};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn roles_are_granted_and_revoked_and_a_domain_keeps_its_last_admin() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-admin");
    let cmd = || kereru(&data, Some(&db.url));
    ok(cmd(), &["domain", "add", "a.test"], "");
    for name in ["boss", "alice"] {
        let email = format!("{name}@mail.test");
        ok(
            cmd(),
            &["user", "create", "--domain", "a.test", "--username", name, "--email", &email],
            "a good password\n",
        );
    }
    let who = |name: &'static str| ["--domain", "a.test", "--username", name];
    let args = |verb: &'static str, role: &'static str, name: &'static str| {
        let mut all = vec!["admin", verb, role];
        all.extend(who(name));
        all
    };

    let granted = ok(cmd(), &args("grant", "admin", "boss"), "");
    assert_eq!(granted.trim(), "@boss@a.test is now admin of a.test");
    assert!(ok(cmd(), &args("grant", "admin", "boss"), "").contains("was already admin"));
    assert!(ok(cmd(), &args("grant", "moderator", "alice"), "").contains("is now moderator"));
    // Revoking names the role held; another changes nothing.
    assert!(ok(cmd(), &args("revoke", "admin", "alice"), "").contains("is moderator, not admin: nothing changed"));
    fails(cmd(), &args("revoke", "admin", "boss"), "", "last admin of this domain");
    assert!(ok(cmd(), &args("grant", "admin", "alice"), "").contains("is now admin"));
    assert_eq!(ok(cmd(), &args("revoke", "admin", "boss"), "").trim(), "@boss@a.test is now user of a.test");

    let mut host = vec!["admin", "grant", "--host-admin"];
    host.extend(who("boss"));
    assert_eq!(ok(cmd(), &host, "").trim(), "@boss@a.test is now a host admin");
    host[1] = "revoke";
    assert_eq!(ok(cmd(), &host, "").trim(), "@boss@a.test is no longer a host admin");

    fails(cmd(), &args("grant", "moderator", "nobody"), "", "no account nobody on a.test");
    fails(
        cmd(),
        &["admin", "grant", "moderator", "--domain", "nowhere.test", "--username", "boss"],
        "",
        "no domain nowhere.test",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn host_wide_email_and_address_blocks_are_kept_from_the_command_line() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-lists");
    let cmd = || kereru(&data, Some(&db.url));
    ok(cmd(), &["domain", "add", "a.test"], "");

    // E-mail domains: host-wide and per tenant, listed apart; a second add is refused.
    let added = ok(cmd(), &["block", "email", "add", "Spam.Example."], "");
    assert_eq!(added.trim(), "sign-ups with addresses at spam.example are refused for every domain");
    ok(cmd(), &["block", "email", "add", "junk.example", "--domain", "a.test"], "");
    assert_eq!(ok(cmd(), &["block", "email", "list"], "").trim(), "spam.example");
    assert_eq!(ok(cmd(), &["block", "email", "list", "--domain", "a.test"], "").trim(), "junk.example");
    fails(cmd(), &["block", "email", "add", "spam.example"], "", "already been taken");
    fails(cmd(), &["block", "email", "remove", "junk.example"], "", "junk.example is not blocked for every domain");
    assert_eq!(
        ok(cmd(), &["block", "email", "remove", "spam.example"], "").trim(),
        "spam.example is no longer blocked"
    );
    assert_eq!(ok(cmd(), &["block", "email", "list"], "").trim(), "");

    // Address ranges: normalized, with their severity; nonsense refused.
    let added =
        ok(cmd(), &["block", "ip", "add", "192.0.2.7/24", "--severity", "no_access", "--comment", "a botnet"], "");
    assert_eq!(added.trim(), "192.0.2.0/24 is blocked (no_access) for every domain");
    assert_eq!(ok(cmd(), &["block", "ip", "list"], "").trim(), "192.0.2.0/24\tno_access\ta botnet");
    assert_eq!(ok(cmd(), &["block", "ip", "list", "--domain", "a.test"], "").trim(), "");
    fails(cmd(), &["block", "ip", "add", "not-an-address", "--severity", "no_access"], "", "not an address or a range");
    assert_eq!(ok(cmd(), &["block", "ip", "remove", "192.0.2.0/24"], "").trim(), "192.0.2.0/24 is no longer blocked");
    assert_eq!(ok(cmd(), &["block", "ip", "list"], "").trim(), "");
}
