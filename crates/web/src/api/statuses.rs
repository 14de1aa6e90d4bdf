//! `/api/v1/statuses/...`

use super::paging;
use super::render::{Renderer, timestamp};
use crate::auth::{Auth, MaybeAuth};
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::statuses::{self as actions, NewPost};
use kereru_service::{Actor, ServiceError};
use kereru_store::statuses::{self, Feed, Visibility};
use kereru_store::{accounts, interactions};
use serde_json::json;

pub fn not_found() -> WebError {
    WebError::NotFound("Record not found".into())
}

impl From<ServiceError> for WebError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound => not_found(),
            ServiceError::Invalid(message) => WebError::Unprocessable(message),
            ServiceError::Forbidden(message) => WebError::Forbidden(message),
            ServiceError::Store(e) => WebError::from(e),
        }
    }
}

pub fn parse_id(id: &str) -> Result<i64, WebError> {
    id.parse().map_err(|_| not_found())
}

pub fn actor<'a>(tenant: &'a Tenant, auth: &'a Auth, scope: &str) -> Result<Actor<'a>, WebError> {
    let account = auth.user(scope)?;
    Ok(Actor { tenant: &tenant.domain, account, scheme: tenant.urls.scheme })
}

fn visibility_param(params: &Params) -> Result<Option<Visibility>, WebError> {
    params
        .str("visibility")
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<Visibility>().map_err(|e| WebError::Unprocessable(format!("Validation failed: Visibility {e}")))
        })
        .transpose()
}

/// `POST /api/v1/statuses`
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let actor = actor(&tenant, &auth, "write:statuses")?;
    let media_ids = params
        .list("media_ids")
        .iter()
        .map(|id| id.parse::<i64>().map_err(|_| WebError::Unprocessable("media_ids must be ids".into())))
        .collect::<Result<Vec<_>, _>>()?;
    let in_reply_to = match params.str("in_reply_to_id").filter(|v| !v.is_empty()) {
        Some(id) => Some(parse_id(id)?),
        None => None,
    };
    let new = NewPost {
        text: params.str("status").unwrap_or("").to_string(),
        spoiler_text: params.str("spoiler_text").unwrap_or("").to_string(),
        sensitive: params.bool("sensitive").unwrap_or(false),
        visibility: visibility_param(&params)?,
        language: params.str("language").filter(|l| !l.is_empty()).map(str::to_string),
        in_reply_to,
        media_ids,
        idempotency_key: req.headers().get("Idempotency-Key").and_then(|v| v.to_str().ok()).map(str::to_string),
        application_id: Some(auth.grant.application_id),
    };
    let mut conn = state.pool.get().await?;
    let (status, events) = actions::post(&mut conn, &actor, new).await?;
    state.publish(&events).await;
    let body = Renderer::new(&tenant, Some(actor.account.id)).status(&mut conn, status).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/statuses/{id}`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = parse_id(&id)?;
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).status(&mut conn, status).await?))
}

/// `DELETE /api/v1/statuses/{id}`: answers with the status and its source text (for "delete and redraft").
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let actor = actor(&tenant, &auth, "write:statuses")?;
    let id = parse_id(&id)?;
    let mut conn = state.pool.get().await?;
    let status = actions::visible(&mut conn, &actor, id).await?;
    let text = status.text.clone();
    let mut body = Renderer::new(&tenant, Some(actor.account.id)).status(&mut conn, status).await?;
    let events = actions::delete(&mut conn, &actor, id).await?;
    state.publish(&events).await;
    body["text"] = text.into();
    Ok(HttpResponse::Ok().json(body))
}

/// `PUT /api/v1/statuses/{id}`
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let actor = actor(&tenant, &auth, "write:statuses")?;
    let id = parse_id(&id)?;
    let mut conn = state.pool.get().await?;
    let (status, events) = actions::edit(
        &mut conn,
        &actor,
        id,
        params.str("status").unwrap_or("").to_string(),
        params.str("spoiler_text").unwrap_or("").to_string(),
        params.bool("sensitive").unwrap_or(false),
    )
    .await?;
    state.publish(&events).await;
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, Some(actor.account.id)).status(&mut conn, status).await?))
}

/// `GET /api/v1/statuses/{id}/history`
pub async fn history(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use kereru_store::schema::status_edits;
    let id = parse_id(&id)?;
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let author =
        accounts::get_unchecked(&mut conn, kereru_store::AccountId(status.account_id)).await?.ok_or_else(not_found)?;
    let mut renderer = Renderer::new(&tenant, viewer);
    let account = renderer.account(&mut conn, &author).await?;
    let versions: Vec<(String, String, bool, chrono::DateTime<chrono::Utc>)> = status_edits::table
        .filter(status_edits::status_id.eq(status.id))
        .order(status_edits::id.asc())
        .select((status_edits::content, status_edits::spoiler_text, status_edits::sensitive, status_edits::created_at))
        .load(&mut conn)
        .await
        .map_err(kereru_store::StoreError::from)?;
    let mut body: Vec<serde_json::Value> = versions
        .into_iter()
        .map(|(content, spoiler_text, sensitive, at)| {
            json!({ "content": content, "spoiler_text": spoiler_text, "sensitive": sensitive, "created_at": timestamp(at),
                    "account": account, "media_attachments": [], "emojis": [] })
        })
        .collect();
    if body.is_empty() {
        body.push(json!({ "content": status.content, "spoiler_text": status.spoiler_text, "sensitive": status.sensitive,
                          "created_at": timestamp(status.created_at), "account": account, "media_attachments": [], "emojis": [] }));
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/statuses/{id}/source`
pub async fn source(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let actor = actor(&tenant, &auth, "read:statuses")?;
    let id = parse_id(&id)?;
    let mut conn = state.pool.get().await?;
    let status = actions::visible(&mut conn, &actor, id).await?;
    if status.account_id != actor.account.id.0 {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok()
        .json(json!({ "id": status.id.to_string(), "text": status.text, "spoiler_text": status.spoiler_text })))
}

/// `GET /api/v1/statuses/{id}/context`: ancestors oldest first, descendants depth-first.
pub async fn context(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    const LIMIT: usize = 60;
    let id = parse_id(&id)?;
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let mut ancestors = Vec::new();
    let mut parent = status.in_reply_to_id;
    while let Some(parent_id) = parent {
        if ancestors.len() >= LIMIT {
            break;
        }
        let Some(found) = statuses::visible_one(&mut conn, tenant.id, viewer, parent_id).await? else { break };
        parent = found.in_reply_to_id;
        ancestors.push(found);
    }
    ancestors.reverse();
    let mut descendants = Vec::new();
    let mut stack = vec![status.id];
    while let Some(current) = stack.pop() {
        if descendants.len() >= LIMIT {
            break;
        }
        let page = kereru_store::page::Page { limit: LIMIT as i64, min_id: Some(0), ..Default::default() };
        let replies = statuses::visible(&mut conn, tenant.id, viewer, &Feed::RepliesTo(current), page).await?;
        // Oldest first on the stack's far end, so the walk is depth-first in posting order.
        for reply in replies.iter().rev() {
            stack.push(reply.id);
        }
        descendants.extend(replies);
    }
    // Depth-first order: re-sort by walking parent links.
    let order = depth_first(status.id, &descendants);
    let by_id: std::collections::HashMap<i64, _> = descendants.into_iter().map(|s| (s.id, s)).collect();
    let descendants: Vec<_> = order.into_iter().filter_map(|id| by_id.get(&id).cloned()).collect();
    let mut renderer = Renderer::new(&tenant, viewer);
    let ancestors = renderer.statuses(&mut conn, ancestors).await?;
    let descendants = renderer.statuses(&mut conn, descendants).await?;
    Ok(HttpResponse::Ok().json(json!({ "ancestors": ancestors, "descendants": descendants })))
}

fn depth_first(root: i64, replies: &[statuses::Status]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(current) = stack.pop() {
        if current != root {
            out.push(current);
        }
        let mut children: Vec<i64> =
            replies.iter().filter(|s| s.in_reply_to_id == Some(current)).map(|s| s.id).collect();
        children.sort_unstable_by(|a, b| b.cmp(a));
        stack.extend(children);
    }
    out
}

/// `POST /api/v1/statuses/{id}/{action}` for favourite, reblog, bookmark, pin and their undos.
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    path: web::Path<(String, String)>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let scope = match action.as_str() {
        "favourite" | "unfavourite" => "write:favourites",
        "bookmark" | "unbookmark" => "write:bookmarks",
        "reblog" | "unreblog" | "pin" | "unpin" | "mute" | "unmute" => "write:statuses",
        _ => return Err(WebError::NotFound("Record not found".into())),
    };
    let actor = actor(&tenant, &auth, scope)?;
    let mut conn = state.pool.get().await?;
    let status = match action.as_str() {
        "favourite" => {
            let (status, events) = actions::favourite(&mut conn, &actor, id).await?;
            state.publish(&events).await;
            status
        }
        "unfavourite" => actions::unfavourite(&mut conn, &actor, id).await?,
        "reblog" => {
            let (boost, events) = actions::reblog(&mut conn, &actor, id, visibility_param(&params)?).await?;
            state.publish(&events).await;
            boost
        }
        "unreblog" => {
            let (original, events) = actions::unreblog(&mut conn, &actor, id).await?;
            state.publish(&events).await;
            original
        }
        "bookmark" => actions::bookmark(&mut conn, &actor, id, true).await?,
        "unbookmark" => actions::bookmark(&mut conn, &actor, id, false).await?,
        "pin" => actions::pin(&mut conn, &actor, id, true).await?,
        "unpin" => actions::pin(&mut conn, &actor, id, false).await?,
        // Muting a conversation: accepted, not yet acted on.
        _ => actions::visible(&mut conn, &actor, id).await?,
    };
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, Some(actor.account.id)).status(&mut conn, status).await?))
}

/// `GET /api/v1/statuses/{id}/favourited_by` and `/reblogged_by`.
pub async fn interacted_by(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    path: web::Path<(String, String)>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use kereru_store::schema::statuses as table;
    let (id, which) = path.into_inner();
    let id = parse_id(&id)?;
    let viewer = auth.viewer();
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let rows: Vec<(i64, i64)> = match which.as_str() {
        "favourited_by" => {
            interactions::favourited_by(&mut conn, status.id, page).await?.into_iter().map(|(r, a)| (r, a.0)).collect()
        }
        "reblogged_by" => table::table
            .filter(table::reblog_of_id.eq(status.id))
            .filter(table::visibility.ne("direct"))
            .order(table::id.desc())
            .limit(page.limit)
            .select((table::id, table::account_id))
            .load(&mut conn)
            .await
            .map_err(kereru_store::StoreError::from)?,
        _ => return Err(not_found()),
    };
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
    let body = Renderer::new(&tenant, viewer).accounts_by_id(&mut conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}
