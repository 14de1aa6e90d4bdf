//! Follow suggestions: `GET /api/v1/suggestions` (accounts), `GET
//! /api/v2/suggestions` (with their sources), `DELETE /api/v1/suggestions/{id}`.

use super::account_limit;
use crate::api::render::Renderer;
use crate::error::WebError;
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_store::suggestions;
use serde_json::{Value, json};

pub async fn v1(
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let found = suggestions::for_account(&mut conn, me.tenant.id, me.id(), account_limit(&params)).await?;
    let ids: Vec<i64> = found.iter().map(|(a, _)| a.0).collect();
    Ok(HttpResponse::Ok().json(Renderer::new(&me.tenant, Some(me.id())).accounts_by_id(&mut conn, &ids).await?))
}

pub async fn v2(
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let found = suggestions::for_account(&mut conn, me.tenant.id, me.id(), account_limit(&params)).await?;
    let ids: Vec<i64> = found.iter().map(|(a, _)| a.0).collect();
    let accounts = Renderer::new(&me.tenant, Some(me.id())).accounts_by_id(&mut conn, &ids).await?;
    let body: Vec<Value> = accounts
        .into_iter()
        .filter_map(|account| {
            let id = account["id"].as_str()?.parse::<i64>().ok()?;
            let (_, sources) = found.iter().find(|(a, _)| a.0 == id)?;
            let legacy = sources.first().map(|s| s.legacy()).unwrap_or("global");
            let names: Vec<&str> = sources.iter().map(|s| s.as_str()).collect();
            Some(json!({ "source": legacy, "sources": names, "account": account }))
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

pub async fn dismiss(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    kereru_service::social::suggestions::dismiss(&mut conn, &me.actor(), id.account()).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
