//! The outbound delivery queue against mock inboxes on loopback that
//! verify every signature: fan-out, answers (backoff, Retry-After, 410,
//! final 4xx, redirects), hosts that misbehave, the circuit breaker, the
//! retry horizon, and two workers sharing one queue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kereru_delivery::http::{FetchSettings, Fetcher, Url};
use kereru_delivery::queue;
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_store::accounts::Account;
use kereru_store::schema::{deliveries, delivery_hosts, gone_inboxes};
use kereru_tests::inbox::{Answer, Behaviour, MockInboxes, RawKind, RawPeer};
use kereru_tests::{TestDatabase, World, install_crypto_provider};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 64,
        per_host: 4,
        batch: 64,
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        horizon: Duration::from_secs(3600),
        host_failure_threshold: 1000,
        stats_interval: Duration::ZERO,
        keep_finished: Duration::ZERO,
        prune_interval: Duration::ZERO,
    }
}

fn fetcher(resolve: HashMap<String, SocketAddr>, timeout: Duration) -> Arc<Fetcher> {
    install_crypto_provider();
    Arc::new(
        Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve,
            timeout,
            connect_timeout: Duration::from_secs(2),
            ..FetchSettings::default()
        })
        .unwrap(),
    )
}

struct Sender {
    db: TestDatabase,
    account: Account,
    actor: String,
    key_id: String,
}

async fn sender() -> Sender {
    let seeded = World::new().tenant("home.test").user("home.test", "alice").seed().await;
    let urls = seeded.domain("home.test").urls(kereru_core::Scheme::Http);
    let (actor, key_id) = (urls.actor("alice"), urls.actor_key_id("alice"));
    let account = seeded.account("home.test", "alice").clone();
    Sender { actor, key_id, account, db: seeded.database }
}

fn activity(sender: &Sender, n: u32) -> serde_json::Value {
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/statuses/{n}/activity", sender.actor),
        "type": "Create",
        "actor": sender.actor,
        "object": {"type": "Note", "content": format!("hello {n}")},
    })
}

async fn enqueue(sender: &Sender, n: u32, inboxes: &[String]) -> queue::Enqueued {
    let mut conn = sender.db.pool().get().await.unwrap();
    let urls: Vec<Url> = inboxes.iter().map(|i| Url::parse(i).unwrap()).collect();
    let activity = activity(sender, n);
    let id = activity["id"].as_str().unwrap().to_string();
    queue::enqueue(&mut conn, sender.account.id, &id, &activity, &urls).await.unwrap()
}

async fn totals(db: &TestDatabase) -> queue::Totals {
    let mut conn = db.pool().get().await.unwrap();
    queue::stats(&mut conn, 10).await.unwrap().totals
}

/// Polls `check` every 20 ms until it holds or `limit` passes.
async fn wait_for<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs a worker until the returned sender is dropped or sent to.
fn spawn_worker(
    db: &TestDatabase,
    fetcher: Arc<Fetcher>,
    settings: WorkerSettings,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let worker = Worker::new(db.pool(), fetcher, settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    (stop, task)
}

async fn row_state(db: &TestDatabase, inbox: &str) -> (String, i32, Option<String>) {
    let mut conn = db.pool().get().await.unwrap();
    deliveries::table
        .filter(deliveries::inbox.eq(inbox))
        .select((deliveries::state, deliveries::attempts, deliveries::last_error))
        .first(&mut conn)
        .await
        .unwrap()
}

fn always(status: u16) -> Behaviour {
    Arc::new(move |_, _| Answer::status(status))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fans_out_once_per_distinct_inbox_with_verified_signatures() {
    let sender = sender().await;
    let inboxes = MockInboxes::start(30, 4, 1, always(202));
    inboxes.trust(&sender.key_id, &sender.account.public_key_pem);
    let mut targets: Vec<String> = (0..30).map(MockInboxes::inbox).collect();
    targets.push(MockInboxes::inbox(3));
    targets.push("http://inbox-4.test/inbox#fragment".into());
    targets.push("ftp://inbox-5.test/inbox".into());
    targets.push("http://user:pw@inbox-6.test/inbox".into());
    let enqueued = enqueue(&sender, 1, &targets).await;
    assert_eq!(enqueued.queued, 30, "duplicates collapse into one delivery");
    assert_eq!(enqueued.refused, 2, "non-http and credentialed URLs are refused");
    assert_eq!(totals(&sender.db).await.queued, 30);

    let (stop, task) = spawn_worker(&sender.db, fetcher(inboxes.resolve.clone(), Duration::from_secs(5)), settings());
    let db = sender.db.clone();
    assert!(
        wait_for(Duration::from_secs(20), || async { totals(&db).await.done == 30 }).await,
        "{:?}",
        totals(&db).await
    );
    for i in 0..30 {
        assert_eq!(inboxes.requests(i), 1, "inbox {i} got exactly one request");
        assert_eq!(
            AtomicU64::load(&inboxes.counts(i).verified, Ordering::SeqCst),
            1,
            "inbox {i} verified the signature"
        );
    }
    assert_eq!(inboxes.bad_signatures(), 0);
    let after = totals(&sender.db).await;
    assert_eq!((after.queued, after.in_flight, after.retrying, after.given_up), (0, 0, 0, 0));
    drop(stop);
    task.await.unwrap();
    inboxes.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_commits_or_rolls_back_with_the_callers_transaction() {
    let sender = sender().await;
    let mut conn = sender.db.pool().get().await.unwrap();
    let activity = activity(&sender, 1);
    let inbox = [Url::parse("https://peer.test/inbox").unwrap()];
    let account = sender.account.id;
    let result = conn
        .transaction(async |conn| -> Result<(), diesel::result::Error> {
            let done = queue::enqueue(conn, account, "x", &activity, &inbox).await.unwrap();
            assert_eq!(done.queued, 1);
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(result.is_err());
    assert_eq!(totals(&sender.db).await, queue::Totals::default(), "the rollback took the queued row with it");
    let no_actor = serde_json::json!({"type": "Create"});
    assert!(matches!(
        queue::enqueue(&mut conn, account, "x", &no_actor, &inbox).await,
        Err(queue::QueueError::NoActor)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_decide_retry_gone_or_final() {
    let sender = sender().await;
    // 0: 500 then 202; 1: 429 Retry-After 1 then 202; 2: 410; 3: 404;
    // 4: redirect to itself; 5: 503 Retry-After 1 then 202; 6: accepts.
    let behaviour: Behaviour = Arc::new(|host, before| match (host, before) {
        (0, 0) => Answer::status(500),
        (1, 0) => Answer::status(429).retry_after("1"),
        (2, _) => Answer::status(410),
        (3, _) => Answer::status(404),
        (4, _) => Answer::status(302).location("http://inbox-4.test/inbox"),
        (5, 0) => Answer::status(503).retry_after("1"),
        _ => Answer::status(202),
    });
    let inboxes = MockInboxes::start(7, 2, 1, behaviour);
    inboxes.trust(&sender.key_id, &sender.account.public_key_pem);
    let targets: Vec<String> = (0..7).map(MockInboxes::inbox).collect();
    enqueue(&sender, 1, &targets).await;
    let started = Instant::now();
    let (stop, task) = spawn_worker(&sender.db, fetcher(inboxes.resolve.clone(), Duration::from_secs(5)), settings());
    let db = sender.db.clone();
    assert!(
        wait_for(Duration::from_secs(20), || async {
            let t = totals(&db).await;
            t.done == 4 && t.given_up == 3
        })
        .await,
        "{:?}",
        totals(&db).await
    );
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    assert_eq!(row_state(&db, &MockInboxes::inbox(0)).await.0, "done");
    assert_eq!(row_state(&db, &MockInboxes::inbox(0)).await.1, 2, "retried once after the 500");
    assert_eq!(inboxes.requests(0), 2);
    assert_eq!(inboxes.requests(1), 2);
    assert_eq!(inboxes.requests(5), 2);
    for (host, reason) in [(2, "gone"), (3, "404"), (4, "302")] {
        let (state, attempts, error) = row_state(&db, &MockInboxes::inbox(host)).await;
        assert_eq!((state.as_str(), attempts), ("given_up", 1), "host {host}");
        assert!(error.as_deref().is_some_and(|e| e.contains(reason)), "host {host}: {error:?}");
        assert_eq!(inboxes.requests(host), 1, "a final answer is not retried (host {host})");
    }
    let mut conn = db.pool().get().await.unwrap();
    let gone: Vec<String> = gone_inboxes::table.select(gone_inboxes::inbox).load(&mut conn).await.unwrap();
    assert_eq!(gone, vec![MockInboxes::inbox(2)]);
    // Nothing more is queued for an inbox that is gone.
    let again = enqueue(&sender, 2, &[MockInboxes::inbox(2), MockInboxes::inbox(6)]).await;
    assert_eq!((again.queued, again.gone), (1, 1));
    drop(stop);
    task.await.unwrap();
    inboxes.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_hosts_never_stall_the_others() {
    let sender = sender().await;
    // Host 0 answers after 10 s (past the 3 s timeout); the rest after 50 ms.
    let behaviour: Behaviour = Arc::new(|host, _| {
        Answer::status(202).after(if host == 0 { Duration::from_secs(10) } else { Duration::from_millis(50) })
    });
    let inboxes = MockInboxes::start(41, 4, 2, behaviour);
    inboxes.trust(&sender.key_id, &sender.account.public_key_pem);
    let silent = RawPeer::start(RawKind::Silent).await;
    let garbage = RawPeer::start(RawKind::Garbage).await;
    let refusing = RawPeer::start(RawKind::Refusing).await;
    let mut resolve = inboxes.resolve.clone();
    resolve.insert("silent.test".into(), silent.addr);
    resolve.insert("garbage.test".into(), garbage.addr);
    resolve.insert("refusing.test".into(), refusing.addr);
    // Several deliveries each for the bad hosts: they could fill every slot
    // if the per-host cap did not hold them back.
    for n in 0..4 {
        let bad: Vec<String> = ["silent", "garbage", "refusing"]
            .iter()
            .map(|h| format!("http://{h}.test/users/u{n}/inbox"))
            .chain([format!("http://inbox-0.test/users/u{n}/inbox")])
            .collect();
        enqueue(&sender, 100 + n, &bad).await;
    }
    let good: Vec<String> = (1..41).map(MockInboxes::inbox).collect();
    enqueue(&sender, 1, &good).await;
    let worker_settings = WorkerSettings { concurrency: 12, per_host: 2, batch: 12, ..settings() };
    let started = Instant::now();
    let (stop, task) = spawn_worker(&sender.db, fetcher(resolve, Duration::from_secs(3)), worker_settings);
    assert!(
        wait_for(Duration::from_secs(20), || async { (1..41).all(|i| inboxes.accepted(i) == 1) }).await,
        "every well-behaved host got its delivery"
    );
    let elapsed = started.elapsed();
    // 40 deliveries of 50 ms through 12 slots, 8 of them possibly held by
    // the bad hosts for their 3 s timeout: well under that timeout if
    // nothing waits on them.
    assert!(elapsed < Duration::from_millis(2900), "the good hosts waited on the bad ones: {elapsed:?}");
    assert_eq!(inboxes.accepted(0), 0, "the slow host had not answered yet");
    // The bad hosts' rows are retried later, not lost, and none is done.
    let db = sender.db.clone();
    assert!(
        wait_for(Duration::from_secs(10), || async { totals(&db).await.retrying >= 8 }).await,
        "{:?}",
        totals(&db).await
    );
    assert!(
        AtomicU64::load(&silent.connections, Ordering::SeqCst) >= 1
            && AtomicU64::load(&garbage.connections, Ordering::SeqCst) >= 1
    );
    let t = totals(&db).await;
    assert_eq!(t.done, 40);
    drop(stop);
    task.await.unwrap();
    inboxes.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_host_is_paused_then_resumes_and_old_rows_are_given_up() {
    let sender = sender().await;
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    let behaviour: Behaviour =
        Arc::new(move |_, _| Answer::status(if AtomicBool::load(&flag, Ordering::SeqCst) { 202 } else { 500 }));
    let inboxes = MockInboxes::start(1, 1, 1, behaviour);
    inboxes.trust(&sender.key_id, &sender.account.public_key_pem);
    let targets: Vec<String> = (0..5).map(|n| format!("http://inbox-0.test/users/u{n}/inbox")).collect();
    enqueue(&sender, 1, &targets).await;
    let worker_settings = WorkerSettings {
        host_failure_threshold: 3,
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_secs(60),
        ..settings()
    };
    let (stop, task) =
        spawn_worker(&sender.db, fetcher(inboxes.resolve.clone(), Duration::from_secs(5)), worker_settings);
    let db = sender.db.clone();
    let paused = || async {
        let mut conn = db.pool().get().await.unwrap();
        delivery_hosts::table
            .find("inbox-0.test")
            .select(delivery_hosts::unavailable_until)
            .first::<Option<chrono::DateTime<chrono::Utc>>>(&mut conn)
            .await
            .optional()
            .unwrap()
            .flatten()
            .is_some()
    };
    assert!(wait_for(Duration::from_secs(10), paused).await, "the host was marked unavailable");
    let t = totals(&db).await;
    assert_eq!((t.done, t.given_up), (0, 0), "its deliveries wait, none is dropped: {t:?}");
    healthy.store(true, Ordering::SeqCst);
    assert!(
        wait_for(Duration::from_secs(30), || async { totals(&db).await.done == 5 }).await,
        "{:?}",
        totals(&db).await
    );
    assert!(!paused().await, "the host is available again");
    drop(stop);
    task.await.unwrap();

    // A row whose retry would pass the horizon is given up, with the reason.
    healthy.store(false, Ordering::SeqCst);
    enqueue(&sender, 2, &["http://inbox-0.test/late".to_string()]).await;
    let short = WorkerSettings { horizon: Duration::from_millis(300), ..settings() };
    let (stop, task) = spawn_worker(&sender.db, fetcher(inboxes.resolve.clone(), Duration::from_secs(5)), short);
    assert!(
        wait_for(Duration::from_secs(10), || async {
            row_state(&db, "http://inbox-0.test/late").await.0 == "given_up"
        })
        .await
    );
    let (_, attempts, error) = row_state(&db, "http://inbox-0.test/late").await;
    assert!(
        attempts >= 1 && error.as_deref().is_some_and(|e| e.contains("retry horizon") && e.contains("500")),
        "{error:?}"
    );
    drop(stop);
    task.await.unwrap();
    inboxes.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_the_queue_without_double_delivery() {
    let sender = sender().await;
    let behaviour: Behaviour = Arc::new(|_, _| Answer::status(202).after(Duration::from_millis(20)));
    let inboxes = MockInboxes::start(200, 8, 2, behaviour);
    inboxes.trust(&sender.key_id, &sender.account.public_key_pem);
    let targets: Vec<String> = (0..200).map(MockInboxes::inbox).collect();
    enqueue(&sender, 1, &targets).await;
    let small = WorkerSettings { concurrency: 16, batch: 8, ..settings() };
    let one = Worker::new(sender.db.pool(), fetcher(inboxes.resolve.clone(), Duration::from_secs(5)), small.clone());
    let two = Worker::new(sender.db.pool(), fetcher(inboxes.resolve.clone(), Duration::from_secs(5)), small);
    let (counters_one, counters_two) = (Arc::clone(&one.counters), Arc::clone(&two.counters));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for worker in [one, two] {
        let mut stopped = stopped.clone();
        tasks.push(tokio::spawn(worker.run(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })));
    }
    let db = sender.db.clone();
    assert!(
        wait_for(Duration::from_secs(30), || async { totals(&db).await.done == 200 }).await,
        "{:?}",
        totals(&db).await
    );
    for i in 0..200 {
        assert_eq!(inboxes.requests(i), 1, "inbox {i}");
    }
    let (a, b) = (
        AtomicU64::load(&counters_one.delivered, Ordering::SeqCst),
        AtomicU64::load(&counters_two.delivered, Ordering::SeqCst),
    );
    assert_eq!(a + b, 200);
    assert!(a > 0 && b > 0, "both workers took part: {a} and {b}");
    stop.send_replace(true);
    for task in tasks {
        task.await.unwrap();
    }
    inboxes.stop().await;
}

/// Sets rows of the queue as a test needs them (raw SQL: states, ages).
async fn execute(db: &TestDatabase, sql: &str) {
    let mut conn = db.pool().get().await.unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

async fn remaining(db: &TestDatabase) -> (Vec<String>, Vec<String>) {
    use kereru_store::schema::delivery_activities;
    let mut conn = db.pool().get().await.unwrap();
    let mut inboxes: Vec<String> = deliveries::table.select(deliveries::inbox).load(&mut conn).await.unwrap();
    inboxes.sort();
    let mut activities: Vec<String> =
        delivery_activities::table.select(delivery_activities::activity_uri).load(&mut conn).await.unwrap();
    activities.sort();
    (inboxes.into_iter().map(|i| i.rsplit('/').next().unwrap_or_default().to_string()).collect(), activities)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_rows_past_the_retention_are_pruned_in_batches_and_pending_ones_stay() {
    let sender = sender().await;
    let db = sender.db.clone();
    let inbox = |name: &str| format!("https://far.test/inbox/{name}");
    // 1: old and all finished; 2: old, one finished and two still pending;
    // 3: finished an hour ago; 4: an old activity whose one row gave up an hour ago.
    enqueue(&sender, 1, &[inbox("a1"), inbox("a2"), inbox("a3")]).await;
    enqueue(&sender, 2, &[inbox("b1"), inbox("b2"), inbox("b3")]).await;
    enqueue(&sender, 3, &[inbox("c1")]).await;
    enqueue(&sender, 4, &[inbox("d1")]).await;
    let old = "now() - interval '3 days'";
    let recent = "now() - interval '1 hour'";
    for (name, state, finished) in
        [("a1", "done", old), ("a2", "given_up", old), ("a3", "done", old), ("b1", "done", old), ("c1", "done", recent)]
    {
        execute(
            &db,
            &format!(
                "UPDATE deliveries SET state = '{state}', finished_at = {finished} WHERE inbox = '{}'",
                inbox(name)
            ),
        )
        .await;
    }
    execute(
        &db,
        &format!("UPDATE deliveries SET state = 'given_up', finished_at = {recent} WHERE inbox = '{}'", inbox("d1")),
    )
    .await;
    // Still pending, not due for a day: one retrying, one never tried.
    execute(
        &db,
        &format!(
            "UPDATE deliveries SET attempts = 2, next_attempt_at = now() + interval '1 day' WHERE inbox = '{}'",
            inbox("b2")
        ),
    )
    .await;
    execute(
        &db,
        &format!("UPDATE deliveries SET next_attempt_at = now() + interval '1 day' WHERE inbox = '{}'", inbox("b3")),
    )
    .await;
    execute(&db, "UPDATE delivery_activities SET created_at = now() - interval '4 days' WHERE activity_uri NOT LIKE '%/3/activity'").await;
    let keep = Duration::from_secs(48 * 3600);

    // One call deletes at most its batch.
    {
        let mut conn = db.pool().get().await.unwrap();
        let pruned = queue::prune(&mut conn, keep, 2).await.unwrap();
        assert_eq!(pruned, queue::Pruned { deliveries: 2, activities: 0 });
    }
    // The worker prunes the rest on its own, periodically.
    let pruning = WorkerSettings { keep_finished: keep, prune_interval: Duration::from_millis(50), ..settings() };
    let (stop, task) = spawn_worker(&db, fetcher(HashMap::new(), Duration::from_secs(1)), pruning);
    let expected_inboxes: Vec<String> = ["b2", "b3", "c1", "d1"].map(String::from).to_vec();
    let expected_activities: Vec<String> =
        [2, 3, 4].map(|n| format!("{}/statuses/{n}/activity", sender.actor)).to_vec();
    let pruned = wait_for(Duration::from_secs(10), || async {
        remaining(&db).await == (expected_inboxes.clone(), expected_activities.clone())
    })
    .await;
    assert!(pruned, "left: {:?}", remaining(&db).await);
    let figures = totals(&db).await;
    assert_eq!((figures.queued, figures.retrying, figures.done, figures.given_up), (1, 1, 1, 1), "{figures:?}");
    drop(stop);
    task.await.unwrap();
}

/// A fetcher with its own counters, to tell which client sent what.
fn counted_fetcher(resolve: HashMap<String, SocketAddr>) -> (Arc<Fetcher>, Arc<kereru_delivery::http::FetchCounters>) {
    install_crypto_provider();
    let counters = Arc::new(kereru_delivery::http::FetchCounters::default());
    let fetcher = Fetcher::new(&FetchSettings {
        allow_private_addresses: true,
        system_dns: false,
        resolve,
        counters: Arc::clone(&counters),
        ..FetchSettings::default()
    })
    .unwrap();
    (Arc::new(fetcher), counters)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_hosts_get_kept_alive_connections_and_single_deliveries_one_shot_ones() {
    let sender = sender().await;
    let inboxes = MockInboxes::start(4, 2, 1, always(202));
    inboxes.trust(&sender.key_id, &sender.account.public_key_pem);
    // Host 0 has three deliveries at hand (three personal inboxes); hosts 1-3 one each.
    let mut targets: Vec<String> =
        ["a", "b", "c"].iter().map(|name| format!("http://inbox-0.test/users/{name}/inbox")).collect();
    targets.extend((1..4).map(MockInboxes::inbox));
    assert_eq!(enqueue(&sender, 1, &targets).await.queued, 6);
    let (one_shot, one_shot_counts) = counted_fetcher(inboxes.resolve.clone());
    let (keep_alive, keep_alive_counts) = counted_fetcher(inboxes.resolve.clone());
    let worker = Worker::with_clients(sender.db.pool(), one_shot, keep_alive, settings());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let db = sender.db.clone();
    assert!(wait_for(Duration::from_secs(20), || async { totals(&db).await.done == 6 }).await);
    assert_eq!(keep_alive_counts.requests(), 3, "the three deliveries to inbox-0.test share kept-alive connections");
    assert_eq!(one_shot_counts.requests(), 3, "one each to the other hosts, on connections closed after them");
    drop(stop);
    task.await.unwrap();
    inboxes.stop().await;
}
