//! Following, blocking and muting accounts; relationships; follow requests;
//! an account's statuses, followers and following.

use super::paging;
use super::render::{Renderer, relationship};
use super::statuses::{actor, not_found, parse_id};
use crate::auth::{Auth, MaybeAuth};
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::follows;
use kereru_store::AccountId;
use kereru_store::accounts;
use kereru_store::relationships::{self, FollowState};
use kereru_store::statuses::{self, Feed};

/// `POST /api/v1/accounts/{id}/{action}`: follow, unfollow, block, unblock, mute, unmute, remove_from_followers.
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    path: web::Path<(String, String)>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let target = AccountId(parse_id(&id)?);
    let scope = match action.as_str() {
        "follow" | "unfollow" | "remove_from_followers" => "write:follows",
        "block" | "unblock" => "write:blocks",
        "mute" | "unmute" => "write:mutes",
        _ => return Err(not_found()),
    };
    let actor = actor(&tenant, &auth, scope)?;
    let mut conn = state.pool.get().await?;
    match action.as_str() {
        "follow" => {
            let reblogs = params.bool("reblogs").unwrap_or(true);
            let notify = params.bool("notify").unwrap_or(false);
            let events = follows::follow(&mut conn, &actor, target, reblogs, notify).await?;
            state.publish(&events).await;
        }
        "unfollow" => follows::unfollow(&mut conn, &actor, target).await?,
        "remove_from_followers" => {
            accounts::get_visible(&mut conn, tenant.id, target).await?.ok_or_else(not_found)?;
            relationships::remove_follow(&mut conn, target, actor.account.id).await?;
        }
        "block" => follows::block(&mut conn, &actor, target, true).await?,
        "unblock" => follows::block(&mut conn, &actor, target, false).await?,
        "mute" => {
            let duration = params.str("duration").and_then(|d| d.parse::<i64>().ok());
            follows::mute(&mut conn, &actor, target, true, params.bool("notifications").unwrap_or(true), duration)
                .await?
        }
        _ => follows::mute(&mut conn, &actor, target, false, false, None).await?,
    }
    let rel = relationships::relationships(&mut conn, actor.account.id, &[target.0]).await?;
    let rel = rel.first().ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(relationship(rel)))
}

/// `GET /api/v1/accounts/relationships?id[]=...`
pub async fn relationships_of(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let me = actor(&tenant, &auth, "read:follows")?.account.id;
    let ids: Vec<i64> = params.list("id").iter().filter_map(|id| id.parse().ok()).take(40).collect();
    let mut conn = state.pool.get().await?;
    // Only accounts this tenant knows; unknown ids are left out, as Mastodon does.
    let known: Vec<i64> =
        accounts::many_visible(&mut conn, tenant.id, &ids).await?.into_iter().map(|a| a.id.0).collect();
    let wanted: Vec<i64> = ids.into_iter().filter(|id| known.contains(id)).collect();
    let rows = relationships::relationships(&mut conn, me, &wanted).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(relationship).collect::<Vec<_>>()))
}

/// `GET /api/v1/accounts/{id}/statuses`
pub async fn statuses_of(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let target = AccountId(parse_id(&id)?);
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, target).await?.ok_or_else(not_found)?;
    let feed = Feed::Account {
        account: account.id,
        exclude_replies: params.bool("exclude_replies").unwrap_or(false),
        exclude_reblogs: params.bool("exclude_reblogs").unwrap_or(false),
        pinned: params.bool("pinned").unwrap_or(false),
        tagged: params.str("tagged").filter(|t| !t.is_empty()).map(|t| t.trim_start_matches('#').to_lowercase()),
        only_media: params.bool("only_media").unwrap_or(false),
    };
    let list = statuses::visible(&mut conn, tenant.id, viewer, &feed, paging::page(&params)?).await?;
    let ids: Vec<i64> = list.iter().map(|s| s.id).collect();
    let body = Renderer::new(&tenant, viewer).statuses(&mut conn, list).await?;
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/accounts/{id}/followers` and `/following`.
pub async fn follows_of(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (id, which) = path.into_inner();
    let target = AccountId(parse_id(&id)?);
    let viewer = auth.viewer();
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, target).await?.ok_or_else(not_found)?;
    let rows = match which.as_str() {
        "followers" => relationships::followers(&mut conn, account.id, FollowState::Accepted, page).await?,
        "following" => relationships::following(&mut conn, account.id, page).await?,
        _ => return Err(not_found()),
    };
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let body = Renderer::new(&tenant, viewer).accounts_by_id(&mut conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/follow_requests`
pub async fn requests(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let me = actor(&tenant, &auth, "read:follows")?.account.id;
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let rows = relationships::followers(&mut conn, me, FollowState::Requested, page).await?;
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let body = Renderer::new(&tenant, Some(me)).accounts_by_id(&mut conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

/// `POST /api/v1/follow_requests/{id}/authorize` and `/reject`.
pub async fn answer_request(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, answer) = path.into_inner();
    let follower = AccountId(parse_id(&id)?);
    let actor = actor(&tenant, &auth, "write:follows")?;
    let mut conn = state.pool.get().await?;
    match answer.as_str() {
        "authorize" => {
            let events = follows::authorize(&mut conn, &actor, follower).await?;
            state.publish(&events).await;
        }
        "reject" => follows::reject(&mut conn, &actor, follower).await?,
        _ => return Err(not_found()),
    }
    let rel = relationships::relationships(&mut conn, actor.account.id, &[follower.0]).await?;
    Ok(HttpResponse::Ok().json(rel.first().map(relationship)))
}

/// `GET /api/v1/blocks` and `/api/v1/mutes`.
pub async fn blocked_or_muted(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mutes = req.path().ends_with("mutes");
    let me = actor(&tenant, &auth, if mutes { "read:mutes" } else { "read:blocks" })?.account.id;
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let rows = if mutes {
        relationships::mutes_of(&mut conn, me, page).await?
    } else {
        relationships::blocks_of(&mut conn, me, page).await?
    };
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let body = Renderer::new(&tenant, Some(me)).accounts_by_id(&mut conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}
