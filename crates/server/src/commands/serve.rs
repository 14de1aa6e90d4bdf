//! `kereru serve`: the HTTP server.

use crate::config::Config;
use crate::database::Database;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use kereru_web::{AppState, WebSettings};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let listen = config.listen_addr()?;
    let scheme = config.public_scheme().context("invalid http.public_scheme")?;
    let database = Database::open(&config).await?;
    // Mail: checked before anything starts; the worker starts beside HTTP below.
    let mail_settings = config.mail_settings();
    let mailer = kereru_mail::Mailer::new(&mail_settings).context("[mail]")?;
    let mail_listener = kereru_mail::listener(&database.url)?;
    tracing::info!("{}", mailer.transport.describe(&mail_settings));
    // ffprobe and ffmpeg are optional: without them video and audio uploads are refused (422).
    let av_tools = kereru_service::media_av::Tools::find();
    match &av_tools {
        Some(tools) => tracing::info!("video and audio: {} and {}", tools.ffprobe.display(), tools.ffmpeg.display()),
        None => tracing::warn!("ffprobe/ffmpeg not found on PATH: video and audio uploads are refused"),
    }
    let settings = WebSettings {
        public_scheme: scheme,
        max_body_bytes: config.http.max_body_bytes,
        password_grant: config.oauth.password_grant,
        media_dir: config.data_dir.join("media"),
        av_tools: av_tools.clone(),
        rate_limit: kereru_web::rate_limit::RateLimit {
            requests: config.rate_limit.requests,
            window: std::time::Duration::from_secs(config.rate_limit.window_seconds),
        },
        fetch: fetch_settings(&config)?,
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
    // The processor of what inboxes accepted, beside HTTP; woken by this node's inbox.
    let (stop_inbound, inbound_stopped) = tokio::sync::oneshot::channel::<()>();
    let (state, inbound) = if config.federation.inbound_in_serve {
        let settings = kereru_service::federation::inbound::worker::InboundSettings {
            concurrency: config.federation.inbound_concurrency,
            keep_finished_hours: i32::try_from(config.delivery.keep_finished_hours).unwrap_or(i32::MAX),
            ..Default::default()
        };
        let worker = kereru_service::federation::inbound::worker::InboundWorker::new(
            database.pool.clone(),
            std::sync::Arc::clone(&state.fetcher),
            scheme,
            settings,
        );
        let state = state.with_inbound_wake(std::sync::Arc::clone(&worker.wake));
        let task = tokio::spawn(worker.run(async move {
            let _ = inbound_stopped.await;
        }));
        (state, Some(task))
    } else {
        (state, None)
    };
    let state = web::Data::new(state);
    // Link preview cards of new statuses are fetched beside HTTP, through the same client.
    let (stop_cards, cards_stopped) = tokio::sync::oneshot::channel::<()>();
    let cards = tokio::spawn(kereru_service::cards::worker::run(
        database.pool.clone(),
        std::sync::Arc::clone(&state.fetcher),
        async move {
            let _ = cards_stopped.await;
        },
    ));
    let streams = hub.clone();
    // With TLS: the certificate manager first, so HTTPS starts with every stored certificate.
    let tls = if config.tls.enabled {
        let tls_listen = config.tls_listen_addr()?;
        if scheme != kereru_core::Scheme::Https {
            tracing::warn!(
                "[tls] enabled with [http] public_scheme = \"http\": published ids and URLs will say http://"
            );
        }
        let manager = kereru_acme::CertManager::new(config.acme_settings()?, database.pool.clone())
            .with_notifications(&database.url)?;
        let resolver = manager.resolver();
        let handle = manager.start().await;
        let server_config = kereru_acme::server_config(resolver).context("TLS configuration")?;
        Some((tls_listen, server_config, handle))
    } else {
        None
    };
    // Watched from here on, before anything says the server is up.
    let stop = stop_requested();
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(kereru_web::routes))
        // On SIGINT/SIGTERM the streams end first: a graceful stop would
        // otherwise wait out its timeout for clients that never hang up.
        .shutdown_signal(async move {
            stop.await;
            streams.close();
        });
    let (server, challenge_server, manager) = match &tls {
        Some((tls_listen, server_config, manager)) => {
            let https_port = Some(tls_listen.port()).filter(|p| *p != 443);
            let acme_state =
                web::Data::new(kereru_web::acme_http::AcmeHttpState { pool: database.pool.clone(), https_port });
            let challenges = HttpServer::new(move || {
                App::new().app_data(acme_state.clone()).configure(kereru_web::acme_http::routes)
            })
            .disable_signals()
            .bind(listen)
            .with_context(|| format!("cannot listen on {listen}"));
            let main = server
                .bind_rustls_0_23(*tls_listen, server_config.clone())
                .with_context(|| format!("cannot listen on {tls_listen}"));
            match (main, challenges) {
                (Ok(main), Ok(challenges)) => (Ok(main), Some(challenges), Some(manager)),
                (Err(error), _) | (_, Err(error)) => (Err(error), None, None),
            }
        }
        None => (server.bind(listen).with_context(|| format!("cannot listen on {listen}")), None, None),
    };
    let server = match server {
        Ok(server) => server,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
    // The metrics listener, when `[metrics] listen` is set.
    let metrics = match super::metrics::start(&config, database.pool.clone()) {
        Ok(metrics) => metrics,
        Err(error) => {
            database.close().await?;
            return Err(error);
        }
    };
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
    // The delivery worker beside HTTP, stopped when the server stops.
    let (stop_delivery, delivery_stopped) = tokio::sync::oneshot::channel::<()>();
    let delivery = if config.delivery.workers_in_serve {
        let worker = super::deliver::worker(&config, database.pool.clone())?;
        Some(tokio::spawn(worker.run(async move {
            let _ = delivery_stopped.await;
        })))
    } else {
        None
    };
    // The Web Push worker beside HTTP, with the delivery worker.
    let (stop_pushes, pushes_stopped) = tokio::sync::oneshot::channel::<()>();
    let pushes = if config.delivery.workers_in_serve {
        let worker = super::deliver::push_worker(&config, database.pool.clone())?;
        Some(tokio::spawn(worker.run(async move {
            let _ = pushes_stopped.await;
        })))
    } else {
        None
    };
    // The provider webhooks' worker beside HTTP.
    let (stop_webhooks, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let webhooks = if config.provider.webhooks_in_serve {
        let worker = super::deliver::webhook_worker(&config, database.pool.clone())?;
        Some(tokio::spawn(worker.run(async move {
            let _ = webhooks_stopped.await;
        })))
    } else {
        None
    };
    // The mail worker beside HTTP: drains the outbox, woken by NOTIFY.
    let (stop_mail, mail_stopped) = tokio::sync::oneshot::channel::<()>();
    let mail = tokio::spawn(kereru_mail::run(
        database.pool.clone(),
        mail_listener,
        mailer,
        kereru_mail::WorkerSettings::default(),
        async move {
            let _ = mail_stopped.await;
        },
    ));
    // Tenants deleted through the provider API go once their grace period is over.
    let (stop_purge, purge_stopped) = tokio::sync::oneshot::channel::<()>();
    let purge =
        tokio::spawn(super::provider::purge_loop(database.pool.clone(), config.data_dir.join("media"), async move {
            let _ = purge_stopped.await;
        }));
    // Video and audio uploads still pending are finished beside HTTP (when ffmpeg is here).
    let (stop_media, media_stopped) = tokio::sync::oneshot::channel::<()>();
    let media = av_tools.map(|tools| {
        let dir = config.data_dir.join("media");
        tokio::spawn(kereru_service::media_av::worker::run(database.pool.clone(), dir, tools, async move {
            let _ = media_stopped.await;
        }))
    });
    // Self-service claims: the verifier looks at waiting claims' DNS records beside HTTP.
    let (stop_claims, claims_stopped) = tokio::sync::oneshot::channel::<()>();
    let claims = config.provider.self_service.then(|| {
        let checks = kereru_service::claims::Checks {
            resolver: config.acme.resolver.as_deref().and_then(|r| r.parse().ok()),
            public_addresses: config.acme.public_addresses.clone(),
        };
        tokio::spawn(kereru_service::claims::verify::run(database.pool.clone(), checks, scheme, async move {
            let _ = claims_stopped.await;
        }))
    });
    // Scheduled statuses published at their time, and polls ended at theirs (any number of nodes).
    let (stop_timed, timed_stopped) = tokio::sync::watch::channel(false);
    let timed = [
        tokio::spawn(kereru_service::scheduled::run(database.pool.clone(), scheme, stopped(timed_stopped.clone()))),
        tokio::spawn(kereru_service::polls::run(database.pool.clone(), scheme, stopped(timed_stopped))),
    ];
    // actix stops gracefully on SIGINT/SIGTERM and then returns here.
    let result = server.run().await.context("HTTP server failed");
    tracing::info!("shutting down");
    if let Some(handle) = metrics {
        handle.stop(true).await;
    }
    if let Some(handle) = challenge_handle {
        handle.stop(true).await;
    }
    if let Some(manager) = manager {
        manager.stop();
    }
    drop(stop_delivery);
    drop(stop_inbound);
    drop(stop_mail);
    drop(stop_purge);
    drop(stop_webhooks);
    if let Some(task) = webhooks
        && let Err(error) = task.await
    {
        tracing::warn!("webhook worker: {error}");
    }
    drop(stop_pushes);
    if let Some(task) = pushes
        && let Err(error) = task.await
    {
        tracing::warn!("push worker: {error}");
    }
    if let Err(error) = purge.await {
        tracing::warn!("tenant purge: {error}");
    }
    let _ = stop_timed.send(true);
    for task in timed {
        if let Err(error) = task.await {
            tracing::warn!("scheduled statuses or poll expiry: {error}");
        }
    }
    drop(stop_cards);
    if let Err(error) = cards.await {
        tracing::warn!("cards worker: {error}");
    }
    drop(stop_media);
    if let Some(task) = media
        && let Err(error) = task.await
    {
        tracing::warn!("media worker: {error}");
    }
    drop(stop_claims);
    if let Some(task) = claims
        && let Err(error) = task.await
    {
        tracing::warn!("claims verifier: {error}");
    }
    if let Err(error) = mail.await {
        tracing::warn!("mail worker: {error}");
    }
    if let Some(task) = inbound
        && let Err(error) = task.await
    {
        tracing::warn!("inbound processor: {error}");
    }
    if let Some(task) = delivery
        && let Err(error) = task.await
    {
        tracing::warn!("delivery worker: {error}");
    }
    hub.close();
    database.close().await?;
    result
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
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
pub fn stop_requested() -> impl std::future::Future<Output = ()> {
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
