//! Self-service custom domains (`[provider] self_service`): a person claims a
//! domain on a host no tenant serves, and only the TXT record
//! `_kereru-challenge.<host>` (with A/AAAA pointing here) makes a tenant of
//! it, with the claimant as its admin and a mail with the link to set their
//! password. DNS is a stand-in on loopback (`kereru_tests::dns::FakeDns`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use kereru_core::{HostName, Scheme};
use kereru_service::claims::{Checks, verify};
use kereru_store::admin_actions::{self, LogScope};
use kereru_store::domain_claims;
use kereru_store::domains::{self, Domain};
use kereru_tests::dns::FakeDns;
use kereru_tests::{Browser, TestApp, World};
use reqwest::StatusCode;
use std::net::IpAddr;

const HERE: &str = "127.0.0.1";

fn here() -> IpAddr {
    HERE.parse().unwrap()
}

fn checks(dns: &FakeDns) -> Checks {
    Checks { resolver: Some(dns.addr), public_addresses: vec![here()] }
}

fn settings(dns: &FakeDns) -> kereru_web::WebSettings {
    let mut settings = TestApp::settings();
    settings.hosting.self_service = true;
    settings.hosting.resolver = Some(dns.addr);
    settings.hosting.public_addresses = vec![here()];
    settings
}

async fn tenant(world: &World, host: &str) -> Option<Domain> {
    let mut conn = world.pool.get().await.unwrap();
    domains::find_by_host(&mut conn, &HostName::parse(host).unwrap()).await.unwrap()
}

#[derive(Debug, diesel::QueryableByName)]
struct Mail {
    #[diesel(sql_type = Text)]
    to_address: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    body_text: String,
}

async fn mails(world: &World, domain: &Domain) -> Vec<Mail> {
    let mut conn = world.pool.get().await.unwrap();
    diesel::sql_query("SELECT to_address, subject, body_text FROM mail_outbox WHERE domain_id = $1 ORDER BY id")
        .bind::<BigInt, _>(domain.id.0)
        .load(&mut conn)
        .await
        .unwrap()
}

/// Submits the claim form on `browser`'s host; returns the status page's path.
async fn claim(browser: &Browser, host: &str, service_host: &str, email: &str, username: &str) -> String {
    let page = browser
        .submit(
            "/claim",
            "/claim",
            &[("account_host", host), ("service_host", service_host), ("email", email), ("username", username)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().unwrap().to_string();
    assert!(location.starts_with("/claim/"), "{location}");
    location
}

async fn challenge(world: &World, status_path: &str) -> String {
    let mut conn = world.pool.get().await.unwrap();
    let key = status_path.trim_start_matches("/claim/");
    domain_claims::find(&mut conn, key).await.unwrap().unwrap().challenge
}

/// "Check now" on the status page, then the page.
async fn check_now(browser: &Browser, status_path: &str) -> kereru_tests::web::Page {
    let page = browser.submit(status_path, &format!("{status_path}/check"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some(status_path));
    browser.get(status_path).await
}

#[tokio::test]
async fn a_claim_creates_its_tenant_only_once_the_txt_record_is_there() {
    let dns = FakeDns::start();
    let world = World::new().tenant("taken.test").host("new.test").settings(settings(&dns)).start().await;
    let browser = Browser::new(&world.app, "new.test");

    // The page of a host no tenant serves offers the claim, with the domain filled in.
    let front = browser.get("/").await;
    assert_eq!(front.status, StatusCode::NOT_FOUND);
    assert!(front.body.contains("/claim?account_host=new.test"), "{}", front.body);
    let form = browser.get("/claim?account_host=new.test").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"new.test\""));

    let status_path = claim(&browser, "new.test", "", "owner@mail.test", "owner").await;
    let value = challenge(&world, &status_path).await;
    let page = browser.get(&status_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Waiting for DNS"));
    assert!(page.body.contains("_kereru-challenge.new.test") && page.body.contains(&value));
    assert!(page.body.contains(HERE), "the A record to set names this host's address");

    // No TXT record: the verifier's round checks it and nothing is created.
    dns.set_addresses("new.test", &[here()]);
    assert_eq!(verify::round(&world.pool, &checks(&dns), Scheme::Http).await.unwrap(), 1);
    assert!(tenant(&world, "new.test").await.is_none());
    let page = browser.get(&status_path).await;
    assert!(page.body.contains("Waiting for DNS") && page.body.contains("No TXT record at _kereru-challenge.new.test"));
    assert_eq!(verify::round(&world.pool, &checks(&dns), Scheme::Http).await.unwrap(), 0, "not due again at once");

    // A TXT record with another value proves nothing.
    dns.set_txt("_kereru-challenge.new.test", &["someone-elses-token"]);
    let page = check_now(&browser, &status_path).await;
    assert!(page.body.contains("does not carry this claim"), "{}", page.body);
    assert!(tenant(&world, "new.test").await.is_none());

    // The right TXT record, but the name points elsewhere: still waiting.
    dns.set_txt("_kereru-challenge.new.test", &["v=other", &value]);
    dns.set_addresses("new.test", &["192.0.2.9".parse().unwrap()]);
    let page = check_now(&browser, &status_path).await;
    assert!(page.body.contains("points at 192.0.2.9"), "{}", page.body);
    assert!(tenant(&world, "new.test").await.is_none());

    // Both right: the tenant exists, active, owned by the claimant.
    dns.set_addresses("new.test", &[here()]);
    let page = check_now(&browser, &status_path).await;
    assert!(page.body.contains("<strong>Ready.</strong>") && page.body.contains("new.test"), "{}", page.body);
    let domain = tenant(&world, "new.test").await.expect("the tenant was created");
    assert!(domain.is_serving());
    assert_eq!(domain.owner_email.as_deref(), Some("owner@mail.test"));

    // The owner's mail carries the link that sets the admin's first password.
    let sent = mails(&world, &domain).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to_address, "owner@mail.test");
    assert!(sent[0].subject.contains("ready"), "{}", sent[0].subject);
    let start = sent[0].body_text.find("/auth/password/edit?").expect("the link");
    let link = sent[0].body_text[start..].split_whitespace().next().unwrap().to_string();
    let token = link.split("reset_password_token=").nth(1).unwrap().to_string();
    let site = Browser::new(&world.app, "new.test");
    let set = site
        .submit(
            &link,
            "/auth/password/edit",
            &[
                ("reset_password_token", &token),
                ("password", "owner password 1"),
                ("password_confirmation", "owner password 1"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let signed_in =
        site.submit("/auth/sign_in", "/auth/sign_in", &[("login", "owner"), ("password", "owner password 1")]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    assert_eq!(site.get("/admin").await.status, StatusCode::OK, "the claimant administers the new site");

    // The host-wide audit log names the claim.
    let mut conn = world.pool.get().await.unwrap();
    let log = admin_actions::list(&mut conn, LogScope::HostWide, None, 20).await.unwrap();
    let created = log.iter().find(|a| a.action == "create_tenant").expect("an audit row");
    assert_eq!(created.target_label, "new.test");
    assert!(created.actor_label.contains("owner@mail.test"));

    // The claim pages belong to the host's page: on a tenant's host there is no form, and
    // a claim's status only on the tenant it created (the page the claimant was on stays).
    assert_eq!(site.get("/claim").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get(&status_path).await.status, StatusCode::OK);
    let other = Browser::new(&world.app, "taken.test");
    assert_eq!(other.get(&status_path).await.status, StatusCode::NOT_FOUND, "another tenant shows no claim");
    assert_eq!(other.get("/claim").await.status, StatusCode::NOT_FOUND);
    world.stop().await;
}

#[tokio::test]
async fn the_form_refuses_taken_and_invalid_hosts_and_forged_tokens() {
    let dns = FakeDns::start();
    let world = World::new().tenant("taken.test").host("host.test").settings(settings(&dns)).start().await;
    let browser = Browser::new(&world.app, "host.test");

    let page = browser
        .submit(
            "/claim",
            "/claim",
            &[("account_host", "taken.test"), ("service_host", ""), ("email", "me@mail.test"), ("username", "me")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("taken.test is already a site on this server"));
    assert!(page.body.contains("aria-invalid=\"true\"") && page.body.contains("account_host-error"));
    assert!(page.body.contains("value=\"me@mail.test\""), "what was typed is kept");

    let page = browser
        .submit(
            "/claim",
            "/claim",
            &[("account_host", "127.0.0.1"), ("service_host", "taken.test"), ("email", "nope"), ("username", "a b")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["account_host-error", "service_host-error", "email-error", "username-error"] {
        assert!(page.body.contains(field), "{field} is reported: {}", page.body);
    }

    // A form without the visitor's token changes nothing.
    let forged = browser
        .post(
            "/claim",
            &[
                ("authenticity_token", "x".repeat(43).as_str()),
                ("account_host", "free.test"),
                ("email", "a@b.test"),
                ("username", "a"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut conn = world.pool.get().await.unwrap();
    assert_eq!(domain_claims::waiting_for_host(&mut conn, "free.test").await.unwrap(), 0);
    assert_eq!(domain_claims::waiting_for_host(&mut conn, "taken.test").await.unwrap(), 0);
    world.stop().await;

    // Without [provider] self_service, nothing of it exists.
    let world = World::new().tenant("taken.test").host("host.test").start().await;
    let browser = Browser::new(&world.app, "host.test");
    let page = browser.get("/claim").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("name=\"account_host\""));
    assert!(!browser.get("/").await.body.contains("/claim"));
    world.stop().await;
}

#[tokio::test]
async fn expired_claims_and_claims_beaten_to_a_host_create_nothing() {
    let dns = FakeDns::start();
    let world = World::new().host("host.test").settings(settings(&dns)).start().await;
    let browser = Browser::new(&world.app, "host.test");

    // A claim past its seven days: the right records no longer count.
    let late = claim(&browser, "late.test", "", "late@mail.test", "late").await;
    {
        let mut conn = world.pool.get().await.unwrap();
        diesel::sql_query("UPDATE domain_claims SET expires_at = now() - interval '1 minute' WHERE status_key = $1")
            .bind::<Text, _>(late.trim_start_matches("/claim/"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    dns.set_txt("_kereru-challenge.late.test", &[&challenge(&world, &late).await]);
    dns.set_addresses("late.test", &[here()]);
    let page = browser.get(&late).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("expired") && !page.body.contains("Check now"));
    let key = late.trim_start_matches("/claim/");
    let after = verify::check_now(&world.pool, &checks(&dns), Scheme::Http, key, std::time::Duration::ZERO).await;
    assert_eq!(after.unwrap().unwrap().state, domain_claims::ClaimState::Waiting);
    assert_eq!(verify::round(&world.pool, &checks(&dns), Scheme::Http).await.unwrap(), 0);
    assert!(tenant(&world, "late.test").await.is_none());

    // Two people claim one domain: the one whose value is in DNS wins; the other is refused for good.
    let first = claim(&browser, "race.test", "", "first@mail.test", "first").await;
    let second = claim(&browser, "race.test", "", "second@mail.test", "second").await;
    dns.set_addresses("race.test", &[here()]);
    dns.set_txt("_kereru-challenge.race.test", &[&challenge(&world, &first).await]);
    assert_eq!(verify::round(&world.pool, &checks(&dns), Scheme::Http).await.unwrap(), 2);
    let domain = tenant(&world, "race.test").await.expect("the first claim won");
    assert_eq!(domain.owner_email.as_deref(), Some("first@mail.test"));
    assert!(browser.get(&second).await.body.contains("Waiting for DNS"));
    dns.set_txt("_kereru-challenge.race.test", &[&challenge(&world, &second).await]);
    let page = check_now(&browser, &second).await;
    assert!(page.body.contains("cannot go on") && page.body.contains("already served"), "{}", page.body);
    assert_eq!(tenant(&world, "race.test").await.unwrap().owner_email.as_deref(), Some("first@mail.test"));
    // A claim's status key opens only that claim; an unknown key is 404.
    assert_eq!(browser.get("/claim/not-a-key").await.status, StatusCode::NOT_FOUND);
    world.stop().await;
}

#[tokio::test]
async fn a_service_host_must_prove_itself_too_and_the_status_waits_for_the_certificate() {
    let dns = FakeDns::start();
    let mut settings = settings(&dns);
    settings.hosting.tls_enabled = true;
    let world = World::new().host("host.test").settings(settings).start().await;
    let browser = Browser::new(&world.app, "host.test");

    let path = claim(&browser, "apex.test", "social.apex.test", "me@apex.test", "me").await;
    let value = challenge(&world, &path).await;
    let page = browser.get(&path).await;
    assert!(page.body.contains("_kereru-challenge.social.apex.test"), "both hosts need the TXT record");
    dns.set_txt("_kereru-challenge.apex.test", &[&value]);
    dns.set_addresses("apex.test", &[here()]);
    dns.set_addresses("social.apex.test", &[here()]);
    let page = check_now(&browser, &path).await;
    assert!(page.body.contains("_kereru-challenge.social.apex.test"), "{}", page.body);
    assert!(tenant(&world, "apex.test").await.is_none());

    dns.set_txt("_kereru-challenge.social.apex.test", &[&value]);
    let page = check_now(&browser, &path).await;
    assert!(page.body.contains("DNS ok, issuing certificate") && page.body.contains("aria-current=\"step\""));
    let domain = tenant(&world, "apex.test").await.unwrap();
    assert_eq!(domain.service_host.as_ref().map(|h| h.as_str()), Some("social.apex.test"));
    assert_eq!(tenant(&world, "social.apex.test").await.map(|d| d.id), Some(domain.id));
    world.stop().await;
}
