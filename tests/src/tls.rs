//! A Kererū node with automatic TLS served in this process: the web app on
//! an HTTPS listener with the SNI resolver, the HTTP listener answering
//! HTTP-01 and redirecting, and the certificate manager — the same parts
//! `kereru serve` wires together with `[tls] enabled = true`.

use crate::TestDatabase;
use kereru_acme::{AcmeSettings, CertManager, CertResolver, ManagerHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub struct TlsNode {
    pub https: SocketAddr,
    pub http: SocketAddr,
    pub resolver: Arc<CertResolver>,
    pub manager: ManagerHandle,
    handles: Vec<actix_web::dev::ServerHandle>,
}

/// Settings for tests: quick sync and scans, a node name of its own.
pub fn settings(directory: &str, extra_root: Option<std::path::PathBuf>, node: &str) -> AcmeSettings {
    let mut settings = AcmeSettings::new(directory);
    settings.extra_root = extra_root;
    settings.contact = vec!["mailto:admin@kereru.test".into()];
    settings.sync_interval = Duration::from_millis(300);
    settings.check_interval = Duration::from_secs(1);
    settings.order_timeout = Duration::from_secs(60);
    settings.node = node.to_string();
    settings
}

impl TlsNode {
    pub async fn start(database: &TestDatabase, acme: AcmeSettings) -> TlsNode {
        TlsNode::start_with(database, acme, crate::TestApp::settings()).await
    }

    /// [`TlsNode::start`] with the web app's settings given (e.g. a provider host).
    pub async fn start_with(
        database: &TestDatabase,
        acme: AcmeSettings,
        mut web_settings: kereru_web::WebSettings,
    ) -> TlsNode {
        use actix_web::{App, HttpServer, web};
        crate::install_crypto_provider();
        let pool = database.pool();
        let manager =
            CertManager::new(acme, pool.clone()).with_notifications(&database.url).unwrap_or_else(|e| panic!("{e}"));
        let resolver = manager.resolver();
        let manager = manager.start().await;
        let server_config = kereru_acme::server_config(resolver.clone()).unwrap_or_else(|e| panic!("tls config: {e}"));
        web_settings.public_scheme = kereru_core::Scheme::Https;
        let state = web::Data::new(
            kereru_web::AppState::new(pool.clone(), web_settings).unwrap_or_else(|e| panic!("state: {e}")),
        );
        let main = HttpServer::new(move || App::new().app_data(state.clone()).configure(kereru_web::routes))
            .workers(2)
            .disable_signals()
            .bind_rustls_0_23("127.0.0.1:0", server_config)
            .unwrap_or_else(|e| panic!("bind https: {e}"));
        let https = main.addrs()[0];
        let acme_state = web::Data::new(kereru_web::acme_http::AcmeHttpState { pool, https_port: Some(https.port()) });
        let plain =
            HttpServer::new(move || App::new().app_data(acme_state.clone()).configure(kereru_web::acme_http::routes))
                .workers(1)
                .disable_signals()
                .bind("127.0.0.1:0")
                .unwrap_or_else(|e| panic!("bind http: {e}"));
        let http = plain.addrs()[0];
        let mut handles = Vec::new();
        for server in [main.run(), plain.run()] {
            handles.push(server.handle());
            tokio::spawn(server);
        }
        TlsNode { https, http, resolver, manager, handles }
    }

    pub async fn stop(self) {
        self.manager.stop();
        for handle in &self.handles {
            handle.stop(true).await;
        }
    }
}
