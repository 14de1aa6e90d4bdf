//! Who runs `initdb` and `pg_ctl`: ourselves, or the `postgres` user through
//! `runuser` when we are root (PostgreSQL refuses to run as root).

use super::binaries::is_executable;
use super::{ClusterError, Result, SYSTEM_USER, io_error};
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Who runs initdb and pg_ctl: PostgreSQL refuses to run as root, so as root
/// we switch to the `postgres` user with `runuser`.
#[derive(Debug, Clone)]
pub(super) enum RunAs {
    Myself,
    Postgres { uid: u32, gid: u32, runuser: PathBuf },
}

impl RunAs {
    pub(super) fn detect() -> Result<Self> {
        if effective_uid()? != 0 {
            return Ok(RunAs::Myself);
        }
        let uid = id_of_postgres("-u")?;
        let gid = id_of_postgres("-g")?;
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
            .iter()
            .map(PathBuf::from)
            .find(|path| is_executable(path))
            .ok_or_else(|| ClusterError::NoPostgresUser("`runuser` (util-linux) is not installed".to_string()))?;
        Ok(RunAs::Postgres { uid, gid, runuser })
    }

    /// A command running `program` as the cluster's owner, with a cwd it can
    /// always enter and no PG* variables that would redirect it.
    pub(super) fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = match self {
            RunAs::Myself => Command::new(program),
            RunAs::Postgres { runuser, .. } => {
                let mut cmd = Command::new(runuser);
                cmd.args(["-u", SYSTEM_USER, "--"]).arg(program);
                cmd
            }
        };
        cmd.current_dir("/").stdin(Stdio::null()).env_remove("PGDATA").env_remove("PGPORT");
        cmd
    }

    /// Hands a file or directory we created to the user that runs PostgreSQL.
    pub(super) fn give(&self, path: &Path) -> Result<()> {
        match self {
            RunAs::Myself => Ok(()),
            RunAs::Postgres { uid, gid, .. } => std::os::unix::fs::chown(path, Some(*uid), Some(*gid))
                .map_err(io_error(format!("could not give {} to the postgres user", path.display()))),
        }
    }

    /// As root, the postgres user must be able to reach `root` through all of
    /// its ancestors; name the first one it cannot enter.
    pub(super) fn check_traversable(&self, root: &Path) -> Result<()> {
        if matches!(self, RunAs::Myself) || self.can_enter(root)? {
            return Ok(());
        }
        for dir in root.ancestors().collect::<Vec<_>>().into_iter().rev() {
            if !self.can_enter(dir)? {
                return Err(ClusterError::NotTraversable { dir: dir.to_path_buf() });
            }
        }
        Err(ClusterError::NotTraversable { dir: root.to_path_buf() })
    }

    fn can_enter(&self, dir: &Path) -> Result<bool> {
        let status = self
            .command("test")
            .arg("-x")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io_error("could not run runuser"))?;
        Ok(status.success())
    }
}

/// Reads the effective uid from `/proc/self/status` (no libc, no unsafe).
pub(super) fn effective_uid() -> Result<u32> {
    let status = fs::read_to_string("/proc/self/status").map_err(io_error("could not read /proc/self/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|euid| euid.parse().ok())
        .ok_or_else(|| ClusterError::Io {
            action: "could not read the effective user id".to_string(),
            error: io::Error::new(io::ErrorKind::InvalidData, "no Uid line in /proc/self/status"),
        })
}

/// `id` rather than /etc/passwd so that users from NSS (LDAP, ...) count.
fn id_of_postgres(flag: &str) -> Result<u32> {
    let out = Command::new("id")
        .arg(flag)
        .arg(SYSTEM_USER)
        .stdin(Stdio::null())
        .output()
        .map_err(io_error("could not run `id` to look up the postgres user"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim().parse() {
        Ok(id) if out.status.success() => Ok(id),
        _ => Err(ClusterError::NoPostgresUser("there is no `postgres` user to run PostgreSQL as".to_string())),
    }
}
