//! Media attachments over real HTTP: uploads of real images, the entity
//! Mastodon clients expect, files served on their tenant only, metadata
//! stripped, hostile and oversized uploads refused with nothing stored,
//! scopes, owners and tenants, and attaching media to statuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use image::{DynamicImage, GenericImageView, ImageDecoder, Rgb, RgbImage, Rgba, RgbaImage};
use kereru_store::Pool;
use kereru_store::domains::Domain;
use kereru_store::media;
use kereru_store::schema::media_attachments;
use kereru_tests::{PASSWORD, TestApp, World, oauth};
use kereru_web::api::instance::IMAGE_SIZE_LIMIT;
use kereru_web::api::media::UPLOAD_BODY_LIMIT;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::io::Cursor;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

const BOUNDARY: &str = "kereru-test-boundary-7d1f";

/// The tenants a.test (alice, bob) and b.test (alice), their app, and a client.
struct Media {
    app: TestApp,
    client: Client,
    pool: Pool,
    a: Domain,
    b: Domain,
}

async fn world() -> Media {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "alice")
        .start()
        .await;
    let client = world.app.client();
    let (a, b) = (world.domain("a.test").clone(), world.domain("b.test").clone());
    Media { app: world.app, client, pool: world.pool, a, b }
}

impl Media {
    /// A user token by the password grant, for an app registered on `host`.
    async fn token(&self, host: &str, login: &str, scope: &str) -> String {
        let form =
            [("client_name", "Media test"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")];
        let registered = oauth::register_app(&self.client, host, &form).await;
        let response = oauth::password_grant(&self.client, host, &registered, login, PASSWORD, scope).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
    }

    async fn upload(&self, host: &str, path: &str, token: &str, parts: &[Part<'_>]) -> reqwest::Response {
        self.client
            .post(self.app.url(host, path))
            .bearer_auth(token)
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(parts))
            .send()
            .await
            .unwrap()
    }

    async fn fetch(&self, url: &str) -> reqwest::Response {
        self.client.get(url).send().await.unwrap()
    }

    /// Rows and files there are: what a refused upload must not have changed.
    async fn stored(&self) -> (i64, usize) {
        let mut conn = self.pool.get().await.unwrap();
        let rows: i64 = media_attachments::table.count().get_result(&mut conn).await.unwrap();
        let mut files = 0;
        for domain in [&self.a, &self.b] {
            if let Ok(dir) = std::fs::read_dir(self.app.media_dir.join(domain.id.0.to_string())) {
                files += dir.count();
            }
        }
        (rows, files)
    }
}

/// A multipart part: field name, file name (for files), content type, bytes.
struct Part<'a> {
    name: &'a str,
    filename: Option<&'a str>,
    content_type: Option<&'a str>,
    bytes: &'a [u8],
}

fn text<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part { name, filename: None, content_type: None, bytes: value.as_bytes() }
}

fn file<'a>(name: &'a str, filename: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part { name, filename: Some(filename), content_type: Some(content_type), bytes }
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"", part.name).as_bytes(),
        );
        if let Some(filename) = part.filename {
            body.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A colourful test picture: gradients, so that every pixel differs.
fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, ((x + y) % 256) as u8])
    })
}

fn encode(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

async fn error_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap_or_else(|| panic!("no error in {body}")).to_string()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn png_and_jpeg_uploads_give_mastodons_entity_and_their_files_are_served_on_their_tenant_only() {
    let w = world().await;
    let token = w.token("a.test", "alice", "write:media").await;

    let original = picture(800, 600);
    let png = encode(&DynamicImage::ImageRgb8(original.clone()), image::ImageFormat::Png);
    let started = Instant::now();
    let response = w
        .upload(
            "a.test",
            "/api/v2/media",
            &token,
            &[
                file("file", "photo.png", "image/png", &png),
                text("description", "A gradient"),
                text("focus", "-0.5,0.3"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let entity: Value = response.json().await.unwrap();
    println!("800x600 PNG upload: {:?}", started.elapsed());
    assert_eq!(entity["type"], "image");
    assert!(entity["id"].as_str().unwrap().parse::<i64>().is_ok());
    assert_eq!(entity["description"], "A gradient");
    assert_eq!(entity["remote_url"], Value::Null);
    assert_eq!(
        entity["meta"]["original"],
        json!({ "width": 800, "height": 600, "size": "800x600", "aspect": 800.0 / 600.0 })
    );
    assert_eq!(entity["meta"]["focus"], json!({ "x": -0.5, "y": 0.3 }));
    let small = &entity["meta"]["small"];
    let (sw, sh) = (small["width"].as_u64().unwrap(), small["height"].as_u64().unwrap());
    assert!(sw <= 640 && sh <= 640 && sw * sh <= 230_400, "small is {sw}x{sh}");
    assert!((sw as f64 / sh as f64 - 4.0 / 3.0).abs() < 0.01, "aspect kept: {sw}x{sh}");
    assert_eq!(entity["blurhash"].as_str().unwrap().len(), 36, "4x4 components");
    let url = entity["url"].as_str().unwrap();
    let preview = entity["preview_url"].as_str().unwrap();
    assert!(url.starts_with("http://a.test/system/media/") && url.ends_with(".png"), "{url}");
    assert_ne!(url, preview);

    // The same pixels come back (PNG is lossless), with headers for caches and browsers.
    let served = w.fetch(url).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert!(served.headers()["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    let served = decode(&served.bytes().await.unwrap());
    assert_eq!(served.dimensions(), (800, 600));
    assert!(served.to_rgb8() == original, "the stored PNG has other pixels");
    let thumbnail = decode(&w.fetch(preview).await.bytes().await.unwrap());
    assert_eq!(thumbnail.dimensions(), (sw as u32, sh as u32));

    let head = w.client.head(url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-type"], "image/png");

    // On another tenant's host, the same path is nothing.
    let elsewhere = url.replace("a.test", "b.test");
    assert_eq!(w.fetch(&elsewhere).await.status(), StatusCode::NOT_FOUND);

    // JPEG through v1: stays JPEG, same size, near the same pixels.
    let jpeg = encode(&DynamicImage::ImageRgb8(picture(1200, 900)), image::ImageFormat::Jpeg);
    let response = w.upload("a.test", "/api/v1/media", &token, &[file("file", "p.jpg", "image/jpeg", &jpeg)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let entity: Value = response.json().await.unwrap();
    assert_eq!(entity["description"], Value::Null);
    assert!(entity["meta"].get("focus").is_none());
    assert_eq!(entity["meta"]["original"]["size"], "1200x900");
    let served = w.fetch(entity["url"].as_str().unwrap()).await;
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let served = decode(&served.bytes().await.unwrap()).to_rgb8();
    assert_eq!(served.dimensions(), (1200, 900));
    let expected = picture(1200, 900);
    let diff: u64 = served.as_raw().iter().zip(expected.as_raw()).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
    assert!(diff / (expected.as_raw().len() as u64) < 8, "mean difference {}", diff / expected.as_raw().len() as u64);

    // GET and PUT (form and JSON) on the owner's unattached media.
    let id = entity["id"].as_str().unwrap();
    let path = format!("/api/v1/media/{id}");
    let shown: Value =
        w.client.get(w.app.url("a.test", &path)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown, entity);
    let response = w
        .client
        .put(w.app.url("a.test", &path))
        .bearer_auth(&token)
        .form(&[("description", "Now described"), ("focus", "0.25,-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["description"], "Now described");
    assert_eq!(updated["meta"]["focus"], json!({ "x": 0.25, "y": -1.0 }));
    assert_eq!(updated["url"], entity["url"]);
    let response = w
        .client
        .put(w.app.url("a.test", &path))
        .bearer_auth(&token)
        .json(&json!({ "description": "" }))
        .send()
        .await
        .unwrap();
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["meta"]["focus"], json!({ "x": 0.25, "y": -1.0 }), "focus untouched");
    w.app.stop().await;
}

#[tokio::test]
async fn a_thumbnail_given_with_the_upload_or_later_is_the_preview() {
    let w = world().await;
    let token = w.token("a.test", "alice", "write:media").await;
    let png = encode(&DynamicImage::ImageRgb8(picture(300, 200)), image::ImageFormat::Png);
    let red =
        encode(&DynamicImage::ImageRgb8(RgbImage::from_pixel(1000, 1000, Rgb([250, 0, 0]))), image::ImageFormat::Jpeg);
    let response = w
        .upload(
            "a.test",
            "/api/v2/media",
            &token,
            &[file("file", "a.png", "image/png", &png), file("thumbnail", "t.jpg", "image/jpeg", &red)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let entity: Value = response.json().await.unwrap();
    assert_eq!(entity["meta"]["original"]["size"], "300x200");
    assert_eq!(entity["meta"]["small"]["size"], "480x480", "the thumbnail, at most 640x360 pixels' worth");
    let preview = decode(&w.fetch(entity["preview_url"].as_str().unwrap()).await.bytes().await.unwrap()).to_rgb8();
    assert_eq!(preview.dimensions(), (480, 480));
    assert!(preview.get_pixel(240, 240)[0] > 200);

    // A new thumbnail later (multipart PUT): the old preview file is gone.
    let blue =
        encode(&DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 32, Rgb([0, 0, 250]))), image::ImageFormat::Png);
    let path = format!("/api/v1/media/{}", entity["id"].as_str().unwrap());
    let response = w
        .client
        .put(w.app.url("a.test", &path))
        .bearer_auth(&token)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&[file("thumbnail", "t.png", "image/png", &blue), text("description", "blue now")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["description"], "blue now");
    assert_eq!(updated["meta"]["small"]["size"], "64x32");
    assert_eq!(updated["url"], entity["url"]);
    assert_ne!(updated["blurhash"], entity["blurhash"]);
    assert_eq!(w.fetch(entity["preview_url"].as_str().unwrap()).await.status(), StatusCode::NOT_FOUND);
    let preview = decode(&w.fetch(updated["preview_url"].as_str().unwrap()).await.bytes().await.unwrap()).to_rgb8();
    assert!(preview.get_pixel(32, 16)[2] > 200);
    assert_eq!(w.stored().await, (1, 2), "one row, its file and its current preview");
    w.app.stop().await;
}

/// A JPEG with an APP1 segment: EXIF orientation 6 (rotate 90° clockwise)
/// and a GPS position.
fn jpeg_with_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II\x2a\x00\x08\x00\x00\x00");
    // IFD0: orientation and a pointer to the GPS IFD at 38.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 38);
    // GPS IFD: latitude "N" 41° 24' 12.34", rationals at 68.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x02, 0x00, 5, 0, 3, 0, 0, 0, 68, 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 68);
    for (numerator, denominator) in [(41u32, 1u32), (24, 1), (1234, 100)] {
        tiff.extend_from_slice(&numerator.to_le_bytes());
        tiff.extend_from_slice(&denominator.to_le_bytes());
    }
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn exif_with_a_gps_position_is_stripped_after_its_orientation_is_applied() {
    let w = world().await;
    let token = w.token("a.test", "alice", "write").await;
    // Left half red, right half blue; turned 90° clockwise, red is on top.
    let picture = RgbImage::from_fn(300, 200, |x, _| if x < 150 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) });
    let jpeg = jpeg_with_exif(&encode(&DynamicImage::ImageRgb8(picture), image::ImageFormat::Jpeg));
    let gps_latitude: Vec<u8> = [1234u32.to_le_bytes(), 100u32.to_le_bytes()].concat();
    assert!(contains(&jpeg, b"Exif\0\0") && contains(&jpeg, &gps_latitude));
    // The test file itself carries what must go.
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&jpeg)).unwrap();
    assert!(decoder.exif_metadata().unwrap().is_some());

    let response =
        w.upload("a.test", "/api/v2/media", &token, &[file("file", "IMG_0001.JPG", "image/jpeg", &jpeg)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let entity: Value = response.json().await.unwrap();
    assert_eq!(entity["meta"]["original"]["size"], "200x300", "orientation applied");
    for key in ["url", "preview_url"] {
        let bytes = w.fetch(entity[key].as_str().unwrap()).await.bytes().await.unwrap();
        assert!(!contains(&bytes, b"Exif"), "{key} still has EXIF");
        assert!(!contains(&bytes, &gps_latitude), "{key} still has the GPS position");
        let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&bytes[..])).unwrap();
        assert!(decoder.exif_metadata().unwrap().is_none());
    }
    let served = decode(&w.fetch(entity["url"].as_str().unwrap()).await.bytes().await.unwrap()).to_rgb8();
    assert_eq!(served.dimensions(), (200, 300));
    let (top, bottom) = (served.get_pixel(100, 50), served.get_pixel(100, 250));
    assert!(top[0] > 150 && top[2] < 100, "top is {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom is {bottom:?}");
    w.app.stop().await;
}

#[tokio::test]
async fn gif_and_webp_uploads_are_re_encoded() {
    let w = world().await;
    let token = w.token("a.test", "alice", "write:media").await;

    // Two frames: an animation stays an animated GIF.
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = image::Frame::new(RgbaImage::from_pixel(40, 30, Rgba(colour)));
            encoder.encode_frame(frame).unwrap();
        }
    }
    let response = w.upload("a.test", "/api/v2/media", &token, &[file("file", "a.gif", "image/gif", &gif)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let entity: Value = response.json().await.unwrap();
    assert_eq!(entity["meta"]["original"]["size"], "40x30");
    let served = w.fetch(entity["url"].as_str().unwrap()).await;
    assert_eq!(served.headers()["content-type"], "image/gif");
    let bytes = served.bytes().await.unwrap();
    use image::AnimationDecoder;
    let frames =
        image::codecs::gif::GifDecoder::new(Cursor::new(&bytes[..])).unwrap().into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 2);

    // WebP with transparency becomes PNG and keeps it.
    let translucent = RgbaImage::from_fn(64, 48, |x, _| Rgba([10, 200, 10, if x < 32 { 0 } else { 255 }]));
    let webp = encode(&DynamicImage::ImageRgba8(translucent.clone()), image::ImageFormat::WebP);
    let response = w.upload("a.test", "/api/v2/media", &token, &[file("file", "a.webp", "image/webp", &webp)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let entity: Value = response.json().await.unwrap();
    let served = w.fetch(entity["url"].as_str().unwrap()).await;
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(decode(&served.bytes().await.unwrap()).to_rgba8() == translucent);
    w.app.stop().await;
}

#[tokio::test]
async fn what_is_not_an_image_is_422_and_nothing_is_stored() {
    let w = world().await;
    let token = w.token("a.test", "alice", "write:media").await;
    let png = encode(&DynamicImage::ImageRgb8(picture(64, 64)), image::ImageFormat::Png);

    let response = w
        .upload(
            "a.test",
            "/api/v2/media",
            &token,
            &[file("file", "notes.png", "image/png", b"just some text, not a picture\n")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(response).await, "File type of uploaded media could not be verified");

    // An SVG is text to us (it could carry script).
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let response = w.upload("a.test", "/api/v2/media", &token, &[file("file", "x.png", "image/png", svg)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A real PNG header on a cut-off file.
    let response = w
        .upload("a.test", "/api/v2/media", &token, &[file("file", "cut.png", "image/png", &png[..png.len() / 2])])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(response).await.contains("could not be decoded"));

    // A good file with a bad thumbnail, focus or description stores nothing either.
    for parts in [
        vec![file("file", "a.png", "image/png", &png), file("thumbnail", "t.png", "image/png", b"nope")],
        vec![file("file", "a.png", "image/png", &png), text("focus", "2,0")],
        vec![file("file", "a.png", "image/png", &png), text("focus", "NaN,0")],
        vec![file("file", "a.png", "image/png", &png), text("description", "nul\0byte")],
    ] {
        let response = w.upload("a.test", "/api/v2/media", &token, &parts).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!error_of(response).await.is_empty());
    }
    let long = "x".repeat(1501);
    let response = w
        .upload(
            "a.test",
            "/api/v2/media",
            &token,
            &[file("file", "a.png", "image/png", &png), text("description", &long)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // No file at all, an empty one, or not multipart.
    let response = w.upload("a.test", "/api/v2/media", &token, &[text("description", "no file")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = w.upload("a.test", "/api/v2/media", &token, &[file("file", "e.png", "image/png", b"")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = w
        .client
        .post(w.app.url("a.test", "/api/v2/media"))
        .bearer_auth(&token)
        .json(&json!({ "file": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A broken multipart body.
    let response = w
        .client
        .post(w.app.url("a.test", "/api/v2/media"))
        .bearer_auth(&token)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunterminated"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!error_of(response).await.is_empty());

    assert_eq!(w.stored().await, (0, 0));
    // And a path that is not a stored name is simply not there.
    for path in ["/system/media/..%2F..%2Fetc%2Fpasswd", "/system/media/../../etc/passwd", "/system/media/nothing.png"]
    {
        assert_eq!(w.fetch(&w.app.url("a.test", path)).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    w.app.stop().await;
}

/// Sends a raw request and returns the status code of the answer.
async fn raw_exchange(app: &TestApp, head: &str, body: impl IntoIterator<Item = Vec<u8>>) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body {
        stream.write_all(&chunk).await.unwrap();
    }
    kereru_tests::read_status(&mut stream, std::time::Duration::from_secs(30)).await
}

#[tokio::test]
async fn oversized_uploads_are_refused_and_nothing_is_stored() {
    let w = world().await;
    let token = w.token("a.test", "alice", "write:media").await;
    let head = |framing: &str| {
        format!(
            "POST /api/v2/media HTTP/1.1\r\nHost: a.test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
        )
    };

    // A declared length over the upload limit: refused before a byte is read.
    let status = raw_exchange(&w.app, &head(&format!("Content-Length: {}", UPLOAD_BODY_LIMIT + 1)), []).await;
    assert_eq!(status, 413);
    // Elsewhere the general limit (1 MiB here) still holds.
    let apps = "POST /api/v1/apps HTTP/1.1\r\nHost: a.test\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n";
    assert_eq!(raw_exchange(&w.app, apps, []).await, 413);

    // A chunked body declares nothing: it is counted as it comes and
    // refused at the first byte over the limit. (The last chunk is left
    // open, so everything sent has been read when the answer comes.)
    let started = Instant::now();
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n")
            .into_bytes();
    body.resize(UPLOAD_BODY_LIMIT as usize + 1, b'x');
    let chunks = body.chunks(1024 * 1024).map(|chunk| {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed
    });
    let chunks: Vec<Vec<u8>> = chunks.collect();
    let count = chunks.len();
    let chunks = chunks.into_iter().enumerate().map(|(i, mut chunk)| {
        if i + 1 < count {
            chunk.extend_from_slice(b"\r\n");
        }
        chunk
    });
    assert_eq!(raw_exchange(&w.app, &head("Transfer-Encoding: chunked"), chunks).await, 413);
    println!("chunked {} MiB refused in {:?}", UPLOAD_BODY_LIMIT >> 20, started.elapsed());

    // A file over the image size limit in a body within the upload limit: Mastodon's 422.
    let mut big = encode(&DynamicImage::ImageRgb8(picture(8, 8)), image::ImageFormat::Png);
    big.resize(IMAGE_SIZE_LIMIT as usize + 1, 0);
    let response = w.upload("a.test", "/api/v2/media", &token, &[file("file", "big.png", "image/png", &big)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(response).await, "Validation failed: File file size must be less than 16 MB");

    // More pixels than the matrix limit (33,177,600): refused from the header, before decoding.
    let huge = encode(&DynamicImage::ImageLuma8(image::GrayImage::new(6000, 6000)), image::ImageFormat::Png);
    let response = w.upload("a.test", "/api/v2/media", &token, &[file("file", "huge.png", "image/png", &huge)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(response).await, "6000x6000 images are not supported");

    assert_eq!(w.stored().await, (0, 0));
    w.app.stop().await;
}

#[tokio::test]
async fn scopes_owners_and_tenants_bound_who_sees_what() {
    let w = world().await;
    let alice = w.token("a.test", "alice", "write:media").await;
    let png = encode(&DynamicImage::ImageRgb8(picture(32, 32)), image::ImageFormat::Png);
    let parts = [file("file", "a.png", "image/png", &png)];

    // Without write:media (or write): 403; without a token, or another tenant's: 401.
    let read_only = w.token("a.test", "alice", "read").await;
    let response = w.upload("a.test", "/api/v2/media", &read_only, &parts).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!error_of(response).await.is_empty());
    let other_tenant = w.token("b.test", "alice", "write:media").await;
    assert_eq!(w.upload("a.test", "/api/v2/media", &other_tenant, &parts).await.status(), StatusCode::UNAUTHORIZED);
    let anonymous = w.client.post(w.app.url("a.test", "/api/v2/media")).body(multipart(&parts)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(w.stored().await, (0, 0));

    let entity: Value = w.upload("a.test", "/api/v2/media", &alice, &parts).await.json().await.unwrap();
    let id = entity["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/media/{id}");
    let get = |host: &str, token: &str| w.client.get(w.app.url(host, &path)).bearer_auth(token.to_string()).send();
    let put = |host: &str, token: &str| {
        w.client.put(w.app.url(host, &path)).bearer_auth(token.to_string()).form(&[("description", "mine now")]).send()
    };
    assert_eq!(get("a.test", &alice).await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("a.test", &read_only).await.unwrap().status(), StatusCode::FORBIDDEN);

    // Bob on the same tenant, and alice@b.test on hers, find nothing.
    let bob = w.token("a.test", "bob", "write:media").await;
    let alice_b = w.token("b.test", "alice", "write:media").await;
    for (host, token) in [("a.test", &bob), ("b.test", &alice_b)] {
        let response = get(host, token).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(error_of(response).await, "Record not found");
        assert_eq!(put(host, token).await.unwrap().status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(get("a.test", &alice_b).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    for bad in ["/api/v1/media/not-a-number", "/api/v1/media/99999999999999999999999"] {
        let response = w.client.get(w.app.url("a.test", bad)).bearer_auth(&alice).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let shown: Value = get("a.test", &alice).await.unwrap().json().await.unwrap();
    assert_eq!(shown["description"], Value::Null, "nobody else changed it");
    w.app.stop().await;
}

#[tokio::test]
async fn attaching_to_a_status_is_all_or_nothing_and_keeps_the_order_given() {
    let w = world().await;
    let alice = w.token("a.test", "alice", "write:media write:statuses read:statuses").await;
    let bob = w.token("a.test", "bob", "write:media").await;
    let alice_on_b = w.token("b.test", "alice", "write:media write:statuses").await;
    let png = encode(&DynamicImage::ImageRgb8(picture(16, 16)), image::ImageFormat::Png);
    let upload = |token: String| {
        let png = png.clone();
        let w = &w;
        async move {
            let entity: Value = w
                .upload("a.test", "/api/v2/media", &token, &[file("file", "a.png", "image/png", &png)])
                .await
                .json()
                .await
                .unwrap();
            entity["id"].as_str().unwrap().to_string()
        }
    };
    let (first, second, bobs) = (upload(alice.clone()).await, upload(alice.clone()).await, upload(bob.clone()).await);
    let post = |host: &'static str, token: String, ids: Vec<String>| {
        let w = &w;
        async move {
            let mut form: Vec<(&str, String)> = vec![("status", "with pictures".to_string())];
            form.extend(ids.into_iter().map(|id| ("media_ids[]", id)));
            w.client.post(w.app.url(host, "/api/v1/statuses")).bearer_auth(token).form(&form).send().await.unwrap()
        }
    };
    let statuses_now = |w: &Media| {
        let pool = w.pool.clone();
        async move {
            let mut conn = pool.get().await.unwrap();
            kereru_store::schema::statuses::table.count().get_result::<i64>(&mut conn).await.unwrap()
        }
    };

    // Bob's media among alice's: refused, and no status is made.
    let response = post("a.test", alice.clone(), vec![second.clone(), bobs.clone(), first.clone()]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(response).await.contains(&bobs));
    assert_eq!(statuses_now(&w).await, 0);
    // Alice's ids are not hers on another tenant (there she is another account).
    let response = post("b.test", alice_on_b.clone(), vec![first.clone()]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(statuses_now(&w).await, 0);
    // More than four is refused before anything is looked up.
    let five: Vec<String> = (0..5).map(|_| first.clone()).collect();
    assert_eq!(post("a.test", alice.clone(), five).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = post("a.test", alice.clone(), vec![second.clone(), first.clone(), second.clone()]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let status: Value = response.json().await.unwrap();
    let ids: Vec<&str> =
        status["media_attachments"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![second.as_str(), first.as_str()]);
    // Once attached, media can't be attached again.
    assert_eq!(post("a.test", alice.clone(), vec![first.clone()]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let mut conn = w.pool.get().await.unwrap();
    let status_id: kereru_store::StatusId = status["id"].as_str().unwrap().parse().unwrap();
    let grouped = media::for_statuses(&mut conn, w.a.id, &[status_id]).await.unwrap();
    assert_eq!(grouped[&status_id].len(), 2);
    assert!(media::for_statuses(&mut conn, w.b.id, &[status_id]).await.unwrap().is_empty(), "not on another tenant");
    let only_media: Value = w
        .client
        .get(w.app.url(
            "a.test",
            &format!("/api/v1/accounts/{}/statuses?only_media=true", status["account"]["id"].as_str().unwrap()),
        ))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only_media.as_array().unwrap().len(), 1);

    // Attached media is no longer the client's to GET or PUT, as in Mastodon.
    let response =
        w.client.get(w.app.url("a.test", &format!("/api/v1/media/{first}"))).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Its file is still served, on its tenant.
    let url = status["media_attachments"][0]["url"].as_str().unwrap();
    assert_eq!(w.fetch(url).await.status(), StatusCode::OK);
    w.app.stop().await;
}

#[tokio::test]
async fn avatars_and_headers_are_cropped_stored_and_shown_on_the_profile() {
    let w = world().await;
    let alice = w.token("a.test", "alice", "write:accounts read:accounts").await;
    let before: Value = w
        .client
        .get(w.app.url("a.test", "/api/v1/accounts/verify_credentials"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Until one is uploaded, the default image is served.
    let default = w.fetch(before["avatar"].as_str().unwrap()).await;
    assert_eq!(default.status(), StatusCode::OK);
    assert_eq!(default.headers()["content-type"], "image/png");

    let wide = encode(&DynamicImage::ImageRgb8(picture(900, 600)), image::ImageFormat::Png);
    let banner = encode(&DynamicImage::ImageRgb8(picture(3000, 600)), image::ImageFormat::Jpeg);
    let response = w
        .client
        .patch(w.app.url("a.test", "/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&[
            file("avatar", "me.png", "image/png", &wide),
            file("header", "banner.jpg", "image/jpeg", &banner),
            text("display_name", "Alice with a face"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["display_name"], "Alice with a face");
    let avatar = decode(&w.fetch(after["avatar"].as_str().unwrap()).await.bytes().await.unwrap());
    assert_eq!((avatar.width(), avatar.height()), (400, 400), "a centred square, 400 px");
    let header = decode(&w.fetch(after["header"].as_str().unwrap()).await.bytes().await.unwrap());
    assert!(header.width() <= 1500 && header.height() <= 500, "{}x{}", header.width(), header.height());
    // Other servers see them: the Person document's icon and image, with the type they are served as.
    let person: Value = w
        .client
        .get(w.app.url("a.test", "/users/alice"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (key, entity) in [("icon", "avatar"), ("image", "header")] {
        assert_eq!(person[key]["type"], "Image", "{person}");
        assert_eq!(person[key]["url"], after[entity], "{key}: {person}");
        let served = w.fetch(after[entity].as_str().unwrap()).await;
        assert_eq!(person[key]["mediaType"], served.headers()["content-type"].to_str().unwrap(), "{key}");
    }
    // The image lives on alice's tenant only.
    let elsewhere = after["avatar"].as_str().unwrap().replace("http://a.test/", "http://b.test/");
    assert_eq!(w.fetch(&elsewhere).await.status(), StatusCode::NOT_FOUND);

    // Not an image: refused, and the profile keeps its images.
    let response = w
        .client
        .patch(w.app.url("a.test", "/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice)
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&[
            file("avatar", "x.png", "image/png", b"not an image at all"),
            text("display_name", "changed"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let now: Value = w
        .client
        .get(w.app.url("a.test", "/api/v1/accounts/verify_credentials"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["avatar"], after["avatar"]);
    assert_eq!(now["display_name"], "Alice with a face");
    w.app.stop().await;
}
