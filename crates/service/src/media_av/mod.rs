//! Video and audio attachments, processed as Mastodon processes them: the
//! upload is checked by ffprobe and gets its preview picture while the client
//! waits ([`prepare`]), then the file is finished (kept when browsers play
//! it, else remuxed or transcoded) by a durable worker ([`worker`]) — or
//! at once for `POST /api/v1/media`, which answers only when it is done.
//! Until then the attachment is `pending` and no status can take it.

pub mod worker;

use crate::media::{MediaActionError, Prepared};
use kereru_core::media::Focus;
pub use kereru_media::av::Tools;
use kereru_media::av::{self, AvError, Container, Kind, Probe};
use kereru_media::files::{new_name, write_named, write_new};
use kereru_store::media::{MediaType, NewMediaAttachment, Processing, StoredFile};
use std::path::PathBuf;

/// How an upload's video or audio is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// By the worker; the upload answers while it is pending (`/api/v2/media`).
    Later,
    /// Before the upload answers (`/api/v1/media`).
    Now,
}

/// What an upload may be: `tools` when ffprobe and ffmpeg are installed.
#[derive(Debug, Clone, Copy)]
pub struct AvOptions<'a> {
    pub tools: Option<&'a Tools>,
    pub finish: Finish,
}

fn media_type(kind: Kind) -> MediaType {
    match kind {
        Kind::Video => MediaType::Video,
        Kind::Gifv => MediaType::Gifv,
        Kind::Audio => MediaType::Audio,
    }
}

/// Writes the upload (a `container`) to `dir`, checks it with ffprobe, makes
/// its preview (from `thumbnail` if the client sent one) and returns the
/// attachment to record, `pending`. No database work; on error nothing stays on disk.
pub async fn prepare<B: AsRef<[u8]> + Send + 'static>(
    dir: PathBuf,
    options: AvOptions<'_>,
    container: Container,
    file: B,
    thumbnail: Option<B>,
    description: Option<String>,
    focus: Option<Focus>,
) -> Result<Prepared, MediaActionError> {
    let tools = options.tools.ok_or(AvError::NotSupported)?;
    if file.as_ref().len() as u64 > av::VIDEO_SIZE_LIMIT {
        return Err(AvError::TooLarge.into());
    }
    let name = new_name(container.extension());
    let file_size = file.as_ref().len() as i64;
    let (write_dir, write_name) = (dir.clone(), name.clone());
    let path = kereru_media::blocking(move || Ok(write_named(&write_dir, &write_name, file.as_ref())?)).await?;
    let described = describe(tools, container, &dir, path, thumbnail).await;
    let (probe, small, blurhash) = match described {
        Ok(found) => found,
        Err(error) => {
            kereru_media::files::remove_files(dir, vec![name]).await;
            return Err(error);
        }
    };
    let (width, height) = probe.video.as_ref().map_or((0, 0), |v| (v.width, v.height));
    let av_meta = serde_json::to_string(&probe).map_err(|e| AvError::Tool(e.to_string()))?;
    let attachment = NewMediaAttachment {
        media_type: media_type(Kind::of(&probe)),
        file: StoredFile { file_name: name.clone(), content_type: container.content_type().into(), width, height },
        file_size,
        thumbnail: small.clone(),
        description,
        focus,
        blurhash,
        processing: Processing::Pending,
        av_meta: Some(av_meta),
        claimed: options.finish == Finish::Now,
    };
    Ok(Prepared { attachment, files: vec![name, small.file_name] })
}

/// Probes the file at `path` and writes its preview to `dir`.
async fn describe<B: AsRef<[u8]> + Send + 'static>(
    tools: &Tools,
    container: Container,
    dir: &std::path::Path,
    path: PathBuf,
    thumbnail: Option<B>,
) -> Result<(Probe, StoredFile, Option<String>), MediaActionError> {
    let probe = av::probe::probe(tools, container, &path).await?;
    let picture: Vec<u8> = match thumbnail {
        Some(bytes) => bytes.as_ref().to_vec(),
        None => av::convert::preview_png(tools, container, &path, &probe).await?,
    };
    let dir = dir.to_path_buf();
    let (small, blurhash) = kereru_media::blocking(move || {
        let (small, blurhash) = kereru_media::process_thumbnail(&picture)?;
        Ok((write_new(&dir, &small)?, blurhash))
    })
    .await?;
    Ok((probe, small, blurhash))
}

/// The file served in the end for the pending upload `file_name` in `dir`
/// (described by `av_meta`): `None` when it is served as it is, else the
/// new file's name and content type (the upload is then removed by the caller).
pub async fn finish_file(
    tools: &Tools,
    dir: &std::path::Path,
    file_name: &str,
    av_meta: Option<&str>,
) -> Result<Option<(String, &'static str)>, AvError> {
    let probe: Probe = av_meta
        .and_then(|meta| serde_json::from_str(meta).ok())
        .ok_or_else(|| AvError::Tool(format!("media {file_name}: no probe kept")))?;
    let container = file_name
        .rsplit_once('.')
        .and_then(|(_, extension)| Container::from_extension(extension))
        .ok_or_else(|| AvError::Tool(format!("media {file_name}: unknown container")))?;
    let target = av::plan::target(&probe);
    let source = dir.join(file_name);
    let output_name = new_name(target.extension);
    let output = dir.join(&output_name);
    match av::convert::finish(tools, container, &source, &probe, &target, &output).await {
        Ok(true) => Ok(Some((output_name, target.content_type))),
        Ok(false) if container.extension() == target.extension => Ok(None),
        // Served as it is, under the extension browsers know it by (a hard link: the upload is removed after).
        Ok(false) => {
            std::fs::hard_link(&source, &output)?;
            Ok(Some((output_name, target.content_type)))
        }
        Err(error) => {
            let _ = std::fs::remove_file(&output);
            Err(error)
        }
    }
}
