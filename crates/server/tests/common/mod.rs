//! Running the `kereru` binary from tests: one-shot commands and `serve`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test binary uses a part

use kereru_tests::install_crypto_provider;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kereru");

pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// A `kereru` command on `data_dir`, with the given database URL (none: the private cluster).
pub fn kereru(data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(data_dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("KERERU_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    if let Some(url) = database_url {
        command.env("KERERU_DATABASE__URL", url);
    }
    command
}

pub fn run(mut command: Command, args: &[&str], stdin: &str) -> Output {
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kereru starts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("kereru runs");
    Output {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn ok(command: Command, args: &[&str], stdin: &str) -> String {
    let output = run(command, args, stdin);
    assert!(output.success, "kereru {args:?} failed: {}", output.stderr);
    output.stdout
}

/// Fails, with exactly one line on stderr that says why.
pub fn fails(command: Command, args: &[&str], stdin: &str, reason: &str) {
    let output = run(command, args, stdin);
    assert!(!output.success, "kereru {args:?} succeeded: {}", output.stdout);
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "kereru {args:?} stderr: {:?}", output.stderr);
    assert!(lines[0].starts_with("kereru: "), "{:?}", lines[0]);
    assert!(lines[0].contains(reason), "kereru {args:?}: {:?} does not say {reason:?}", lines[0]);
}

/// `kereru serve` on an ephemeral loopback port; killed when dropped.
pub struct Served {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Served {
    pub fn start(command: Command) -> Served {
        Served::start_listening(command, &["serve", "--http", "127.0.0.1:0"], "kereru listening on http://")
    }

    /// Runs `kereru ARGS` until it prints `prefix` followed by its address.
    pub fn start_listening(command: Command, args: &[&str], prefix: &'static str) -> Served {
        let (child, rest) = Served::start_until(command, args, prefix);
        Served { child, addr: rest.parse().expect("an address") }
    }

    /// Runs `kereru ARGS` until it prints a line starting with `prefix` (a node
    /// without listeners); `addr` is then 127.0.0.1:0.
    pub fn start_printing(command: Command, args: &[&str], prefix: &'static str) -> Served {
        let (child, _) = Served::start_until(command, args, prefix);
        Served { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)) }
    }

    /// The child and the rest of the first line starting with `prefix`.
    fn start_until(mut command: Command, args: &[&str], prefix: &'static str) -> (Child, String) {
        // KERERU_TEST_STDERR=1 shows the servers' logs, for debugging a failing test.
        let stderr = if std::env::var_os("KERERU_TEST_STDERR").is_some() { Stdio::inherit() } else { Stdio::null() };
        let mut child = command.args(args).stdout(Stdio::piped()).stderr(stderr).spawn().expect("kereru serve starts");
        let stdout = child.stdout.take().expect("stdout");
        // The server prints its address once it listens; a reader thread keeps
        // the wait bounded even if it never does.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix(prefix) {
                    let _ = sender.send(addr.to_string());
                }
            }
        });
        match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(rest) => (child, rest),
            Err(_) => {
                let _ = child.kill();
                panic!("kereru serve did not start listening within 120 s");
            }
        }
    }

    /// A stand-in for a process not running (a `true` that has exited), to swap out a stopped one.
    pub fn placeholder() -> Served {
        let mut child = Command::new("true").spawn().expect("true runs");
        let _ = child.wait();
        Served { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)) }
    }

    pub fn client(&self, hosts: &[&str]) -> reqwest::Client {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder().no_proxy();
        for host in hosts {
            builder = builder.resolve(host, self.addr);
        }
        builder.build().expect("client")
    }

    /// SIGTERM, as systemd stops it; returns whether it exited successfully in time.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
