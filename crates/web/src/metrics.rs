//! The operator's endpoints: `/ready` (on the main listener and the metrics
//! one) and `/metrics` (on the metrics listener only, `[metrics] listen`,
//! which `kereru serve` opens apart from the public ones).

use actix_web::{HttpResponse, web};
use kereru_store::pool::Pool;

/// The metrics listener's state: the pool whose use it reports and through
/// which it reads the queue figures.
#[derive(Clone)]
pub struct MetricsState {
    pub pool: Pool,
}

/// The metrics listener's routes: `App::new().app_data(Data::new(MetricsState { pool }))
/// .configure(kereru_web::metrics::routes)`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(scrape)).route("/ready", web::get().to(ready_on_metrics));
}

/// `GET /metrics`: Prometheus text, the database's gauges read now.
async fn scrape(state: web::Data<MetricsState>) -> HttpResponse {
    let status = state.pool.status();
    let mut snapshot = kereru_metrics::Snapshot {
        pool_size: i64::try_from(status.size).unwrap_or(i64::MAX),
        pool_idle: i64::try_from(status.available).unwrap_or(0),
        pool_max: i64::try_from(status.max_size).unwrap_or(i64::MAX),
        ..kereru_metrics::Snapshot::default()
    };
    match figures(&state.pool).await {
        Ok(figures) => {
            snapshot.delivery_queue_depth = figures.delivery_queue_depth;
            snapshot.delivery_oldest_due_seconds = figures.delivery_oldest_due_seconds;
            snapshot.delivery_hosts_paused = figures.delivery_hosts_paused;
            snapshot.inbound_queue_depth = figures.inbound_queue_depth;
            snapshot.inbound_oldest_pending_seconds = figures.inbound_oldest_pending_seconds;
            snapshot.soonest_certificate_expiry = figures.soonest_certificate_expiry;
        }
        // The process's own counters are still worth a scrape; /ready says the database is away.
        Err(error) => tracing::warn!("metrics: the database's figures: {error}"),
    }
    HttpResponse::Ok().content_type(kereru_metrics::CONTENT_TYPE).body(kereru_metrics::render(&snapshot))
}

async fn figures(pool: &Pool) -> Result<kereru_store::operations::Figures, String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    kereru_store::operations::figures(&mut conn).await.map_err(|e| e.to_string())
}

async fn ready_on_metrics(state: web::Data<MetricsState>) -> HttpResponse {
    ready_response(&state.pool).await
}

/// `GET /ready` on the main listener, on any host.
pub async fn ready(state: web::Data<crate::AppState>) -> HttpResponse {
    ready_response(&state.pool).await
}

/// 200 when the database answers and has every migration this binary
/// embeds; 503 otherwise, saying which.
pub async fn ready_response(pool: &Pool) -> HttpResponse {
    let pending = async {
        let mut conn = pool.get().await.map_err(|e| format!("the database is not reachable: {e}"))?;
        kereru_store::operations::pending_migrations(&mut conn)
            .await
            .map_err(|e| format!("the database is not reachable: {e}"))
    };
    let reason = match tokio::time::timeout(std::time::Duration::from_secs(5), pending).await {
        Ok(Ok(pending)) if pending.is_empty() => {
            return HttpResponse::Ok().json(serde_json::json!({"status": "ready"}));
        }
        Ok(Ok(pending)) => format!("{} migration(s) not applied: {}", pending.len(), pending.join(", ")),
        Ok(Err(reason)) => reason,
        Err(_) => "the database did not answer within 5 s".to_string(),
    };
    HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable", "reason": reason}))
}
