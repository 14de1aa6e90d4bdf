//! `/admin/host/moderation`: every tenant's moderation at a glance (open
//! reports, waiting sign-ups, suspended and silenced accounts, staff) and the
//! newest open reports of all tenants, for host admins, who see where a queue
//! is growing or a tenant has nobody to work it, and act on any tenant's
//! reports and accounts from here (`/admin/host/tenants/{domain_id}/reports`,
//! `.../accounts`: the tenant pages' handlers, see `pages::admin::acting`).

use crate::pages::admin::StaffPage;
use crate::pages::{Page, PageError};
use crate::staff::HostAdmin;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::admin_overview;

/// How many open reports the page lists, the newest first.
const REPORTS: i64 = 50;
/// How much of a report's comment the list shows.
const EXCERPT: usize = 140;

#[derive(serde::Serialize)]
struct ReportRow {
    id: i64,
    tenant_host: String,
    /// The report on its tenant's own pages.
    tenant_url: String,
    /// The report on this host's pages for host admins.
    here_url: String,
    target: String,
    category: String,
    comment: String,
    from_remote: bool,
    created_at: String,
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `GET /admin/host/moderation`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<HostAdmin>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let tenants = admin_overview::host_wide_moderation(&mut conn).await?;
    let reports = admin_overview::host_wide_open_reports(&mut conn, REPORTS).await?;
    drop(conn);
    let scheme = tenant.urls.scheme;
    let tenants: Vec<serde_json::Value> = tenants
        .iter()
        .map(|t| {
            serde_json::json!({
                "host": t.account_host,
                "name": t.name,
                "state": t.state,
                "open_reports": t.open_reports,
                "pending_sign_ups": t.pending_sign_ups,
                "suspended": t.suspended,
                "silenced": t.silenced,
                "staff": t.staff,
                "admin_url": format!("{scheme}://{}/admin/reports", t.account_host),
                "reports_url": format!("/admin/host/tenants/{}/reports", t.domain_id),
                "accounts_url": format!("/admin/host/tenants/{}/accounts", t.domain_id),
                "pending_url": format!("/admin/host/tenants/{}/accounts?status=pending", t.domain_id),
            })
        })
        .collect();
    let reports: Vec<ReportRow> = reports
        .into_iter()
        .map(|r| ReportRow {
            id: r.id,
            tenant_url: format!("{scheme}://{}/admin/reports/{}", r.tenant_host, r.id),
            here_url: format!("/admin/host/tenants/{}/reports/{}", r.domain_id, r.id),
            target: match &r.target_remote_host {
                Some(host) => format!("@{}@{host}", r.target_username),
                None => format!("@{}@{}", r.target_username, r.tenant_host),
            },
            tenant_host: r.tenant_host,
            category: r.category,
            comment: excerpt(&r.comment),
            from_remote: r.from_remote,
            created_at: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    Page::new("admin/host_moderation.html", &tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "host_moderation")
        .insert("staff", &page.nav())
        .insert("tenants", &tenants)
        .insert("reports", &reports)
        .render(&state)
}
