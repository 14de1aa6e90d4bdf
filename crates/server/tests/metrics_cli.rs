//! `kereru serve` with `[metrics] listen` and `[log] format = "json"`: the
//! metrics listener answers apart from the public one, and each request's log
//! lines are JSON objects carrying its host and request id.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::{fresh_database, install_crypto_provider, scratch_dir};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn serve_opens_the_metrics_listener_and_logs_requests_as_json() {
    let db = fresh_database().await;
    let data = scratch_dir("metrics-cli");
    ok(kereru(&data, Some(&db.url)), &["domain", "add", "a.test"], "");
    let log_path = data.join("serve.log");
    let mut command = kereru(&data, Some(&db.url));
    command
        .env("KERERU_METRICS__LISTEN", "127.0.0.1:0")
        .env("KERERU_LOG__FORMAT", "json")
        .env("KERERU_LOG__FILTER", "kereru_web::observe=debug,warn")
        .args(["serve", "--http", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = sender.send(line);
        }
    });
    let (mut metrics, mut http) = (None, None);
    while metrics.is_none() || http.is_none() {
        let line = receiver.recv_timeout(Duration::from_secs(120)).expect("kereru serve starts within 120 s");
        if let Some(addr) = line.strip_prefix("kereru metrics on http://") {
            metrics = Some(addr.to_string());
        }
        if let Some(addr) = line.strip_prefix("kereru listening on http://") {
            http = Some(addr.parse::<std::net::SocketAddr>().unwrap());
        }
    }
    let (metrics, http) = (metrics.unwrap(), http.unwrap());
    install_crypto_provider();
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = reqwest::Client::builder().no_proxy().resolve("a.test", http).build().unwrap();

    let answered =
        client.get("http://a.test/api/v1/instance").header("X-Request-Id", "trace-me-1").send().await.unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(answered.headers()["x-request-id"], "trace-me-1");
    assert_eq!(plain.get(format!("http://{metrics}/ready")).send().await.unwrap().status(), 200);
    let scrape = plain.get(format!("http://{metrics}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        scrape.contains(r#"kereru_http_requests_total{method="GET",route="/api/v1/instance",status="200"} 1"#),
        "{scrape}"
    );
    // Metrics are not on the public listener.
    assert_eq!(client.get("http://a.test/metrics").send().await.unwrap().status(), 404);

    // The request's log line: JSON, with its tenant and id.
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let log = std::fs::read_to_string(&log_path).unwrap();
        if let Some(line) = log.lines().find(|line| line.contains("trace-me-1")) {
            break line.to_string();
        }
        assert!(Instant::now() < deadline, "no log line for the request:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let logged: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(logged["span"]["request_id"], "trace-me-1", "{logged}");
    assert_eq!(logged["span"]["host"], "a.test", "{logged}");
    assert_eq!(logged["fields"]["route"], "/api/v1/instance", "{logged}");

    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
}

#[test]
fn a_bad_metrics_address_or_log_format_is_refused_in_one_line() {
    let data = scratch_dir("metrics-cli-bad");
    let mut command = kereru(&data, None);
    command.env("KERERU_METRICS__LISTEN", "everywhere");
    fails(command, &["serve"], "", "metrics.listen must be an address");
    let mut command = kereru(&data, None);
    command.env("KERERU_LOG__FORMAT", "xml");
    fails(command, &["serve"], "", "log.format must be");
}
