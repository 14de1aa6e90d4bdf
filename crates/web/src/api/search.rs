//! `GET /api/v2/search`: accounts (resolving handles on this host's other
//! tenants), hashtags, and this tenant's own statuses.

use super::render::Renderer;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::accounts;
use kereru_store::page::Page;
use kereru_store::statuses::{self, Feed};
use serde_json::{Value, json};

pub async fn search(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let q = params.required("q")?.trim().to_string();
    if q.chars().count() > 500 {
        return Err(WebError::Unprocessable("q is too long".into()));
    }
    let kind = params.str("type").unwrap_or("");
    if !matches!(kind, "" | "accounts" | "hashtags" | "statuses") {
        return Err(WebError::Unprocessable("type must be accounts, hashtags or statuses".into()));
    }
    let limit = params.str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(20).clamp(1, 40);
    let offset = params.str("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).clamp(0, 10_000);
    // Mastodon refuses offsets to anonymous searches.
    if viewer.is_none() && offset > 0 {
        return Err(WebError::Unauthorized("Search queries pagination is not supported without authentication".into()));
    }
    let resolve = params.bool("resolve").unwrap_or(false) && viewer.is_some();
    let mut conn = state.pool.get().await?;
    let mut renderer = Renderer::new(&tenant, viewer);

    let mut found_accounts: Vec<Value> = Vec::new();
    if kind.is_empty() || kind == "accounts" {
        let handle = q.trim_start_matches('@');
        if let Some((name, host)) = handle.split_once('@') {
            // A handle: this host's tenants answer directly (remote hosts come with federation).
            let here = host.eq_ignore_ascii_case(tenant.account_host.as_str());
            let mut found = None;
            if resolve || here {
                found = kereru_service::resolve::local_handle(&mut conn, &tenant.domain, name, Some(host)).await?;
            }
            if found.is_none()
                && let Ok(host) = kereru_core::HostName::parse(host)
            {
                found = if resolve {
                    // A handle on another server: WebFinger and its actor, as Mastodon resolves it.
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
            if let Some(account) = found {
                found_accounts.push(renderer.account(&mut conn, &account).await?);
            }
        } else {
            let ids = accounts::search_visible(&mut conn, tenant.id, handle, offset, limit).await?;
            found_accounts = renderer.accounts_by_id(&mut conn, &ids).await?;
        }
    }

    let mut hashtags: Vec<Value> = Vec::new();
    if kind.is_empty() || kind == "hashtags" {
        let name = q.trim_start_matches('#').to_lowercase();
        if !name.is_empty() {
            let names = statuses::search_tags(&mut conn, tenant.id, viewer, &name, offset, limit).await?;
            // Whole Tag entities (history, and whether the viewer follows each), as `/api/v1/tags/{name}`.
            hashtags = super::tags::tags_json(&mut conn, &tenant, viewer, &names).await?;
        }
    }

    let mut found_statuses: Vec<Value> = Vec::new();
    if (kind.is_empty() || kind == "statuses") && viewer.is_some() {
        let page = Page { limit: limit + offset, ..Page::default() };
        let list = statuses::visible(&mut conn, tenant.id, viewer, &Feed::Search(q.clone()), page).await?;
        let list: Vec<_> = list.into_iter().skip(offset as usize).collect();
        found_statuses = renderer.statuses(&mut conn, list).await?;
    }
    Ok(HttpResponse::Ok().json(json!({ "accounts": found_accounts, "statuses": found_statuses, "hashtags": hashtags })))
}
