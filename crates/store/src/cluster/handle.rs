//! A handle on the private cluster: opening takes a shared `flock` on
//! `kereru.lock` (and, while setting up, an exclusive one on
//! `kereru-setup.lock`); the last handle to close stops the server.

use super::binaries::PostgresBinaries;
use super::paths::{check_not_foreign, check_path, open_lock_file, resolve};
use super::run_as::RunAs;
use super::{ClusterError, ClusterOptions, Result, SUPERUSER, io_error};
use std::fs::{self, File, TryLockError};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Everything except RFC 3986 unreserved characters is escaped, so that `/`,
/// `:` and `,` in a socket path don't split tokio-postgres's host list.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A handle on the private cluster; the server runs while any handle, in any
/// process, is open.
#[derive(Debug)]
pub struct PrivateCluster {
    pub(super) root: PathBuf,
    pub(super) pgdata: PathBuf,
    pub(super) socket_dir: PathBuf,
    pub(super) bins: PostgresBinaries,
    pub(super) run_as: RunAs,
    /// Shared lock on `kereru.lock`; `None` once closed.
    pub(super) usage_lock: Option<File>,
}

impl PrivateCluster {
    /// Opens the durable cluster at `root` (e.g. `<data-dir>/postgres`): creates
    /// it if it doesn't exist and starts the server unless it is running.
    pub fn open(root: &Path, bins: &PostgresBinaries) -> Result<Self, ClusterError> {
        Self::open_with(root, bins, ClusterOptions::default())
    }

    /// [`PrivateCluster::open`] with options. The shared usage lock is taken
    /// before looking at the server, so a last user stopping it can't race us.
    pub fn open_with(root: &Path, bins: &PostgresBinaries, options: ClusterOptions) -> Result<Self, ClusterError> {
        let run_as = RunAs::detect()?;
        Self::open_as(root, bins, options, run_as)
    }

    pub(super) fn open_as(
        root: &Path,
        bins: &PostgresBinaries,
        options: ClusterOptions,
        run_as: RunAs,
    ) -> Result<Self> {
        let root = resolve(root)?;
        check_path(&root)?;
        check_not_foreign(&root)?;

        // Fail before creating anything if an existing ancestor is closed to
        // the postgres user; afterwards, check what we created too.
        let existing = root.ancestors().find(|dir| dir.exists()).unwrap_or(Path::new("/"));
        run_as.check_traversable(existing)?;
        let first_created = root.ancestors().take_while(|dir| !dir.exists()).last().map(Path::to_path_buf);
        fs::create_dir_all(&root).map_err(io_error(format!("could not create {}", root.display())))?;
        if let Err(error) = run_as.give(&root).and_then(|()| run_as.check_traversable(&root)) {
            if let Some(first_created) = first_created {
                for dir in root.ancestors() {
                    let _ = fs::remove_dir(dir);
                    if dir == first_created {
                        break;
                    }
                }
            }
            return Err(error);
        }

        let mut cluster = PrivateCluster {
            pgdata: root.join("pgdata"),
            socket_dir: root.join("run"),
            root,
            bins: bins.clone(),
            run_as,
            usage_lock: None,
        };
        let usage_path = cluster.root.join("kereru.lock");
        let usage = open_lock_file(&usage_path, &cluster.run_as)?;
        // Blocks only while a last user is stopping the server (bounded by pg_ctl -t).
        usage.lock_shared().map_err(io_error(format!("could not lock {}", usage_path.display())))?;

        // Serializes initdb and start between processes opening at the same time.
        let setup_path = cluster.root.join("kereru-setup.lock");
        let setup = open_lock_file(&setup_path, &cluster.run_as)?;
        setup.lock().map_err(io_error(format!("could not lock {}", setup_path.display())))?;
        cluster.ensure_initialized(options)?;
        cluster.ensure_running(options)?;
        drop(setup);

        // Only now: a handle that failed to open must never stop the server.
        cluster.usage_lock = Some(usage);
        Ok(cluster)
    }

    /// Connection string for `database` over the cluster's unix socket, as
    /// tokio-postgres (and libpq) accept it.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@{}/{}",
            percent_encode(self.socket_dir.as_os_str().as_bytes()),
            percent_encode(database.as_bytes())
        )
    }

    /// The directory holding the server's unix socket (`<root>/run`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The cluster root, resolved to an absolute path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Releases this handle; the last one (in any process) stops the server.
    pub fn close(mut self) -> Result<(), ClusterError> {
        self.release()
    }

    fn release(&mut self) -> Result<()> {
        let Some(lock) = self.usage_lock.take() else {
            return Ok(());
        };
        // Turning our shared lock exclusive succeeds only if nobody else holds
        // one; openers then wait in lock_shared until the server is down.
        match lock.try_lock() {
            Ok(()) => self.stop(),
            Err(TryLockError::WouldBlock) => Ok(()),
            Err(TryLockError::Error(error)) => {
                Err(io_error(format!("could not lock {}", self.root.join("kereru.lock").display()))(error))
            }
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Err(error) = self.release() {
            tracing::warn!(%error, "could not close the private PostgreSQL cluster");
        }
    }
}
