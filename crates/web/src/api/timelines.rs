//! `/api/v1/timelines/...`, `/api/v1/favourites`, `/api/v1/bookmarks`.

use super::paging;
use super::render::Renderer;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::extract::{User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_store::interactions;
use kereru_store::page::Page;
use kereru_store::statuses::{self, Feed};
use kereru_store::{AccountId, PgConn, StatusId};

/// A page of `feed` for `viewer`, rendered with the viewer's filters (home's for home and lists).
pub(crate) async fn respond_feed(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    feed: Feed,
    page: Page,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let list = statuses::visible(&mut conn, tenant.id, viewer, &feed, page).await?;
    let ids: Vec<i64> = list.iter().map(|s| s.id.0).collect();
    let context = if matches!(feed, Feed::Home | Feed::List(_)) { Context::Home } else { Context::Public };
    let body = Renderer::new(tenant, viewer).in_context(context).statuses(&mut conn, list).await?;
    Ok(paging::respond(req, &tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/timelines/home`
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    respond_feed(&req, &state, &me.tenant, Some(me.id()), Feed::Home, paging::page(&params)?).await
}

fn origin(params: &Params) -> (bool, bool) {
    let local = params.bool("local").unwrap_or(false);
    let remote = params.bool("remote").unwrap_or(false);
    (local || !remote, remote || !local)
}

/// `GET /api/v1/timelines/public?local=&remote=`
pub async fn public(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let (local, remote) = origin(&params);
    respond_feed(&req, &state, &tenant, viewer, Feed::Public { local, remote }, paging::page(&params)?).await
}

/// `GET /api/v1/timelines/tag/{name}`
pub async fn tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    name: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let (local, remote) = origin(&params);
    let name = name.trim_start_matches('#').to_lowercase();
    respond_feed(&req, &state, &tenant, viewer, Feed::Tag { name, local, remote }, paging::page(&params)?).await
}

/// `GET /api/v1/favourites`: paged by the favourite's id.
pub async fn favourites(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadFavourites>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = interactions::favourites_of(&mut conn, me.id(), page).await?;
    respond_saved(&req, &mut conn, &me.tenant, me.id(), &rows, page).await
}

/// `GET /api/v1/bookmarks`: paged by the bookmark's id.
pub async fn bookmarks(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadBookmarks>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = interactions::bookmarks_of(&mut conn, me.id(), page).await?;
    respond_saved(&req, &mut conn, &me.tenant, me.id(), &rows, page).await
}

/// Saved statuses (`(saved id, status id)` rows) the viewer may still see, in the rows' order.
async fn respond_saved(
    req: &HttpRequest,
    conn: &mut PgConn,
    tenant: &Tenant,
    me: AccountId,
    rows: &[(i64, StatusId)],
    page: Page,
) -> Result<HttpResponse, WebError> {
    let status_ids: Vec<StatusId> = rows.iter().map(|(_, s)| *s).collect();
    let visible = statuses::visible(
        conn,
        tenant.id,
        Some(me),
        &Feed::Ids(status_ids.clone()),
        Page { limit: page.limit, ..Page::default() },
    )
    .await?;
    let by_id: std::collections::HashMap<StatusId, _> = visible.into_iter().map(|s| (s.id, s)).collect();
    let ordered: Vec<_> = status_ids.iter().filter_map(|id| by_id.get(id).cloned()).collect();
    let body = Renderer::new(tenant, Some(me)).statuses(conn, ordered).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(req, &tenant.urls.base(), &ids, body))
}
