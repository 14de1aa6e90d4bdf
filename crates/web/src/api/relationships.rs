//! Following, blocking and muting accounts; relationships; follow requests;
//! an account's statuses, followers and following.

use super::paging;
use super::render::{Renderer, relationship};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{WebError, not_found};
use crate::extract::{Action, Id, Scope, User, actions, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_service::follows;
use kereru_store::accounts;
use kereru_store::page::Page;
use kereru_store::relationships::{self, FollowState};
use kereru_store::statuses::{self, Feed};
use kereru_store::{AccountId, PgConn};

/// `POST /api/v1/accounts/{id}/{action}`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Follow,
    Unfollow,
    RemoveFromFollowers,
    Block,
    Unblock,
    Mute,
    Unmute,
}

actions!(AccountAction {
    Follow = "follow",
    Unfollow = "unfollow",
    RemoveFromFollowers = "remove_from_followers",
    Block = "block",
    Unblock = "unblock",
    Mute = "mute",
    Unmute = "unmute",
});

impl AccountAction {
    fn scope(self) -> Scope {
        use AccountAction::*;
        match self {
            Follow | Unfollow | RemoveFromFollowers => Scope::WriteFollows,
            Block | Unblock => Scope::WriteBlocks,
            Mute | Unmute => Scope::WriteMutes,
        }
    }
}

/// `POST /api/v1/accounts/{id}/{action}`: follow, unfollow, block, unblock, mute, unmute, remove_from_followers.
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: Id,
    Action(action): Action<AccountAction>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let target = id.account();
    let actor = auth.actor(&tenant, action.scope())?;
    let mut conn = state.pool.get().await?;
    match action {
        AccountAction::Follow => {
            let reblogs = params.bool("reblogs").unwrap_or(true);
            let notify = params.bool("notify").unwrap_or(false);
            let events = follows::follow(&mut conn, &actor, target, reblogs, notify).await?;
            state.publish(&events).await;
        }
        AccountAction::Unfollow => follows::unfollow(&mut conn, &actor, target).await?,
        AccountAction::RemoveFromFollowers => follows::remove_from_followers(&mut conn, &actor, target).await?,
        AccountAction::Block => follows::block(&mut conn, &actor, target, true).await?,
        AccountAction::Unblock => follows::block(&mut conn, &actor, target, false).await?,
        AccountAction::Mute => {
            let duration = params.str("duration").and_then(|d| d.parse::<i64>().ok());
            let notifications = params.bool("notifications").unwrap_or(true);
            follows::mute(&mut conn, &actor, target, true, notifications, duration).await?
        }
        AccountAction::Unmute => follows::mute(&mut conn, &actor, target, false, false, None).await?,
    }
    let rel = relationships::relationships(&mut conn, actor.account.id, &[target.0]).await?;
    let rel = rel.first().ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(relationship(rel)))
}

/// `GET /api/v1/accounts/relationships?id[]=...`
pub async fn relationships_of(
    state: web::Data<AppState>,
    me: User<scope::ReadFollows>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let ids: Vec<i64> = params.list("id").iter().filter_map(|id| id.parse().ok()).take(40).collect();
    let mut conn = state.pool.get().await?;
    // Only accounts this tenant knows; unknown ids are left out, as Mastodon does.
    let known: Vec<i64> =
        accounts::many_visible(&mut conn, me.tenant.id, &ids).await?.into_iter().map(|a| a.id.0).collect();
    let wanted: Vec<i64> = ids.into_iter().filter(|id| known.contains(id)).collect();
    let rows = relationships::relationships(&mut conn, me.id(), &wanted).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(relationship).collect::<Vec<_>>()))
}

/// `GET /api/v1/accounts/{id}/statuses`
pub async fn statuses_of(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, id.account()).await?.ok_or_else(not_found)?;
    let feed = Feed::Account {
        account: account.id,
        exclude_replies: params.bool("exclude_replies").unwrap_or(false),
        exclude_reblogs: params.bool("exclude_reblogs").unwrap_or(false),
        pinned: params.bool("pinned").unwrap_or(false),
        tagged: params.str("tagged").filter(|t| !t.is_empty()).map(|t| t.trim_start_matches('#').to_lowercase()),
        only_media: params.bool("only_media").unwrap_or(false),
    };
    let list = statuses::visible(&mut conn, tenant.id, viewer, &feed, paging::page(&params)?).await?;
    let ids: Vec<i64> = list.iter().map(|s| s.id.0).collect();
    let body = Renderer::new(&tenant, viewer).in_context(Context::Account).statuses(&mut conn, list).await?;
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

/// A page of accounts with their paging ids (of the follow, block, ...), as Mastodon lists them.
async fn account_page(
    req: &HttpRequest,
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    rows: &[(i64, AccountId)],
) -> Result<HttpResponse, WebError> {
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let body = Renderer::new(tenant, viewer).accounts_by_id(conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(req, &tenant.urls.base(), &ids, body))
}

/// Whose follows a follower or following list shows; `None` when the account
/// hides its collections from the viewer (the list is then empty, as Mastodon).
async fn listed_account(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    id: Id,
) -> Result<Option<AccountId>, WebError> {
    let account = accounts::get_visible(conn, tenant.id, id.account()).await?.ok_or_else(not_found)?;
    Ok((!account.hide_collections || viewer == Some(account.id)).then_some(account.id))
}

/// `GET /api/v1/accounts/{id}/followers`
pub async fn followers_of(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let Some(account) = listed_account(&mut conn, &tenant, auth.viewer(), id).await? else {
        return Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new()));
    };
    let rows = relationships::followers(&mut conn, account, FollowState::Accepted, page).await?;
    account_page(&req, &mut conn, &tenant, auth.viewer(), &rows).await
}

/// `GET /api/v1/accounts/{id}/following`
pub async fn following_of(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let Some(account) = listed_account(&mut conn, &tenant, auth.viewer(), id).await? else {
        return Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new()));
    };
    let rows = relationships::following(&mut conn, account, page).await?;
    account_page(&req, &mut conn, &tenant, auth.viewer(), &rows).await
}

/// `GET /api/v1/follow_requests`
pub async fn requests(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadFollows>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(&params, 80)?;
    let mut conn = state.pool.get().await?;
    let rows = relationships::followers(&mut conn, me.id(), FollowState::Requested, page).await?;
    account_page(&req, &mut conn, &me.tenant, Some(me.id()), &rows).await
}

/// `POST /api/v1/follow_requests/{id}/authorize`
pub async fn authorize_request(
    state: web::Data<AppState>,
    me: User<scope::WriteFollows>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let events = follows::authorize(&mut conn, &me.actor(), id.account()).await?;
    state.publish(&events).await;
    let rel = relationships::relationships(&mut conn, me.id(), &[id.0]).await?;
    Ok(HttpResponse::Ok().json(rel.first().map(relationship)))
}

/// `POST /api/v1/follow_requests/{id}/reject`
pub async fn reject_request(
    state: web::Data<AppState>,
    me: User<scope::WriteFollows>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    follows::reject(&mut conn, &me.actor(), id.account()).await?;
    let rel = relationships::relationships(&mut conn, me.id(), &[id.0]).await?;
    Ok(HttpResponse::Ok().json(rel.first().map(relationship)))
}

fn list_page(params: &Params) -> Result<Page, WebError> {
    paging::page_with_max(params, 80)
}

/// `GET /api/v1/blocks`
pub async fn blocked(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadBlocks>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = list_page(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = relationships::blocks_of(&mut conn, me.id(), page).await?;
    account_page(&req, &mut conn, &me.tenant, Some(me.id()), &rows).await
}

/// `GET /api/v1/mutes`
pub async fn muted(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadMutes>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = list_page(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = relationships::mutes_of(&mut conn, me.id(), page).await?;
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let mut body = Renderer::new(&me.tenant, Some(me.id())).accounts_by_id(&mut conn, &account_ids).await?;
    // A mute with a duration says when it ends, as Mastodon's mutes list does.
    let expiries = relationships::mute_expiries(&mut conn, me.id(), &account_ids).await?;
    for account in &mut body {
        let id = account["id"].as_str().and_then(|id| id.parse::<i64>().ok());
        if let Some(at) = id.and_then(|id| expiries.get(&id)) {
            account["mute_expires_at"] = super::render::timestamp(*at).into();
        }
    }
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(&req, &me.tenant.urls.base(), &ids, body))
}
