//! Decoding (upright by its EXIF orientation, 8 bits per channel), resizing
//! to Mastodon's pixel budgets, re-encoding, previews and blurhashes.
//! CPU-bound: callers run it through [`crate::worker::blocking`].

use crate::format::{InputFormat, OutputFormat, sniff};
use crate::{GIF_FRAME_LIMIT, GIF_TOTAL_PIXEL_LIMIT, IMAGE_MATRIX_LIMIT, ORIGINAL_PIXEL_LIMIT, SMALL_PIXEL_LIMIT};
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageReader};
use std::io::Cursor;

/// What a decoder may allocate: an image at the matrix limit in 16-bit RGBA, with room to spare.
const DECODE_ALLOC_LIMIT: u64 = 320 * 1024 * 1024;
const JPEG_QUALITY: u8 = 90;
const GIF_SPEED: i32 = 10;
/// Mastodon's blurhash: 4×4 components.
const BLURHASH_COMPONENTS: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("File type of uploaded media could not be verified")]
    Unrecognized,
    #[error("{0}x{1} images are not supported")]
    Dimensions(u32, u32),
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    #[error("animated GIFs may have at most {GIF_FRAME_LIMIT} frames and {GIF_TOTAL_PIXEL_LIMIT} pixels in all frames")]
    AnimationTooLarge,
    #[error("Error processing thumbnail for uploaded media: {0}")]
    Encode(String),
    #[error("storing the media file failed: {0}")]
    Io(#[from] std::io::Error),
    /// The blocking thread that did the work failed.
    #[error("media worker: {0}")]
    Worker(String),
    #[error(transparent)]
    Storage(#[from] crate::store::StorageError),
}

impl ProcessError {
    /// Whether the upload is at fault (Mastodon answers 422) rather than the server (500).
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            ProcessError::Encode(_) | ProcessError::Io(_) | ProcessError::Worker(_) | ProcessError::Storage(_)
        )
    }
}

fn decode_error(error: image::ImageError) -> ProcessError {
    match error {
        image::ImageError::Limits(_) => ProcessError::Corrupt("it needs too much memory to decode".into()),
        other => ProcessError::Corrupt(other.to_string().chars().take(200).collect()),
    }
}

fn encode_error(error: image::ImageError) -> ProcessError {
    ProcessError::Encode(error.to_string())
}

fn decode_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_ALLOC_LIMIT);
    limits
}

fn check_matrix(width: u32, height: u32) -> Result<(), ProcessError> {
    if width == 0 || height == 0 {
        return Err(ProcessError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > IMAGE_MATRIX_LIMIT {
        return Err(ProcessError::Dimensions(width, height));
    }
    Ok(())
}

/// 8 bits per channel: what browsers show, and half the memory.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    }
}

/// The (first) image, upright by its EXIF orientation, 8 bits per channel.
pub(crate) fn decode_still(bytes: &[u8], format: InputFormat) -> Result<DynamicImage, ProcessError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(decode_limits());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_matrix(width, height)?;
    if decoder.total_bytes() > DECODE_ALLOC_LIMIT {
        return Err(ProcessError::Dimensions(width, height));
    }
    // An unreadable orientation is no orientation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    Ok(to_8bit(image))
}

/// The size that fits `max_pixels`, keeping the aspect ratio; never larger.
fn fit(width: u32, height: u32, max_pixels: u64) -> (u32, u32) {
    let pixels = u64::from(width) * u64::from(height);
    if pixels <= max_pixels {
        return (width, height);
    }
    let scale = (max_pixels as f64 / pixels as f64).sqrt();
    let side = |v: u32| ((f64::from(v) * scale + 1e-6).floor() as u32).clamp(1, v);
    (side(width), side(height))
}

fn scaled(image: &DynamicImage, max_pixels: u64) -> Option<DynamicImage> {
    let (width, height) = fit(image.width(), image.height(), max_pixels);
    ((width, height) != (image.width(), image.height()))
        .then(|| image.resize_exact(width, height, FilterType::Triangle))
}

/// An encoded image, ready to be written.
#[derive(Debug)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
}

pub(crate) fn encode_still(image: &DynamicImage, format: OutputFormat) -> Result<Encoded, ProcessError> {
    let mut bytes = Vec::new();
    let (width, height) = (image.width(), image.height());
    // Stills are never GIF: a single GIF frame is stored as PNG.
    let format = if format == OutputFormat::Gif { OutputFormat::Png } else { format };
    match format {
        OutputFormat::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
            match image {
                DynamicImage::ImageLuma8(gray) => {
                    encoder.write_image(gray.as_raw(), width, height, ExtendedColorType::L8)
                }
                other => encoder.write_image(other.to_rgb8().as_raw(), width, height, ExtendedColorType::Rgb8),
            }
            .map_err(encode_error)?;
        }
        OutputFormat::Png | OutputFormat::Gif => {
            let encoder = PngEncoder::new_with_quality(&mut bytes, CompressionType::Default, PngFilter::Adaptive);
            image.write_with_encoder(encoder).map_err(encode_error)?;
        }
    }
    Ok(Encoded { bytes, format, width, height })
}

fn blurhash_of(image: &DynamicImage) -> Option<String> {
    // Four components a side need few pixels: hash a small copy.
    let tiny = image.thumbnail(64, 64).to_rgba8();
    blurhash::encode(BLURHASH_COMPONENTS, BLURHASH_COMPONENTS, tiny.width(), tiny.height(), tiny.as_raw()).ok()
}

/// The preview of a still image, and its blurhash.
fn preview(image: &DynamicImage) -> Result<(Encoded, Option<String>), ProcessError> {
    let small = scaled(image, SMALL_PIXEL_LIMIT);
    let small = small.as_ref().unwrap_or(image);
    let encoded = encode_still(small, OutputFormat::for_preview(small))?;
    Ok((encoded, blurhash_of(small)))
}

/// An upload, processed: the file to keep, its preview and the preview's blurhash.
#[derive(Debug)]
pub struct Processed {
    pub original: Encoded,
    pub small: Encoded,
    pub blurhash: Option<String>,
}

fn process_still(image: DynamicImage, input: InputFormat) -> Result<Processed, ProcessError> {
    let image = match scaled(&image, ORIGINAL_PIXEL_LIMIT) {
        Some(smaller) => smaller,
        None => image,
    };
    let original = encode_still(&image, OutputFormat::for_still(input, &image))?;
    let (small, blurhash) = preview(&image)?;
    Ok(Processed { original, small, blurhash })
}

/// GIFs: a single frame becomes a PNG; an animation is re-encoded frame by
/// frame (dropping comments and application data but the loop) within limits.
fn process_gif(bytes: &[u8]) -> Result<Processed, ProcessError> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_matrix(width, height)?;
    decoder.set_limits(decode_limits()).map_err(decode_error)?;
    let mut frames = decoder.into_frames();
    let first =
        frames.next().ok_or_else(|| ProcessError::Corrupt("the GIF has no frames".into()))?.map_err(decode_error)?;
    let Some(second) = frames.next().transpose().map_err(decode_error)? else {
        let image = DynamicImage::ImageRgba8(first.into_buffer());
        return process_still(image, InputFormat::Gif);
    };
    let first_image = DynamicImage::ImageRgba8(first.buffer().clone());
    let frame_pixels = u64::from(width) * u64::from(height);
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, GIF_SPEED);
        encoder.set_repeat(Repeat::Infinite).map_err(encode_error)?;
        let mut count = 0usize;
        for frame in [Ok(first), Ok(second)].into_iter().chain(frames) {
            let frame = frame.map_err(decode_error)?;
            count += 1;
            if count > GIF_FRAME_LIMIT || (count as u64).saturating_mul(frame_pixels) > GIF_TOTAL_PIXEL_LIMIT {
                return Err(ProcessError::AnimationTooLarge);
            }
            encoder.encode_frame(frame).map_err(encode_error)?;
        }
    }
    let original = Encoded { bytes, format: OutputFormat::Gif, width, height };
    let (small, blurhash) = preview(&first_image)?;
    Ok(Processed { original, small, blurhash })
}

pub fn process_file(bytes: &[u8]) -> Result<Processed, ProcessError> {
    let format = sniff(bytes).ok_or(ProcessError::Unrecognized)?;
    match format {
        InputFormat::Gif => process_gif(bytes),
        other => process_still(decode_still(bytes, other)?, other),
    }
}

/// A client-given thumbnail: any accepted format, reduced to the preview size.
pub fn process_thumbnail(bytes: &[u8]) -> Result<(Encoded, Option<String>), ProcessError> {
    let format = sniff(bytes).ok_or(ProcessError::Unrecognized)?;
    preview(&decode_still(bytes, format)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_fit_mastodons_pixel_budgets() {
        assert_eq!(fit(600, 600, SMALL_PIXEL_LIMIT), (480, 480));
        assert_eq!(fit(1920, 1080, SMALL_PIXEL_LIMIT), (640, 360));
        assert_eq!(fit(400, 300, SMALL_PIXEL_LIMIT), (400, 300));
        assert_eq!(fit(7680, 4320, ORIGINAL_PIXEL_LIMIT), (3840, 2160));
        let (w, h) = fit(100_000, 1, SMALL_PIXEL_LIMIT);
        assert!(w >= 1 && h == 1 && u64::from(w) * u64::from(h) <= SMALL_PIXEL_LIMIT);
    }
}
