//! `POST /admin/reports/{id}`: a moderator corrects a report's category and
//! the rules it names — the same service action as the admin API's `PUT`
//! (`service::moderation::reports::update`), with its audit row. The form
//! is on the report's page (`admin/report.html`); a host admin edits any
//! tenant's report at `/admin/host/tenants/{domain_id}/reports/{id}`.

use super::reports::{Moderator, ReportPath, detail};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::actor;
use crate::pages::{PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::moderation::reports::{Changes, update_on};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports/{id}", web::post().to(edit))
        .route("/admin/host/tenants/{domain_id}/reports/{id}", web::post().to(edit));
}

/// `POST /admin/reports/{id}` with `category` and any number of `rule_ids`.
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: Moderator,
    path: web::Path<ReportPath>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = crate::extract::parse_id(&path.id)?;
    let category = pairs.iter().find(|(k, _)| k == "category").map(|(_, v)| v.clone());
    let mut rule_ids = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "rule_ids") {
        match value.parse::<i64>() {
            Ok(rule) => rule_ids.push(rule),
            Err(_) => return detail(&state, &tenant, &staff, id, Some("Choose rules from the list.")).await,
        }
    }
    let changes = Changes { category, rule_ids: Some(rule_ids) };
    let mut conn = state.pool.get().await?;
    match update_on(&mut conn, &actor(&tenant, &staff.page.me), staff.on.id, id, &changes).await {
        Ok(_) => Ok(see_other(&staff.path(&format!("/reports/{id}")))),
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            detail(&state, &tenant, &staff, id, Some(&message)).await
        }
        Err(other) => Err(other.into()),
    }
}
