//! The files: `<media_dir>/<domain id>/<32 hex>.<ext>`, written once under
//! a fresh random name and never overwritten.

use crate::format::OutputFormat;
use crate::process::{Encoded, ProcessError};
use kereru_core::media::StoredFile;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The directory of one tenant's files.
pub fn tenant_dir(media_dir: &Path, domain_id: i64) -> PathBuf {
    media_dir.join(domain_id.to_string())
}

pub(crate) fn random_name(format: OutputFormat) -> String {
    new_name(format.extension())
}

/// A fresh random name with this extension.
pub fn new_name(extension: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.{extension}")
}

/// The content type of a name this module gives (`<32 hex>.<ext>`); `None`
/// for anything else, so that no other name can be served (or escape the directory).
pub fn served_content_type(name: &str) -> Option<&'static str> {
    let (stem, extension) = name.split_once('.')?;
    if stem.len() != 32 || !stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    match extension {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        // Video and audio as the worker leaves them (see `av::plan`); uploads
        // still waiting for it (`mov`, `mkv`) are not served.
        "mp4" => Some("video/mp4"),
        "m4a" => Some("audio/mp4"),
        "webm" => Some("video/webm"),
        "mp3" => Some("audio/mpeg"),
        "ogg" => Some("audio/ogg"),
        "flac" => Some("audio/flac"),
        "wav" => Some("audio/wav"),
        _ => None,
    }
}

/// Writes `bytes` to a new file named `name` in `dir` (never over an existing one) and syncs it.
pub fn write_named(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, std::io::Error> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(error) = written {
        let _ = std::fs::remove_file(&path);
        return Err(error);
    }
    Ok(path)
}

/// Writes a new file under a fresh random name (never over an existing one) and syncs it.
pub fn write_new(dir: &Path, encoded: &Encoded) -> Result<StoredFile, ProcessError> {
    std::fs::create_dir_all(dir)?;
    let name = random_name(encoded.format);
    let path = dir.join(&name);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    let written = file.write_all(&encoded.bytes).and_then(|()| file.sync_all());
    if let Err(error) = written {
        let _ = std::fs::remove_file(&path);
        return Err(error.into());
    }
    Ok(StoredFile {
        file_name: name,
        content_type: encoded.format.content_type().to_string(),
        width: encoded.width,
        height: encoded.height,
    })
}

/// Removes files a failed request wrote, or a replaced thumbnail. A file
/// that cannot be removed is logged: it is unreferenced and unguessable.
pub async fn remove_files(dir: PathBuf, names: Vec<String>) {
    let result = tokio::task::spawn_blocking(move || {
        for name in names {
            if let Err(error) = std::fs::remove_file(dir.join(&name))
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove media file {name}: {error}");
            }
        }
    })
    .await;
    if let Err(error) = result {
        tracing::warn!("could not remove media files: {error}");
    }
}

/// A stored file's bytes; `None` when there is no such file (or the name is
/// not one [`write_new`] gives), with the content type to serve it as.
pub async fn read(dir: PathBuf, name: String) -> Result<Option<(&'static str, Vec<u8>)>, ProcessError> {
    let Some(content_type) = served_content_type(&name) else { return Ok(None) };
    let path = dir.join(name);
    match tokio::task::spawn_blocking(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => Ok(Some((content_type, bytes))),
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Ok(Err(error)) => Err(error.into()),
        Err(error) => Err(ProcessError::Worker(error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_this_module_makes_are_served() {
        assert_eq!(served_content_type("0123456789abcdef0123456789abcdef.jpg"), Some("image/jpeg"));
        assert_eq!(served_content_type("0123456789abcdef0123456789abcdef.png"), Some("image/png"));
        for bad in [
            "../0123456789abcdef0123456789abcde.jpg",
            "0123456789ABCDEF0123456789abcdef.jpg",
            "0123456789abcdef0123456789abcdef.html",
            "0123456789abcdef0123456789abcdef.mov",
            "0123456789abcdef0123456789abcdef.jpg.png",
            "0123456789abcdef0123456789abcdef",
            "..",
            "",
        ] {
            assert_eq!(served_content_type(bad), None, "{bad}");
        }
        let name = random_name(OutputFormat::Png);
        assert_eq!(served_content_type(&name), Some("image/png"));
        assert_ne!(name, random_name(OutputFormat::Png));
    }
}
