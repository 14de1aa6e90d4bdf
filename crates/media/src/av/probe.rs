//! What ffprobe says about an upload, and whether it is really audio or video
//! within the limits Mastodon announces.

use super::container::Container;
use super::tools::{Tools, input_args, run};
use super::{AvError, MAX_DURATION_SECONDS, PROBE_TIMEOUT, VIDEO_FRAME_RATE_LIMIT, VIDEO_MATRIX_LIMIT};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A video stream (not a cover picture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// As ffprobe gives it: `30/1`, `30000/1001`.
    pub frame_rate: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audio {
    pub codec: String,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
}

/// The facts kept with the attachment (as JSON text in its row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub container: String,
    /// The MP4/QuickTime brand, when there is one.
    pub brand: Option<String>,
    pub duration: f64,
    pub bitrate: Option<i64>,
    pub video: Option<Video>,
    pub audio: Option<Audio>,
    /// An attached picture (an album cover).
    pub cover: bool,
}

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    sample_rate: Option<String>,
    channels: Option<u32>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct Format {
    duration: Option<String>,
    bit_rate: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

/// Runs ffprobe on `path` (opened as `container`) and checks what it found.
pub async fn probe(tools: &Tools, container: Container, path: &Path) -> Result<Probe, AvError> {
    let mut args: Vec<std::ffi::OsString> =
        ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"].map(Into::into).to_vec();
    args.extend(input_args(container.demuxer(), path));
    let output = run(&tools.ffprobe, args, PROBE_TIMEOUT).await?;
    parse(container, &output)
}

fn frame_rate_value(rate: &str) -> Option<f64> {
    let (num, den) = rate.split_once('/').unwrap_or((rate, "1"));
    let (num, den) = (num.parse::<f64>().ok()?, den.parse::<f64>().ok()?);
    (den > 0.0).then(|| num / den)
}

/// ffprobe's JSON to a [`Probe`], refusing what is not audio or video, or out of bounds.
pub fn parse(container: Container, json: &[u8]) -> Result<Probe, AvError> {
    let output: Output = serde_json::from_slice(json).map_err(|e| AvError::Tool(format!("ffprobe output: {e}")))?;
    let format = output.format.ok_or(AvError::NotMedia)?;
    let mut video = None;
    let mut audio = None;
    let mut cover = false;
    for stream in output.streams {
        match stream.codec_type.as_deref() {
            Some("video") if stream.disposition.attached_pic != 0 => cover = true,
            Some("video") if video.is_none() => {
                let (Some(width), Some(height)) = (stream.width, stream.height) else { continue };
                let rate = [stream.avg_frame_rate, stream.r_frame_rate]
                    .into_iter()
                    .flatten()
                    .find(|r| frame_rate_value(r).is_some_and(|v| v > 0.0))
                    .unwrap_or_else(|| "0/1".into());
                video = Some(Video { codec: stream.codec_name.unwrap_or_default(), width, height, frame_rate: rate });
            }
            Some("audio") if audio.is_none() => {
                audio = Some(Audio {
                    codec: stream.codec_name.unwrap_or_default(),
                    sample_rate: stream.sample_rate.and_then(|r| r.parse().ok()),
                    channels: stream.channels,
                });
            }
            _ => {}
        }
    }
    if video.is_none() && audio.is_none() {
        return Err(AvError::NotMedia);
    }
    if let Some(video) = &video {
        let pixels = u64::from(video.width) * u64::from(video.height);
        if video.width == 0 || video.height == 0 || pixels > VIDEO_MATRIX_LIMIT {
            return Err(AvError::Dimensions(video.width, video.height));
        }
        if frame_rate_value(&video.frame_rate).is_some_and(|rate| rate > VIDEO_FRAME_RATE_LIMIT) {
            return Err(AvError::FrameRate);
        }
    }
    let duration = format.duration.as_deref().and_then(|d| d.parse::<f64>().ok()).filter(|d| d.is_finite());
    let duration = match duration {
        Some(d) if d > 0.0 && d <= MAX_DURATION_SECONDS => d,
        Some(d) if d > MAX_DURATION_SECONDS => return Err(AvError::TooLong),
        _ => return Err(AvError::NotMedia),
    };
    Ok(Probe {
        container: container.extension().to_string(),
        brand: format.tags.get("major_brand").map(|b| b.trim().to_string()),
        duration,
        bitrate: format.bit_rate.and_then(|b| b.parse().ok()),
        video,
        audio,
        cover,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MP4: &str = r#"{"streams":[
        {"index":0,"codec_name":"h264","codec_type":"video","width":640,"height":640,"r_frame_rate":"30/1","avg_frame_rate":"30/1","disposition":{"attached_pic":0}},
        {"index":1,"codec_name":"aac","codec_type":"audio","sample_rate":"44100","channels":2,"disposition":{"attached_pic":0}}],
        "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"7.300000","bit_rate":"2187124","tags":{"major_brand":"isom"}}}"#;

    #[test]
    fn a_video_with_sound() {
        let probe = parse(Container::Mp4, MP4.as_bytes()).unwrap();
        assert_eq!(probe.duration, 7.3);
        assert_eq!(probe.bitrate, Some(2_187_124));
        assert_eq!(probe.video.as_ref().unwrap().frame_rate, "30/1");
        assert_eq!(probe.audio.as_ref().unwrap().codec, "aac");
        assert_eq!(probe.brand.as_deref(), Some("isom"));
        assert!(!probe.cover);
    }

    #[test]
    fn no_streams_no_duration_or_too_much_is_refused() {
        let empty = r#"{"streams":[],"format":{"duration":"1.0"}}"#;
        assert!(matches!(parse(Container::Mp4, empty.as_bytes()), Err(AvError::NotMedia)));
        let cover_only = r#"{"streams":[{"codec_type":"video","codec_name":"mjpeg","width":10,"height":10,"disposition":{"attached_pic":1}}],"format":{"duration":"1.0"}}"#;
        assert!(matches!(parse(Container::Mp3, cover_only.as_bytes()), Err(AvError::NotMedia)));
        let no_duration = r#"{"streams":[{"codec_type":"audio","codec_name":"mp3"}],"format":{}}"#;
        assert!(matches!(parse(Container::Mp3, no_duration.as_bytes()), Err(AvError::NotMedia)));
        let huge = MP4.replace("\"width\":640", "\"width\":64000");
        assert!(matches!(parse(Container::Mp4, huge.as_bytes()), Err(AvError::Dimensions(64000, 640))));
        let fast = MP4.replace("\"30/1\"", "\"240/1\"");
        assert!(matches!(parse(Container::Mp4, fast.as_bytes()), Err(AvError::FrameRate)));
        let long = MP4.replace("7.300000", "999999");
        assert!(matches!(parse(Container::Mp4, long.as_bytes()), Err(AvError::TooLong)));
    }
}
