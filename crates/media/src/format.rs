//! Which formats come in (told by their bytes) and which go out.

use image::{DynamicImage, ImageFormat};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Jpeg,
    Png,
    Gif,
    WebP,
}

/// The format by its magic number.
pub fn sniff(bytes: &[u8]) -> Option<InputFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(InputFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(InputFormat::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(InputFormat::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(InputFormat::WebP)
    } else {
        None
    }
}

impl InputFormat {
    pub(crate) fn image_format(self) -> ImageFormat {
        match self {
            InputFormat::Jpeg => ImageFormat::Jpeg,
            InputFormat::Png => ImageFormat::Png,
            InputFormat::Gif => ImageFormat::Gif,
            InputFormat::WebP => ImageFormat::WebP,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Jpeg,
    Png,
    Gif,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
            OutputFormat::Gif => "gif",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Gif => "image/gif",
        }
    }

    /// A still image in the format its source suggests: JPEG stays JPEG, the
    /// rest is PNG, except opaque WebP (usually a photo), which becomes JPEG.
    pub fn for_still(input: InputFormat, image: &DynamicImage) -> OutputFormat {
        match input {
            InputFormat::Jpeg => OutputFormat::Jpeg,
            InputFormat::WebP if !image.color().has_alpha() => OutputFormat::Jpeg,
            _ => OutputFormat::Png,
        }
    }

    /// Previews are JPEG unless transparency must survive.
    pub fn for_preview(image: &DynamicImage) -> OutputFormat {
        if image.color().has_alpha() { OutputFormat::Png } else { OutputFormat::Jpeg }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(InputFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(InputFormat::Png));
        assert_eq!(sniff(b"GIF89a..."), Some(InputFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(InputFormat::WebP));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b""), None);
    }
}
