//! `/admin/trends`: whether the tenant shows trends (hashtags, posts and
//! links popular lately, `/api/v1/trends/...`), and what trends now.

use super::{Done, admin, label};
use crate::pages::admin::StaffPage;
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::Administer;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::announcements::set_trends;
use kereru_store::trends;

/// `GET /admin/trends`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let enabled = trends::enabled(&mut conn, tenant.id).await?;
    let tags = trends::tags(&mut conn, tenant.id, 10, 0).await?;
    drop(conn);
    let notice = query.done.as_deref().map(|_| "Saved.");
    Page::new("admin/trends.html", &tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "trends")
        .insert("staff", &page.nav())
        .insert("enabled", &enabled)
        .insert("tags", &tags)
        .insert("notice", &notice)
        .render(&state)
}

#[derive(serde::Deserialize)]
pub struct TrendsForm {
    /// A checkbox: present when ticked.
    #[serde(default)]
    enabled: Option<String>,
}

/// `POST /admin/trends`
pub async fn save(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(form): CsrfForm<TrendsForm>,
) -> Result<HttpResponse, PageError> {
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    set_trends(&mut conn, admin(&tenant, &page, &label), form.enabled.is_some()).await?;
    Ok(see_other("/admin/trends?done=saved"))
}
