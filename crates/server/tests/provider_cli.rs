//! `kereru provider key|purge` and the provider host: a key printed once and
//! stored hashed, listed without it, revoked; the provider host refused as a
//! domain; `kereru serve` answering the provider API on that host only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, scratch_dir};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_printed_once_listed_without_the_secret_and_revoked() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-provider");
    let cmd = || {
        let mut command = kereru(&data, Some(&db.url));
        command.env("KERERU_PROVIDER__HOST", "provider.test");
        command
    };
    ok(cmd(), &["domain", "add", "a.test"], "");
    let created = ok(cmd(), &["provider", "key", "create", "shop"], "");
    let secret = created.lines().find(|l| l.starts_with("kereru_pk_")).expect("the key is printed").to_string();
    assert!(created.contains("read-write provider key shop"), "{created}");
    assert!(created.contains("provider.test/api/provider/v1/"), "{created}");
    let reader = ok(cmd(), &["provider", "key", "create", "billing", "--read-only"], "");
    assert!(reader.contains("read-only provider key billing"), "{reader}");
    fails(cmd(), &["provider", "key", "create", "shop"], "", "a key named shop exists already");
    fails(cmd(), &["provider", "key", "create", "no spaces"], "", "a key name is");

    let listed = ok(cmd(), &["provider", "key", "list"], "");
    assert!(listed.contains("shop\tread-write\tlive"), "{listed}");
    assert!(listed.contains("billing\tread-only\tlive"), "{listed}");
    assert!(!listed.contains("kereru_pk_"), "the list never shows a key: {listed}");

    // The provider host is never a domain, in either role.
    fails(cmd(), &["domain", "add", "provider.test"], "", "provider API host");
    fails(cmd(), &["domain", "add", "b.test", "--service-host", "provider.test"], "", "provider API host");

    // Served: the API answers on the provider host with the key, and not on a tenant's host.
    let served = Served::start(cmd());
    let client = served.client(&["provider.test", "a.test"]);
    let port = served.addr.port();
    let url = |host: &str| format!("http://{host}:{port}/api/provider/v1/tenants");
    let response = client.get(url("provider.test")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["tenants"][0]["account_host"], "a.test");
    assert_eq!(client.get(url("a.test")).bearer_auth(&secret).send().await.unwrap().status(), 404);
    assert_eq!(client.get(url("provider.test")).send().await.unwrap().status(), 401);

    let revoked = ok(cmd(), &["provider", "key", "revoke", "shop"], "");
    assert!(revoked.contains("revoked provider key shop"), "{revoked}");
    assert_eq!(client.get(url("provider.test")).bearer_auth(&secret).send().await.unwrap().status(), 401);
    assert!(served.terminate());
    fails(cmd(), &["provider", "key", "revoke", "shop"], "", "no live key named shop");
    assert!(ok(cmd(), &["provider", "key", "list"], "").contains("shop\tread-write\trevoked"));
    // A revoked key frees its name.
    assert!(ok(cmd(), &["provider", "key", "create", "shop"], "").contains("kereru_pk_"));
    assert!(ok(cmd(), &["provider", "purge"], "").contains("no deleted domain is past its grace period"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_host_that_is_not_a_host_name_is_refused() {
    let data = scratch_dir("cli-provider-config");
    let mut command = kereru(&data, None);
    command.env("KERERU_PROVIDER__HOST", "192.0.2.1");
    fails(command, &["provider", "key", "list"], "", "provider.host");
}
