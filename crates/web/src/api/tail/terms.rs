//! `GET /api/v1/instance/terms_of_service` (and `/{date}`, or `?date=` as
//! Mastodon.py sends it): the TermsOfService entity of the tenant, 404 when
//! it publishes none (as Mastodon). The staff set them in the admin settings.

use crate::error::{WebError, not_found};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use kereru_store::terms_of_service;
use serde_json::json;

/// The current terms, or those of `?date=YYYY-MM-DD`.
pub async fn current(state: web::Data<AppState>, tenant: Tenant, params: Params) -> Result<HttpResponse, WebError> {
    let date = params.str("date").filter(|d| !d.is_empty()).map(parse_date).transpose()?;
    answer(&state, &tenant, date).await
}

/// The terms that took effect on `{date}`.
pub async fn of_date(
    state: web::Data<AppState>,
    tenant: Tenant,
    date: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let date = parse_date(&date)?;
    answer(&state, &tenant, Some(date)).await
}

fn parse_date(text: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| not_found())
}

async fn answer(state: &AppState, tenant: &Tenant, date: Option<NaiveDate>) -> Result<HttpResponse, WebError> {
    let today = chrono::Utc::now().date_naive();
    let mut conn = state.pool.get().await?;
    let (terms, next) = terms_of_service::find(&mut conn, tenant.id, today, date).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(json!({
        "effective_date": terms.effective_date.format("%Y-%m-%d").to_string(),
        "effective": terms.effective_date <= today,
        "content": kereru_core::actor::text_to_html(&terms.text),
        "succeeded_by": next.map(|d| d.format("%Y-%m-%d").to_string()),
    })))
}
