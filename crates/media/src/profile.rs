//! Avatars and headers, as Mastodon sizes them.

use crate::format::{OutputFormat, sniff};
use crate::process::{Encoded, ProcessError, decode_still, encode_still};
use image::imageops::FilterType;

/// An avatar or a header image, as Mastodon sizes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileImage {
    /// Cropped to a square, 400 px a side at most.
    Avatar,
    /// Fit within 1500 × 500 px.
    Header,
}

const AVATAR_SIDE: u32 = 400;
const HEADER_SIZE: (u32, u32) = (1500, 500);

pub fn process_profile_image(bytes: &[u8], kind: ProfileImage) -> Result<Encoded, ProcessError> {
    let format = sniff(bytes).ok_or(ProcessError::Unrecognized)?;
    // An animated GIF keeps its first frame: profile images are stills here.
    let image = decode_still(bytes, format)?;
    let image = match kind {
        ProfileImage::Avatar => {
            let side = image.width().min(image.height());
            let (x, y) = ((image.width() - side) / 2, (image.height() - side) / 2);
            let square = image.crop_imm(x, y, side, side);
            if side > AVATAR_SIDE {
                square.resize_exact(AVATAR_SIDE, AVATAR_SIDE, FilterType::Triangle)
            } else {
                square
            }
        }
        ProfileImage::Header => {
            if image.width() > HEADER_SIZE.0 || image.height() > HEADER_SIZE.1 {
                image.resize(HEADER_SIZE.0, HEADER_SIZE.1, FilterType::Triangle)
            } else {
                image
            }
        }
    };
    encode_still(&image, OutputFormat::for_still(format, &image))
}
