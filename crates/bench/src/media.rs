//! `fanout --media local|s3`: the post carries an image, uploaded first
//! through the service layer into the chosen store (a scratch directory, or
//! a real s3s-fs server on loopback as the S3 tests use), so the figures
//! compare media on local disk with media on S3-compatible storage.

use anyhow::Context;
use kereru_media::MediaStore;
use kereru_service::media::{self, Upload};
use kereru_service::media_av::{AvOptions, Finish};
use kereru_store::{AccountId, DomainId, MediaId};
use kereru_tests::s3::S3Server;
use std::time::Instant;

/// Where the bench keeps the post's image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MediaStoreKind {
    Local,
    S3,
}

/// The store, and what keeps it alive (the s3s-fs process) until dropped.
pub struct BenchStore {
    pub store: MediaStore,
    _s3: Option<S3Server>,
}

pub async fn open(kind: MediaStoreKind) -> anyhow::Result<BenchStore> {
    match kind {
        MediaStoreKind::Local => {
            let dir = std::env::temp_dir().join(format!("kereru-bench-media-{}", std::process::id()));
            Ok(BenchStore { store: MediaStore::local(&dir)?, _s3: None })
        }
        MediaStoreKind::S3 => {
            anyhow::ensure!(S3Server::binary().is_some(), "s3s-fs not found: run scripts/ensure-test-deps");
            let s3 = S3Server::start().await;
            let store = MediaStore::open(&s3.store_settings(), &std::env::temp_dir())?;
            store.check().await.context("the s3s-fs bucket")?;
            Ok(BenchStore { store, _s3: Some(s3) })
        }
    }
}

/// Uploads a 1280×960 PNG as `account`'s; its id and how long the upload took (processing and storing).
pub async fn upload(
    pool: &kereru_store::Pool,
    store: &MediaStore,
    tenant: DomainId,
    account: AccountId,
) -> anyhow::Result<(MediaId, f64)> {
    let image = image::RgbImage::from_fn(1280, 960, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x ^ y) % 256) as u8])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
    let started = Instant::now();
    let upload = Upload { file: bytes, thumbnail: None, description: Some("a test card".into()), focus: None };
    let av = AvOptions { tools: None, finish: Finish::Later };
    let created = media::upload(pool, store.tenant(tenant.0), tenant, account, upload, av)
        .await
        .map_err(|error| anyhow::anyhow!("upload: {error}"))?;
    Ok((created.id, started.elapsed().as_secs_f64()))
}
