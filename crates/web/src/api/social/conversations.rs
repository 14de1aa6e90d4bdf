//! Conversations: `GET /api/v1/conversations`, `POST .../{id}/read`,
//! `DELETE .../{id}`. The Conversation entity is built here for the API and
//! the `direct` stream alike.

use crate::api::paging;
use crate::api::render::Renderer;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::social::conversations as actions;
use kereru_store::conversations::{self, Conversation};
use kereru_store::{AccountId, PgConn, StatusId, statuses};
use serde_json::{Value, json};

/// The Conversation entity for its owner: the other participants (the owner
/// alone for notes to self), the newest status they may still see.
pub async fn conversation_json(
    conn: &mut PgConn,
    tenant: &Tenant,
    owner: AccountId,
    conversation: &Conversation,
) -> Result<Value, WebError> {
    let mut renderer = Renderer::new(tenant, Some(owner));
    let ids =
        if conversation.participant_ids.is_empty() { vec![owner.0] } else { conversation.participant_ids.clone() };
    let accounts = renderer.accounts_by_id(conn, &ids).await?;
    let last = statuses::visible_one(conn, tenant.id, Some(owner), StatusId(conversation.last_status_id)).await?;
    let last_status = match last {
        Some(status) => renderer.status(conn, status).await?,
        None => Value::Null,
    };
    Ok(json!({
        "id": conversation.id.to_string(),
        "unread": conversation.unread,
        "accounts": accounts,
        "last_status": last_status,
    }))
}

/// `GET /api/v1/conversations`: paged by the newest status's id, as Mastodon.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let rows = conversations::list(&mut conn, me.tenant.id, me.id(), page).await?;
    let mut body = Vec::with_capacity(rows.len());
    for conversation in &rows {
        body.push(conversation_json(&mut conn, &me.tenant, me.id(), conversation).await?);
    }
    let ids: Vec<i64> = rows.iter().map(|c| c.last_status_id).collect();
    Ok(paging::respond(&req, &me.tenant.urls.base(), &ids, body))
}

/// `POST /api/v1/conversations/{id}/read`
pub async fn read(
    state: web::Data<AppState>,
    me: User<scope::WriteConversations>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    actions::mark_read(&mut conn, &me.actor(), id.0).await?;
    let conversation = conversations::get(&mut conn, me.tenant.id, me.id(), id.0).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(conversation_json(&mut conn, &me.tenant, me.id(), &conversation).await?))
}

/// `DELETE /api/v1/conversations/{id}`
pub async fn remove(
    state: web::Data<AppState>,
    me: User<scope::WriteConversations>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    actions::remove(&mut conn, &me.actor(), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
