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

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

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

type Result<T, E = ClusterError> = std::result::Result<T, E>;

fn io_error(action: impl Into<String>) -> impl FnOnce(io::Error) -> ClusterError {
    let action = action.into();
    move |error| ClusterError::Io { action, error }
}

/// A directory holding `initdb`, `pg_ctl` and `postgres` of one PostgreSQL version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresBinaries {
    pub dir: PathBuf,
}

impl PostgresBinaries {
    /// `initdb` and `pg_ctl` on PATH (same dir), else the highest version
    /// under `/usr/lib/postgresql/*/bin`, where Debian puts them off PATH.
    pub fn discover() -> Result<Self, ClusterError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let on_path = std::env::split_paths(&path).filter(|dir| dir.is_absolute()).find(|dir| Self::usable(dir));
        if let Some(dir) = on_path {
            return Ok(Self { dir });
        }
        let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let version: Option<Vec<u32>> = name.to_str()?.split('.').map(|part| part.parse().ok()).collect();
                Some((version?, entry.path().join("bin")))
            })
            .filter(|(_, dir)| Self::usable(dir))
            .collect();
        versions.sort();
        versions.pop().map(|(_, dir)| Self { dir }).ok_or(ClusterError::NoBinaries)
    }

    /// The binaries in `dir` (a configured `postgres_bin_dir`), if it has them.
    pub fn in_dir(dir: &Path) -> Result<Self, ClusterError> {
        if Self::usable(dir) {
            Ok(Self { dir: dir.to_path_buf() })
        } else {
            Err(ClusterError::BinariesNotIn { dir: dir.to_path_buf() })
        }
    }

    fn usable(dir: &Path) -> bool {
        is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"))
    }

    fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    fn pg_ctl(&self) -> PathBuf {
        self.dir.join("pg_ctl")
    }
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
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

/// Who runs initdb and pg_ctl: PostgreSQL refuses to run as root, so as root
/// we switch to the `postgres` user with `runuser`.
#[derive(Debug, Clone)]
enum RunAs {
    Myself,
    Postgres { uid: u32, gid: u32, runuser: PathBuf },
}

impl RunAs {
    fn detect() -> Result<Self> {
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
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
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
    fn give(&self, path: &Path) -> Result<()> {
        match self {
            RunAs::Myself => Ok(()),
            RunAs::Postgres { uid, gid, .. } => std::os::unix::fs::chown(path, Some(*uid), Some(*gid))
                .map_err(io_error(format!("could not give {} to the postgres user", path.display()))),
        }
    }

    /// As root, the postgres user must be able to reach `root` through all of
    /// its ancestors; name the first one it cannot enter.
    fn check_traversable(&self, root: &Path) -> Result<()> {
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
fn effective_uid() -> Result<u32> {
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

/// Makes `root` absolute and resolves symlinks and `..` in the part that
/// exists, so that every spelling of one directory agrees on the socket path
/// (which running servers are compared by).
fn resolve(root: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(root).map_err(io_error(format!("could not resolve {}", root.display())))?;
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => {
                out.push(other);
                if let Ok(real) = fs::canonicalize(&out) {
                    out = real;
                }
            }
        }
    }
    Ok(out)
}

/// pg_ctl pastes the data directory and log path between double quotes into a
/// shell command, so these characters would break or subvert it.
fn check_path(root: &Path) -> Result<()> {
    let unsupported = |reason| ClusterError::UnsupportedPath { path: root.to_path_buf(), reason };
    let text = root.to_str().ok_or_else(|| unsupported("its path is not valid UTF-8"))?;
    if text.chars().any(|c| matches!(c, '"' | '$' | '`' | '\\') || c.is_control()) {
        return Err(unsupported("PostgreSQL's pg_ctl cannot use a path containing \", $, `, \\ or control characters"));
    }
    let socket = root.join("run").join(SOCKET_NAME);
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(ClusterError::SocketPathTooLong { path: socket, len });
    }
    Ok(())
}

/// Refuses a root that is, or holds, something Kererū did not create, before
/// anything in it is created or changed.
fn check_not_foreign(root: &Path) -> Result<()> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(io_error(format!("could not read {}", root.display()))(error)),
    };
    if root.join("PG_VERSION").exists() {
        return Err(ClusterError::ForeignDataDirectory { dir: root.to_path_buf() });
    }
    let pgdata = root.join("pgdata");
    if fs::symlink_metadata(&pgdata).is_ok() && !pgdata.join(MARKER).is_file() {
        return Err(ClusterError::ForeignDataDirectory { dir: root.to_path_buf() });
    }
    for entry in entries {
        let entry = entry.map_err(io_error(format!("could not read {}", root.display())))?;
        let name = entry.file_name();
        if !KNOWN_ENTRIES.iter().any(|known| OsStr::new(known) == name) {
            return Err(ClusterError::NotEmpty { dir: root.to_path_buf(), entry: name.to_string_lossy().into_owned() });
        }
    }
    Ok(())
}

fn open_lock_file(path: &Path, run_as: &RunAs) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io_error(format!("could not open {}", path.display())))?;
    run_as.give(path)?;
    Ok(file)
}

/// Quotes one word for the shell that pg_ctl passes `-o` through.
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Running,
    Stopped,
}

/// A handle on the private cluster; the server runs while any handle, in any
/// process, is open.
#[derive(Debug)]
pub struct PrivateCluster {
    root: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    bins: PostgresBinaries,
    run_as: RunAs,
    /// Shared lock on `kereru.lock`; `None` once closed.
    usage_lock: Option<File>,
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

    fn open_as(root: &Path, bins: &PostgresBinaries, options: ClusterOptions, run_as: RunAs) -> Result<Self> {
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

    /// A throwaway, non-durable cluster in `root` (which must be absent or
    /// empty) for the test harness, stopped and deleted when the calling
    /// process exits for any reason, including being killed.
    ///
    /// A watcher `sh` reads its stdin, a pipe whose only writer is this
    /// process, so it sees EOF when the process exits or the returned value
    /// is dropped, and then stops the server and deletes `root`. Keep the
    /// returned value alive (e.g. in a static) for as long as the cluster is
    /// needed.
    pub fn open_supervised(root: &Path, bins: &PostgresBinaries) -> Result<SupervisedCluster, ClusterError> {
        let run_as = RunAs::detect()?;
        let root = resolve(root)?;
        check_path(&root)?;
        // The watcher deletes `root`: never point it at anything with content.
        match fs::read_dir(&root) {
            Ok(mut entries) => {
                if let Some(entry) = entries.next() {
                    let entry = entry.map_err(io_error(format!("could not read {}", root.display())))?;
                    return Err(ClusterError::NotEmpty {
                        dir: root,
                        entry: entry.file_name().to_string_lossy().into_owned(),
                    });
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(format!("could not read {}", root.display()))(error)),
        }

        // Started first, so no moment exists where a server runs unsupervised.
        let mut watcher = Watcher::spawn(&root, bins, &run_as)?;
        match Self::open_as(&root, bins, ClusterOptions { durable: false }, run_as) {
            Ok(cluster) => Ok(SupervisedCluster { cluster, watcher: Some(watcher) }),
            Err(error) => {
                watcher.finish();
                Err(error)
            }
        }
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

    fn ensure_initialized(&self, options: ClusterOptions) -> Result<()> {
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

    fn ensure_running(&self, options: ClusterOptions) -> Result<()> {
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

    fn stop(&self) -> Result<()> {
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

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Err(error) = self.release() {
            tracing::warn!(%error, "could not close the private PostgreSQL cluster");
        }
    }
}

fn remove_if_present(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(format!("could not remove {}", dir.display()))(error)),
    }
}

/// A throwaway cluster from [`PrivateCluster::open_supervised`]; dropping it
/// (or the process ending) stops the server and deletes its directory.
#[derive(Debug)]
pub struct SupervisedCluster {
    cluster: PrivateCluster,
    watcher: Option<Watcher>,
}

impl SupervisedCluster {
    pub fn url(&self, database: &str) -> String {
        self.cluster.url(database)
    }

    pub fn socket_dir(&self) -> &Path {
        self.cluster.socket_dir()
    }

    pub fn root(&self) -> &Path {
        self.cluster.root()
    }

    pub fn cluster(&self) -> &PrivateCluster {
        &self.cluster
    }
}

impl Drop for SupervisedCluster {
    /// Leaves the stopping to the watcher (an immediate stop: the data is
    /// thrown away) and waits for it, so the directory is gone on return.
    fn drop(&mut self) {
        self.cluster.usage_lock = None;
        if let Some(mut watcher) = self.watcher.take() {
            watcher.finish();
        }
    }
}

/// The `sh` that stops and deletes a supervised cluster once its stdin closes.
#[derive(Debug)]
struct Watcher {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// `$1` root, `$2` pgdata, `$3` pg_ctl, `$4` runuser or empty. Ignoring
/// INT/TERM/HUP (inherited by cat and pg_ctl) lets Ctrl-C or a kill of the
/// test process reach only the test process, which closes the pipe.
const WATCHER_SCRIPT: &str = r#"trap '' INT TERM HUP
cat >/dev/null
if [ -n "$4" ]; then
  "$4" -u postgres -- "$3" stop -D "$2" -m immediate -w -t 60
else
  "$3" stop -D "$2" -m immediate -w -t 60
fi
rm -rf -- "$1"
"#;

impl Watcher {
    fn spawn(root: &Path, bins: &PostgresBinaries, run_as: &RunAs) -> Result<Self> {
        let runuser = match run_as {
            RunAs::Myself => PathBuf::new(),
            RunAs::Postgres { runuser, .. } => runuser.clone(),
        };
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(WATCHER_SCRIPT)
            .arg("kereru-cluster-watcher")
            .arg(root)
            .arg(root.join("pgdata"))
            .arg(bins.pg_ctl())
            .arg(runuser)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: signals sent to the test's group (Ctrl-C,
            // a runner killing the group) don't reach it.
            .process_group(0)
            .spawn()
            .map_err(io_error("could not start the cluster watcher (/bin/sh)"))?;
        let stdin = child.stdin.take();
        Ok(Self { child, stdin })
    }

    /// Closes the pipe and waits for the watcher to stop and delete the cluster.
    fn finish(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        if let Err(error) = self.child.wait() {
            tracing::warn!(%error, "could not wait for the private PostgreSQL cluster's watcher");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    /// A fresh directory under the system temp dir, removed afterwards along
    /// with any server a failed test left running in it.
    struct TempBase {
        path: PathBuf,
    }

    impl TempBase {
        fn new(tag: &str) -> std::result::Result<Self, io::Error> {
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let path = std::env::temp_dir().join(format!("kereru-cl-{}-{n}-{tag}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path)?;
            Ok(Self { path })
        }

        fn root(&self) -> PathBuf {
            self.path.join("postgres")
        }
    }

    impl Drop for TempBase {
        fn drop(&mut self) {
            let pgdata = self.root().join("pgdata");
            if pgdata.join("postmaster.pid").exists()
                && let Ok(run_as) = RunAs::detect()
                && let Ok(bins) = PostgresBinaries::discover()
            {
                let _ = run_as
                    .command(bins.pg_ctl())
                    .args(["stop", "-m", "immediate", "-w", "-D"])
                    .arg(&pgdata)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = fs::remove_dir_all(&self.path);
        }
    }

    /// Runs `select 1` through psql over the socket in `socket_dir`.
    fn psql_select_1(socket_dir: &Path) -> bool {
        psql(&["-h", &socket_dir.to_string_lossy(), "-U", "postgres", "-d", "postgres"], "select 1")
            .is_some_and(|out| out == "1")
    }

    fn psql(connection: &[&str], sql: &str) -> Option<String> {
        let out = Command::new("psql")
            .args(connection)
            .args(["-X", "-At", "-c", sql])
            .env("PGCONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn bins() -> std::result::Result<PostgresBinaries, ClusterError> {
        PostgresBinaries::discover()
    }

    fn is_root() -> bool {
        effective_uid().is_ok_and(|uid| uid == 0)
    }

    /// Names, sizes, modes, owners and mtimes of everything under `dir`.
    fn snapshot(dir: &Path) -> Vec<String> {
        use std::os::unix::fs::MetadataExt;
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(path) = stack.pop() {
            if let Ok(meta) = fs::symlink_metadata(&path) {
                out.push(format!(
                    "{} {} {:o} {}:{} {}",
                    path.display(),
                    meta.len(),
                    meta.mode(),
                    meta.uid(),
                    meta.gid(),
                    meta.mtime_nsec()
                ));
                if meta.is_dir() {
                    stack.extend(fs::read_dir(&path).into_iter().flatten().flatten().map(|entry| entry.path()));
                }
            }
        }
        out.sort();
        out
    }

    fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if done() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        done()
    }

    #[test]
    fn discover_finds_initdb_and_pg_ctl() -> TestResult {
        let bins = bins()?;
        assert!(is_executable(&bins.initdb()), "{}", bins.dir.display());
        assert!(is_executable(&bins.pg_ctl()), "{}", bins.dir.display());
        Ok(())
    }

    #[test]
    fn url_percent_encodes_the_socket_dir_and_database() -> TestResult {
        let cluster = PrivateCluster {
            root: PathBuf::from("/srv/a b,c:d"),
            pgdata: PathBuf::from("/srv/a b,c:d/pgdata"),
            socket_dir: PathBuf::from("/srv/a b,c:d/run"),
            bins: PostgresBinaries { dir: PathBuf::from("/nonexistent") },
            run_as: RunAs::Myself,
            usage_lock: None,
        };
        assert_eq!(cluster.url("t_1-x"), "postgres://postgres@%2Fsrv%2Fa%20b%2Cc%3Ad%2Frun/t_1-x");
        assert_eq!(cluster.url("a/b?c"), "postgres://postgres@%2Fsrv%2Fa%20b%2Cc%3Ad%2Frun/a%2Fb%3Fc");
        Ok(())
    }

    #[test]
    fn resolve_makes_paths_absolute_and_canonical() -> TestResult {
        let base = TempBase::new("resolve")?;
        let real = resolve(&base.path)?;
        let spelled = base.path.join("x").join("..").join(".").join("postgres");
        assert_eq!(resolve(&spelled)?, real.join("postgres"));
        Ok(())
    }

    #[test]
    fn handles_share_one_server_until_the_last_closes() -> TestResult {
        let base = TempBase::new("shared")?;
        let root = base.root();
        let bins = bins()?;
        let options = ClusterOptions { durable: false };

        // Two opens race on a fresh directory: one creates and starts, both share.
        let (first, second) = std::thread::scope(|scope| {
            let a = scope.spawn(|| PrivateCluster::open_with(&root, &bins, options));
            let b = scope.spawn(|| PrivateCluster::open_with(&root, &bins, options));
            (a.join(), b.join())
        });
        let first = first.map_err(|_| "first open panicked")??;
        let second = second.map_err(|_| "second open panicked")??;
        assert_eq!(first.socket_dir(), second.socket_dir());
        assert!(root.join("pgdata").join(MARKER).is_file());
        assert!(!root.join("pgdata.partial").exists());
        assert!(psql_select_1(first.socket_dir()), "server not reachable");
        let url = first.url("postgres");
        assert_eq!(psql(&[url.as_str()], "select current_database()").as_deref(), Some("postgres"), "{url}");

        let socket_dir = first.socket_dir().to_path_buf();
        first.close()?;
        assert!(psql_select_1(&socket_dir), "server stopped while a handle was still open");
        second.close()?;
        assert!(!psql_select_1(&socket_dir), "server still running after the last close");
        assert!(!root.join("pgdata").join("postmaster.pid").exists());

        // The existing cluster is started again (no initdb), durable this time.
        let again = PrivateCluster::open(&root, &bins)?;
        assert!(psql_select_1(again.socket_dir()), "reopened server not reachable");
        assert_eq!(psql(&["-h", &socket_dir.to_string_lossy(), "-U", "postgres"], "show fsync").as_deref(), Some("on"));
        drop(again);
        assert!(!psql_select_1(&socket_dir), "server still running after drop");
        Ok(())
    }

    #[test]
    fn server_on_another_socket_is_refused() -> TestResult {
        let base = TempBase::new("inuse")?;
        let root = base.root();
        let bins = bins()?;
        PrivateCluster::open_with(&root, &bins, ClusterOptions { durable: false })?.close()?;

        // Someone starts our data directory by hand, listening elsewhere.
        let elsewhere = base.path.join("elsewhere");
        let run_as = RunAs::detect()?;
        fs::create_dir(&elsewhere)?;
        run_as.give(&elsewhere)?;
        let started = run_as
            .command(bins.pg_ctl())
            .args(["start", "-w", "-D"])
            .arg(root.join("pgdata"))
            .arg("-l")
            .arg(elsewhere.join("postgres.log"))
            .arg("-o")
            .arg(format!("-c listen_addresses= -c unix_socket_directories={}", elsewhere.display()))
            .stdout(Stdio::null())
            .status()?;
        assert!(started.success());
        assert!(psql_select_1(&elsewhere));

        match PrivateCluster::open(&root, &bins) {
            Err(ClusterError::InUse { pid, .. }) => assert!(pid.parse::<u32>().is_ok(), "pid {pid:?}"),
            other => panic!("expected InUse, got {other:?}"),
        }
        // Refusing did not stop the other server.
        assert!(psql_select_1(&elsewhere));
        Ok(())
    }

    #[test]
    fn foreign_data_directory_is_refused_and_untouched() -> TestResult {
        let bins = bins()?;

        // <root>/pgdata without our marker.
        let base = TempBase::new("foreign")?;
        let root = base.root();
        let pgdata = root.join("pgdata");
        fs::create_dir_all(pgdata.join("base"))?;
        fs::write(pgdata.join("PG_VERSION"), "15\n")?;
        fs::write(pgdata.join("postgresql.conf"), "# someone else's\n")?;
        let before = snapshot(&base.path);
        let error = PrivateCluster::open(&root, &bins).err().ok_or("foreign pgdata was accepted")?;
        assert!(matches!(error, ClusterError::ForeignDataDirectory { .. }), "{error}");
        assert!(error.to_string().contains("did not create"), "{error}");
        assert_eq!(snapshot(&base.path), before);
        assert!(!root.join("kereru.lock").exists());

        // The root itself is a data directory.
        let base = TempBase::new("foreign-root")?;
        let root = base.root();
        fs::create_dir_all(&root)?;
        fs::write(root.join("PG_VERSION"), "15\n")?;
        let before = snapshot(&base.path);
        let error = PrivateCluster::open(&root, &bins).err().ok_or("foreign root was accepted")?;
        assert!(matches!(error, ClusterError::ForeignDataDirectory { .. }), "{error}");
        assert_eq!(snapshot(&base.path), before);

        // Unrelated files.
        let base = TempBase::new("junk")?;
        let root = base.root();
        fs::create_dir_all(&root)?;
        fs::write(root.join("notes.txt"), "mine\n")?;
        let before = snapshot(&base.path);
        let error = PrivateCluster::open(&root, &bins).err().ok_or("junk directory was accepted")?;
        assert!(matches!(error, ClusterError::NotEmpty { ref entry, .. } if entry == "notes.txt"), "{error}");
        assert_eq!(snapshot(&base.path), before);
        Ok(())
    }

    #[test]
    fn too_long_socket_path_is_refused() -> TestResult {
        let base = TempBase::new("long")?;
        let root = base.path.join("d".repeat(100)).join("postgres");
        let error = PrivateCluster::open(&root, &bins()?).err().ok_or("long path was accepted")?;
        assert!(matches!(error, ClusterError::SocketPathTooLong { len, .. } if len > MAX_SOCKET_PATH), "{error}");
        assert!(!root.exists(), "created {}", root.display());

        // Exactly at the limit is fine as far as the check goes.
        let prefix = resolve(&base.path)?;
        let fixed = prefix.as_os_str().len() + "/".len() + "/run/".len() + SOCKET_NAME.len();
        let fits = prefix.join("e".repeat(MAX_SOCKET_PATH - fixed));
        assert!(check_path(&fits).is_ok());
        assert!(check_path(&prefix.join("e".repeat(MAX_SOCKET_PATH - fixed + 1))).is_err());
        Ok(())
    }

    #[test]
    fn untraversable_ancestor_is_named_when_root() -> TestResult {
        if !is_root() {
            return Ok(());
        }
        let base = TempBase::new("private")?;
        let locked = base.path.join("locked");
        fs::create_dir(&locked)?;
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o700))?;
        let root = locked.join("deeper").join("postgres");
        let error = PrivateCluster::open(&root, &bins()?).err().ok_or("untraversable path was accepted")?;
        match &error {
            ClusterError::NotTraversable { dir } => assert_eq!(dir, &resolve(&locked)?),
            other => panic!("expected NotTraversable, got {other}"),
        }
        assert!(error.to_string().contains("chmod o+x"), "{error}");
        assert_eq!(fs::read_dir(&locked)?.count(), 0, "left directories behind in {}", locked.display());
        Ok(())
    }

    #[test]
    fn supervised_cluster_is_deleted_when_dropped() -> TestResult {
        let base = TempBase::new("supervised")?;
        let root = base.root();
        let cluster = PrivateCluster::open_supervised(&root, &bins()?)?;
        let socket_dir = cluster.socket_dir().to_path_buf();
        assert!(psql_select_1(&socket_dir));
        assert_eq!(
            psql(&["-h", &socket_dir.to_string_lossy(), "-U", "postgres"], "show fsync").as_deref(),
            Some("off")
        );
        drop(cluster);
        assert!(!root.exists(), "{} still exists", root.display());
        assert!(!psql_select_1(&socket_dir));
        Ok(())
    }

    #[test]
    fn supervised_refuses_a_directory_with_content() -> TestResult {
        let base = TempBase::new("supervised-full")?;
        let root = base.root();
        fs::create_dir_all(&root)?;
        fs::write(root.join("keep.txt"), "mine\n")?;
        let error = PrivateCluster::open_supervised(&root, &bins()?).err().ok_or("non-empty dir was accepted")?;
        assert!(matches!(error, ClusterError::NotEmpty { .. }), "{error}");
        assert!(root.join("keep.txt").exists());
        Ok(())
    }

    const CHILD_ENV: &str = "KERERU_CLUSTER_TEST_CHILD_ROOT";

    /// Run by `supervised_cluster_is_deleted_when_the_process_is_killed` in a
    /// child process: opens a supervised cluster, reports, and waits to be killed.
    #[test]
    #[ignore = "helper process for supervised_cluster_is_deleted_when_the_process_is_killed"]
    fn supervised_child() -> TestResult {
        let Some(root) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
            return Ok(());
        };
        let cluster = PrivateCluster::open_supervised(&root, &bins()?)?;
        let ready = root.with_file_name("ready");
        fs::write(&ready, cluster.socket_dir().as_os_str().as_bytes())?;
        std::thread::sleep(Duration::from_secs(120));
        Ok(())
    }

    #[test]
    fn supervised_cluster_is_deleted_when_the_process_is_killed() -> TestResult {
        let base = TempBase::new("killed")?;
        let root = base.root();
        let ready = base.path.join("ready");
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--exact", "cluster::tests::supervised_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        let came_up = wait_until(Duration::from_secs(90), || ready.exists() || matches!(child.try_wait(), Ok(Some(_))));
        if !came_up || !ready.exists() {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the child never reported a running cluster".into());
        }
        let socket_dir = PathBuf::from(fs::read_to_string(&ready)?);
        assert!(psql_select_1(&socket_dir), "child's server not reachable");

        child.kill()?; // SIGKILL: no destructors, no atexit.
        child.wait()?;
        assert!(wait_until(Duration::from_secs(60), || !root.exists()), "{} survived its process", root.display());
        assert!(!psql_select_1(&socket_dir), "server survived its process");
        Ok(())
    }
}
