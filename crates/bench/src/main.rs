//! `kereru-bench fanout`: one local account with followers on N remote
//! hosts posts once; how long until every inbox has the activity?
//!
//! N mock inbox hosts (`inbox-{i}.test`, in a child process of their own so
//! that memory and CPU figures are Kererū's alone) listen on 16 loopback addresses,
//! each on a port of its own, mapped by the fetcher's resolve table; each
//! verifies every signature for real and answers 202 after the injected
//! latency, except that a `--fail-rate` share of hosts answers 500 the
//! first time. Alice has one follower on each host (a remote account whose
//! shared inbox is that host's), and posts through the service layer, as
//! the client API does: the status, its Create and one delivery per inbox
//! in one transaction. A `Worker` drains the queue, as `kereru serve` /
//! `kereru deliver` do.
//! Database: a throwaway cluster from the test harness. Not a test: it
//! prints figures, ending with one machine-readable line.

mod inbound;
mod media;
mod mock_process;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kereru_core::{HostName, Scheme, Username};
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_delivery::queue;
use kereru_delivery::worker::{Worker, WorkerSettings};
use kereru_service::Actor;
use kereru_service::statuses::{self, NewPost};
use kereru_store::accounts::{self, NewLocalAccount};
use kereru_store::domains::{self, DomainState, NewDomain, Registrations};
use kereru_tests::inbox::MockInboxes;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(name = "kereru-bench", about = "Kererū benchmarks (figures, not tests)")]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Outbound fan-out of one post to N remote inboxes.
    Fanout {
        #[arg(long, default_value_t = 1000)]
        inboxes: usize,
        /// How long each inbox takes to answer.
        #[arg(long, default_value_t = 100)]
        latency_ms: u64,
        /// Share of inboxes that answer 500 the first time.
        #[arg(long, default_value_t = 0.0)]
        fail_rate: f64,
        /// Deliveries in flight ([delivery] concurrency).
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
        /// First retry delay, in milliseconds ([delivery] retry_base_ms; the
        /// default configuration says 30000).
        #[arg(long, default_value_t = 200)]
        retry_base_ms: u64,
        /// How long kept-alive connections to busy hosts stay idle ([delivery] idle_connection_seconds).
        #[arg(long, default_value_t = 30)]
        idle_seconds: u64,
        /// The post carries a 1280×960 image uploaded first into this store
        /// (`local`: a scratch directory; `s3`: a real s3s-fs server on loopback).
        #[arg(long, value_enum)]
        media: Option<media::MediaStoreKind>,
    },
    /// The fan-out's mock inboxes, run by `fanout` as a child process.
    #[command(hide = true)]
    MockInboxes {
        #[arg(long)]
        inboxes: usize,
        #[arg(long)]
        latency_ms: u64,
        #[arg(long)]
        fail_rate: f64,
        #[arg(long)]
        key_id: String,
        #[arg(long)]
        pem_file: String,
    },
    /// Inbound: signed activities per second accepted by the inbox and processed.
    Inbound {
        #[arg(long, default_value_t = 2000)]
        activities: usize,
        /// Remote actors sending them, each with its own key.
        #[arg(long, default_value_t = 50)]
        senders: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Bench::Fanout { inboxes, latency_ms, fail_rate, concurrency, retry_base_ms, idle_seconds, media } => {
            let latency = Duration::from_millis(latency_ms);
            runtime.block_on(fanout(inboxes, latency, fail_rate, concurrency, retry_base_ms, idle_seconds, media))
        }
        Bench::MockInboxes { inboxes, latency_ms, fail_rate, key_id, pem_file } => {
            runtime.block_on(mock_process::serve(inboxes, latency_ms, fail_rate, key_id, pem_file))
        }
        Bench::Inbound { activities, senders } => runtime.block_on(inbound::inbound(activities, senders)),
    }
}

/// CPU seconds (user + system) this process used so far, from /proc
/// (clock ticks at the usual 100 Hz).
pub(crate) fn cpu_seconds() -> f64 {
    cpu_seconds_of("self")
}

/// CPU seconds of process `pid` ("self" for this one).
pub(crate) fn cpu_seconds_of(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return f64::NAN };
    // Fields after the command name (which is in parentheses).
    let Some((_, rest)) = stat.rsplit_once(')') else { return f64::NAN };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after ")".
    (ticks(11) + ticks(12)) / 100.0
}

/// This process's peak resident set size in MiB (VmHWM in /proc/self/status).
fn peak_rss_mb() -> f64 {
    proc_status_mb("self", "VmHWM:")
}

/// A memory figure of /proc/PID/status (given in kB) in MiB.
pub(crate) fn proc_status_mb(pid: &str, field: &str) -> f64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return f64::NAN };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The benchmarks' tenant home.test and its account alice.
pub(crate) async fn home_and_alice(
    conn: &mut diesel_async::AsyncPgConnection,
) -> anyhow::Result<(domains::Domain, accounts::Account)> {
    let domain = domains::create(
        conn,
        NewDomain {
            account_host: HostName::parse("home.test")?,
            service_host: None,
            state: DomainState::Active,
            registrations: Registrations::Open,
            name: None,
            owner_email: None,
        },
    )
    .await?;
    let account = accounts::create_local(
        conn,
        domain.id,
        NewLocalAccount {
            username: Username::parse("alice")?,
            email: "alice@mail.example".into(),
            password: "a long enough password".into(),
            role: kereru_store::roles::Role::User,
            approved: true,
            signup_reason: None,
            locale: None,
        },
    )
    .await?;
    Ok((domain, account))
}

async fn fanout(
    n: usize,
    latency: Duration,
    fail_rate: f64,
    concurrency: usize,
    retry_base_ms: u64,
    idle_seconds: u64,
    media_store: Option<media::MediaStoreKind>,
) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0, "--inboxes must be at least 1");
    let db = kereru_tests::fresh_database().await;
    let pool = kereru_store::pool::connect(&db.url, 16)?;
    let mut conn = pool.get().await?;
    let (domain, account) = home_and_alice(&mut conn).await?;
    let urls = domain.urls(Scheme::Http);

    // The mock inboxes run in a child process: the figures below are this process's, Kererū's.
    let pem_file = std::env::temp_dir().join(format!("kereru-bench-{}.pem", std::process::id()));
    std::fs::write(&pem_file, &account.public_key_pem)?;
    let mut mocks = mock_process::MockProcess::start(
        n,
        latency.as_millis() as u64,
        fail_rate,
        &urls.actor_key_id("alice"),
        &pem_file.to_string_lossy(),
    )
    .await?;
    let _ = std::fs::remove_file(&pem_file);
    kereru_tests::install_crypto_provider();
    let fetch = FetchSettings {
        allow_private_addresses: true,
        system_dns: false,
        resolve: mocks.resolve.clone(),
        ..FetchSettings::default()
    };
    let one_shot = Fetcher::new(&FetchSettings { idle_timeout: Duration::ZERO, ..fetch.clone() })?;
    let keep_alive = Fetcher::new(&FetchSettings { idle_timeout: Duration::from_secs(idle_seconds), ..fetch })?;
    let settings = WorkerSettings {
        concurrency,
        batch: concurrency,
        poll_interval: Duration::from_millis(10),
        retry_base: Duration::from_millis(retry_base_ms),
        stats_interval: Duration::ZERO,
        keep_finished: Duration::ZERO,
        prune_interval: Duration::ZERO,
        ..WorkerSettings::default()
    };
    // As `kereru serve` builds it: one-shot connections for hosts with one delivery, kept-alive ones for busy hosts.
    let worker = Worker::with_clients(pool.clone(), Arc::new(one_shot), Arc::new(keep_alive), settings);
    let counters = Arc::clone(&worker.counters);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker_task = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));

    // N followers, one on each mock host, as accepted Follows leave them:
    // remote accounts whose shared inbox is that host's inbox.
    for i in 0..n {
        let host = format!("inbox-{i}.test");
        let uri = format!("http://{host}/users/follower");
        let follower = accounts::upsert_remote(
            &mut conn,
            &accounts::RemoteActor {
                uri: uri.clone(),
                remote_host: host,
                username: "follower".into(),
                display_name: String::new(),
                summary: String::new(),
                locked: false,
                bot: false,
                discoverable: false,
                public_key_pem: String::new(),
                key_id: Some(format!("{uri}#main-key")),
                url: None,
                inbox_url: Some(format!("{uri}/inbox")),
                shared_inbox_url: Some(MockInboxes::inbox(i)),
                followers_url: None,
                avatar_remote_url: None,
                header_remote_url: None,
            },
        )
        .await?;
        kereru_store::relationships::upsert_follow(
            &mut conn,
            follower.id,
            account.id,
            kereru_store::relationships::FollowState::Accepted,
            true,
            false,
        )
        .await?;
    }
    let store = match media_store {
        Some(kind) => Some(media::open(kind).await?),
        None => None,
    };
    let rss_before = proc_status_mb("self", "VmRSS:");
    let cpu_before = cpu_seconds();
    let started = std::time::SystemTime::now();
    // With --media: the image is uploaded (processed and stored) first, as an app does before posting.
    let (media_ids, upload_s) = match &store {
        Some(store) => {
            let (id, seconds) = media::upload(&pool, &store.store, domain.id, account.id).await?;
            (vec![id], Some(seconds))
        }
        None => (Vec::new(), None),
    };
    let actor = Actor { tenant: &domain, account: &account, scheme: Scheme::Http };
    // The real post path: the status, its Create and one delivery per follower inbox, in one transaction.
    let post = NewPost { text: "Hello, fediverse".into(), media_ids, ..NewPost::default() };
    statuses::post(&mut conn, &actor, post).await?;
    let totals = queue::stats(&mut conn, 0).await?.totals;
    let queued = totals.queued + totals.in_flight + totals.retrying + totals.done + totals.given_up;
    anyhow::ensure!(queued as usize == n, "queued {queued} of {n}");

    let deadline = Instant::now() + Duration::from_secs(600);
    let mut figures = mocks.figures().await?;
    while figures.accepted < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        figures = mocks.figures().await?;
    }
    let started_ms = started.duration_since(std::time::UNIX_EPOCH)?.as_millis();
    let wall = figures.last_ms.saturating_sub(started_ms) as f64 / 1000.0;
    let cpu = cpu_seconds() - cpu_before;
    let _ = stop.send(());
    worker_task.await.context("worker")?;

    let delivered = figures.accepted;
    let verified = figures.verified;
    let retried = counters.retried.load(Ordering::SeqCst);
    let rounds = n.div_ceil(concurrency.max(1)) as f64;
    let ideal = rounds * latency.as_secs_f64();
    let stats = queue::stats(&mut conn, 3).await?;
    println!(
        "inboxes            {n} hosts on 16 loopback addresses, {} ms latency, fail rate {fail_rate}",
        latency.as_millis()
    );
    println!("concurrency        {concurrency} in flight, 8 per host");
    let media_name = match media_store {
        Some(media::MediaStoreKind::Local) => "local",
        Some(media::MediaStoreKind::S3) => "s3",
        None => "none",
    };
    if let Some(seconds) = upload_s {
        println!(
            "media              a 1280x960 PNG on {media_name}: uploaded (processed and stored) in {seconds:.3} s, counted in the wall time"
        );
    }
    println!("wall time          {wall:.3} s from post to last successful delivery");
    println!("deliveries/s       {:.1}", delivered as f64 / wall.max(f64::EPSILON));
    println!(
        "CPU per delivery   {:.3} ms (Kererū's process: queue, worker, signing; the mock inboxes used {:.2} s verifying)",
        cpu * 1000.0 / delivered.max(1) as f64,
        figures.cpu_seconds
    );
    println!("ideal              {ideal:.3} s ({rounds} rounds of {} ms at this concurrency)", latency.as_millis());
    println!("retried            {retried} deliveries needed a retry (retry base {retry_base_ms} ms)");
    println!("bad signatures     {}", figures.bad_signatures);
    println!("queue              {}", stats.totals);
    let rss = peak_rss_mb();
    println!(
        "peak RSS           {rss:.1} MiB (VmHWM of Kererū's process; {rss_before:.1} MiB before the post; the mock inboxes' process: {:.1} MiB)",
        figures.peak_rss_mb
    );
    println!(
        "fanout inboxes={n} delivered={delivered} verified={verified} wall_s={wall:.3} ideal_s={ideal:.3} retried={retried} max_rss_mb={rss:.0}{}",
        if media_store.is_some() { format!(" media={media_name}") } else { String::new() }
    );
    mocks.stop().await;
    Ok(())
}
