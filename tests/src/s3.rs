//! A real S3-compatible server for the media-on-S3 tests: `s3s-fs` (installed
//! by scripts/ensure-test-deps into ~/.cache/kereru-tools, or on PATH) on a
//! free loopback port, with its own keys and one bucket, storing into a
//! scratch directory. It dies with the test process (see `pebble::Supervised`).

use crate::pebble::Supervised;
use kereru_media::store::{Backend, S3Settings, StoreSettings};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "kereru-test-access";
pub const SECRET_KEY: &str = "kereru-test-secret-0123456789";
pub const BUCKET: &str = "kereru-media";

pub struct S3Server {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The directory s3s-fs stores into (`<root>/<bucket>/<key>`).
    pub root: PathBuf,
    _process: Supervised,
}

impl S3Server {
    /// The s3s-fs binary, if installed.
    pub fn binary() -> Option<PathBuf> {
        let tools = std::env::var_os("KERERU_TOOLS_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/kereru-tools")));
        let mut candidates: Vec<PathBuf> = tools.into_iter().map(|dir| dir.join("bin/s3s-fs")).collect();
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("s3s-fs")));
        }
        candidates.into_iter().find(|path| path.is_file())
    }

    /// Starts s3s-fs with [`ACCESS_KEY`]/[`SECRET_KEY`] and the bucket [`BUCKET`]; panics if it cannot.
    pub async fn start() -> S3Server {
        let Some(binary) = Self::binary() else { panic!("s3s-fs must be installed (scripts/ensure-test-deps)") };
        let root = crate::scratch_dir("s3");
        // s3s-fs keeps a bucket as a directory of its root.
        std::fs::create_dir_all(root.join(BUCKET)).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap_or_else(|e| panic!("free port: {e}"))
            .port();
        let log = std::env::temp_dir().join(format!("kereru-s3s-{port}.log"));
        let process = Supervised::spawn(
            &binary.display().to_string(),
            &[
                "--host".into(),
                "127.0.0.1".into(),
                "--port".into(),
                port.to_string(),
                "--access-key".into(),
                ACCESS_KEY.into(),
                "--secret-key".into(),
                SECRET_KEY.into(),
                root.display().to_string(),
            ],
            &[("KERERU_REMOVE_AFTER", &root.display().to_string())],
            &log,
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen within 20 s (log: {})", log.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        S3Server { endpoint: format!("http://127.0.0.1:{port}"), root, _process: process }
    }

    /// The backend settings reaching this server.
    pub fn s3_settings(&self) -> S3Settings {
        S3Settings {
            bucket: BUCKET.into(),
            endpoint: self.endpoint.clone(),
            region: "us-east-1".into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            path_style: true,
        }
    }

    pub fn store_settings(&self) -> StoreSettings {
        StoreSettings { backend: Backend::S3(self.s3_settings()), public_base_url: None }
    }

    /// Where s3s-fs keeps an object (for checks from outside the S3 API).
    pub fn object_path(&self, domain_id: i64, name: &str) -> PathBuf {
        self.root.join(BUCKET).join(domain_id.to_string()).join(name)
    }
}
