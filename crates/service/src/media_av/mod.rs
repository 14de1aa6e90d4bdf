//! Video and audio attachments, processed as Mastodon processes them: the
//! upload is checked by ffprobe and gets its preview picture while the client
//! waits ([`prepare`]), then the file is finished (kept when browsers play
//! it, else remuxed or transcoded) by a durable worker ([`worker`]) — or
//! at once for `POST /api/v1/media`, which answers only when it is done.
//! Until then the attachment is `pending` and no status can take it.

pub mod worker;

use crate::media::{MediaActionError, Prepared};
use kereru_core::media::Focus;
use kereru_media::TenantFiles;
pub use kereru_media::av::Tools;
use kereru_media::av::{self, AvError, Container, Kind, Probe};
use kereru_media::files::new_name;
use kereru_media::store::Scratch;
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

/// Checks the upload (a `container`) with ffprobe from a scratch copy, makes
/// its preview (from `thumbnail` if the client sent one), stores both in
/// `files` and returns the attachment to record, `pending`. No database
/// work; on error nothing stays stored.
pub async fn prepare<B: AsRef<[u8]> + Send + 'static>(
    files: TenantFiles,
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
    // ffprobe and ffmpeg read files: a scratch copy, whatever the store.
    let scratch = Scratch::new().map_err(AvError::from)?;
    let path = scratch.path(&name);
    let bytes = bytes::Bytes::copy_from_slice(file.as_ref());
    drop(file);
    tokio::fs::write(&path, &bytes).await.map_err(AvError::from)?;
    let (probe, small, blurhash) = describe(tools, container, &files, path, thumbnail).await?;
    if let Err(error) = files.put(&name, bytes).await {
        files.delete_quietly(std::slice::from_ref(&small.file_name)).await;
        return Err(AvError::from(error).into());
    }
    drop(scratch);
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

/// Probes the file at `path` and stores its preview in `files`.
async fn describe<B: AsRef<[u8]> + Send + 'static>(
    tools: &Tools,
    container: Container,
    files: &TenantFiles,
    path: PathBuf,
    thumbnail: Option<B>,
) -> Result<(Probe, StoredFile, Option<String>), MediaActionError> {
    let probe = av::probe::probe(tools, container, &path).await?;
    let picture: Vec<u8> = match thumbnail {
        Some(bytes) => bytes.as_ref().to_vec(),
        None => av::convert::preview_png(tools, container, &path, &probe).await?,
    };
    let (small, blurhash) = kereru_media::blocking(move || kereru_media::process_thumbnail(&picture)).await?;
    let small = files.store_new(small).await.map_err(AvError::from)?;
    Ok((probe, small, blurhash))
}

/// The file served in the end for the pending upload `file_name` in `files`
/// (described by `av_meta`): `None` when it is served as it is, else the
/// new file's name and content type, stored (the upload is then removed by the caller).
pub async fn finish_file(
    tools: &Tools,
    files: &TenantFiles,
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
    let scratch = Scratch::new()?;
    let source = scratch.path(file_name);
    files.fetch_to(file_name, &source).await?;
    let output_name = new_name(target.extension);
    let output = scratch.path(&output_name);
    let served = match av::convert::finish(tools, container, &source, &probe, &target, &output).await? {
        true => output,
        false if container.extension() == target.extension => return Ok(None),
        // Served as it is, under the extension browsers know it by (the upload is removed after).
        false => source,
    };
    files.put_file(&output_name, &served).await?;
    Ok(Some((output_name, target.content_type)))
}
