//! Pebble (Let's Encrypt's test CA) and pebble-challtestsrv as its DNS, on
//! free loopback ports, for the ACME tests. Both die with the test process:
//! each runs under a shell that kills it when its stdin (a pipe held here)
//! closes, which happens on drop and on any exit of this process, SIGKILL
//! included.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// A supervised child process: killed when this is dropped or the test process dies.
pub(crate) struct Supervised {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Supervised {
    pub(crate) fn spawn(program: &str, args: &[String], env: &[(&str, &str)], log: &std::path::Path) -> Supervised {
        let log_file = std::fs::File::create(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err_file = log_file.try_clone().unwrap_or_else(|e| panic!("log: {e}"));
        let mut command = Command::new("sh");
        command
            .arg("-c")
            // KERERU_REMOVE_AFTER (if set) is removed once the program is gone: the
            // scratch directory goes even when this process dies without dropping anything.
            .arg(r#""$@" </dev/null & child=$!; cat >/dev/null; kill "$child" 2>/dev/null; wait "$child"; [ -n "$KERERU_REMOVE_AFTER" ] && rm -rf "$KERERU_REMOVE_AFTER"; true"#)
            .arg("sh")
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(err_file);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdin = child.stdin.take();
        Supervised { child, stdin }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // Closing the pipe makes the shell kill the program; then reap the shell.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 for both TCP and UDP right now, and never handed
/// out before by this process: the kernel may give a just-released port to the
/// next `bind(0)`, and Pebble's management port once came out equal to its DNS
/// port (CI failed on "address already in use").
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for _ in 0..200 {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = tcp.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("addr: {e}"));
        if given.contains(&port) {
            continue;
        }
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 for both TCP and UDP");
}

pub struct PebbleOptions {
    /// Where Pebble validates HTTP-01 (Kererū's plain-HTTP listener port).
    pub http_port: u16,
    /// Where Pebble validates TLS-ALPN-01 (Kererū's HTTPS listener port).
    pub tls_port: u16,
    /// Certificate lifetime in seconds (Pebble's `certificateValidityPeriod`); None: Pebble's default.
    pub validity_seconds: Option<u64>,
    /// Require external account binding with this (key id, base64url HMAC key).
    pub eab: Option<(String, String)>,
}

pub struct Pebble {
    /// `https://127.0.0.1:PORT/dir`
    pub directory: String,
    /// The PEM file of the root that signed Pebble's own HTTPS certificate (for `[acme] extra_root`).
    pub listener_root: PathBuf,
    pub listener_root_pem: String,
    management: SocketAddr,
    /// The DNS server Pebble asks (pebble-challtestsrv), for `[acme] resolver`.
    pub dns: SocketAddr,
    challtestsrv_management: SocketAddr,
    pub dir: PathBuf,
    // Dropped last: Pebble first, then its DNS.
    _pebble: Supervised,
    _dns: Supervised,
}

impl Pebble {
    pub fn available() -> bool {
        ["pebble", "pebble-challtestsrv"].iter().all(|program| {
            std::env::var_os("PATH")
                .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        })
    }

    /// Starts challtestsrv (DNS answering 127.0.0.1 for every name, no AAAA)
    /// and Pebble validating on the given ports; returns once the directory answers.
    pub async fn start(options: PebbleOptions) -> Pebble {
        assert!(Pebble::available(), "pebble and pebble-challtestsrv must be installed (scripts/ensure-test-deps)");
        // Another test process may take a port between free_port and Pebble's
        // bind; that (and only that) is worth another try on fresh ports.
        let mut logs = String::new();
        for _ in 0..3 {
            match Pebble::try_start(&options).await {
                Ok(pebble) => return pebble,
                Err(log) => logs.push_str(&log),
            }
        }
        panic!("Pebble could not bind its ports in 3 tries:\n{logs}");
    }

    /// One start; Err(logs) only when a port was already taken.
    async fn try_start(options: &PebbleOptions) -> Result<Pebble, String> {
        let dir = crate::scratch_dir("pebble");
        // Pebble's HTTPS listener: a leaf for 127.0.0.1/localhost signed by a root of our own.
        let (root_pem, leaf_pem, leaf_key_pem) = listener_certificates();
        let listener_root = dir.join("listener-root.pem");
        std::fs::write(&listener_root, &root_pem).unwrap_or_else(|e| panic!("write: {e}"));
        std::fs::write(dir.join("cert.pem"), &leaf_pem).unwrap_or_else(|e| panic!("write: {e}"));
        std::fs::write(dir.join("key.pem"), &leaf_key_pem).unwrap_or_else(|e| panic!("write: {e}"));

        let dns_port = free_port();
        let challtestsrv_management = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let dns = Supervised::spawn(
            "pebble-challtestsrv",
            &[
                "-dns01".into(),
                format!("127.0.0.1:{dns_port}"),
                "-http01".into(),
                String::new(),
                "-https01".into(),
                String::new(),
                "-tlsalpn01".into(),
                String::new(),
                "-management".into(),
                challtestsrv_management.to_string(),
                "-defaultIPv4".into(),
                "127.0.0.1".into(),
                "-defaultIPv6".into(),
                String::new(),
            ],
            &[],
            &dir.join("challtestsrv.log"),
        );

        let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let management = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut config = serde_json::json!({
            "pebble": {
                "listenAddress": listen.to_string(),
                "managementListenAddress": management.to_string(),
                "certificate": dir.join("cert.pem"),
                "privateKey": dir.join("key.pem"),
                "httpPort": options.http_port,
                "tlsPort": options.tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        if let Some((key_id, key)) = &options.eab {
            config["pebble"]["externalAccountBindingRequired"] = serde_json::json!(true);
            config["pebble"]["externalAccountMACKeys"] = serde_json::json!({ key_id.as_str(): key });
        }
        if let Some(seconds) = options.validity_seconds {
            config["pebble"]["certificateValidityPeriod"] = serde_json::json!(seconds);
        }
        let config_path = dir.join("pebble-config.json");
        std::fs::write(&config_path, config.to_string()).unwrap_or_else(|e| panic!("write: {e}"));
        let pebble = Supervised::spawn(
            "pebble",
            &[
                "-config".into(),
                config_path.display().to_string(),
                "-dnsserver".into(),
                format!("127.0.0.1:{dns_port}"),
            ],
            &[
                ("PEBBLE_VA_NOSLEEP", "1"),
                ("PEBBLE_AUTHZREUSE", "0"),
                ("PEBBLE_WFE_NONCEREJECT", "0"),
                ("KERERU_REMOVE_AFTER", &dir.display().to_string()),
            ],
            &dir.join("pebble.log"),
        );
        let pebble = Pebble {
            directory: format!("https://{listen}/dir"),
            listener_root,
            listener_root_pem: root_pem,
            management,
            dns: SocketAddr::from(([127, 0, 0, 1], dns_port)),
            challtestsrv_management,
            dir,
            _pebble: pebble,
            _dns: dns,
        };
        // Bounded start-up: the directory answers, and the DNS server's management port is up.
        let client = pebble.client();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let directory_up = client.get(&pebble.directory).send().await.is_ok_and(|r| r.status().is_success());
            let dns_up = std::net::TcpStream::connect(pebble.challtestsrv_management).is_ok();
            if directory_up && dns_up {
                break;
            }
            let log = std::fs::read_to_string(pebble.dir.join("pebble.log")).unwrap_or_default()
                + &std::fs::read_to_string(pebble.dir.join("challtestsrv.log")).unwrap_or_default();
            if log.contains("address already in use") {
                return Err(log);
            }
            if Instant::now() > deadline {
                panic!("Pebble did not start within 20 s:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(pebble)
    }

    /// A client for Pebble's own endpoints (trusting its listener's root only).
    pub fn client(&self) -> reqwest::Client {
        crate::install_crypto_provider();
        let root =
            reqwest::Certificate::from_pem(self.listener_root_pem.as_bytes()).unwrap_or_else(|e| panic!("root: {e}"));
        reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([root])
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"))
    }

    /// The root that signs the certificates Pebble issues (regenerated at every start).
    pub async fn issuing_root_pem(&self) -> String {
        let url = format!("https://{}/roots/0", self.management);
        let response = self.client().get(&url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.text().await.unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// Makes the DNS answer `addresses` for `host`'s A record.
    pub async fn set_a_record(&self, host: &str, addresses: &[&str]) {
        let url = format!("http://{}/add-a", self.challtestsrv_management);
        let body = serde_json::json!({ "host": format!("{host}."), "addresses": addresses });
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"))
            .post(&url)
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(response.status().is_success(), "{url}: {}", response.status());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pebble.log")).unwrap_or_default()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// (root PEM, leaf PEM, leaf key PEM) for Pebble's HTTPS listener.
pub fn listener_certificates() -> (String, String, String) {
    let fail = |e: rcgen::Error| -> ! { panic!("rcgen: {e}") };
    let root_key = rcgen::KeyPair::generate().unwrap_or_else(|e| fail(e));
    let mut root_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| fail(e));
    root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    root_params.distinguished_name.push(rcgen::DnType::CommonName, "Kererū test Pebble listener root");
    root_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
    let root = root_params.self_signed(&root_key).unwrap_or_else(|e| fail(e));
    let issuer = rcgen::Issuer::new(root_params, root_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap_or_else(|e| fail(e));
    let mut leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap_or_else(|e| fail(e));
    leaf_params.is_ca = rcgen::IsCa::ExplicitNoCa;
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap_or_else(|e| fail(e));
    (root.pem(), leaf.pem(), leaf_key.serialize_pem())
}
