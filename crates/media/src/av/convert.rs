//! The ffmpeg runs: a preview picture (a video's first frame, an audio
//! file's cover or else its waveform) and the file served in the end.
//! Metadata (a phone's GPS position in a video, for one) is dropped from
//! every video written.

use super::container::Container;
use super::plan::{Plan, Target};
use super::probe::Probe;
use super::tools::{Tools, input_args, run};
use super::{AvError, PREVIEW_TIMEOUT, TRANSCODE_TIMEOUT};
use std::ffi::OsString;
use std::path::Path;

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

/// A PNG to make the preview (`small`) from.
pub async fn preview_png(tools: &Tools, container: Container, path: &Path, probe: &Probe) -> Result<Vec<u8>, AvError> {
    let mut command = args(&["-nostdin", "-v", "error"]);
    command.extend(input_args(container.demuxer(), path));
    if probe.video.is_some() || probe.cover {
        command.extend(args(&["-map", "0:v:0", "-frames:v", "1"]));
    } else {
        command.extend(args(&["-filter_complex", "[0:a:0]showwavespic=s=640x240:colors=0x6364ff", "-frames:v", "1"]));
    }
    command.extend(args(&["-f", "image2pipe", "-c:v", "png", "pipe:1"]));
    let png = run(&tools.ffmpeg, command, PREVIEW_TIMEOUT).await?;
    if png.is_empty() {
        return Err(AvError::NotMedia);
    }
    Ok(png)
}

/// Writes the served file for `target` from `source` (opened as `container`) to `output`.
/// `Ok(false)` when the source is served as it is.
pub async fn finish(
    tools: &Tools,
    container: Container,
    source: &Path,
    probe: &Probe,
    target: &Target,
    output: &Path,
) -> Result<bool, AvError> {
    let has_video = probe.video.is_some();
    let codec: &[&str] = match target.plan {
        // Audio is served as uploaded; a video is copied without its metadata.
        Plan::Keep if !has_video => return Ok(false),
        Plan::Keep | Plan::RemuxMp4 => &["-c", "copy"],
        Plan::TranscodeMp4 => &[
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-vf",
            "scale=trunc(iw/2)*2:trunc(ih/2)*2",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
        ],
        Plan::TranscodeMp3 => &["-c:a", "libmp3lame", "-q:a", "2"],
    };
    let mut command = args(&["-nostdin", "-v", "error", "-y"]);
    command.extend(input_args(container.demuxer(), source));
    if has_video {
        command.extend(args(&["-map", "0:v:0", "-map", "0:a:0?"]));
    } else {
        command.extend(args(&["-map", "0:a:0", "-vn"]));
    }
    command.extend(args(&["-map_metadata", "-1", "-sn", "-dn"]));
    command.extend(args(codec));
    let muxer = match target.extension {
        "webm" => "webm",
        "mp3" => "mp3",
        _ => "mp4",
    };
    if muxer == "mp4" {
        command.extend(args(&["-movflags", "+faststart"]));
    }
    command.extend(args(&["-f", muxer]));
    let mut file = OsString::from("file:");
    file.push(output.as_os_str());
    command.push(file);
    run(&tools.ffmpeg, command, TRANSCODE_TIMEOUT).await?;
    Ok(true)
}
