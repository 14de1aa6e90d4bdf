use super::binaries::is_executable;
use super::paths::{check_path, resolve};
use super::run_as::{RunAs, effective_uid};
use super::*;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
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
    assert_eq!(psql(&["-h", &socket_dir.to_string_lossy(), "-U", "postgres"], "show fsync").as_deref(), Some("off"));
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
