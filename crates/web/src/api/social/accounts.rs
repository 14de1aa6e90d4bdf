//! `GET /api/v1/accounts?id[]=`, `/api/v1/accounts/search`,
//! `/api/v1/accounts/familiar_followers`.

use super::{account_limit, offset};
use crate::api::render::Renderer;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::extract::{User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::{accounts, people};
use serde_json::{Value, json};

/// Mastodon's limit of ids in one request (more is a 422).
const MAX_IDS: usize = 40;

fn ids_of(params: &Params) -> Result<Vec<i64>, WebError> {
    let mut ids: Vec<i64> = params.list("id").iter().filter_map(|id| id.parse().ok()).collect();
    ids.dedup();
    if ids.len() > MAX_IDS {
        return Err(WebError::Unprocessable(format!("Too many ids (at most {MAX_IDS})")));
    }
    Ok(ids)
}

/// `GET /api/v1/accounts?id[]=...`: the accounts this tenant knows, in the order asked; others left out.
pub async fn index(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    if let Some(auth) = &auth.0 {
        auth.require(kereru_core::scopes::Scope::ReadAccounts)?;
    }
    let ids = ids_of(&params)?;
    let mut conn = state.pool.get().await?;
    let body = Renderer::new(&tenant, auth.viewer()).accounts_by_id(&mut conn, &ids).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/accounts/search` (`q`, `limit`, `offset`, `resolve`, `following`).
pub async fn search(
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let tenant = &me.tenant;
    let q = params.required("q")?.trim().to_string();
    if q.chars().count() > 500 {
        return Err(WebError::Unprocessable("q is too long".into()));
    }
    let (limit, offset) = (account_limit(&params), offset(&params));
    let resolve = params.bool("resolve").unwrap_or(false);
    let following = params.bool("following").unwrap_or(false);
    let mut conn = state.pool.get().await?;
    let mut renderer = Renderer::new(tenant, Some(me.id()));
    let handle = q.trim_start_matches('@');
    let ids: Vec<i64> = match handle.split_once('@') {
        // A handle: found where it lives, as `/api/v2/search` does (WebFinger with `resolve`).
        Some((name, host)) => {
            let mut found = kereru_service::resolve::local_handle(&mut conn, &tenant.domain, name, Some(host)).await?;
            if found.is_none()
                && let Ok(host) = kereru_core::HostName::parse(host)
            {
                found = if resolve {
                    kereru_service::resolve::remote_handle(
                        &mut conn,
                        &state.fetcher,
                        &tenant.domain,
                        tenant.urls.scheme,
                        name,
                        &host,
                    )
                    .await?
                } else {
                    kereru_service::resolve::known_remote(&mut conn, &tenant.domain, name, &host).await?
                };
            }
            let mut ids: Vec<i64> = found.map(|a| a.id.0).into_iter().collect();
            if following && !ids.is_empty() {
                let followed = people::search_followed(&mut conn, tenant.id, me.id(), name, 0, 80).await?;
                ids.retain(|id| followed.contains(id));
            }
            ids
        }
        None if following => people::search_followed(&mut conn, tenant.id, me.id(), handle, offset, limit).await?,
        None => accounts::search_visible(&mut conn, tenant.id, handle, offset, limit).await?,
    };
    Ok(HttpResponse::Ok().json(renderer.accounts_by_id(&mut conn, &ids).await?))
}

/// `GET /api/v1/accounts/familiar_followers?id[]=`: for each account, whom the viewer follows that follows it.
pub async fn familiar_followers(
    state: web::Data<AppState>,
    me: User<scope::ReadFollows>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let ids = ids_of(&params)?;
    let mut conn = state.pool.get().await?;
    let known: Vec<i64> =
        accounts::many_visible(&mut conn, me.tenant.id, &ids).await?.into_iter().map(|a| a.id.0).collect();
    let mut renderer = Renderer::new(&me.tenant, Some(me.id()));
    let mut out: Vec<Value> = Vec::new();
    for id in ids.into_iter().filter(|id| known.contains(id)) {
        let familiar = people::familiar_followers(&mut conn, me.id(), kereru_store::AccountId(id)).await?;
        let accounts = renderer.accounts_by_id(&mut conn, &familiar).await?;
        out.push(json!({ "id": id.to_string(), "accounts": accounts }));
    }
    Ok(HttpResponse::Ok().json(out))
}
