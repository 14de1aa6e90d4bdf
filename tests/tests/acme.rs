//! Automatic TLS against a real ACME server: Pebble (with pebble-challtestsrv
//! as its DNS, answering 127.0.0.1) validating against Kererū's listeners on
//! loopback. Certificates by HTTP-01 and TLS-ALPN-01, served by SNI to a
//! client that trusts Pebble's root; nothing for names that are not tenants;
//! one order per host with two nodes on one database; failures recorded
//! and backed off.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

mod common;

use common::add_domain;
use kereru_acme::{ChallengeKind, db};
use kereru_tests::pebble::{Pebble, PebbleOptions};
use kereru_tests::tls::{TlsNode, settings};
use kereru_tests::{TestDatabase, fresh_database, install_crypto_provider};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Waits until `node` serves a certificate for `host`, returning how long it took.
async fn wait_served(node: &TlsNode, host: &str, pebble: &Pebble, within: Duration) -> Duration {
    let started = Instant::now();
    if kereru_acme::manager::wait_for_certificate(&node.resolver, host, within).await {
        return started.elapsed();
    }
    panic!("no certificate for {host} within {within:?}; pebble log:\n{}", pebble.log());
}

/// A client that trusts Pebble's issuing root only and sends `hosts` to `addr`.
fn https_client(root_pem: &str, hosts: &[&str], addr: SocketAddr) -> reqwest::Client {
    install_crypto_provider();
    let root = reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([root])
        .tls_info(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    builder.build().unwrap()
}

/// The DNS names of the certificate the server presented.
fn peer_names(response: &reqwest::Response) -> Vec<String> {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let info = response.extensions().get::<reqwest::tls::TlsInfo>().expect("TLS info");
    let der = info.peer_certificate().expect("a peer certificate");
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    let san = cert.subject_alternative_name().unwrap().expect("SAN");
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_string()),
            _ => None,
        })
        .collect()
}

async fn orders(database: &TestDatabase) -> Vec<db::OrderRecord> {
    let mut conn = database.pool().get().await.unwrap();
    db::orders(&mut conn).await.unwrap()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Rows of an ACME table (to show that something did *not* write).
async fn rows(database: &TestDatabase, table: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    let mut conn = database.pool().get().await.unwrap();
    let counts: Vec<Count> = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).load(&mut conn).await.unwrap();
    counts[0].n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http01_and_tls_alpn01_certificates_are_served_by_sni_and_strangers_get_nothing() {
    let database = fresh_database().await;
    let pool = database.pool();
    add_domain(&pool, "a.test", None).await;

    // The serving node never orders: the issuers below are other nodes, so
    // every challenge is answered from what they put in the database.
    let mut front_settings = settings("https://unused.invalid/dir", None, "front");
    front_settings.issue = false;
    let front = TlsNode::start(&database, front_settings).await;
    let pebble = Pebble::start(PebbleOptions { http_port: front.http.port(), tls_port: front.https.port(), validity_seconds: None }).await;
    let extra_root = Some(pebble.listener_root.clone());

    // HTTP-01 for a.test.
    let mut http_issuer = settings(&pebble.directory, extra_root.clone(), "issuer-http");
    http_issuer.challenges = vec![ChallengeKind::Http01];
    let issuer = kereru_acme::CertManager::new(http_issuer, database.pool()).start().await;
    let first = wait_served(&front, "a.test", &pebble, Duration::from_secs(60)).await;
    issuer.stop();

    // TLS-ALPN-01 for b.test, which becomes a tenant now.
    add_domain(&pool, "b.test", None).await;
    let mut alpn_issuer = settings(&pebble.directory, extra_root.clone(), "issuer-alpn");
    alpn_issuer.challenges = vec![ChallengeKind::TlsAlpn01];
    let issuer = kereru_acme::CertManager::new(alpn_issuer, database.pool()).start().await;
    let second = wait_served(&front, "b.test", &pebble, Duration::from_secs(60)).await;
    issuer.stop();
    println!("first certificate (HTTP-01, new account) after {first:?}; second (TLS-ALPN-01) after {second:?}");

    let placed = orders(&database).await;
    let summary: Vec<(String, String)> = placed.iter().map(|o| (o.host.clone(), o.outcome.clone().unwrap_or_default())).collect();
    assert_eq!(placed.len(), 2, "{summary:?}");
    assert_eq!(placed[0].host, "a.test");
    assert!(placed[0].outcome.as_deref().unwrap_or("").starts_with("issued by http-01"), "{summary:?}");
    assert_eq!(placed[1].host, "b.test");
    assert!(placed[1].outcome.as_deref().unwrap_or("").starts_with("issued by tls-alpn-01"), "{summary:?}");
    assert_eq!(rows(&database, "acme_accounts").await, 1, "one ACME account, created once and reused");
    assert_eq!(rows(&database, "acme_challenges").await, 0, "challenges are gone once answered");

    // A client trusting only Pebble's root gets each host's own certificate and a real answer.
    let root = pebble.issuing_root_pem().await;
    let client = https_client(&root, &["a.test", "b.test", "stranger.test"], front.https);
    for host in ["a.test", "b.test"] {
        let response = client.get(format!("https://{host}/.well-known/nodeinfo")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{host}");
        assert_eq!(peer_names(&response), [host.to_string()]);
        let body: serde_json::Value = response.json().await.unwrap();
        let href = body["links"][0]["href"].as_str().unwrap_or_default();
        assert!(href.starts_with(&format!("https://{host}/nodeinfo/")), "{host}: {body}");
    }

    // A name that is no tenant's: the handshake fails, nothing is ordered, nothing written.
    let issuance_rows = rows(&database, "acme_issuance").await;
    let error = client.get("https://stranger.test/").send().await.expect_err("no certificate for a stranger");
    assert!(error.is_connect(), "{error:?}");
    // A flood of random names, with the issuer running: no orders, no database writes.
    let mut settings_flood = settings(&pebble.directory, extra_root.clone(), "flood-node");
    settings_flood.challenges = vec![ChallengeKind::Http01];
    let busy = TlsNode::start(&database, settings_flood).await;
    let names: Vec<String> = (0..200).map(|i| format!("n{i}-{:08x}.example", rand::random::<u32>())).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let flood = https_client(&root, &name_refs, busy.https);
    let started = Instant::now();
    for name in &names {
        assert!(flood.get(format!("https://{name}/")).send().await.is_err(), "{name} got an answer");
    }
    println!("200 handshakes with unknown names refused in {:?}", started.elapsed());
    // Watch for a stray order over more than one of the busy node's scans.
    let watch_until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < watch_until {
        assert_eq!(orders(&database).await.len(), 2, "unknown names order nothing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows(&database, "acme_issuance").await, issuance_rows, "unknown names write nothing");
    // The busy node loaded the stored certificates instead of ordering its own.
    assert!(busy.resolver.get("a.test").is_some() && busy.resolver.get("b.test").is_some());
    busy.stop().await;

    // Plain HTTP: challenges only for pending tokens, everything else redirected to HTTPS.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("a.test", front.http)
        .build()
        .unwrap();
    let response = plain.get("http://a.test/@alice?x=1").send().await.unwrap();
    assert_eq!(response.status(), 308);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("https://a.test:{}/@alice?x=1", front.https.port()));
    let response = plain.get("http://a.test/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0").send().await.unwrap();
    assert_eq!(response.status(), 404, "no pending token, no answer");

    front.stop().await;
}
