//! Link preview cards in Mastodon's shape (`card` of a Status, rendered by
//! `render`), the deprecated `GET /api/v1/statuses/{id}/card`, and `POST
//! /api/v1/statuses/{id}/translate`, which answers as a Mastodon server
//! without a translation backend: 404 `Not Found` for a status the
//! reader sees (and `Record not found` for one it does not).

use crate::auth::MaybeAuth;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, scope};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::StatusId;
use kereru_store::cards::PreviewCard;
use kereru_store::statuses;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/statuses/{id}/card", web::get().to(card));
}

/// Mastodon's PreviewCard entity. The image is the page's own (not copied here).
pub fn card_json(card: &PreviewCard) -> Value {
    json!({
        "url": card.url,
        "title": card.title,
        "description": card.description,
        "language": card.language,
        "type": card.card_type,
        "author_name": card.author_name,
        "author_url": card.author_url,
        "provider_name": card.provider_name,
        "provider_url": card.provider_url,
        "html": "",
        "width": card.width,
        "height": card.height,
        "image": card.image_url,
        "image_description": card.image_description,
        "embed_url": "",
        "blurhash": null,
        "published_at": card.published_at.map(super::render::timestamp),
        "authors": [],
    })
}

/// `GET /api/v1/statuses/{id}/card`: the card of a status the reader sees, `{}` when it has none.
async fn card(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    Id(id): Id<StatusId>,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    let id = status.reblog_of_id.unwrap_or(status.id);
    let cards = kereru_store::cards::for_statuses(&mut conn, &[id]).await?;
    Ok(HttpResponse::Ok().json(cards.get(&id).map_or_else(|| json!({}), card_json)))
}

/// `POST /api/v1/statuses/{id}/translate`: there is no translation backend.
pub async fn translate(
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    Id(id): Id<StatusId>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    statuses::visible_one(&mut conn, me.tenant.id, Some(me.id()), id).await?.ok_or_else(not_found)?;
    Err(WebError::NotFound("Not Found".into()))
}
