//! `POST /api/v1/reports`: a person reports an account (and some of its
//! posts) to their tenant's moderators; the answer is the Report entity.

use super::entity;
use crate::error::{WebError, not_found};
use crate::extract::{User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_service::reports::{self, ReportInput};
use kereru_store::ids::AccountId;

fn id_list(params: &Params, key: &str) -> Result<Vec<i64>, WebError> {
    params.list(key).iter().filter(|v| !v.is_empty()).map(|v| parse_id(v)).collect()
}

pub async fn create(
    state: web::Data<AppState>,
    me: User<scope::WriteReports>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let account = params.str("account_id").filter(|v| !v.is_empty()).ok_or_else(not_found)?;
    let rule_ids = params
        .list("rule_ids")
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().map_err(|_| WebError::Unprocessable("rule_ids must be ids".into())))
        .collect::<Result<Vec<i64>, _>>()?;
    let input = ReportInput {
        target: AccountId(parse_id(account)?),
        status_ids: id_list(&params, "status_ids")?,
        comment: params.str("comment").unwrap_or("").to_string(),
        forward: params.bool("forward").unwrap_or(false),
        category: params.str("category").map(str::to_string),
        rule_ids,
        forward_to_domains: params.list("forward_to_domains"),
    };
    let mut conn = state.pool.get().await?;
    let report = reports::file(&mut conn, &me.actor(), &input).await?;
    Ok(HttpResponse::Ok().json(entity::report(&mut conn, &me.tenant, me.id(), &report).await?))
}
