//! Finding the PostgreSQL binaries: on PATH, in a configured directory, or
//! under Debian's versioned `/usr/lib/postgresql/*/bin`.

use super::ClusterError;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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

    pub(super) fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    pub(super) fn pg_ctl(&self) -> PathBuf {
        self.dir.join("pg_ctl")
    }
}

pub(super) fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
