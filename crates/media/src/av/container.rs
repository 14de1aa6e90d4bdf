//! Which container an upload is, told by its first bytes (magic numbers
//! only: ffprobe reads the rest), and the ffmpeg demuxer it is opened with.
//! Naming the demuxer keeps ffmpeg from guessing (no playlists, no images).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// ISO base media (`ftyp` with an MPEG-4 brand): mp4, m4a, m4v.
    Mp4,
    /// QuickTime: `ftyp` with the `qt  ` brand, or an older file starting with another atom.
    QuickTime,
    /// Matroska and WebM (EBML).
    Matroska,
    Mp3,
    Ogg,
    Wav,
    Flac,
}

/// The container by its magic number; `None` for anything else (images included).
pub fn sniff(bytes: &[u8]) -> Option<Container> {
    let atom = bytes.get(4..8);
    if atom == Some(b"ftyp".as_slice()) {
        return Some(if bytes.get(8..12) == Some(b"qt  ".as_slice()) { Container::QuickTime } else { Container::Mp4 });
    }
    if matches!(atom, Some(b"moov" | b"mdat" | b"wide" | b"free" | b"skip")) {
        return Some(Container::QuickTime);
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Container::Matroska);
    }
    if bytes.starts_with(b"OggS") {
        return Some(Container::Ogg);
    }
    if bytes.starts_with(b"fLaC") {
        return Some(Container::Flac);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE".as_slice()) {
        return Some(Container::Wav);
    }
    if bytes.starts_with(b"ID3") || is_mpeg_audio_frame(bytes) {
        return Some(Container::Mp3);
    }
    None
}

/// An MPEG audio frame header: 11 sync bits, a known version and a layer
/// (not the `00` of AAC's ADTS).
fn is_mpeg_audio_frame(bytes: &[u8]) -> bool {
    match (bytes.first(), bytes.get(1)) {
        (Some(0xFF), Some(&second)) => {
            second & 0xE0 == 0xE0 && (second >> 3) & 0b11 != 0b01 && (second >> 1) & 0b11 != 0
        }
        _ => false,
    }
}

impl Container {
    /// The ffmpeg demuxer that reads it.
    pub fn demuxer(self) -> &'static str {
        match self {
            Container::Mp4 | Container::QuickTime => "mov",
            Container::Matroska => "matroska",
            Container::Mp3 => "mp3",
            Container::Ogg => "ogg",
            Container::Wav => "wav",
            Container::Flac => "flac",
        }
    }

    /// The extension of the uploaded file as first written.
    pub fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::QuickTime => "mov",
            Container::Matroska => "mkv",
            Container::Mp3 => "mp3",
            Container::Ogg => "ogg",
            Container::Wav => "wav",
            Container::Flac => "flac",
        }
    }

    /// The container of a file [`Container::extension`] named.
    pub fn from_extension(extension: &str) -> Option<Container> {
        [
            Container::Mp4,
            Container::QuickTime,
            Container::Matroska,
            Container::Mp3,
            Container::Ogg,
            Container::Wav,
            Container::Flac,
        ]
        .into_iter()
        .find(|c| c.extension() == extension)
    }

    /// The content type of the upload as it came.
    pub fn content_type(self) -> &'static str {
        match self {
            Container::Mp4 => "video/mp4",
            Container::QuickTime => "video/quicktime",
            Container::Matroska => "video/x-matroska",
            Container::Mp3 => "audio/mpeg",
            Container::Ogg => "audio/ogg",
            Container::Wav => "audio/wav",
            Container::Flac => "audio/flac",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_told_by_their_bytes() {
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some(Container::Mp4));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\x02\0"), Some(Container::QuickTime));
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\0\0mdat"), Some(Container::QuickTime));
        assert_eq!(sniff(b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81"), Some(Container::Matroska));
        assert_eq!(sniff(b"OggS\0\x02"), Some(Container::Ogg));
        assert_eq!(sniff(b"fLaC\0\0\0\x22"), Some(Container::Flac));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(Container::Wav));
        assert_eq!(sniff(b"ID3\x04\0\0"), Some(Container::Mp3));
        assert_eq!(sniff(b"\xFF\xFB\x90\x64"), Some(Container::Mp3));
        // AAC in ADTS, JPEG, WebP, text: not ours.
        assert_eq!(sniff(b"\xFF\xF1\x50\x80"), None);
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), None);
        assert_eq!(sniff(b"#EXTM3U\n"), None);
        assert_eq!(sniff(b""), None);
    }
}
