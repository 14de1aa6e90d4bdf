//! `GET /actor`: the tenant's instance actor (an `Application`), so that
//! servers can check the signature of what it sends (forwarded reports).

use crate::error::WebError;
use crate::negotiate::ACTIVITY_JSON;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::federation::instance_actor;

pub async fn show(state: web::Data<AppState>, tenant: Tenant) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let account = instance_actor::get(&mut conn, &tenant.domain).await?;
    let doc = instance_actor::document(&tenant.urls, &account);
    Ok(HttpResponse::Ok().content_type(ACTIVITY_JSON).body(doc.to_string()))
}
