//! `/admin/host/queue`: the delivery queue's health per remote host, as
//! `kereru queue stats` shows it, and the backlog of received activities
//! waiting to be processed (host admins only).

use crate::error::WebError;
use crate::pages::admin::StaffPage;
use crate::pages::{Page, PageError};
use crate::staff::HostAdmin;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};

/// How many remote hosts the page lists (the worst first).
const HOSTS: usize = 50;

#[derive(serde::Serialize)]
struct HostRow {
    host: String,
    pending: i64,
    in_flight: i64,
    retrying: i64,
    given_up: i64,
    failures: i32,
    /// `available`, or when it may be tried again.
    state: String,
    unavailable: bool,
    last_error: Option<String>,
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `GET /admin/host/queue`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let stats = kereru_delivery::queue::stats(&mut conn, HOSTS)
        .await
        .map_err(|e| WebError::Internal(format!("queue stats: {e}")))?;
    let backlog = kereru_store::inbound::backlog(&mut conn).await?;
    drop(conn);
    let now = chrono::Utc::now();
    let hosts: Vec<HostRow> = stats
        .worst_hosts
        .iter()
        .map(|h| {
            let unavailable = h.unavailable_until.is_some_and(|until| until > now);
            HostRow {
                host: h.host.clone(),
                pending: h.pending,
                in_flight: h.in_flight,
                retrying: h.retrying,
                given_up: h.given_up,
                failures: h.consecutive_failures,
                state: match h.unavailable_until {
                    Some(until) if unavailable => format!("unavailable until {}", when(until)),
                    _ => "available".to_string(),
                },
                unavailable,
                last_error: h.last_error.clone(),
            }
        })
        .collect();
    let t = &stats.totals;
    let oldest = backlog.oldest_queued_at.map(|at| {
        let minutes = (now - at).num_minutes().max(0);
        let age = match minutes {
            0 => "less than a minute".to_string(),
            1 => "1 minute".to_string(),
            m if m < 120 => format!("{m} minutes"),
            m => format!("{} hours", m / 60),
        };
        format!("{age} (received {})", when(at))
    });
    Page::new("admin/host_queue.html", &tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "queue")
        .insert("staff", &page.nav())
        .insert("queued", &t.queued)
        .insert("in_flight", &t.in_flight)
        .insert("retrying", &t.retrying)
        .insert("done", &t.done)
        .insert("given_up", &t.given_up)
        .insert("summary", &t.to_string())
        .insert("hosts", &hosts)
        .insert("inbound_queued", &backlog.queued)
        .insert("inbound_retrying", &backlog.retrying)
        .insert("inbound_oldest", &oldest)
        .render(&state)
}
