//! The provisioning API over HTTPS: `[provider] host` is no tenant's, yet it
//! gets a certificate from the CA like a tenant host (Pebble here) and its API
//! answers over TLS, while a name that is neither a tenant's nor the
//! deployment's own still gets no handshake and no order.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_acme::ChallengeKind;
use kereru_tests::pebble::{Pebble, PebbleOptions};
use kereru_tests::tls::{TlsNode, settings};
use std::net::SocketAddr;
use std::time::Duration;

fn https_client(root_pem: &str, hosts: &[&str], addr: SocketAddr) -> reqwest::Client {
    kereru_tests::install_crypto_provider();
    let root = reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder().no_proxy().tls_certs_only([root]).timeout(Duration::from_secs(10));
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    builder.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_provider_host_gets_a_certificate_and_answers_its_api_over_https() {
    let database = kereru_tests::fresh_database().await;
    let pool = database.pool();
    kereru_tests::add_domain(&pool, "a.test", None).await;
    let (_, key) = kereru_service::provider::keys::create(&mut pool.get().await.unwrap(), "shop", false).await.unwrap();

    let mut web = kereru_tests::TestApp::settings();
    web.provider.host = Some(kereru_core::HostName::parse("provider.test").unwrap());
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    passive.own_hosts = vec!["provider.test".into()];
    let front = TlsNode::start_with(&database, passive, web).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    let mut issuing = settings(&pebble.directory, Some(pebble.listener_root.clone()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    issuing.own_hosts = vec!["provider.test".into()];
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    for host in ["provider.test", "a.test"] {
        assert!(
            kereru_acme::manager::wait_for_certificate(&front.resolver, host, Duration::from_secs(60)).await,
            "no certificate for {host}; pebble log:\n{}",
            pebble.log()
        );
    }
    issuer.stop();

    let root = pebble.issuing_root_pem().await;
    let client = https_client(&root, &["provider.test", "a.test", "stray.test"], front.https);
    let tenants = client
        .get("https://provider.test/api/provider/v1/tenants")
        .bearer_auth(&key)
        .send()
        .await
        .expect("a handshake for the provider host");
    assert_eq!(tenants.status(), 200);
    let body: serde_json::Value = tenants.json().await.unwrap();
    assert!(body.to_string().contains("a.test"), "the tenant list over HTTPS: {body}");
    let unauthorized = client.get("https://provider.test/api/provider/v1/tenants").send().await.unwrap();
    assert_eq!(unauthorized.status(), 401, "HTTPS changes nothing about keys");
    // The API stays on the provider host: a tenant host answers 404 there.
    let on_tenant = client.get("https://a.test/api/provider/v1/tenants").bearer_auth(&key).send().await.unwrap();
    assert_eq!(on_tenant.status(), 404);
    // A name that is nobody's gets no handshake, and nothing was ordered for it.
    assert!(client.get("https://stray.test/").send().await.is_err());
    assert!(front.resolver.get("stray.test").is_none());

    front.stop().await;
}
