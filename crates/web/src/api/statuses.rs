//! `/api/v1/statuses/...`

use super::paging;
use super::render::{Renderer, timestamp};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{WebError, not_found};
use crate::extract::{Action, Id, Scope, User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_service::statuses::{self as service, NewPost, StatusAction};
use kereru_store::statuses::{self, Feed, Visibility};
use kereru_store::{MediaId, StatusId, accounts, interactions};
use serde_json::json;

/// The scope `POST /api/v1/statuses/{id}/{action}` needs for `action`.
fn action_scope(action: StatusAction) -> Scope {
    use StatusAction::*;
    match action {
        Favourite | Unfavourite => Scope::WriteFavourites,
        Bookmark | Unbookmark => Scope::WriteBookmarks,
        Reblog | Unreblog | Pin | Unpin | Mute | Unmute => Scope::WriteStatuses,
    }
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
    me: User<scope::WriteStatuses>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let media_ids = params
        .list("media_ids")
        .iter()
        .map(|id| id.parse::<MediaId>().map_err(|_| WebError::Unprocessable("media_ids must be ids".into())))
        .collect::<Result<Vec<_>, _>>()?;
    let in_reply_to = params.str("in_reply_to_id").filter(|v| !v.is_empty()).map(parse_id).transpose()?.map(StatusId);
    let new = NewPost {
        text: params.str("status").unwrap_or("").to_string(),
        spoiler_text: params.str("spoiler_text").unwrap_or("").to_string(),
        sensitive: params.bool("sensitive").unwrap_or(false),
        visibility: visibility_param(&params)?,
        language: params.str("language").filter(|l| !l.is_empty()).map(str::to_string),
        in_reply_to,
        media_ids,
        idempotency_key: req.headers().get("Idempotency-Key").and_then(|v| v.to_str().ok()).map(str::to_string),
        application_id: Some(me.application_id),
        quoted_status_id: params
            .str("quoted_status_id")
            .filter(|v| !v.is_empty())
            .map(parse_id)
            .transpose()?
            .map(StatusId),
        quote_policy: super::quotes::policy_param(&params)?,
        poll: super::polls::poll_param(&params)?,
    };
    let mut conn = state.pool.get().await?;
    // A time ahead schedules the post (a ScheduledStatus answers); a time past posts now, as Mastodon.
    if let Some(at) = params.str("scheduled_at").filter(|v| !v.trim().is_empty()) {
        let at = super::scheduled::parse_time(at)?;
        if at > chrono::Utc::now() {
            let row = kereru_service::scheduled::schedule(&mut conn, &me.actor(), new, at).await?;
            return Ok(HttpResponse::Ok().json(super::scheduled::entity(&mut conn, &me.tenant, &row).await?));
        }
    }
    let (status, events) = service::post(&mut conn, &me.actor(), new).await?;
    state.publish(&events).await;
    let body = Renderer::new(&me.tenant, Some(me.id())).status(&mut conn, status).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/statuses/{id}`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    Id(id): Id<StatusId>,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    // A status the viewer's filters hide in threads is not shown on its own either.
    let body =
        Renderer::new(&tenant, viewer).in_context(Context::Thread).status_unless_hidden(&mut conn, status).await?;
    Ok(HttpResponse::Ok().json(body.ok_or_else(not_found)?))
}

/// `DELETE /api/v1/statuses/{id}`: answers the deleted status with its `text`, for delete-and-redraft: its
/// media stay (unattached, to post again) unless `delete_media` is true.
/// One's own boost may be deleted by its id.
pub async fn delete(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    Id(id): Id<StatusId>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let actor = me.actor();
    let mut conn = state.pool.get().await?;
    let status = service::visible(&mut conn, &actor, id).await?;
    let text = status.text.clone();
    let mut body = Renderer::new(&me.tenant, Some(me.id())).status(&mut conn, status).await?;
    let keep_media = !params.bool("delete_media").unwrap_or(false);
    let events = service::delete(&mut conn, &actor, id, keep_media).await?;
    state.publish(&events).await;
    body["text"] = text.into();
    Ok(HttpResponse::Ok().json(body))
}

/// `PUT /api/v1/statuses/{id}`
pub async fn edit(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    Id(id): Id<StatusId>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    // Mastodon's edit sets the poll to what is sent: none removes it.
    let poll = Some(super::polls::poll_param(&params)?);
    let (status, events) = service::edit_with_poll(
        &mut conn,
        &me.actor(),
        id,
        params.str("status").unwrap_or("").to_string(),
        params.str("spoiler_text").unwrap_or("").to_string(),
        params.bool("sensitive").unwrap_or(false),
        poll,
    )
    .await?;
    state.publish(&events).await;
    Ok(HttpResponse::Ok().json(Renderer::new(&me.tenant, Some(me.id())).status(&mut conn, status).await?))
}

/// `GET /api/v1/statuses/{id}/history`
pub async fn history(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    Id(id): Id<StatusId>,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let author = accounts::get_unchecked(&mut conn, status.account_id).await?.ok_or_else(not_found)?;
    let mut renderer = Renderer::new(&tenant, viewer);
    let account = renderer.account(&mut conn, &author).await?;
    let versions = statuses::edits(&mut conn, status.id).await?;
    let mut body: Vec<serde_json::Value> = versions
        .into_iter()
        .map(|edit| {
            json!({ "content": edit.content, "spoiler_text": edit.spoiler_text, "sensitive": edit.sensitive,
                    "created_at": timestamp(edit.created_at), "account": account, "media_attachments": [], "emojis": [] })
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
    me: User<scope::ReadStatuses>,
    Id(id): Id<StatusId>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let status = service::visible(&mut conn, &me.actor(), id).await?;
    if status.account_id != me.id() {
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
    Id(id): Id<StatusId>,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let (ancestors, descendants) = thread(&mut conn, &tenant, viewer, &status).await?;
    let mut renderer = Renderer::new(&tenant, viewer).in_context(Context::Thread);
    let ancestors = renderer.statuses(&mut conn, ancestors).await?;
    let descendants = renderer.statuses(&mut conn, descendants).await?;
    Ok(HttpResponse::Ok().json(json!({ "ancestors": ancestors, "descendants": descendants })))
}

/// The thread around `status` as `viewer` may see it on `tenant`: its
/// ancestors, oldest first, and its descendants, depth-first in posting
/// order (up to 60 of each). The post pages show the same thread.
pub async fn thread(
    conn: &mut kereru_store::PgConn,
    tenant: &Tenant,
    viewer: Option<kereru_store::AccountId>,
    status: &statuses::Status,
) -> Result<(Vec<statuses::Status>, Vec<statuses::Status>), WebError> {
    const LIMIT: usize = 60;
    let mut ancestors = Vec::new();
    let mut parent = status.in_reply_to_id;
    while let Some(parent_id) = parent {
        if ancestors.len() >= LIMIT {
            break;
        }
        let Some(found) = statuses::visible_one(conn, tenant.id, viewer, parent_id).await? else { break };
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
        let replies = statuses::visible(conn, tenant.id, viewer, &Feed::RepliesTo(current), page).await?;
        // Oldest first on the stack's far end, so the walk is depth-first in posting order.
        for reply in replies.iter().rev() {
            stack.push(reply.id);
        }
        descendants.extend(replies);
    }
    // Depth-first order: re-sort by walking parent links.
    let order = depth_first(status.id, &descendants);
    let by_id: std::collections::HashMap<StatusId, _> = descendants.into_iter().map(|s| (s.id, s)).collect();
    let descendants: Vec<_> = order.into_iter().filter_map(|id| by_id.get(&id).cloned()).collect();
    Ok((ancestors, descendants))
}

fn depth_first(root: StatusId, replies: &[statuses::Status]) -> Vec<StatusId> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(current) = stack.pop() {
        if current != root {
            out.push(current);
        }
        let mut children: Vec<StatusId> =
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
    Id(id): Id<StatusId>,
    Action(action): Action<StatusAction>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let actor = auth.actor(&tenant, action_scope(action))?;
    let mut conn = state.pool.get().await?;
    let (status, events) = service::perform(&mut conn, &actor, id, action, visibility_param(&params)?).await?;
    state.publish(&events).await;
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, Some(actor.account.id)).status(&mut conn, status).await?))
}

/// `GET /api/v1/statuses/{id}/favourited_by`
pub async fn favourited_by(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    Id(id): Id<StatusId>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let rows: Vec<(i64, i64)> =
        interactions::favourited_by(&mut conn, status.id, page).await?.into_iter().map(|(r, a)| (r, a.0)).collect();
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
    let body = Renderer::new(&tenant, viewer).accounts_by_id(&mut conn, &account_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/statuses/{id}/reblogged_by`: the authors of the boosts this
/// viewer may see here, by the same rules as any status read.
pub async fn reblogged_by(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    Id(id): Id<StatusId>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let boosts = statuses::visible(&mut conn, tenant.id, viewer, &Feed::ReblogsOf(status.id), page).await?;
    let account_ids: Vec<i64> = boosts.iter().map(|b| b.account_id.0).collect();
    let body = Renderer::new(&tenant, viewer).accounts_by_id(&mut conn, &account_ids).await?;
    let ids: Vec<i64> = boosts.iter().map(|b| b.id.0).collect();
    Ok(paging::respond(&req, &tenant.urls.base(), &ids, body))
}
