//! `GET /api/v1/statuses?id[]=`: several statuses at once, by the rules of
//! `GET /api/v1/statuses/{id}` for each (ids the viewer may not see, or of
//! another tenant, are left out), in the order asked.

use crate::api::render::Renderer;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_core::filters::Context;
use kereru_store::StatusId;
use kereru_store::page::Page;
use kereru_store::statuses::{self, Feed};

/// Mastodon's limit of ids in one request (`DEFAULT_STATUSES_LIMIT`; more is a 422).
const MAX_IDS: usize = 20;

pub async fn index(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    if let Some(auth) = &auth.0 {
        auth.require(kereru_core::scopes::Scope::ReadStatuses)?;
    }
    let mut ids: Vec<StatusId> = Vec::new();
    for id in params.list("id").iter().filter_map(|id| id.parse::<i64>().ok()).map(StatusId) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_IDS {
        return Err(WebError::Unprocessable(format!("Too many ids (at most {MAX_IDS})")));
    }
    if ids.is_empty() {
        return Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new()));
    }
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let page = Page { limit: ids.len() as i64, ..Page::default() };
    let mut found = statuses::visible(&mut conn, tenant.id, viewer, &Feed::Ids(ids.clone()), page).await?;
    found.sort_by_key(|status| ids.iter().position(|id| *id == status.id));
    // As a status shown on its own: the viewer's filters that hide in threads hide here too.
    let body = Renderer::new(&tenant, viewer).in_context(Context::Thread).statuses(&mut conn, found).await?;
    Ok(HttpResponse::Ok().json(body))
}
