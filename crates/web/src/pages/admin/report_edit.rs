//! `POST /admin/reports/{id}`: a moderator corrects a report's category and
//! the rules it names — the same service action as the admin API's `PUT`
//! (`service::moderation::reports::update`), with its audit row. The form
//! is on the report's page (`admin/report.html`).

use super::reports::{Moderator, detail};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::actor;
use crate::pages::{PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::moderation::reports::{Changes, update};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports/{id}", web::post().to(edit));
}

/// `POST /admin/reports/{id}` with `category` and any number of `rule_ids`.
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: Moderator,
    id: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = crate::extract::parse_id(&id)?;
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
    match update(&mut conn, &actor(&tenant, &staff.me), id, &changes).await {
        Ok(_) => Ok(see_other(&format!("/admin/reports/{id}"))),
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            detail(&state, &tenant, &staff, id, Some(&message)).await
        }
        Err(other) => Err(other.into()),
    }
}
