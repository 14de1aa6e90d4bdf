//! Debian's `ffprobe` and `ffmpeg`, found on `PATH` when the server starts
//! (an optional runtime dependency: without them video and audio uploads are
//! refused) and run as child processes with a time limit, a few at once.
//! Inputs are always opened with a named demuxer and only the `file`
//! protocol, so a crafted file cannot make ffmpeg read anything else.

use super::AvError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

/// Where the two programs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub ffprobe: PathBuf,
    pub ffmpeg: PathBuf,
}

impl Tools {
    /// Both programs from `PATH`, or `None` if either is missing.
    pub fn find() -> Option<Tools> {
        let path = std::env::var_os("PATH")?;
        let find = |name: &str| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p));
        Some(Tools { ffprobe: find("ffprobe")?, ffmpeg: find("ffmpeg")? })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How many ffmpeg/ffprobe processes run at once in this process.
fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cpus.clamp(1, 4))
    })
}

/// The arguments that open `input` with `demuxer`, reading local files only.
pub(crate) fn input_args(demuxer: &str, input: &Path) -> Vec<std::ffi::OsString> {
    let mut file = std::ffi::OsString::from("file:");
    file.push(input.as_os_str());
    vec!["-protocol_whitelist".into(), "file".into(), "-f".into(), demuxer.into(), "-i".into(), file]
}

/// Runs `program` with `args`; its standard output if it succeeded within `limit`.
/// The process is killed when the limit passes.
pub(crate) async fn run(program: &Path, args: Vec<std::ffi::OsString>, limit: Duration) -> Result<Vec<u8>, AvError> {
    let _permit = slots().acquire().await.map_err(|e| AvError::Tool(e.to_string()))?;
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AvError::Tool(format!("{}: {e}", program.display())))?;
    let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(output) => output?,
        Err(_) => return Err(AvError::Timeout),
    };
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(AvError::Rejected(stderr.trim().chars().take(300).collect()))
    }
}
