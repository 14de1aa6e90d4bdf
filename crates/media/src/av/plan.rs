//! What an upload becomes: Mastodon's type for it (`video`, `gifv` for a
//! video without sound, `audio`) and whether browsers play it as it is
//! (kept) or it must be remuxed or transcoded to MP4 (H.264/AAC) or MP3.

use super::probe::Probe;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Video,
    /// A video without sound, shown looping as Mastodon shows animated GIFs.
    Gifv,
    Audio,
}

impl Kind {
    pub fn of(probe: &Probe) -> Kind {
        match (&probe.video, &probe.audio) {
            (Some(_), Some(_)) => Kind::Video,
            (Some(_), None) => Kind::Gifv,
            (None, _) => Kind::Audio,
        }
    }
}

/// The work left for the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// Browsers play it: served as uploaded.
    Keep,
    /// H.264 (and AAC/MP3) in another container: copied into MP4.
    RemuxMp4,
    /// Re-encoded as H.264/AAC in MP4.
    TranscodeMp4,
    /// Re-encoded as MP3.
    TranscodeMp3,
}

/// The file's extension and content type once the plan has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub plan: Plan,
    pub extension: &'static str,
    pub content_type: &'static str,
}

fn one_of(codec: Option<&str>, allowed: &[&str]) -> bool {
    codec.is_none_or(|c| allowed.contains(&c))
}

/// Decides, from what ffprobe found, what is served in the end.
pub fn target(probe: &Probe) -> Target {
    let video = probe.video.as_ref().map(|v| v.codec.as_str());
    let audio = probe.audio.as_ref().map(|a| a.codec.as_str());
    let keep = |extension, content_type| Target { plan: Plan::Keep, extension, content_type };
    let mp4 = |plan| Target { plan, extension: "mp4", content_type: "video/mp4" };
    let mp3 = Target { plan: Plan::TranscodeMp3, extension: "mp3", content_type: "audio/mpeg" };
    let mp4_audio = ["aac", "mp3", "opus"];
    let h264_family = one_of(video, &["h264"]) && one_of(audio, &["aac", "mp3"]);
    match (probe.container.as_str(), video) {
        ("mp4", Some(_)) if one_of(video, &["h264", "av1", "vp9"]) && one_of(audio, &mp4_audio) => {
            keep("mp4", "video/mp4")
        }
        ("mp4", None) if one_of(audio, &mp4_audio) => keep("m4a", "audio/mp4"),
        ("mkv", Some(_)) if one_of(video, &["vp8", "vp9", "av1"]) && one_of(audio, &["vorbis", "opus"]) => {
            keep("webm", "video/webm")
        }
        ("mkv", None) if one_of(audio, &["vorbis", "opus"]) => keep("webm", "audio/webm"),
        ("mp3", None) if audio == Some("mp3") => keep("mp3", "audio/mpeg"),
        ("ogg", None) if one_of(audio, &["vorbis", "opus", "flac"]) => keep("ogg", "audio/ogg"),
        ("flac", None) if audio == Some("flac") => keep("flac", "audio/flac"),
        ("wav", None) if audio.is_some_and(|a| a.starts_with("pcm_")) => keep("wav", "audio/wav"),
        (_, Some(_)) if h264_family => mp4(Plan::RemuxMp4),
        (_, Some(_)) => mp4(Plan::TranscodeMp4),
        (_, None) => mp3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::av::probe::{Audio, Video};

    fn probe(container: &str, video: Option<&str>, audio: Option<&str>) -> Probe {
        Probe {
            container: container.into(),
            brand: None,
            duration: 1.0,
            bitrate: None,
            video: video.map(|codec| Video { codec: codec.into(), width: 2, height: 2, frame_rate: "1/1".into() }),
            audio: audio.map(|codec| Audio { codec: codec.into(), sample_rate: None, channels: None }),
            cover: false,
        }
    }

    #[test]
    fn what_browsers_play_is_kept_the_rest_converted() {
        assert_eq!(target(&probe("mp4", Some("h264"), Some("aac"))).plan, Plan::Keep);
        assert_eq!(target(&probe("mp4", None, Some("aac"))).extension, "m4a");
        assert_eq!(target(&probe("mkv", Some("vp9"), Some("opus"))).extension, "webm");
        assert_eq!(target(&probe("mp3", None, Some("mp3"))).content_type, "audio/mpeg");
        assert_eq!(target(&probe("ogg", None, Some("vorbis"))).plan, Plan::Keep);
        assert_eq!(target(&probe("wav", None, Some("pcm_s16le"))).plan, Plan::Keep);
        assert_eq!(target(&probe("mov", Some("h264"), Some("aac"))).plan, Plan::RemuxMp4);
        assert_eq!(target(&probe("mkv", Some("h264"), None)).plan, Plan::RemuxMp4);
        assert_eq!(target(&probe("mov", Some("prores"), Some("pcm_s16le"))).plan, Plan::TranscodeMp4);
        assert_eq!(target(&probe("ogg", Some("theora"), Some("vorbis"))).plan, Plan::TranscodeMp4);
        assert_eq!(target(&probe("mkv", None, Some("aac"))).plan, Plan::TranscodeMp3);
        assert_eq!(Kind::of(&probe("mp4", Some("h264"), None)), Kind::Gifv);
        assert_eq!(Kind::of(&probe("mp3", None, Some("mp3"))), Kind::Audio);
    }
}
