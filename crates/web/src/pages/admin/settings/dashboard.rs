//! `GET /admin`: what waits for the tenant's staff (open reports, pending
//! sign-ups), how big the tenant is and, for host admins, the queues' health.
//! Moderators go straight to the report queue.

use crate::pages::admin::StaffPage;
use crate::pages::{Page, PageError, see_other};
use crate::staff::Moderate;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::admin_overview;

#[derive(serde::Serialize)]
struct HostHealth {
    tenants: usize,
    queued: i64,
    retrying: i64,
    given_up: i64,
    unavailable_hosts: usize,
    inbound_queued: i64,
}

pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Moderate>,
) -> Result<HttpResponse, PageError> {
    if !page.staff.can_administer() {
        return Ok(see_other("/admin/reports"));
    }
    let mut conn = state.pool.get().await?;
    let overview = admin_overview::overview(&mut conn, tenant.id).await?;
    let host = if page.staff.host_admin {
        let stats = kereru_delivery::queue::stats(&mut conn, 50)
            .await
            .map_err(|e| crate::error::WebError::Internal(format!("queue stats: {e}")))?;
        let now = chrono::Utc::now();
        let backlog = kereru_store::inbound::backlog(&mut conn).await?;
        Some(HostHealth {
            tenants: kereru_store::domains::list(&mut conn).await.map_err(crate::error::WebError::from)?.len(),
            queued: stats.totals.queued + stats.totals.in_flight,
            retrying: stats.totals.retrying,
            given_up: stats.totals.given_up,
            unavailable_hosts: stats
                .worst_hosts
                .iter()
                .filter(|h| h.unavailable_until.is_some_and(|u| u > now))
                .count(),
            inbound_queued: backlog.queued,
        })
    } else {
        None
    };
    Page::new("admin/dashboard.html", &tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "dashboard")
        .insert("staff", &page.nav())
        .insert("open_reports", &overview.open_reports)
        .insert("pending_sign_ups", &overview.pending_sign_ups)
        .insert("accounts", &overview.accounts)
        .insert("host", &host)
        .render(&state)
}
