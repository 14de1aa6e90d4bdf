//! The files' names: `<32 hex>.<ext>`, fresh and random, written once
//! (through [`crate::store::MediaStore`], under the tenant's prefix) and never overwritten.

use crate::format::OutputFormat;
use crate::process::Encoded;
use crate::store::{MediaStore, StorageError};
use kereru_core::media::StoredFile;

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

/// Stores a new file under a fresh random name in the tenant's part of `store`.
pub async fn store_new(store: &MediaStore, domain_id: i64, encoded: Encoded) -> Result<StoredFile, StorageError> {
    let name = random_name(encoded.format);
    let file = StoredFile {
        file_name: name.clone(),
        content_type: encoded.format.content_type().to_string(),
        width: encoded.width,
        height: encoded.height,
    };
    store.put(domain_id, &name, encoded.bytes).await?;
    Ok(file)
}

/// A stored file's bytes; `None` when there is no such file (or the name is
/// not one this module gives), with the content type to serve it as.
pub async fn read(
    store: &MediaStore,
    domain_id: i64,
    name: &str,
) -> Result<Option<(&'static str, bytes::Bytes)>, StorageError> {
    let Some(content_type) = served_content_type(name) else { return Ok(None) };
    Ok(store.get(domain_id, name).await?.map(|bytes| (content_type, bytes)))
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
