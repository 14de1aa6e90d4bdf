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
    let (inboxes, sender) = setup_with(db, n, Arc::new(move |_, _| Answer::status(202).after(latency))).await;
    enqueue(db, &sender, 1, n).await;
    inboxes
}

/// The sending account and its actor URL.
struct Sender {
    account: kereru_store::ids::AccountId,
    actor: String,
}

/// Queues activity `number` of `sender` to the first `n` mock inboxes.
async fn enqueue(db: &TestDatabase, sender: &Sender, number: u32, n: usize) {
    let mut conn = db.pool().get().await.unwrap();
    let actor = &sender.actor;
    let id = format!("{actor}/statuses/{number}/activity");
    let activity =
        serde_json::json!({"id": id, "type": "Create", "actor": actor, "object": {"type": "Note", "content": "hi"}});
    let targets: Vec<Url> = (0..n).map(|i| Url::parse(&MockInboxes::inbox(i)).unwrap()).collect();
    let queued = queue::enqueue(&mut conn, sender.account, &id, &activity, &targets).await.unwrap();
    assert_eq!(queued.queued, n);
}

/// Creates a sender and `n` mock inboxes answering as `behaviour` says.
async fn setup_with(db: &TestDatabase, n: usize, behaviour: kereru_tests::inbox::Behaviour) -> (MockInboxes, Sender) {
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
            role: kereru_store::roles::Role::User,
            approved: true,
            signup_reason: None,
            locale: None,
        },
    )
    .await
    .unwrap();
    let urls = domain.urls(Scheme::Http);
    let inboxes = MockInboxes::start(n, 8, 2, behaviour);
    inboxes.trust(&urls.actor_key_id("alice"), &account.public_key_pem);
    (inboxes, Sender { account: account.id, actor: urls.actor("alice") })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_stats_reports_what_the_queue_holds() {
    let db = fresh_database().await;
    // Inboxes 0-3 accept, 4-5 refuse for good (404), 6-8 fail (500, retried
    // in minutes), 9-11 answer only after a minute (in flight, leased).
    let behaviour: kereru_tests::inbox::Behaviour = Arc::new(|i, _| match i {
        0..=3 => Answer::status(202),
        4..=5 => Answer::status(404),
        6..=8 => Answer::status(500),
        _ => Answer::status(202).after(Duration::from_secs(60)),
    });
    let (inboxes, sender) = setup_with(&db, 12, behaviour).await;
    enqueue(&db, &sender, 1, 12).await;
    let dir = scratch_dir("queue-stats");
    let config = dir.join("kereru.toml");
    let mut file = std::fs::File::create(&config).unwrap();
    writeln!(
        file,
        "[delivery]\nconcurrency = 16\nper_host = 2\npoll_interval_ms = 20\nlease_seconds = 300\nretry_base_ms = 600000\n\
         stats_interval_seconds = 0\n\n[federation]\nallow_private_addresses = true\n\n[federation.resolve]"
    )
    .unwrap();
    for (host, addr) in &inboxes.resolve {
        writeln!(file, "\"{host}\" = \"{addr}\"").unwrap();
    }
    drop(file);
    let mut child = worker(&dir, &config, &db);
    let expected = queue::Totals { queued: 0, in_flight: 3, retrying: 3, done: 4, given_up: 2 };
    let settled = wait_for(Duration::from_secs(60), || async { totals(&db).await == expected }).await;
    // Killed, the worker changes nothing more: its leases hold for five minutes.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(settled, "{:?}", totals(&db).await);
    // A second post to five of them, not tried yet.
    enqueue(&db, &sender, 2, 5).await;

    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .args(["queue", "stats", "--hosts", "20"])
        .env("KERERU_DATABASE__URL", &db.url)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{printed}{}", String::from_utf8_lossy(&output.stderr));
    for line in ["queued     5", "in flight  3", "retrying   3", "done       4", "given up   2"] {
        assert!(printed.lines().any(|l| l == line), "no {line:?} in:\n{printed}");
    }
    assert_eq!(printed.lines().last(), Some("queue queued=5 in_flight=3 retrying=3 done=4 given_up=2"), "{printed}");
    // Per host: every host but the four that only accepted still has something to show.
    let host_line = |i: usize| {
        let host = MockInboxes::host(i);
        printed
            .lines()
            .find(|l| l.split_whitespace().next() == Some(host.as_str()))
            .map(|l| l.split_whitespace().skip(1).take(5).map(|n| n.parse::<i64>().unwrap_or(-1)).collect::<Vec<i64>>())
    };
    // Columns: pending, in flight, retrying, given up, failures.
    assert_eq!(host_line(0), Some(vec![1, 0, 0, 0, 0]), "{printed}");
    assert_eq!(host_line(4), Some(vec![1, 0, 0, 1, 0]), "{printed}");
    assert_eq!(host_line(6), Some(vec![1, 0, 1, 0, 1]), "{printed}");
    assert_eq!(host_line(9), Some(vec![1, 1, 0, 0, 0]), "{printed}");
    assert_eq!(host_line(10), Some(vec![1, 1, 0, 0, 0]), "{printed}");
    assert_eq!(host_line(11), Some(vec![1, 1, 0, 0, 0]), "{printed}");
    assert_eq!(host_line(7).map(|f| f[2]), Some(1), "{printed}");
    assert!(printed.contains("last error: the inbox answered 500"), "{printed}");
    inboxes.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
