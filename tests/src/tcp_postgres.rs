//! A PostgreSQL server of a test's own, as an operator runs one: started
//! with `initdb` and `pg_ctl`, listening on 127.0.0.1 over TCP (no Unix
//! socket that Kererū could use), a password required (scram-sha-256), one
//! migrated database. The multi-node tests point every `kereru` process at
//! it with `[database] url`, so nothing of the harness's private cluster or
//! of `kereru serve`'s own cluster is involved. Stopped (`-m immediate`) and
//! removed when dropped.

use crate::{TestDatabase, run_sql, scratch_dir};
use kereru_store::cluster::PostgresBinaries;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const USER: &str = "kereru";
const DATABASE: &str = "kereru";

pub struct TcpPostgres {
    dir: PathBuf,
    pg_ctl: PathBuf,
    /// `postgres://kereru:…@127.0.0.1:PORT/kereru`: what the nodes are given.
    pub url: String,
    pub port: u16,
}

/// Runs `program` as ourselves, or as `nobody` when we are root (PostgreSQL refuses root).
fn command(program: &Path) -> Command {
    let mut cmd = if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "nobody", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    };
    cmd.current_dir("/").stdin(Stdio::null()).env_remove("PGDATA").env_remove("PGPORT");
    cmd
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Gives `path` to `nobody` when we are root, so the server may own its files.
fn give(path: &Path) {
    if !is_root() {
        return;
    }
    let id = |flag: &str| -> u32 {
        let out =
            Command::new("id").args([flag, "nobody"]).output().unwrap_or_else(|e| panic!("id {flag} nobody: {e}"));
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|e| panic!("id {flag} nobody: {e}"))
    };
    std::os::unix::fs::chown(path, Some(id("-u")), Some(id("-g")))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TcpPostgres {
    pub async fn start() -> TcpPostgres {
        let bins = PostgresBinaries::discover().unwrap_or_else(|e| panic!("PostgreSQL binaries: {e}"));
        let dir = scratch_dir("tcp-pg");
        give(&dir);
        let data = dir.join("data");
        let password = format!("pw-{:016x}", rand::random::<u64>());
        let pwfile = dir.join("password");
        std::fs::write(&pwfile, &password).unwrap_or_else(|e| panic!("password file: {e}"));
        give(&pwfile);
        let mut initdb = command(&bins.dir.join("initdb"));
        initdb.arg("-D").arg(&data).args(["-U", USER, "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync"]);
        initdb.arg(format!("--pwfile={}", pwfile.display()));
        run(initdb, "initdb");

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap_or_else(|e| panic!("a free port: {e}"))
            .port();
        // TCP only: no Unix socket directory, so the URL below is the one way in.
        let options = format!("-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories= -c fsync=off");
        let pg_ctl = bins.dir.join("pg_ctl");
        let mut start = command(&pg_ctl);
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]);
        let server =
            TcpPostgres { url: format!("postgres://{USER}:{password}@127.0.0.1:{port}/{DATABASE}"), port, dir, pg_ctl };
        run(start, "pg_ctl start");

        let maintenance = format!("postgres://{USER}:{password}@127.0.0.1:{port}/postgres");
        run_sql(&maintenance, &format!("CREATE DATABASE {DATABASE}")).await;
        kereru_store::pool::run_migrations(&server.url).await.unwrap_or_else(|e| panic!("migrations: {e}"));
        server
    }

    /// The migrated database, for the test's own reads and set-up.
    pub fn database(&self) -> TestDatabase {
        TestDatabase { name: DATABASE.into(), url: self.url.clone() }
    }
}

impl Drop for TcpPostgres {
    fn drop(&mut self) {
        let mut stop = command(&self.pg_ctl);
        stop.arg("-D").arg(self.dir.join("data")).args(["-m", "immediate", "stop"]);
        let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
