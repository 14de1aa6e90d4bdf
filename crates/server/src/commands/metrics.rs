//! The metrics listener (`[metrics] listen`): `/metrics` and `/ready` on an
//! address of their own, beside `serve`'s and `deliver`'s work. Off unless set.

use crate::config::Config;
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use kereru_store::Pool;
use kereru_web::metrics::MetricsState;

/// Binds and starts the listener when `[metrics] listen` is set; the handle
/// stops it. Prints `kereru metrics on http://ADDR` once bound.
pub fn start(config: &Config, pool: Pool) -> anyhow::Result<Option<ServerHandle>> {
    let Some(listen) = config.metrics.listen_addr()? else { return Ok(None) };
    let state = web::Data::new(MetricsState { pool });
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(kereru_web::metrics::routes))
        .workers(1)
        .disable_signals()
        .bind(listen)
        .with_context(|| format!("cannot listen on {listen} for metrics"))?;
    for address in server.addrs() {
        tracing::info!("metrics on http://{address}/metrics");
        println!("kereru metrics on http://{address}");
    }
    let running = server.run();
    let handle = running.handle();
    tokio::spawn(running);
    Ok(Some(handle))
}
