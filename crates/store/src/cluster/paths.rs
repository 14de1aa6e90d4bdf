//! Checks on the cluster root before anything in it is created or changed,
//! and the small file-system helpers the other modules share.

use super::run_as::RunAs;
use super::{ClusterError, KNOWN_ENTRIES, MARKER, MAX_SOCKET_PATH, Result, SOCKET_NAME, io_error};
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Component, Path, PathBuf};

/// Makes `root` absolute and resolves symlinks and `..` in the part that
/// exists, so that every spelling of one directory agrees on the socket path
/// (which running servers are compared by).
pub(super) fn resolve(root: &Path) -> Result<PathBuf> {
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
pub(super) fn check_path(root: &Path) -> Result<()> {
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
pub(super) fn check_not_foreign(root: &Path) -> Result<()> {
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

pub(super) fn open_lock_file(path: &Path, run_as: &RunAs) -> Result<File> {
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

pub(super) fn remove_if_present(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(format!("could not remove {}", dir.display()))(error)),
    }
}
