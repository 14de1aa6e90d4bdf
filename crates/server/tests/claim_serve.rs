//! `kereru serve` with `[provider] self_service`: its verifier (not a test
//! calling the service) turns a claim whose DNS records are right into a
//! tenant, and the owner's mail is written where mail goes without SMTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::dns::FakeDns;
use kereru_tests::{fresh_database, install_crypto_provider, scratch_dir};
use std::time::{Duration, Instant};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn serve_verifies_a_claim_by_itself_and_mails_the_owner() {
    let db = fresh_database().await;
    let data = scratch_dir("claim-serve");
    let dns = FakeDns::start();
    dns.set_addresses("mine.test", &["127.0.0.1".parse().unwrap()]);
    let cmd = || {
        let mut command = kereru(&data, Some(&db.url));
        command
            .env("KERERU_PROVIDER__SELF_SERVICE", "true")
            .env("KERERU_ACME__RESOLVER", dns.addr.to_string())
            .env("KERERU_ACME__PUBLIC_ADDRESSES", "[\"127.0.0.1\"]");
        command
    };
    let served = Served::start(cmd());
    install_crypto_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("mine.test", served.addr)
        .build()
        .unwrap();

    let form = client.get("http://mine.test/claim").send().await.unwrap().text().await.unwrap();
    let token = kereru_tests::web::csrf_token(&form).expect("the form's token");
    let response = client
        .post("http://mine.test/claim")
        .form(&[
            ("authenticity_token", token.as_str()),
            ("account_host", "mine.test"),
            ("email", "me@mine.test"),
            ("username", "me"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let status_path = response.headers()["location"].to_str().unwrap().to_string();
    let page = client.get(format!("http://mine.test{status_path}")).send().await.unwrap().text().await.unwrap();
    let value_at = page.find("class=\"copyable\">").expect("the TXT value") + "class=\"copyable\">".len();
    let value = &page[value_at..value_at + page[value_at..].find('<').unwrap()];
    dns.set_txt("_kereru-challenge.mine.test", &[value]);

    // Nobody presses "Check now": the verifier's next round (within 30 s) creates the tenant.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = ok(kereru(&data, Some(&db.url)), &["domain", "list"], "");
        if listed.contains("mine.test\tactive") {
            break;
        }
        assert!(Instant::now() < deadline, "no tenant after 60 s: {listed}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let shown = ok(kereru(&data, Some(&db.url)), &["domain", "show", "mine.test"], "");
    assert!(shown.contains("owner:          me@mine.test"), "{shown}");
    // Without [mail] server, the owner's mail is an .eml file under the data directory.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mail = loop {
        let found = std::fs::read_dir(data.join("mail"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .find(|text| text.contains("reset_password_token="));
        if let Some(text) = found {
            break text;
        }
        assert!(Instant::now() < deadline, "no mail with the activation link");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(mail.contains("me@mine.test") && mail.contains("http://mine.test/auth/password/edit"), "{mail}");
    assert!(served.terminate(), "serve stops cleanly, verifier included");
}
