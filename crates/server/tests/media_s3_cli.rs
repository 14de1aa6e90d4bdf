//! `kereru serve` with `[media] store = "s3"` against a real S3-compatible
//! server (s3s-fs, `kereru_tests::s3`): it starts when the bucket answers,
//! and refuses to start, saying why, when it does not (a wrong key).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_tests::s3::{ACCESS_KEY, BUCKET, S3Server};
use kereru_tests::{fresh_database, scratch_dir};
use std::process::Command;

mod common;

use common::*;

fn with_s3(mut command: Command, s3: &S3Server, secret: &str) -> Command {
    command
        .env("KERERU_MEDIA__STORE", "s3")
        .env("KERERU_MEDIA__BUCKET", BUCKET)
        .env("KERERU_MEDIA__ENDPOINT", &s3.endpoint)
        .env("KERERU_MEDIA__ACCESS_KEY_ID", ACCESS_KEY)
        .env("KERERU_MEDIA__SECRET_ACCESS_KEY", secret);
    command
}

#[tokio::test]
async fn serve_checks_the_bucket_at_start() {
    let s3 = S3Server::start().await;
    let db = fresh_database().await;
    let data = scratch_dir("media-s3-cli");
    let cmd = || kereru(&data, Some(&db.url));

    let refused = run(with_s3(cmd(), &s3, "not-the-secret"), &["serve", "--http", "127.0.0.1:0"], "");
    assert!(!refused.success, "serve started with a wrong secret: {}", refused.stdout);
    assert!(refused.stderr.contains("[media] cannot reach the S3 bucket"), "{}", refused.stderr);

    let served = Served::start(with_s3(cmd(), &s3, kereru_tests::s3::SECRET_KEY));
    assert!(served.terminate(), "serve on S3 stops cleanly on SIGTERM");
}
