//! `kereru serve`: one node: the HTTP server and the workers its `[node] roles` ask for.

use super::serve_workers;
use crate::config::Config;
use crate::database::Database;
use crate::node::{Role, Roles};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use kereru_web::{AppState, WebSettings};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let roles = config.node.roles();
    let scheme = config.public_scheme().context("invalid http.public_scheme")?;
    let database = Database::open(&config).await?;
    tracing::info!("node roles: {roles}");
    // ffprobe and ffmpeg are optional: without them video and audio uploads are refused (422).
    let av_tools =
        (roles.has(Role::Web) || roles.has(Role::Media)).then(kereru_service::media_av::Tools::find).flatten();
    match &av_tools {
        Some(tools) => tracing::info!("video and audio: {} and {}", tools.ffprobe.display(), tools.ffmpeg.display()),
        None if roles.has(Role::Web) || roles.has(Role::Media) => {
            tracing::warn!("ffprobe/ffmpeg not found on PATH: video and audio uploads are refused")
        }
        None => {}
    }
    // Media files: the local directory or an S3 bucket, reached once now so a wrong bucket or key stops here.
    let media = match config.media_store() {
        Ok(media) => media,
        Err(error) => {
            database.close().await?;
            return Err(error.into());
        }
    };
    if let Err(error) = media.check().await {
        database.close().await?;
        return Err(anyhow::Error::new(error).context(format!("[media] cannot reach {}", media.describe())));
    }
    tracing::info!("media files in {}", media.describe());
    // The metrics listener, when `[metrics] listen` is set: up on every node, whatever its roles.
    let metrics = match super::metrics::start(&config, database.pool.clone()) {
        Ok(metrics) => metrics,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
    let mut workers = serve_workers::Workers::new();
    let result = run_node(&config, &database, roles, scheme, av_tools, media, &mut workers).await;
    // Workers stop after the listeners: each finishes or hands back what it holds.
    workers.stop().await;
    if let Some(handle) = metrics {
        handle.stop(true).await;
    }
    database.close().await?;
    result
}

/// Starts the workers and, with the web role, the listeners; returns once
/// the node was asked to stop (and the listeners drained).
async fn run_node(
    config: &Config,
    database: &Database,
    roles: Roles,
    scheme: kereru_core::Scheme,
    av_tools: Option<kereru_service::media_av::Tools>,
    media: kereru_media::MediaStore,
    workers: &mut serve_workers::Workers,
) -> anyhow::Result<()> {
    let web = if roles.has(Role::Web) { Some(web_state(config, database, scheme, av_tools.clone())?) } else { None };
    let fetcher = match &web {
        Some((state, _)) => std::sync::Arc::clone(&state.fetcher),
        None => std::sync::Arc::new(kereru_delivery::http::Fetcher::new(&fetch_settings(config)?)?),
    };
    let needs = serve_workers::Needs {
        config,
        pool: database.pool.clone(),
        database_url: &database.url,
        roles,
        scheme,
        fetcher,
        av_tools,
        media,
    };
    // The processor of what inboxes accepted, woken by this node's inbox.
    let wake = workers.start_inbound(&needs);
    // With TLS: the certificate manager first, so HTTPS starts with every stored certificate.
    // It issues only on nodes with the acme-issuer role; web nodes serve what is stored.
    let tls = if config.tls.enabled && (roles.has(Role::Web) || roles.has(Role::AcmeIssuer)) {
        if scheme != kereru_core::Scheme::Https {
            tracing::warn!(
                "[tls] enabled with [http] public_scheme = \"http\": published ids and URLs will say http://"
            );
        }
        let mut settings = config.acme_settings()?;
        settings.issue = settings.issue && roles.has(Role::AcmeIssuer);
        let manager =
            kereru_acme::CertManager::new(settings, database.pool.clone()).with_notifications(&database.url)?;
        let resolver = manager.resolver();
        Some((resolver, manager.start().await))
    } else {
        None
    };
    // Watched from here on, before anything says the node is up.
    let stop = stop_requested();
    let result = match web {
        Some((state, hub)) => {
            let state = match wake {
                Some(wake) => state.with_inbound_wake(wake),
                None => state,
            };
            let tls = tls.as_ref().map(|(resolver, _)| std::sync::Arc::clone(resolver));
            serve_http(config, database, state, hub, tls, stop, || workers.start_rest(needs)).await
        }
        None => match workers.start_rest(needs) {
            Ok(()) => {
                tracing::info!("running without HTTP listeners (no \"web\" role)");
                // Scripts wait for this line to know a worker node runs.
                println!("kereru running: {roles}");
                stop.await;
                Ok(())
            }
            Err(error) => Err(error),
        },
    };
    tracing::info!("shutting down");
    if let Some((_, manager)) = tls {
        manager.stop();
    }
    result
}

/// The web state and this node's streaming hub.
fn web_state(
    config: &Config,
    database: &Database,
    scheme: kereru_core::Scheme,
    av_tools: Option<kereru_service::media_av::Tools>,
) -> anyhow::Result<(AppState, kereru_web::streaming::Hub)> {
    let settings = WebSettings {
        public_scheme: scheme,
        max_body_bytes: config.http.max_body_bytes,
        password_grant: config.oauth.password_grant,
        media_dir: config.data_dir.join("media"),
        media_store: config.media.store_settings().map_err(anyhow::Error::msg)?,
        av_tools,
        rate_limit: kereru_web::rate_limit::RateLimit {
            requests: config.rate_limit.requests,
            window: std::time::Duration::from_secs(config.rate_limit.window_seconds),
        },
        fetch: fetch_settings(config)?,
        max_inbox_bytes: config.federation.max_inbox_bytes,
        key_fetch: kereru_service::federation::KeyFetchSettings {
            per_host: config.federation.key_fetches_per_host_per_minute,
            window: std::time::Duration::from_secs(60),
            failure_ttl: std::time::Duration::from_secs(config.federation.key_fetch_failure_seconds),
        },
        login_failures: kereru_web::rate_limit::RateLimit {
            requests: config.rate_limit.login_failures_per_account,
            window: std::time::Duration::from_secs(config.rate_limit.window_seconds),
        },
        sign_ups_per_address: kereru_web::rate_limit::RateLimit {
            requests: config.rate_limit.sign_ups_per_address,
            window: kereru_web::rate_limit::ACCOUNT_REQUESTS_WINDOW,
        },
        password_resets_per_address: kereru_web::rate_limit::RateLimit {
            requests: config.rate_limit.password_resets_per_address,
            window: kereru_web::rate_limit::ACCOUNT_REQUESTS_WINDOW,
        },
        hosting: kereru_web::state::Hosting {
            public_addresses: config.acme.public_addresses.clone(),
            resolver: config.acme.resolver.as_deref().and_then(|r| r.parse().ok()),
            tls_enabled: config.tls.enabled,
            self_service: config.provider.self_service,
            claim_recheck: kereru_service::claims::verify::RECHECK_AFTER,
        },
        provider: kereru_web::provider::ProviderSettings {
            host: config.provider.host(),
            deletion_grace_days: config.provider.deletion_grace_days,
        },
    };
    // This node's streaming listener: events from every node reach the streams connected here.
    let hub = kereru_web::streaming::Hub::listen(&database.url, kereru_web::streaming::HEARTBEAT)?;
    let state = AppState::new(database.pool.clone(), settings)?.with_hub(hub.clone());
    Ok((state, hub))
}

/// The HTTP listener (and with TLS, HTTPS plus the ACME HTTP-01 and redirect
/// listener) until `stop`; `start_workers` runs once the listeners are bound.
async fn serve_http(
    config: &Config,
    database: &Database,
    state: AppState,
    hub: kereru_web::streaming::Hub,
    tls: Option<std::sync::Arc<kereru_acme::CertResolver>>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    start_workers: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let listen = config.listen_addr()?;
    let grace = config.node.shutdown_seconds;
    let state = web::Data::new(state);
    let streams = hub.clone();
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(kereru_web::routes))
        // In-flight requests get this long once a stop is asked for.
        .shutdown_timeout(grace)
        // On SIGINT/SIGTERM the listeners close and the streams end first: a
        // graceful stop would otherwise wait out its timeout for clients that
        // never hang up.
        .shutdown_signal(async move {
            stop.await;
            streams.close();
        });
    let (server, challenge_server) = match &tls {
        Some(resolver) => {
            let tls_listen = config.tls_listen_addr()?;
            let server_config =
                kereru_acme::server_config(std::sync::Arc::clone(resolver)).context("TLS configuration")?;
            let https_port = Some(tls_listen.port()).filter(|p| *p != 443);
            let acme_state =
                web::Data::new(kereru_web::acme_http::AcmeHttpState { pool: database.pool.clone(), https_port });
            let challenges = HttpServer::new(move || {
                App::new().app_data(acme_state.clone()).configure(kereru_web::acme_http::routes)
            })
            .disable_signals()
            .shutdown_timeout(grace)
            .bind(listen)
            .with_context(|| format!("cannot listen on {listen}"))?;
            let main = server
                .bind_rustls_0_23(tls_listen, server_config)
                .with_context(|| format!("cannot listen on {tls_listen}"))?;
            (main, Some(challenges))
        }
        None => (server.bind(listen).with_context(|| format!("cannot listen on {listen}"))?, None),
    };
    start_workers()?;
    let scheme_name = if tls.is_some() { "https" } else { "http" };
    for address in server.addrs() {
        tracing::info!("listening on {scheme_name}://{address}");
        // Scripts wait for this line to know the server is up.
        println!("kereru listening on {scheme_name}://{address}");
    }
    let challenge_handle = challenge_server.map(|challenges| {
        for address in challenges.addrs() {
            tracing::info!("answering ACME HTTP-01 challenges and redirecting to HTTPS on http://{address}");
            println!("kereru redirecting to HTTPS on http://{address}");
        }
        let running = challenges.run();
        let handle = running.handle();
        tokio::spawn(running);
        handle
    });
    // actix stops gracefully on the stop signal and then returns here.
    let result = server.run().await.context("HTTP server failed");
    if let Some(handle) = challenge_handle {
        handle.stop(true).await;
    }
    hub.close();
    result
}

/// The outbound client's settings from `[federation]`.
pub fn fetch_settings(config: &Config) -> anyhow::Result<kereru_delivery::http::FetchSettings> {
    let mut resolve = std::collections::HashMap::new();
    for (host, target) in &config.federation.resolve {
        // Validated when the configuration was loaded; checked again here.
        let addr = target.parse().with_context(|| format!("federation.resolve: {host} maps to {target:?}"))?;
        resolve.insert(host.to_ascii_lowercase(), addr);
    }
    Ok(kereru_delivery::http::FetchSettings {
        allow_private_addresses: config.federation.allow_private_addresses,
        resolve,
        ..kereru_delivery::http::FetchSettings::default()
    })
}

/// Resolves on SIGINT or SIGTERM. A signal that cannot be watched is
/// logged and left out; never resolves early. The handlers are installed when
/// this is called, not when the future is first polled: a SIGTERM that comes
/// right after "kereru listening on" (before the server runs) is then ours to
/// stop gracefully on, instead of the default action killing the process.
pub fn stop_requested() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn wait(watched: std::io::Result<Signal>, name: &str) {
        match watched {
            Ok(mut watched) => {
                watched.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot watch for {name}: {error}");
                std::future::pending::<()>().await;
            }
        }
    }
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        tokio::select! {
            () = wait(terminate, "SIGTERM") => tracing::info!("SIGTERM received"),
            () = wait(interrupt, "SIGINT") => tracing::info!("SIGINT received"),
        }
    }
}
