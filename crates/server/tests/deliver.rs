//! `kereru deliver` as separate worker processes: killed with SIGKILL in
//! the middle of a fan-out and restarted, every inbox still gets the
//! activity; two worker processes on one queue never send a row twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_core::{HostName, Scheme, Username};
use kereru_delivery::http::Url;
use kereru_delivery::queue;
use kereru_store::accounts::{self, NewLocalAccount};
use kereru_store::domains::{self, DomainState, NewDomain, Registrations};
use kereru_tests::inbox::{Answer, MockInboxes};
use kereru_tests::{TestDatabase, fresh_database, scratch_dir};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kereru");

/// Creates a sender, queues one activity to `n` mock inboxes, returns the mock.
async fn setup(db: &TestDatabase, n: usize, latency: Duration) -> MockInboxes {
    let pool = db.pool();
    let mut conn = pool.get().await.unwrap();
    let domain = domains::create(
        &mut conn,
        NewDomain {
            account_host: HostName::parse("home.test").unwrap(),
            service_host: None,
            state: DomainState::Active,
            registrations: Registrations::Open,
            name: None,
            owner_email: None,
        },
    )
    .await
    .unwrap();
    let account = accounts::create_local(
        &mut conn,
        domain.id,
        NewLocalAccount {
            username: Username::parse("alice").unwrap(),
            email: "alice@mail.example".into(),
            password: "a long enough password".into(),
            admin: false,
            approved: true,
            signup_reason: None,
            locale: None,
        },
    )
    .await
    .unwrap();
    let urls = domain.urls(Scheme::Http);
    let inboxes = MockInboxes::start(n, 8, 2, Arc::new(move |_, _| Answer::status(202).after(latency)));
    inboxes.trust(&urls.actor_key_id("alice"), &account.public_key_pem);
    let actor = urls.actor("alice");
    let activity = serde_json::json!({"id": format!("{actor}/statuses/1/activity"), "type": "Create", "actor": actor, "object": {"type": "Note", "content": "hi"}});
    let targets: Vec<Url> = (0..n).map(|i| Url::parse(&MockInboxes::inbox(i)).unwrap()).collect();
    let queued = queue::enqueue(&mut conn, account.id, "a", &activity, &targets).await.unwrap();
    assert_eq!(queued.queued, n);
    inboxes
}

fn config_file(dir: &Path, inboxes: &MockInboxes, concurrency: usize) -> std::path::PathBuf {
    let path = dir.join("kereru.toml");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(
        file,
        "[delivery]\nconcurrency = {concurrency}\nbatch = {concurrency}\nper_host = 2\npoll_interval_ms = 20\nlease_seconds = 15\nretry_base_ms = 100\nstats_interval_seconds = 0\n\n[federation]\nallow_private_addresses = true\n\n[federation.resolve]"
    )
    .unwrap();
    for (host, addr) in &inboxes.resolve {
        writeln!(file, "\"{host}\" = \"{addr}\"").unwrap();
    }
    path
}

fn worker(dir: &Path, config: &Path, db: &TestDatabase) -> Child {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("KERERU_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(config)
        .arg("deliver")
        .env("KERERU_DATABASE__URL", &db.url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kereru deliver starts")
}

async fn totals(db: &TestDatabase) -> queue::Totals {
    let mut conn = db.pool().get().await.unwrap();
    queue::stats(&mut conn, 5).await.unwrap().totals
}

async fn wait_for<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_fan_out_loses_nothing() {
    let db = fresh_database().await;
    let n = 60;
    let inboxes = setup(&db, n, Duration::from_millis(300)).await;
    let dir = scratch_dir("deliver-kill");
    let config = config_file(&dir, &inboxes, 6);
    let mut first = worker(&dir, &config, &db);
    assert!(
        wait_for(Duration::from_secs(60), || async { inboxes.total(|c| &c.accepted) >= 10 }).await,
        "the first worker delivered"
    );
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = totals(&db).await;
    assert!(at_kill.done < n as i64, "killed mid fan-out: {at_kill:?}");
    let mut second = worker(&dir, &config, &db);
    // Rows the dead worker held wait out their 15 s lease.
    let finished = wait_for(Duration::from_secs(90), || async { totals(&db).await.done == n as i64 }).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(finished, "after the restart every delivery is done: {:?}", totals(&db).await);
    for i in 0..n {
        assert!(inboxes.accepted(i) >= 1, "inbox {i} got the activity");
    }
    let requests = inboxes.total(|c| &c.requests);
    assert!(requests <= (n + 6) as u64, "at most the {} in flight at the kill were sent twice: {requests}", 6);
    assert_eq!(inboxes.bad_signatures(), 0);
    inboxes.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_never_send_a_row_twice() {
    let db = fresh_database().await;
    let n = 150;
    let inboxes = setup(&db, n, Duration::from_millis(30)).await;
    let dir = scratch_dir("deliver-two");
    let config = config_file(&dir, &inboxes, 8);
    let mut workers = [worker(&dir, &config, &db), worker(&dir, &config, &db)];
    let finished = wait_for(Duration::from_secs(60), || async { totals(&db).await.done == n as i64 }).await;
    for child in &mut workers {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert!(finished, "{:?}", totals(&db).await);
    for i in 0..n {
        assert_eq!(inboxes.requests(i), 1, "inbox {i} got exactly one request");
    }
    inboxes.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
