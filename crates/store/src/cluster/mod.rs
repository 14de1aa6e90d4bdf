//! A private PostgreSQL cluster that Kererū creates, starts and stops itself
//! when no database URL is configured; the test harness uses it too.
//!
//! Layout under the cluster root (e.g. `<data-dir>/postgres`):
//! `pgdata/` (the cluster, with a `kereru-cluster` marker so we never adopt
//! someone else's), `run/` (the unix socket directory; the server listens on
//! no TCP port), `postgres.log`, and two lock files. Every process using the
//! cluster holds a shared lock on `kereru.lock`; whoever can turn it into an
//! exclusive lock on close is the last user and stops the server.
//!
//! Everything here blocks (it runs `initdb` and `pg_ctl`); call it from a
//! blocking context, not from inside an async task.
//!
//! One concern per module: `binaries` finds `initdb` and `pg_ctl`,
//! `run_as` runs them as the right user, `paths` checks and resolves the
//! root, `handle` opens and closes a [`PrivateCluster`] (the `flock`s),
//! `server` runs initdb, start and stop, and `supervised` ties a throwaway
//! cluster to its process.

use std::io;
use std::path::PathBuf;

mod binaries;
mod handle;
mod paths;
mod run_as;
mod server;
mod supervised;
#[cfg(test)]
mod tests;

pub use binaries::PostgresBinaries;
pub use handle::PrivateCluster;
pub use supervised::SupervisedCluster;

/// The server listens only on its socket, so the port merely names it.
const PORT: &str = "5432";
const SOCKET_NAME: &str = ".s.PGSQL.5432";
/// `sizeof(sockaddr_un.sun_path)` on Linux, minus the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
/// Bound on every `pg_ctl` wait, in seconds.
const PG_CTL_TIMEOUT: &str = "60";
/// Written into `pgdata/` after a successful initdb: a data directory without
/// it was not made by us and is never started, stopped or changed.
const MARKER: &str = "kereru-cluster";
/// Entries a Kererū cluster root may hold; anything else means the directory
/// belongs to someone else.
const KNOWN_ENTRIES: &[&str] =
    &["pgdata", "pgdata.partial", "run", "kereru.lock", "kereru-setup.lock", "postgres.log", "lost+found"];
/// Every database user connects as the superuser created by initdb.
const SUPERUSER: &str = "postgres";
/// The system account PostgreSQL runs as when we are root.
const SYSTEM_USER: &str = "postgres";

/// Why the private cluster could not be found, created, started or stopped.
/// Messages are one line and shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no PostgreSQL binaries found: install PostgreSQL (initdb, pg_ctl) or put them on PATH")]
    NoBinaries,
    #[error("{} does not hold the PostgreSQL binaries initdb and pg_ctl", dir.display())]
    BinariesNotIn { dir: PathBuf },
    #[error("{} cannot hold the PostgreSQL cluster: {reason}; choose another data directory", path.display())]
    UnsupportedPath { path: PathBuf, reason: &'static str },
    #[error(
        "the PostgreSQL socket path {} is {len} bytes, over the 107-byte limit for unix sockets: choose a data directory with a shorter path",
        path.display()
    )]
    SocketPathTooLong { path: PathBuf, len: usize },
    #[error(
        "{} holds a PostgreSQL data directory that Kererū did not create; move it away or choose another data directory",
        dir.display()
    )]
    ForeignDataDirectory { dir: PathBuf },
    #[error(
        "{} holds files Kererū did not create (such as {entry}); choose an empty or new directory for the PostgreSQL cluster",
        dir.display()
    )]
    NotEmpty { dir: PathBuf, entry: String },
    #[error(
        "PostgreSQL runs as the postgres user, which cannot enter {}: run `chmod o+x {}` or choose a data directory elsewhere",
        dir.display(),
        dir.display()
    )]
    NotTraversable { dir: PathBuf },
    #[error("running as root, but {0}: PostgreSQL refuses to run as root")]
    NoPostgresUser(String),
    #[error(
        "{} is in use by another PostgreSQL server (pid {pid}) that does not listen on {}; stop it first",
        data_dir.display(),
        socket_dir.display()
    )]
    InUse { data_dir: PathBuf, socket_dir: PathBuf, pid: String },
    #[error("{what} failed: {detail}")]
    CommandFailed { what: String, detail: String },
    #[error("{action}: {error}")]
    Io { action: String, error: io::Error },
}

pub(super) type Result<T, E = ClusterError> = std::result::Result<T, E>;

pub(super) fn io_error(action: impl Into<String>) -> impl FnOnce(io::Error) -> ClusterError {
    let action = action.into();
    move |error| ClusterError::Io { action, error }
}

/// How the cluster is run when this process is the one that starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterOptions {
    /// `false` turns off fsync, synchronous commit and full-page writes: much
    /// faster, but a crash can lose or corrupt data, so only for throwaway
    /// (test) clusters. A server that is already running keeps the settings
    /// it was started with.
    pub durable: bool,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self { durable: true }
    }
}
