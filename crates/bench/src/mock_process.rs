//! The fan-out benchmark's mock inboxes in a child process of their own,
//! so the benchmark's memory and CPU figures are Kererū's alone.
//!
//! The child (`kereru-bench mock-inboxes ...`) prints `resolve HOST ADDR`
//! lines and `ready`, then answers each `status` line on stdin with one
//! line of figures, until `quit` or end of input.

use kereru_tests::inbox::{Answer, MockInboxes};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Whether host `i` fails its first request: a fixed, well-spread choice.
fn fails_first(i: usize, rate: f64) -> bool {
    let spread = (i as u64).wrapping_mul(2_654_435_761) % 10_000;
    (spread as f64) < rate.clamp(0.0, 1.0) * 10_000.0
}

fn unix_ms(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// The child: runs `n` mock inboxes trusting one key, answers `status`.
pub async fn serve(n: usize, latency_ms: u64, fail_rate: f64, key_id: String, pem_file: String) -> anyhow::Result<()> {
    let latency = Duration::from_millis(latency_ms);
    let mocks = MockInboxes::start(
        n,
        16,
        1,
        Arc::new(move |i, before| {
            if before == 0 && fails_first(i, fail_rate) {
                Answer::status(500)
            } else {
                Answer::status(202).after(latency)
            }
        }),
    );
    mocks.trust(&key_id, &std::fs::read_to_string(&pem_file)?);
    let (since, since_wall) = (Instant::now(), SystemTime::now());
    let mut out = tokio::io::stdout();
    let mut listing = String::new();
    for (host, addr) in &mocks.resolve {
        listing.push_str(&format!("resolve {host} {addr}\n"));
    }
    listing.push_str("ready\n");
    out.write_all(listing.as_bytes()).await?;
    out.flush().await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim() != "status" {
            break;
        }
        let verified = (0..n)
            .filter(|&i| {
                let c = mocks.counts(i);
                c.accepted.load(Ordering::SeqCst) > 0
                    && c.verified.load(Ordering::SeqCst) == c.requests.load(Ordering::SeqCst)
            })
            .count();
        let last_ms = mocks.last_accepted().map_or(0, |last| unix_ms(since_wall + last.duration_since(since)));
        let reply = format!(
            "accepted={} verified={verified} bad={} last_ms={last_ms} rss_mb={:.1} cpu_s={:.2}\n",
            mocks.hosts_accepted(),
            mocks.bad_signatures(),
            crate::proc_status_mb("self", "VmHWM:"),
            crate::cpu_seconds_of("self"),
        );
        out.write_all(reply.as_bytes()).await?;
        out.flush().await?;
    }
    mocks.stop().await;
    Ok(())
}

/// What the mock inboxes report.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub accepted: usize,
    pub verified: usize,
    pub bad_signatures: u64,
    /// When the last host accepted, Unix milliseconds (0: none yet).
    pub last_ms: u128,
    pub peak_rss_mb: f64,
    pub cpu_seconds: f64,
}

pub struct MockProcess {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    pub resolve: HashMap<String, SocketAddr>,
}

impl MockProcess {
    pub async fn start(
        n: usize,
        latency_ms: u64,
        fail_rate: f64,
        key_id: &str,
        pem_file: &str,
    ) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["mock-inboxes", "--inboxes", &n.to_string(), "--latency-ms", &latency_ms.to_string()])
            .args(["--fail-rate", &fail_rate.to_string(), "--key-id", key_id, "--pem-file", pem_file])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow::anyhow!("no stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let mut resolve = HashMap::new();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
                .await
                .map_err(|_| anyhow::anyhow!("the mock inboxes did not start within 120 s"))??
                .ok_or_else(|| anyhow::anyhow!("the mock inboxes exited"))?;
            if line == "ready" {
                break;
            }
            if let Some(rest) = line.strip_prefix("resolve ")
                && let Some((host, addr)) = rest.split_once(' ')
            {
                resolve.insert(host.to_string(), addr.parse()?);
            }
        }
        Ok(MockProcess { child, stdin, lines, resolve })
    }

    pub async fn figures(&mut self) -> anyhow::Result<Figures> {
        self.stdin.write_all(b"status\n").await?;
        self.stdin.flush().await?;
        let line = self.lines.next_line().await?.ok_or_else(|| anyhow::anyhow!("the mock inboxes exited"))?;
        let mut figures = Figures::default();
        for pair in line.split_whitespace() {
            let Some((key, value)) = pair.split_once('=') else { continue };
            match key {
                "accepted" => figures.accepted = value.parse()?,
                "verified" => figures.verified = value.parse()?,
                "bad" => figures.bad_signatures = value.parse()?,
                "last_ms" => figures.last_ms = value.parse()?,
                "rss_mb" => figures.peak_rss_mb = value.parse()?,
                "cpu_s" => figures.cpu_seconds = value.parse()?,
                _ => {}
            }
        }
        Ok(figures)
    }

    pub async fn stop(mut self) {
        let _ = self.stdin.write_all(b"quit\n").await;
        drop(self.stdin);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}
