//! Automatic TLS against a real ACME server: Pebble (with pebble-challtestsrv
//! as its DNS, answering 127.0.0.1) validating against Kererū's listeners on
//! loopback. Certificates by HTTP-01 and TLS-ALPN-01, served by SNI to a
//! client that trusts Pebble's root; nothing for names that are not tenants;
//! one order per host with two nodes on one database; failures recorded
//! and backed off.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_acme::{ChallengeKind, db};
use kereru_tests::pebble::{Pebble, PebbleOptions};
use kereru_tests::tls::{TlsNode, settings};
use kereru_tests::{TestDatabase, add_domain, fresh_database, install_crypto_provider};
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
    let counts: Vec<Count> =
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).load(&mut conn).await.unwrap();
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
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
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
    let summary: Vec<(String, String)> =
        placed.iter().map(|o| (o.host.clone(), o.outcome.clone().unwrap_or_default())).collect();
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
    let response = plain
        .get("http://a.test/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "no pending token, no answer");

    // A suspended tenant's certificate is no longer served; the others are.
    let a = kereru_store::domains::find_by_host(
        &mut pool.get().await.unwrap(),
        &kereru_core::HostName::parse("a.test").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    kereru_store::domains::set_state(
        &mut pool.get().await.unwrap(),
        a.id,
        kereru_store::domains::DomainState::Suspended,
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while front.resolver.get("a.test").is_some() {
        assert!(Instant::now() < deadline, "a suspended tenant is still served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A new client: the old one's pooled connections were set up before.
    let client = https_client(&root, &["a.test", "b.test"], front.https);
    assert!(client.get("https://a.test/").send().await.is_err(), "no handshake for a suspended tenant");
    assert_eq!(client.get("https://b.test/.well-known/host-meta").send().await.unwrap().status(), 200);

    front.stop().await;
}

/// Served certificate's DER on `node` for `host`.
fn served_der(node: &TlsNode, host: &str) -> Vec<u8> {
    node.resolver.get(host).map(|c| c.cert[0].as_ref().to_vec()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_one_database_order_once_per_host_and_serve_on_when_the_ca_is_down() {
    let database = fresh_database().await;
    let pool = database.pool();
    add_domain(&pool, "c.test", None).await;
    add_domain(&pool, "e.test", Some("social.e.test")).await;
    let hosts = ["c.test", "e.test", "social.e.test"];

    // Pebble validates against node one's listeners; both nodes issue.
    let node_one_settings = |directory: &str, root| {
        let mut s = settings(directory, root, "node-one");
        s.challenges = vec![ChallengeKind::Http01];
        s
    };
    // Node one's ports are needed before Pebble starts, Pebble's address before the nodes issue:
    // start node one without issuing, then both issuing nodes once Pebble is up.
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    let front = TlsNode::start(&database, passive).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    let root = Some(pebble.listener_root.clone());
    let one = TlsNode::start(&database, node_one_settings(&pebble.directory, root.clone())).await;
    let mut two_settings = settings(&pebble.directory, root.clone(), "node-two");
    two_settings.challenges = vec![ChallengeKind::Http01];
    let two = TlsNode::start(&database, two_settings).await;
    for host in hosts {
        for node in [&front, &one, &two] {
            wait_served(node, host, &pebble, Duration::from_secs(60)).await;
        }
        assert_eq!(served_der(&one, host), served_der(&two, host), "{host}: every node serves the one certificate");
        assert_eq!(served_der(&front, host), served_der(&one, host), "{host}");
    }
    let placed = orders(&database).await;
    for host in hosts {
        let for_host: Vec<_> = placed.iter().filter(|o| o.host == host).collect();
        assert_eq!(for_host.len(), 1, "{host}: {placed:?}");
        assert!(for_host[0].outcome.as_deref().unwrap_or("").starts_with("issued"), "{placed:?}");
    }
    let issuing_root = pebble.issuing_root_pem().await;
    one.stop().await;
    two.stop().await;

    // The CA goes away. A restarted node serves every stored certificate at
    // once, orders nothing for them, and a new tenant's failure is recorded.
    drop(pebble);
    let mut three_settings = node_one_settings(&database_directory_down(), None);
    three_settings.node = "node-three".into();
    let three = TlsNode::start(&database, three_settings).await;
    for host in hosts {
        assert!(three.resolver.get(host).is_some(), "{host} is served right after a restart");
    }
    add_domain(&pool, "f.test", None).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let report = loop {
        let mut conn = database.pool().get().await.unwrap();
        let report = db::report(&mut conn, "f.test").await.unwrap();
        if report.failures.unwrap_or(0) >= 1 {
            break report;
        }
        assert!(Instant::now() < deadline, "no failure recorded for f.test: {report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(report.last_error.as_deref().unwrap_or("").contains("ACME server"), "{report:?}");
    let wait = report.next_attempt_at.unwrap() - chrono::Utc::now();
    assert!(
        wait > chrono::TimeDelta::seconds(45) && wait <= chrono::TimeDelta::seconds(60),
        "backs off a minute: {wait:?}"
    );
    let client = https_client(&issuing_root, &hosts, three.https);
    for host in hosts {
        let response = client.get(format!("https://{host}/.well-known/host-meta")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{host} is served while the CA is down");
        assert_eq!(peer_names(&response), [host.to_string()]);
    }
    let placed = orders(&database).await;
    assert_eq!(
        placed.iter().filter(|o| o.host != "f.test").count(),
        hosts.len(),
        "a restart re-issues nothing: {placed:?}"
    );
    assert_eq!(placed.iter().filter(|o| o.host == "f.test").count(), 1, "one attempt, then back-off: {placed:?}");
    three.stop().await;
    front.stop().await;
}

/// A directory URL where nothing listens: a CA that is down.
fn database_directory_down() -> String {
    let port = kereru_tests::pebble::free_port();
    format!("https://127.0.0.1:{port}/dir")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_certificates_are_renewed_before_expiry_and_corrupt_ones_reissued() {
    let database = fresh_database().await;
    let pool = database.pool();
    add_domain(&pool, "g.test", None).await;
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    let front = TlsNode::start(&database, passive).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: Some(20),
        eab: None,
    })
    .await;
    let mut issuing = settings(&pebble.directory, Some(pebble.listener_root.clone()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    wait_served(&front, "g.test", &pebble, Duration::from_secs(60)).await;
    let first = served_der(&front, "g.test");
    let (not_before, not_after) = {
        let mut conn = database.pool().get().await.unwrap();
        let stored = db::certificate(&mut conn, "g.test").await.unwrap().unwrap();
        (stored.not_before, stored.not_after)
    };
    assert!(not_after - not_before <= chrono::TimeDelta::seconds(21), "Pebble issued {not_before}..{not_after}");

    // Renewed at half its lifetime, before it expires, and picked up by the serving node.
    let deadline = Instant::now() + Duration::from_secs(40);
    while served_der(&front, "g.test") == first {
        assert!(Instant::now() < deadline, "not renewed; pebble log:\n{}", pebble.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let renewed_at = chrono::Utc::now();
    assert!(renewed_at < not_after, "renewed at {renewed_at}, after expiry {not_after}");
    assert!(
        renewed_at >= not_before + (not_after - not_before) / 2 - chrono::TimeDelta::seconds(1),
        "renewed too early"
    );
    let second = served_der(&front, "g.test");
    let second_renewal = {
        let mut conn = database.pool().get().await.unwrap();
        let stored = db::certificate(&mut conn, "g.test").await.unwrap().unwrap();
        kereru_acme::settings::renew_at(stored.not_before, stored.not_after)
    };

    // Corruption in storage: detected, not served, reported, re-issued.
    {
        use diesel_async::RunQueryDsl;
        let mut conn = database.pool().get().await.unwrap();
        diesel::sql_query(
            "UPDATE acme_certificates SET chain_pem = replace(chain_pem, 'MII', 'MIX'), issued_at = clock_timestamp() WHERE host = 'g.test'",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let served = served_der(&front, "g.test");
        if !served.is_empty() && served != second {
            assert!(chrono::Utc::now() < second_renewal, "replaced by renewal, not because the stored one was corrupt");
            break;
        }
        assert!(Instant::now() < deadline, "corrupt certificate not re-issued; pebble log:\n{}", pebble.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let placed = orders(&database).await;
    assert!(placed.len() >= 3, "{placed:?}");
    assert!(placed.iter().all(|o| o.outcome.as_deref().unwrap_or("").starts_with("issued")), "{placed:?}");
    issuer.stop();
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_whose_dns_points_elsewhere_is_not_ordered_and_says_why() {
    let database = fresh_database().await;
    let pool = database.pool();
    add_domain(&pool, "near.test", None).await;
    add_domain(&pool, "far.test", None).await;
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    let front = TlsNode::start(&database, passive).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    pebble.set_a_record("far.test", &["127.0.0.2"]).await;
    let mut issuing = settings(&pebble.directory, Some(pebble.listener_root.clone()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    issuing.public_addresses = vec!["127.0.0.1".parse().unwrap()];
    issuing.resolver = Some(pebble.dns);
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    wait_served(&front, "near.test", &pebble, Duration::from_secs(60)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let report = loop {
        let mut conn = database.pool().get().await.unwrap();
        let report = db::report(&mut conn, "far.test").await.unwrap();
        if report.failures.unwrap_or(0) >= 1 {
            break report;
        }
        assert!(Instant::now() < deadline, "no failure recorded for far.test: {report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        report.last_error.as_deref(),
        Some("DNS: far.test points at 127.0.0.2, not at this host (127.0.0.1)"),
        "{report:?}"
    );
    assert!(report.next_attempt_at.unwrap() > chrono::Utc::now() + chrono::TimeDelta::seconds(45));
    let placed = orders(&database).await;
    assert_eq!(placed.iter().map(|o| o.host.as_str()).collect::<Vec<_>>(), ["near.test"], "no order for far.test");
    assert!(front.resolver.get("far.test").is_none());
    issuer.stop();
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hourly_order_limit_holds_across_nodes() {
    let database = fresh_database().await;
    let pool = database.pool();
    for host in ["h1.test", "h2.test", "h3.test"] {
        add_domain(&pool, host, None).await;
    }
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    let front = TlsNode::start(&database, passive).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    let mut issuers = Vec::new();
    for node in ["limited-one", "limited-two"] {
        let mut limited = settings(&pebble.directory, Some(pebble.listener_root.clone()), node);
        limited.challenges = vec![ChallengeKind::Http01];
        limited.max_orders_per_hour = 2;
        issuers.push(kereru_acme::CertManager::new(limited, database.pool()).start().await);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ["h1.test", "h2.test", "h3.test"].iter().filter(|h| front.resolver.get(h).is_some()).count() < 2 {
        assert!(Instant::now() < deadline, "two certificates expected; pebble log:\n{}", pebble.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several scans of both issuers later, still two orders and one host without a certificate.
    let watch_until = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < watch_until {
        let placed = orders(&database).await;
        assert_eq!(placed.len(), 2, "{placed:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(["h1.test", "h2.test", "h3.test"].iter().filter(|h| front.resolver.get(h).is_some()).count(), 2);
    for issuer in &issuers {
        issuer.stop();
    }
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ca_that_requires_external_account_binding_gets_it() {
    use base64::Engine;
    let database = fresh_database().await;
    let pool = database.pool();
    add_domain(&pool, "eab.test", None).await;
    let mut passive = settings("https://unused.invalid/dir", None, "front");
    passive.issue = false;
    let front = TlsNode::start(&database, passive).await;
    let key = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
    let eab = Some(("kid-1".to_string(), key.to_string()));
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab,
    })
    .await;

    // Without the binding the account is refused, and that is what gets recorded.
    let mut unbound = settings(&pebble.directory, Some(pebble.listener_root.clone()), "unbound");
    unbound.challenges = vec![ChallengeKind::Http01];
    let issuer = kereru_acme::CertManager::new(unbound, database.pool()).start().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let report = loop {
        let report = db::report(&mut pool.get().await.unwrap(), "eab.test").await.unwrap();
        if report.failures.unwrap_or(0) >= 1 {
            break report;
        }
        assert!(Instant::now() < deadline, "no failure recorded: {report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    issuer.stop();
    assert!(report.last_error.as_deref().unwrap_or("").contains("externalAccountRequired"), "{report:?}");
    assert_eq!(rows(&database, "acme_accounts").await, 0);

    // With it: an account, then a certificate (after clearing the back-off, as an operator would by waiting).
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("UPDATE acme_issuance SET next_attempt_at = NULL")
            .execute(&mut pool.get().await.unwrap())
            .await
            .unwrap();
    }
    let mut bound = settings(&pebble.directory, Some(pebble.listener_root.clone()), "bound");
    bound.challenges = vec![ChallengeKind::Http01];
    let hmac_key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(key).unwrap();
    bound.eab = Some(kereru_acme::settings::Eab { key_id: "kid-1".into(), hmac_key });
    let issuer = kereru_acme::CertManager::new(bound, database.pool()).start().await;
    wait_served(&front, "eab.test", &pebble, Duration::from_secs(60)).await;
    assert_eq!(rows(&database, "acme_accounts").await, 1);
    issuer.stop();
    front.stop().await;
}

/// Waits until `host`'s certificate row exists, returning when it was seen.
async fn wait_stored(database: &TestDatabase, host: &str, within: Duration) -> Instant {
    let deadline = Instant::now() + within;
    loop {
        let mut conn = database.pool().get().await.unwrap();
        if db::certificate(&mut conn, host).await.unwrap().is_some() {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "no certificate stored for {host} within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_certificate_reaches_another_node_by_notification_long_before_its_poll() {
    let database = fresh_database().await;
    let pool = database.pool();
    // The serving node polls every five minutes: only the notification can bring it in time.
    let mut front_settings = settings("https://unused.invalid/dir", None, "front");
    front_settings.issue = false;
    front_settings.sync_interval = Duration::from_secs(300);
    let front = TlsNode::start(&database, front_settings).await;
    let pebble = Pebble::start(PebbleOptions {
        http_port: front.http.port(),
        tls_port: front.https.port(),
        validity_seconds: None,
        eab: None,
    })
    .await;
    add_domain(&pool, "n.test", None).await;
    let mut issuing = settings(&pebble.directory, Some(pebble.listener_root.clone()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    let stored = wait_stored(&database, "n.test", Duration::from_secs(60)).await;
    wait_served(&front, "n.test", &pebble, Duration::from_secs(5)).await;
    let delay = stored.elapsed();
    println!("the second node served the new certificate {delay:?} after it was stored (poll interval: 300 s)");
    assert!(delay < Duration::from_secs(3), "picked up after {delay:?}");
    issuer.stop();
    front.stop().await;
}

/// Runs an issuer against `ca` until `host`'s first failure is recorded; returns the report.
async fn first_failure(
    database: &TestDatabase,
    directory: &str,
    root: &std::path::Path,
    host: &str,
) -> db::IssuanceReport {
    let mut issuing = settings(directory, Some(root.to_path_buf()), "issuer");
    issuing.challenges = vec![ChallengeKind::Http01];
    let issuer = kereru_acme::CertManager::new(issuing, database.pool()).start().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let report = loop {
        let mut conn = database.pool().get().await.unwrap();
        let report = db::report(&mut conn, host).await.unwrap();
        if report.failures.unwrap_or(0) >= 1 {
            break report;
        }
        assert!(Instant::now() < deadline, "no failure recorded for {host}: {report:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    issuer.stop();
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_misbehaving_ca_costs_a_recorded_failure_with_back_off_and_no_certificate() {
    use kereru_tests::fake_ca::{Behaviour, FakeCa};
    let database = fresh_database().await;
    let pool = database.pool();
    let cases = [
        (Behaviour::BadNonce, "badnonce.test", "badNonce"),
        (Behaviour::Garbage, "garbage.test", "JSON"),
        (Behaviour::ServerError, "five-hundred.test", "newNonce"),
        // Every request's first nonce is refused: the retries get through (the
        // account is created), and what fails is the order, which this CA refuses.
        (Behaviour::FirstNonceBad, "flaky.test", "no orders today"),
    ];
    for (behaviour, host, says) in cases {
        add_domain(&pool, host, None).await;
        let ca = FakeCa::start(behaviour).await;
        let report = first_failure(&database, &ca.directory, &ca.root, host).await;
        let error = report.last_error.clone().unwrap_or_default();
        assert!(error.contains(says), "{behaviour:?}: {error}");
        assert_eq!(report.failures, Some(1), "{behaviour:?}: {report:?}");
        let wait = report.next_attempt_at.unwrap() - chrono::Utc::now();
        assert!(wait > chrono::TimeDelta::seconds(45), "{behaviour:?}: backs off a minute: {wait:?}");
        let requests = ca.requests();
        if behaviour == Behaviour::BadNonce {
            // instant-acme tries a badNonce request three times (each with the fresh nonce), then gives up.
            let posts = requests.iter().filter(|r| r.starts_with("POST ")).count();
            assert_eq!(posts, 3, "{requests:?}");
        }
        if behaviour == Behaviour::FirstNonceBad {
            let count = |what: &str| requests.iter().filter(|r| *r == what).count();
            assert_eq!((count("POST /account"), count("POST /order")), (2, 2), "{requests:?}");
            assert_eq!(rows(&database, "acme_accounts").await, 1, "the account was created on the retry");
        }
        ca.stop().await;
    }
    assert_eq!(rows(&database, "acme_certificates").await, 0, "no certificate row from a CA that misbehaves");
    let placed = orders(&database).await;
    assert_eq!(placed.len(), 4, "one order attempt per host, then back-off: {placed:?}");
    assert!(placed.iter().all(|o| o.outcome.as_deref().unwrap_or("").starts_with("failed: ")), "{placed:?}");
}

/// A certificate for `host` from a CA whose key identifier (and so every
/// leaf's Authority Key Identifier) is `aki`: (chain PEM, PKCS#8 key).
fn certificate_with_aki(host: &str, aki: &[u8], serial: &[u8]) -> (String, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(aki.to_vec());
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec![host.to_string()]).unwrap();
    leaf.use_authority_key_identifier_extension = true;
    leaf.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    (leaf.signed_by(&key, &issuer).unwrap().pem(), key.serialize_der())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn renewal_information_decides_renewal_and_the_order_names_the_certificate_it_replaces() {
    use kereru_tests::fake_ca::{Behaviour, FakeCa};
    let database = fresh_database().await;
    let pool = database.pool();
    let now = chrono::Utc::now();
    // Two long-lived certificates (by lifetime, not due for years): the CA
    // suggests renewing one now and the other in a month.
    let mut ids = Vec::new();
    for (host, serial) in [("now.test", 0x11u8), ("later.test", 0x22u8), ("unknown.test", 0x44u8)] {
        add_domain(&pool, host, None).await;
        let (chain, key) = certificate_with_aki(host, &[7; 20], &[0x01, serial, 0x33]);
        let loaded = kereru_acme::certs::load(host, &chain, &key).unwrap();
        let mut conn = pool.get().await.unwrap();
        db::save_certificate(&mut conn, host, &chain, &key, loaded.not_before, loaded.not_after).await.unwrap();
        ids.push(kereru_acme::certs::ari_id(&chain).unwrap().to_string());
    }
    let ca = FakeCa::start(Behaviour::RenewalInfo).await;
    ca.set_window(&ids[0], now - chrono::TimeDelta::hours(2), now - chrono::TimeDelta::hours(1));
    let later = (now + chrono::TimeDelta::days(30), now + chrono::TimeDelta::days(31));
    ca.set_window(&ids[1], later.0, later.1);

    let report = first_failure(&database, &ca.directory, &ca.root, "now.test").await;
    // The issuer asked for both windows by their RFC 9773 ids...
    let requests = ca.requests();
    for id in &ids {
        assert!(requests.contains(&format!("GET /ari/{id}")), "{requests:?}");
    }
    // ...ordered for the one due, naming the certificate it replaces, and the CA's refusal is recorded.
    let new_orders = ca.new_orders();
    assert_eq!(new_orders.len(), 1, "{new_orders:?}");
    assert_eq!(new_orders[0]["replaces"], serde_json::json!(ids[0]), "{new_orders:?}");
    assert_eq!(new_orders[0]["identifiers"][0]["value"], "now.test", "{new_orders:?}");
    assert!(report.last_error.as_deref().unwrap_or("").contains("no orders today"), "{report:?}");
    assert!(report.ari_renew_at.is_some_and(|at| at <= now), "{report:?}");
    // The other one keeps its certificate until a time inside its window.
    let mut conn = pool.get().await.unwrap();
    let later_report = db::report(&mut conn, "later.test").await.unwrap();
    let at = later_report.ari_renew_at.expect("a renewal time for later.test");
    assert!(at >= later.0 - chrono::TimeDelta::seconds(1) && at <= later.1, "{at} outside {later:?}");
    // One the CA does not know (404): renewal by lifetime, not ordered, asked
    // again once the check's ten-minute claim runs out.
    assert!(requests.contains(&format!("GET /ari/{}", ids[2])), "{requests:?}");
    let unknown = db::report(&mut conn, "unknown.test").await.unwrap();
    assert_eq!(unknown.ari_renew_at, None);
    #[derive(diesel::QueryableByName)]
    struct NextCheck {
        #[diesel(sql_type = diesel::sql_types::Double)]
        hours: f64,
    }
    let next: Vec<NextCheck> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT extract(epoch FROM ari_next_check - now())::float8 / 3600 AS hours FROM acme_certificates WHERE host = 'unknown.test'",
        ),
        &mut conn,
    )
    .await
    .unwrap();
    assert!(next[0].hours > 0.15 && next[0].hours <= 10.0 / 60.0, "{}", next[0].hours);
    let placed = orders(&database).await;
    assert!(placed.iter().all(|o| o.host == "now.test"), "{placed:?}");
    // The failed renewal leaves the old certificate stored (and served).
    assert_eq!(rows(&database, "acme_certificates").await, 3);
    ca.stop().await;
}
