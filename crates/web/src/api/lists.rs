//! `/api/v1/lists` (a person's lists and their members), `/api/v1/accounts/{id}/lists`
//! and `/api/v1/timelines/list/{id}`, as Mastodon 4 answers them. Another
//! person's list, or one on another tenant, does not exist (404).

use super::paging;
use super::render::Renderer;
use super::timelines::respond_feed;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::lists::{self as service, ListChange};
use kereru_store::AccountId;
use kereru_store::accounts;
use kereru_store::lists::{self, List};
use kereru_store::statuses::Feed;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/lists", web::get().to(index))
        .route("/api/v1/lists", web::post().to(create))
        .route("/api/v1/lists/{id}", web::get().to(show))
        .route("/api/v1/lists/{id}", web::put().to(update))
        .route("/api/v1/lists/{id}", web::delete().to(delete))
        .route("/api/v1/lists/{id}/accounts", web::get().to(members))
        .route("/api/v1/lists/{id}/accounts", web::post().to(add_members))
        .route("/api/v1/lists/{id}/accounts", web::delete().to(remove_members))
        .route("/api/v1/accounts/{id}/lists", web::get().to(containing))
        .route("/api/v1/timelines/list/{id}", web::get().to(timeline));
}

/// The List entity.
pub fn list_json(list: &List) -> Value {
    json!({
        "id": list.id.to_string(),
        "title": list.title,
        "replies_policy": list.replies_policy,
        "exclusive": list.exclusive,
    })
}

fn change_of(params: &Params) -> ListChange {
    ListChange {
        title: params.str("title").map(str::to_string),
        replies_policy: params.str("replies_policy").filter(|p| !p.is_empty()).map(str::to_string),
        exclusive: params.bool("exclusive"),
    }
}

/// `account_ids[]`, as numbers; an id that is not one names no account (404).
fn account_ids(params: &Params) -> Result<Vec<AccountId>, WebError> {
    params.list("account_ids").iter().map(|id| parse_id(id).map(AccountId)).collect()
}

/// `GET /api/v1/lists`
pub async fn index(state: web::Data<AppState>, me: User<scope::ReadLists>) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let all = lists::of(&mut conn, me.tenant.id, me.id()).await?;
    Ok(HttpResponse::Ok().json(all.iter().map(list_json).collect::<Vec<_>>()))
}

/// `POST /api/v1/lists` (`title`, `replies_policy`, `exclusive`)
pub async fn create(
    state: web::Data<AppState>,
    me: User<scope::WriteLists>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let list = service::create(&mut conn, &me.actor(), change_of(&params)).await?;
    Ok(HttpResponse::Ok().json(list_json(&list)))
}

/// `GET /api/v1/lists/{id}`
pub async fn show(state: web::Data<AppState>, me: User<scope::ReadLists>, id: Id) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let list = lists::get(&mut conn, me.tenant.id, me.id(), id.0).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(list_json(&list)))
}

/// `PUT /api/v1/lists/{id}`
pub async fn update(
    state: web::Data<AppState>,
    me: User<scope::WriteLists>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let list = service::update(&mut conn, &me.actor(), id.0, change_of(&params)).await?;
    Ok(HttpResponse::Ok().json(list_json(&list)))
}

/// `DELETE /api/v1/lists/{id}`
pub async fn delete(state: web::Data<AppState>, me: User<scope::WriteLists>, id: Id) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::delete(&mut conn, &me.actor(), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v1/lists/{id}/accounts`: paged by account id (40, at most 80); `limit=0` gives all.
pub async fn members(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadLists>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = match params.str("limit") {
        Some("0") => None,
        _ => {
            let mut page = paging::page_with_max(&params, 80)?;
            if params.str("limit").is_none_or(str::is_empty) {
                page.limit = 40;
            }
            Some(page)
        }
    };
    let mut conn = state.pool.get().await?;
    let list = lists::get(&mut conn, me.tenant.id, me.id(), id.0).await?.ok_or_else(not_found)?;
    let ids: Vec<i64> =
        lists::members(&mut conn, me.tenant.id, list.id, page).await?.into_iter().map(|a| a.0).collect();
    let body = Renderer::new(&me.tenant, Some(me.id())).accounts_by_id(&mut conn, &ids).await?;
    if page.is_none() {
        return Ok(HttpResponse::Ok().json(body));
    }
    Ok(paging::respond(&req, &me.tenant.urls.base(), &ids, body))
}

/// `POST /api/v1/lists/{id}/accounts` (`account_ids[]`): only accounts one follows.
pub async fn add_members(
    state: web::Data<AppState>,
    me: User<scope::WriteLists>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let accounts = account_ids(&params)?;
    let mut conn = state.pool.get().await?;
    service::add_accounts(&mut conn, &me.actor(), id.0, &accounts).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `DELETE /api/v1/lists/{id}/accounts` (`account_ids[]`)
pub async fn remove_members(
    state: web::Data<AppState>,
    me: User<scope::WriteLists>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let accounts = account_ids(&params)?;
    let mut conn = state.pool.get().await?;
    service::remove_accounts(&mut conn, &me.actor(), id.0, &accounts).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v1/accounts/{id}/lists`: the viewer's lists that account is on.
pub async fn containing(
    state: web::Data<AppState>,
    me: User<scope::ReadLists>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, me.tenant.id, id.account()).await?.ok_or_else(not_found)?;
    let found = lists::containing(&mut conn, me.tenant.id, me.id(), account.id).await?;
    Ok(HttpResponse::Ok().json(found.iter().map(list_json).collect::<Vec<_>>()))
}

/// `GET /api/v1/timelines/list/{id}`: members' statuses, the replies policy applied, filters of context home.
pub async fn timeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadLists>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page(&params)?;
    {
        let mut conn = state.pool.get().await?;
        lists::get(&mut conn, me.tenant.id, me.id(), id.0).await?.ok_or_else(not_found)?;
    }
    respond_feed(&req, &state, &me.tenant, Some(me.id()), Feed::List(id.0), page).await
}
