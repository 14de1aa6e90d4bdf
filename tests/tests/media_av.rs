//! Video and audio uploads over real HTTP, with files made by Debian's
//! ffmpeg: checked by ffprobe, answered 202 with `url: null` while pending
//! (`GET /api/v1/media/{id}` 206), finished by the worker (kept when browsers
//! play the file, else transcoded), refused in a status while pending, at
//! once through `/api/v1/media`; what is not audio or video refused; and a
//! server without ffmpeg refusing them (422) but starting.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_service::media_av::{Tools, worker};
use kereru_tests::{PASSWORD, TestApp, World, oauth};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const BOUNDARY: &str = "kereru-av-boundary-91c3";

fn tools() -> Tools {
    Tools::find().expect("ffprobe and ffmpeg (scripts/ensure-test-deps installs them)")
}

/// A file made by ffmpeg from its test sources: `inputs` and `outputs` are its arguments.
fn make(name: &str, arguments: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("kereru-av-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    let status = Command::new(tools().ffmpeg)
        .args(["-nostdin", "-v", "error", "-y"])
        .args(arguments)
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg could not make {name}");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    bytes
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

const VIDEO_IN: &[&str] =
    &["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-f", "lavfi", "-i", "sine=frequency=440"];

/// One second of H.264/AAC video in MP4 (web-playable: kept).
fn mp4() -> Vec<u8> {
    let mut args = VIDEO_IN.to_vec();
    args.extend(["-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4"]);
    make("a.mp4", &args)
}

/// One second of MPEG-4 part 2 video with PCM sound in QuickTime (transcoded).
fn mov() -> Vec<u8> {
    let mut args = VIDEO_IN.to_vec();
    args.extend(["-t", "1", "-c:v", "mpeg4", "-c:a", "pcm_s16le", "-f", "mov"]);
    make("a.mov", &args)
}

/// One second of silent H.264 in MP4: Mastodon's `gifv`.
fn silent_mp4() -> Vec<u8> {
    make(
        "s.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x32:rate=5",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "mp4",
        ],
    )
}

/// One second of MP3.
fn mp3() -> Vec<u8> {
    make("a.mp3", &["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "libmp3lame", "-f", "mp3"])
}

/// One second of Vorbis in Ogg.
fn ogg() -> Vec<u8> {
    make("a.ogg", &["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "libvorbis", "-f", "ogg"])
}

fn multipart(name: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

struct Av {
    app: TestApp,
    client: Client,
    pool: kereru_store::Pool,
    a: kereru_store::domains::Domain,
}

async fn world_with(settings: kereru_web::WebSettings) -> Av {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "bob")
        .user("b.test", "alice")
        .settings(settings)
        .start()
        .await;
    let client = world.app.client();
    let a = world.domain("a.test").clone();
    Av { app: world.app, client, pool: world.pool, a }
}

impl Av {
    async fn token(&self, host: &str, login: &str) -> String {
        let form =
            [("client_name", "AV test"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")];
        let registered = oauth::register_app(&self.client, host, &form).await;
        let response = oauth::password_grant(&self.client, host, &registered, login, PASSWORD, "read write").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
    }

    async fn upload(&self, path: &str, token: &str, filename: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.app.url("a.test", path))
            .bearer_auth(token)
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart("file", filename, "application/octet-stream", bytes))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn get(&self, host: &str, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self.client.get(self.app.url(host, path)).bearer_auth(token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post_status(&self, token: &str, media: &[&str]) -> (StatusCode, Value) {
        let mut form: Vec<(&str, &str)> = vec![("status", "listen")];
        form.extend(media.iter().map(|id| ("media_ids[]", *id)));
        let response = self
            .client
            .post(self.app.url("a.test", "/api/v1/statuses"))
            .bearer_auth(token)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn round(&self) -> usize {
        worker::round(&self.pool, &self.app.media_dir, &tools()).await.unwrap()
    }

    /// The served file's bytes and content type.
    async fn file(&self, url: &str) -> (String, Vec<u8>) {
        let response = self.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        (content_type, response.bytes().await.unwrap().to_vec())
    }
}

/// What ffprobe says the first stream of `bytes` is.
fn first_codec(bytes: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("kereru-av-probe-{}", rand_suffix()));
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new(tools().ffprobe)
        .args(["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    String::from_utf8(output.stdout).unwrap().lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_video_is_202_then_206_until_the_worker_finishes_it_and_only_then_can_be_posted() {
    let w = world_with(TestApp::settings()).await;
    let token = w.token("a.test", "alice").await;

    let (status, pending) = w.upload("/api/v2/media", &token, "clip.mp4", &mp4()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["type"], "video");
    assert!(pending["url"].is_null());
    assert!(pending["preview_url"].as_str().unwrap().contains("/system/media/"));
    let original = &pending["meta"]["original"];
    assert_eq!((original["width"].as_u64(), original["height"].as_u64()), (Some(64), Some(48)));
    assert_eq!(original["frame_rate"], "10/1");
    assert!((original["duration"].as_f64().unwrap() - 1.0).abs() < 0.2, "{original}");
    assert!(original["bitrate"].as_i64().unwrap() > 0);
    assert!(pending["meta"]["small"]["width"].as_u64().unwrap() > 0);
    assert!(pending["blurhash"].is_string());
    let id = pending["id"].as_str().unwrap();

    // Pending: 206, and a status cannot take it yet (Mastodon's 422).
    let (status, shown) = w.get("a.test", &format!("/api/v1/media/{id}"), &token).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert!(shown["url"].is_null());
    let (status, error) = w.post_status(&token, &[id]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"], "Cannot attach files that have not finished processing. Try again in a moment!");
    // Nobody else sees it: another account, another tenant.
    let bob = w.token("a.test", "bob").await;
    assert_eq!(w.get("a.test", &format!("/api/v1/media/{id}"), &bob).await.0, StatusCode::NOT_FOUND);
    let other = w.token("b.test", "alice").await;
    assert_eq!(w.get("b.test", &format!("/api/v1/media/{id}"), &other).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.get("b.test", &format!("/api/v1/media/{id}"), &token).await.0, StatusCode::UNAUTHORIZED);

    // The worker finishes it: H.264/AAC in MP4 is served as it is (metadata dropped).
    assert_eq!(w.round().await, 1);
    assert_eq!(w.round().await, 0);
    let (status, done) = w.get("a.test", &format!("/api/v1/media/{id}"), &token).await;
    assert_eq!(status, StatusCode::OK);
    let url = done["url"].as_str().unwrap();
    assert!(url.ends_with(".mp4"), "{url}");
    let (content_type, bytes) = w.file(url).await;
    assert_eq!(content_type, "video/mp4");
    assert_eq!(first_codec(&bytes), "h264");
    // Another tenant's host does not serve it.
    let path = url.split_once("/system/").unwrap().1;
    let elsewhere = w.client.get(w.app.url("b.test", &format!("/system/{path}"))).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // Now it goes into a status, alone: not with an image.
    let (status, posted) = w.post_status(&token, &[id]).await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    assert_eq!(posted["media_attachments"][0]["type"], "video");
    assert_eq!(posted["media_attachments"][0]["url"], url);
    assert_eq!(posted["media_attachments"][0]["meta"]["original"]["frame_rate"], "10/1");
    let (_, second) = w.upload("/api/v2/media", &token, "again.mp4", &mp4()).await;
    w.round().await;
    let png = {
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::new(8, 8))
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    };
    let (status, image) = w.upload("/api/v2/media", &token, "p.png", &png).await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = w.post_status(&token, &[second["id"].as_str().unwrap(), image["id"].as_str().unwrap()]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"], "Cannot attach a video to a post that already contains images");
    w.app.stop().await;
}

#[tokio::test]
async fn quicktime_is_transcoded_to_h264_silent_video_is_gifv_and_audio_is_kept() {
    let w = world_with(TestApp::settings()).await;
    let token = w.token("a.test", "alice").await;

    let (status, mov) = w.upload("/api/v2/media", &token, "clip.mov", &mov()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{mov}");
    let (status, gifv) = w.upload("/api/v2/media", &token, "loop.mp4", &silent_mp4()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{gifv}");
    assert_eq!(gifv["type"], "gifv");
    let (status, ogg) = w.upload("/api/v2/media", &token, "tone.ogg", &ogg()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ogg}");
    assert_eq!(ogg["type"], "audio");
    assert_eq!(w.round().await, 3);

    let (_, mov) = w.get("a.test", &format!("/api/v1/media/{}", mov["id"].as_str().unwrap()), &token).await;
    let (content_type, bytes) = w.file(mov["url"].as_str().unwrap()).await;
    assert_eq!(content_type, "video/mp4");
    assert_eq!(first_codec(&bytes), "h264");
    let (_, ogg) = w.get("a.test", &format!("/api/v1/media/{}", ogg["id"].as_str().unwrap()), &token).await;
    let (content_type, bytes) = w.file(ogg["url"].as_str().unwrap()).await;
    assert_eq!(content_type, "audio/ogg");
    assert_eq!(first_codec(&bytes), "vorbis");
    let original = &ogg["meta"]["original"];
    assert!(original["duration"].as_f64().unwrap() > 0.5 && original["bitrate"].as_i64().unwrap() > 0, "{original}");
    assert!(original.get("width").is_none());
    // The preview of sound without a cover is its waveform.
    assert!(ogg["preview_url"].as_str().unwrap().contains("/system/media/"));
    w.app.stop().await;
}

#[tokio::test]
async fn v1_answers_when_the_file_is_finished_and_what_is_not_media_is_refused() {
    let w = world_with(TestApp::settings()).await;
    let token = w.token("a.test", "alice").await;

    let (status, audio) = w.upload("/api/v1/media", &token, "tone.mp3", &mp3()).await;
    assert_eq!(status, StatusCode::OK, "{audio}");
    assert_eq!(audio["type"], "audio");
    let (content_type, _) = w.file(audio["url"].as_str().unwrap()).await;
    assert_eq!(content_type, "audio/mpeg");
    assert_eq!(w.round().await, 0);

    // Magic numbers of audio or video on something else, or a cut-off file: 422, nothing kept.
    let mut fake = b"ID3\x04\0\0\0\0\0\0".to_vec();
    fake.extend_from_slice(&[0u8; 4096]);
    let cut = mp4();
    for (name, bytes) in [("fake.mp3", fake.as_slice()), ("cut.mp4", &cut[..cut.len() / 3]), ("x.ogg", b"OggS garbage")]
    {
        let (status, error) = w.upload("/api/v2/media", &token, name, bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {error}");
        assert!(error["error"].as_str().unwrap().starts_with("File type of uploaded media could not be verified"));
    }
    let dir = w.app.media_dir.join(w.a.id.0.to_string());
    // The MP3 and its preview only.
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 2);
    w.app.stop().await;
}

#[tokio::test]
async fn without_ffmpeg_the_server_starts_and_refuses_video_and_audio_with_422() {
    let settings = kereru_web::WebSettings { av_tools: None, ..TestApp::settings() };
    let w = world_with(settings).await;
    let token = w.token("a.test", "alice").await;
    let (status, error) = w.upload("/api/v2/media", &token, "clip.mp4", &mp4()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"], "Video and audio uploads are not supported on this server");
    let (_, instance) = w.get("a.test", "/api/v2/instance", &token).await;
    assert_eq!(instance["configuration"]["media_attachments"]["video_size_limit"], 0);
    w.app.stop().await;
}
