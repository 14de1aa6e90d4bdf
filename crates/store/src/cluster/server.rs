//! Running the server: initdb into a side directory renamed into place,
//! `pg_ctl start` on a private socket, status, and stop.

use super::handle::PrivateCluster;
use super::paths::remove_if_present;
use super::{ClusterError, ClusterOptions, MARKER, PG_CTL_TIMEOUT, PORT, Result, SUPERUSER, io_error};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Running,
    Stopped,
}

impl PrivateCluster {
    pub(super) fn ensure_initialized(&self, options: ClusterOptions) -> Result<()> {
        if fs::symlink_metadata(&self.pgdata).is_ok() {
            return if self.pgdata.join(MARKER).is_file() {
                Ok(())
            } else {
                Err(ClusterError::ForeignDataDirectory { dir: self.root.clone() })
            };
        }
        // initdb works in a side directory renamed into place when complete,
        // so a crash or failure never leaves a half-made `pgdata`.
        let partial = self.root.join("pgdata.partial");
        remove_if_present(&partial)?;
        tracing::info!(dir = %self.pgdata.display(), "creating the private PostgreSQL cluster");
        let mut cmd = self.run_as.command(self.bins.initdb());
        cmd.args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "-D"]).arg(&partial);
        if !options.durable {
            cmd.arg("--no-sync");
        }
        let out = cmd.output().map_err(io_error(format!("could not run {}", self.bins.initdb().display())))?;
        if !out.status.success() {
            let _ = remove_if_present(&partial);
            return Err(ClusterError::CommandFailed { what: "initdb".to_string(), detail: failure_detail(&out) });
        }
        let marker = partial.join(MARKER);
        let written = fs::write(&marker, "This PostgreSQL cluster was created by Kererū, which starts and stops it.\n")
            .map_err(io_error(format!("could not write {}", marker.display())))
            .and_then(|()| self.run_as.give(&marker))
            .and_then(|()| {
                fs::rename(&partial, &self.pgdata).map_err(io_error(format!("could not rename {}", partial.display())))
            });
        if written.is_err() {
            let _ = remove_if_present(&partial);
        }
        written
    }

    pub(super) fn ensure_running(&self, options: ClusterOptions) -> Result<()> {
        if self.status()? == Status::Running {
            return self.check_ours();
        }
        self.prepare_socket_dir()?;
        tracing::info!(dir = %self.pgdata.display(), "starting the private PostgreSQL server");
        let socket_dir = self.socket_dir.to_str().unwrap_or_default();
        let mut settings = vec![
            "listen_addresses=".to_string(),
            format!("port={PORT}"),
            format!("unix_socket_directories=\"{socket_dir}\""),
        ];
        if !options.durable {
            settings.extend(["fsync=off", "synchronous_commit=off", "full_page_writes=off"].map(String::from));
        }
        let server_options =
            settings.iter().map(|setting| format!("-c {}", sh_quote(setting))).collect::<Vec<_>>().join(" ");
        let log = self.root.join("postgres.log");
        let log_start = fs::metadata(&log).map(|meta| meta.len()).unwrap_or(0);
        let out = self
            .run_as
            .command(self.bins.pg_ctl())
            .args(["start", "-w", "-t", PG_CTL_TIMEOUT, "-D"])
            .arg(&self.pgdata)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(server_options)
            .output()
            .map_err(io_error(format!("could not run {}", self.bins.pg_ctl().display())))?;
        if out.status.success() {
            return Ok(());
        }
        // Someone else may have started it meanwhile; that is just as good.
        if self.status()? == Status::Running {
            return self.check_ours();
        }
        let detail = match server_messages(&log, log_start) {
            Some(messages) => format!("{messages} (see {})", log.display()),
            None => failure_detail(&out),
        };
        Err(ClusterError::CommandFailed { what: "starting PostgreSQL".to_string(), detail })
    }

    /// Only we may connect (trust auth): the socket directory is private.
    fn prepare_socket_dir(&self) -> Result<()> {
        match fs::create_dir(&self.socket_dir) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(io_error(format!("could not create {}", self.socket_dir.display()))(error)),
        }
        fs::set_permissions(&self.socket_dir, fs::Permissions::from_mode(0o700))
            .map_err(io_error(format!("could not set permissions of {}", self.socket_dir.display())))?;
        self.run_as.give(&self.socket_dir)
    }

    /// `pg_ctl status` exits 0 when running and 3 when not.
    fn status(&self) -> Result<Status> {
        let out = self
            .run_as
            .command(self.bins.pg_ctl())
            .arg("status")
            .arg("-D")
            .arg(&self.pgdata)
            .output()
            .map_err(io_error(format!("could not run {}", self.bins.pg_ctl().display())))?;
        match out.status.code() {
            Some(0) => Ok(Status::Running),
            Some(3) => Ok(Status::Stopped),
            _ => Err(ClusterError::CommandFailed { what: "pg_ctl status".to_string(), detail: failure_detail(&out) }),
        }
    }

    /// A running server is ours only if it listens where we connect; lines 4
    /// and 5 of `postmaster.pid` are its port and first socket directory.
    fn check_ours(&self) -> Result<()> {
        let pid_file = self.pgdata.join("postmaster.pid");
        let text = fs::read_to_string(&pid_file).map_err(io_error(format!("could not read {}", pid_file.display())))?;
        let lines: Vec<&str> = text.lines().collect();
        let line = |n: usize| lines.get(n).map(|line| line.trim()).unwrap_or_default();
        if line(3) == PORT && Path::new(line(4)) == self.socket_dir {
            return Ok(());
        }
        Err(ClusterError::InUse {
            data_dir: self.pgdata.clone(),
            socket_dir: self.socket_dir.clone(),
            pid: line(0).to_string(),
        })
    }

    pub(super) fn stop(&self) -> Result<()> {
        tracing::info!(dir = %self.pgdata.display(), "stopping the private PostgreSQL server");
        let out = self
            .run_as
            .command(self.bins.pg_ctl())
            .args(["stop", "-m", "fast", "-w", "-t", PG_CTL_TIMEOUT, "-D"])
            .arg(&self.pgdata)
            .output()
            .map_err(io_error(format!("could not run {}", self.bins.pg_ctl().display())))?;
        // pg_ctl stop exits 1 both when the server was not running and on timeout.
        if out.status.success() || self.status()? == Status::Stopped {
            return Ok(());
        }
        Err(ClusterError::CommandFailed { what: "stopping PostgreSQL".to_string(), detail: failure_detail(&out) })
    }
}

/// Quotes one word for the shell that pg_ctl passes `-o` through.
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The last non-empty line of a command's output or a log: the one that
/// usually says what went wrong.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines().map(str::trim).rfind(|line| !line.is_empty()).unwrap_or("no output").to_string()
}

/// What the server logged after `offset` (this start attempt), without
/// timestamps: its last few messages on one line.
fn server_messages(log: &Path, offset: u64) -> Option<String> {
    let bytes = fs::read(log).ok()?;
    let new = bytes.get(usize::try_from(offset).ok()?..)?;
    let text = String::from_utf8_lossy(new);
    let messages: Vec<&str> = text
        .lines()
        .map(|line| {
            ["PANIC:", "FATAL:", "ERROR:", "WARNING:", "LOG:", "DETAIL:", "HINT:"]
                .iter()
                .find_map(|severity| line.find(severity).map(|at| &line[at + severity.len()..]))
                .unwrap_or(line)
                .trim()
        })
        .filter(|message| !message.is_empty())
        .collect();
    let tail = &messages[messages.len().saturating_sub(3)..];
    (!tail.is_empty()).then(|| tail.join("; "))
}

fn failure_detail(out: &Output) -> String {
    let stderr = last_line(&out.stderr);
    if stderr != "no output" { stderr } else { format!("{} ({})", last_line(&out.stdout), out.status) }
}
