//! A throwaway cluster tied to its process: a watcher shell stops and
//! deletes it when the process exits, even when it is killed.

use super::binaries::PostgresBinaries;
use super::handle::PrivateCluster;
use super::paths::check_path;
use super::paths::resolve;
use super::run_as::RunAs;
use super::{ClusterError, ClusterOptions, Result, io_error};
use std::fs;
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

impl PrivateCluster {
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
