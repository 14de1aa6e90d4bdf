//! The `kereru` binary end to end: commands against a real database, `serve`
//! on loopback answering what the commands provisioned, the zero-config
//! private cluster, and one-line errors that change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, install_crypto_provider, scratch_dir};
use std::net::SocketAddr;
use std::path::Path;

use std::time::{Duration, Instant};

mod common;

use common::*;

async fn get_json(client: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let response = client.get(url).header("Accept", "application/activity+json").send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn provisioned_domains_and_users_are_discoverable_on_their_own_tenant_only() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-flow");
    let cmd = || kereru(&data, Some(&db.url));

    let added = ok(cmd(), &["domain", "add", "a.test", "--owner", "owner@mail.test"], "");
    assert!(added.contains("a.test"), "{added}");
    ok(cmd(), &["domain", "add", "b.test"], "");
    let handle = ok(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "alice", "--email", "alice@mail.test"],
        "correct horse battery\n",
    );
    assert_eq!(handle.trim(), "@alice@a.test");
    ok(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "ann", "--email", "ann@mail.test", "--admin"],
        "another good password\n",
    );
    ok(
        cmd(),
        &["user", "create", "--domain", "b.test", "--username", "bob", "--email", "bob@mail.test"],
        "bobs password here\n",
    );

    let listed = ok(cmd(), &["domain", "list"], "");
    assert!(listed.contains("a.test\tactive") && listed.contains("b.test\tactive"), "{listed}");
    let shown = ok(cmd(), &["domain", "show", "a.test"], "");
    assert!(shown.contains("a.test.  A"), "{shown}");
    assert!(shown.contains("accounts:       2"), "{shown}");
    assert!(shown.contains("  a.test: none yet"), "{shown}");
    assert!(shown.contains("DNS: a.test not checked ([acme] public_addresses is empty)"), "{shown}");

    let served = Served::start(cmd());
    let client = served.client(&["a.test", "b.test"]);
    let (status, jrd) = get_json(&client, "http://a.test/.well-known/webfinger?resource=acct:alice@a.test").await;
    assert_eq!(status, 200);
    let self_href =
        jrd["links"].as_array().expect("links").iter().find(|l| l["rel"] == "self").expect("self link")["href"]
            .as_str()
            .expect("href")
            .to_string();
    let (status, actor) = get_json(&client, &self_href).await;
    assert_eq!(status, 200);
    assert_eq!(actor["id"], self_href);
    let pem = actor["publicKey"]["publicKeyPem"].as_str().expect("pem");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let (status, _) = get_json(&client, "http://b.test/.well-known/webfinger?resource=acct:alice@a.test").await;
    assert_eq!(status, 404);
    let (_, a_info) = get_json(&client, "http://a.test/nodeinfo/2.1").await;
    let (_, b_info) = get_json(&client, "http://b.test/nodeinfo/2.1").await;
    assert_eq!(a_info["usage"]["users"]["total"], 2);
    assert_eq!(b_info["usage"]["users"]["total"], 1);

    // Commands work while the server runs on the same data directory.
    ok(cmd(), &["domain", "suspend", "b.test"], "");
    let (status, _) = get_json(&client, "http://b.test/nodeinfo/2.1").await;
    assert_eq!(status, 404);
    ok(cmd(), &["domain", "activate", "b.test"], "");
    let (status, _) = get_json(&client, "http://b.test/nodeinfo/2.1").await;
    assert_eq!(status, 200);
    assert!(served.terminate(), "serve exits cleanly on SIGTERM");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_a_one_line_reason_and_changes_nothing() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-errors");
    let cmd = || kereru(&data, Some(&db.url));
    ok(cmd(), &["domain", "add", "a.test", "--service-host", "social.a.test"], "");
    ok(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "alice", "--email", "alice@mail.test"],
        "a good long password\n",
    );

    fails(cmd(), &["domain", "add", "not a host"], "", "not a valid host name");
    fails(cmd(), &["domain", "add", "127.0.0.1"], "", "IP address");
    fails(cmd(), &["domain", "add", "a.test"], "", "already served");
    fails(cmd(), &["domain", "add", "new.test", "--service-host", "social.a.test"], "", "already served");
    fails(cmd(), &["domain", "add", "new.test", "--owner", "not-an-email"], "", "e-mail");
    fails(cmd(), &["domain", "show", "nowhere.test"], "", "no domain nowhere.test");
    fails(cmd(), &["domain", "suspend", "nowhere.test"], "", "no domain nowhere.test");
    fails(
        cmd(),
        &["user", "create", "--domain", "nowhere.test", "--username", "x", "--email", "x@mail.test"],
        "a good long password\n",
        "no domain nowhere.test",
    );
    fails(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "ALICE", "--email", "other@mail.test"],
        "a good long password\n",
        "already taken",
    );
    fails(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "bad name", "--email", "x@mail.test"],
        "a good long password\n",
        "not a valid username",
    );
    fails(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "carol", "--email", "carol@mail.test"],
        "short\n",
        "at least 8",
    );
    fails(
        cmd(),
        &["user", "create", "--domain", "a.test", "--username", "carol", "--email", "carol@mail.test"],
        "",
        "no password",
    );
    let mut missing_config = cmd();
    missing_config.args(["--config", "/nonexistent/kereru.toml"]);
    fails(missing_config, &["domain", "list"], "", "does not exist");
    let mut bad_env = cmd();
    bad_env.env("KERERU_HTTP__PUBLIC_SCHEME", "gopher");
    fails(bad_env, &["domain", "list"], "", "public_scheme");

    // Nothing above left anything behind.
    let listed = ok(cmd(), &["domain", "list"], "");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let users = ok(cmd(), &["user", "list", "--domain", "a.test"], "");
    assert_eq!(users.trim(), "@alice@a.test");
    // The service host names the same tenant.
    assert_eq!(ok(cmd(), &["user", "list", "--domain", "social.a.test"], "").trim(), "@alice@a.test");
    let shown = ok(cmd(), &["domain", "show", "social.a.test"], "");
    assert!(shown.contains("must redirect") && shown.contains("/.well-known/webfinger"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_domains_name_description_and_rules_are_set_from_the_command_line() {
    let db = fresh_database().await;
    let data = scratch_dir("cli-about");
    let cmd = || kereru(&data, Some(&db.url));
    ok(cmd(), &["domain", "add", "a.test"], "");
    ok(cmd(), &["domain", "update", "a.test", "--name", "Bird Town", "--description", "Birds & people"], "");
    let shown = ok(cmd(), &["domain", "show", "a.test"], "");
    assert!(shown.contains("name:           Bird Town") && shown.contains("description:    Birds & people"), "{shown}");
    ok(cmd(), &["domain", "rule", "add", "a.test", "Be kind"], "");
    let added = ok(cmd(), &["domain", "rule", "add", "a.test", "No spam"], "");
    let id = added.split_whitespace().nth(2).unwrap().to_string();
    let listed = ok(cmd(), &["domain", "rule", "list", "a.test"], "");
    assert!(listed.starts_with("1. Be kind") && listed.contains(&format!("2. No spam  (id {id})")), "{listed}");
    fails(cmd(), &["domain", "update", "a.test", "--name", " "], "", "must not be blank");
    fails(cmd(), &["domain", "update", "a.test"], "", "nothing to change");
    fails(cmd(), &["domain", "rule", "add", "a.test", " "], "", "1 to 500 characters");
    fails(cmd(), &["domain", "rule", "remove", "a.test", "12345"], "", "has no rule 12345");
    fails(cmd(), &["domain", "rule", "list", "nowhere.test"], "", "no domain nowhere.test");
    ok(cmd(), &["domain", "rule", "remove", "a.test", &id], "");
    let listed = ok(cmd(), &["domain", "rule", "list", "a.test"], "");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(ok(cmd(), &["domain", "show", "a.test"], "").contains("name:           Bird Town"));
}

fn postmaster_running(data: &Path) -> bool {
    data.join("postgres/pgdata/postmaster.pid").exists()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_database_configured_kereru_runs_its_own_cluster_and_stops_it() {
    let data = scratch_dir("zero-config");
    let cmd = || kereru(&data, None);

    ok(cmd(), &["domain", "add", "z.test"], "");
    assert!(data.join("postgres/pgdata/PG_VERSION").exists(), "a cluster was made under the data dir");
    assert!(!postmaster_running(&data), "a one-off command stops the cluster it started");

    let served = Served::start(cmd());
    assert!(postmaster_running(&data));
    // A command while serve runs uses the same cluster and leaves it running.
    let handle = ok(
        cmd(),
        &["user", "create", "--domain", "z.test", "--username", "zed", "--email", "zed@mail.test"],
        "zeds password!\n",
    );
    assert_eq!(handle.trim(), "@zed@z.test");
    assert!(postmaster_running(&data), "the command must not stop the cluster serve uses");
    let client = served.client(&["z.test"]);
    let (status, jrd) = get_json(&client, "http://z.test/.well-known/webfinger?resource=acct:zed@z.test").await;
    assert_eq!(status, 200, "{jrd}");
    assert!(served.terminate(), "serve exits cleanly on SIGTERM");
    assert!(!postmaster_running(&data), "serve stops its cluster on shutdown");

    // And the data survives a restart.
    assert_eq!(ok(cmd(), &["user", "list", "--domain", "z.test"], "").trim(), "@zed@z.test");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_directory_holding_another_cluster_is_refused_and_left_alone() {
    let data = scratch_dir("foreign");
    let pgdata = data.join("postgres/pgdata");
    std::fs::create_dir_all(&pgdata).expect("mkdir");
    std::fs::write(pgdata.join("PG_VERSION"), "15\n").expect("write");
    fails(kereru(&data, None), &["domain", "list"], "", "did not create");
    assert_eq!(std::fs::read_to_string(pgdata.join("PG_VERSION")).expect("still there"), "15\n");
    assert_eq!(std::fs::read_dir(&pgdata).expect("dir").count(), 1, "nothing added to the foreign cluster");
}

#[tokio::test(flavor = "multi_thread")]
async fn as_root_a_data_directory_postgres_cannot_reach_gets_its_cluster_elsewhere() {
    use std::os::unix::fs::PermissionsExt;
    let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2).unwrap_or("").to_string())
    });
    if uid.as_deref() != Some("0") {
        eprintln!("not root: PostgreSQL runs as this user, so every data directory it can use is reachable");
        return;
    }
    // Like a checkout under /root: the parent is private to root.
    let private = scratch_dir("private");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let data = private.join("data");
    ok(kereru(&data, None), &["domain", "add", "r.test"], "");
    let link = std::fs::read_link(data.join("postgres")).expect("the cluster dir is a symlink");
    assert!(link.starts_with("/var/lib/kereru/clusters/"), "{}", link.display());
    assert!(link.join("pgdata/PG_VERSION").exists());
    // Later runs find the same cluster and its data.
    assert!(ok(kereru(&data, None), &["domain", "list"], "").starts_with("r.test\t"));
    std::fs::remove_dir_all(&link).expect("clean up the fallback cluster");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_tls_gets_a_certificate_from_pebble_and_domain_show_reports_it() {
    use kereru_tests::pebble::{Pebble, PebbleOptions, free_port};
    let database = fresh_database().await;
    let data = scratch_dir("tls-serve");
    let (http_port, tls_port) = (free_port(), free_port());
    let pebble = Pebble::start(PebbleOptions { http_port, tls_port, validity_seconds: None, eab: None }).await;
    let config = data.join("kereru.toml");
    std::fs::write(
        &config,
        format!(
            "[http]\nlisten = \"127.0.0.1:{http_port}\"\npublic_scheme = \"https\"\n\
             [tls]\nenabled = true\nlisten = \"127.0.0.1:{tls_port}\"\n\
             [acme]\ndirectory = \"{}\"\nextra_root = \"{}\"\ncontact = [\"mailto:admin@kereru.test\"]\n\
             challenges = [\"tls-alpn-01\"]\ncheck_interval_seconds = 1\nsync_interval_seconds = 1\n\
             public_addresses = [\"127.0.0.1\"]\nresolver = \"{}\"\n",
            pebble.directory,
            pebble.listener_root.display(),
            pebble.dns,
        ),
    )
    .unwrap();
    let cmd = || {
        let mut command = kereru(&data, Some(&database.url));
        command.arg("--config").arg(&config);
        command
    };
    ok(cmd(), &["domain", "add", "t.test"], "");
    ok(cmd(), &["domain", "add", "far.test"], "");
    pebble.set_a_record("far.test", &["127.0.0.2"]).await;
    let started = Instant::now();
    let served = Served::start_listening(cmd(), &["serve"], "kereru listening on https://");
    assert_eq!(served.addr.port(), tls_port);

    install_crypto_provider();
    let root = reqwest::Certificate::from_pem(pebble.issuing_root_pem().await.as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([root])
        .redirect(reqwest::redirect::Policy::none())
        .resolve("t.test", served.addr)
        .resolve("stranger.test", served.addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match client.get("https://t.test/.well-known/host-meta").send().await {
            Ok(response) => {
                assert_eq!(response.status(), 200);
                let body = response.text().await.unwrap();
                assert!(body.contains("https://t.test/.well-known/webfinger"), "{body}");
                break;
            }
            Err(error) => {
                assert!(Instant::now() < deadline, "no HTTPS for t.test within 60 s: {error}\n{}", pebble.log())
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("kereru serve: HTTPS for a new tenant {:?} after start", started.elapsed());
    assert!(client.get("https://stranger.test/").send().await.is_err(), "no certificate for a stranger");

    let shown = ok(cmd(), &["domain", "show", "t.test"], "");
    assert!(shown.contains("  t.test: valid until"), "{shown}");
    assert!(shown.contains("DNS: t.test points at this host (127.0.0.1)"), "{shown}");
    // A tenant whose DNS points elsewhere: no certificate, and `domain show` says why.
    let deadline = Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let shown = ok(cmd(), &["domain", "show", "far.test"], "");
        if shown.contains("last problem") {
            break shown;
        }
        assert!(Instant::now() < deadline, "no problem reported for far.test: {shown}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(shown.contains("  far.test: none yet"), "{shown}");
    assert!(
        shown.contains(
            "last problem (1 failed attempt in a row): DNS: far.test points at 127.0.0.2, not at this host (127.0.0.1)"
        ),
        "{shown}"
    );
    assert!(shown.contains("next attempt: "), "{shown}");
    assert!(shown.contains("DNS: far.test points at 127.0.0.2, not at this host (127.0.0.1)"), "{shown}");
    let plain = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("t.test", SocketAddr::from(([127, 0, 0, 1], http_port)))
        .build()
        .unwrap();
    let response = plain.get("http://t.test/@alice").send().await.unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], format!("https://t.test:{tls_port}/@alice").as_str());
    assert!(served.terminate(), "kereru serve stops cleanly on SIGTERM with TLS on");
}

/// The leaf certificate (DER) a TLS server at `addr` presents for `host`,
/// to a client trusting `root` only; `None` while it has none.
async fn served_leaf(root: &reqwest::Certificate, host: &str, addr: SocketAddr) -> Option<Vec<u8>> {
    install_crypto_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([root.clone()])
        .tls_info(true)
        .resolve(host, addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client.get(format!("https://{host}/.well-known/host-meta")).send().await.ok()?;
    assert_eq!(response.status(), 200, "{host} at {addr}");
    let info = response.extensions().get::<reqwest::tls::TlsInfo>()?;
    info.peer_certificate().map(<[u8]>::to_vec)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_serve_processes_on_one_database_order_one_certificate_per_host_and_both_serve_it() {
    use kereru_tests::pebble::{Pebble, PebbleOptions, free_port};
    let database = fresh_database().await;
    let ports = [(free_port(), free_port()), (free_port(), free_port())];
    // Pebble validates HTTP-01 on the first process's port; either process may order.
    let pebble =
        Pebble::start(PebbleOptions { http_port: ports[0].0, tls_port: ports[0].1, validity_seconds: None, eab: None })
            .await;
    let hosts = ["p1.test", "p2.test", "p3.test", "social.p3.test"];
    let mut processes = Vec::new();
    let mut commands = Vec::new();
    for (n, (http_port, tls_port)) in ports.iter().enumerate() {
        let data = scratch_dir(&format!("tls-process-{n}"));
        let config = data.join("kereru.toml");
        // The second process polls only every five minutes: what the first
        // one issues reaches it by notification.
        let sync = if n == 0 { 1 } else { 300 };
        std::fs::write(
            &config,
            format!(
                "[http]\nlisten = \"127.0.0.1:{http_port}\"\npublic_scheme = \"https\"\n\
                 [tls]\nenabled = true\nlisten = \"127.0.0.1:{tls_port}\"\n\
                 [acme]\ndirectory = \"{}\"\nextra_root = \"{}\"\ncontact = [\"mailto:admin@kereru.test\"]\n\
                 challenges = [\"http-01\"]\ncheck_interval_seconds = 1\nsync_interval_seconds = {sync}\n\
                 [delivery]\nworkers_in_serve = false\n",
                pebble.directory,
                pebble.listener_root.display(),
            ),
        )
        .unwrap();
        let database_url = database.url.clone();
        commands.push(move || {
            let mut command = kereru(&data, Some(&database_url));
            command.arg("--config").arg(&config);
            command
        });
    }
    ok(commands[0](), &["domain", "add", "p1.test"], "");
    ok(commands[0](), &["domain", "add", "p2.test"], "");
    ok(commands[1](), &["domain", "add", "p3.test", "--service-host", "social.p3.test"], "");
    let started = Instant::now();
    for command in &commands {
        processes.push(Served::start_listening(command(), &["serve"], "kereru listening on https://"));
    }
    let root = reqwest::Certificate::from_pem(pebble.issuing_root_pem().await.as_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    for host in hosts {
        let mut leaves = Vec::new();
        for served in &processes {
            let leaf = loop {
                if let Some(leaf) = served_leaf(&root, host, served.addr).await {
                    break leaf;
                }
                assert!(
                    Instant::now() < deadline,
                    "{host} not served at {} within 90 s\n{}",
                    served.addr,
                    pebble.log()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            leaves.push(leaf);
        }
        assert_eq!(leaves[0], leaves[1], "{host}: both processes serve the one certificate");
    }
    println!("two processes serve {} hosts after {:?}", hosts.len(), started.elapsed());

    // Exactly one order per host, in Kererū's records and at the CA.
    let mut conn = database.pool().get().await.unwrap();
    let placed = kereru_acme::db::orders(&mut conn).await.unwrap();
    for host in hosts {
        let for_host: Vec<_> = placed.iter().filter(|o| o.host == host).collect();
        assert_eq!(for_host.len(), 1, "{host}: {placed:?}");
        assert!(for_host[0].outcome.as_deref().unwrap_or("").starts_with("issued"), "{placed:?}");
    }
    let by: Vec<(&str, &str)> = placed.iter().map(|o| (o.host.as_str(), o.node.as_str())).collect();
    println!("orders (host, node): {by:?}");
    let at_the_ca = pebble.log().lines().filter(|l| l.contains("POST /order-plz")).count();
    assert_eq!(at_the_ca, hosts.len(), "orders Pebble received");
    for served in processes {
        assert!(served.terminate(), "kereru serve stops cleanly");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_a_ca_answering_garbage_records_the_failure_and_domain_show_reports_it() {
    use kereru_tests::fake_ca::{Behaviour, FakeCa};
    use kereru_tests::pebble::free_port;
    let database = fresh_database().await;
    let data = scratch_dir("tls-garbage");
    let ca = FakeCa::start(Behaviour::Garbage).await;
    let (http_port, tls_port) = (free_port(), free_port());
    let config = data.join("kereru.toml");
    std::fs::write(
        &config,
        format!(
            "[http]\nlisten = \"127.0.0.1:{http_port}\"\n[tls]\nenabled = true\nlisten = \"127.0.0.1:{tls_port}\"\n\
             [acme]\ndirectory = \"{}\"\nextra_root = \"{}\"\ncheck_interval_seconds = 1\n",
            ca.directory,
            ca.root.display(),
        ),
    )
    .unwrap();
    let cmd = || {
        let mut command = kereru(&data, Some(&database.url));
        command.arg("--config").arg(&config);
        command
    };
    ok(cmd(), &["domain", "add", "g.test"], "");
    let mut served = Served::start_listening(cmd(), &["serve"], "kereru listening on https://");
    let deadline = Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let shown = ok(cmd(), &["domain", "show", "g.test"], "");
        if shown.contains("last problem") {
            break shown;
        }
        assert!(Instant::now() < deadline, "no problem reported for g.test: {shown}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(shown.contains("  g.test: none yet"), "{shown}");
    assert!(shown.contains("last problem (1 failed attempt in a row): the ACME server: "), "{shown}");
    assert!(shown.contains("JSON"), "says what was wrong: {shown}");
    assert!(shown.contains("next attempt: "), "{shown}");
    // Still running, still answering, and no certificate anywhere.
    assert!(served.child.try_wait().unwrap().is_none(), "kereru serve is still running");
    let plain = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = plain.get(format!("http://127.0.0.1:{http_port}/")).header("Host", "g.test").send().await.unwrap();
    assert_eq!(response.status(), 308);
    let mut conn = database.pool().get().await.unwrap();
    assert!(kereru_acme::db::certificate(&mut conn, "g.test").await.unwrap().is_none());
    assert_eq!(kereru_acme::db::orders_for(&mut conn, "g.test").await.unwrap(), 1, "then backs off");
    assert!(served.terminate(), "kereru serve stops cleanly");
    ca.stop().await;
}
