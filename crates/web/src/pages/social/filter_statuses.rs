//! "Filter this post" (Mastodon's filter statuses) on the web: from a post's
//! actions, `GET /statuses/{id}/filter` asks which of the person's filters
//! should take it and `POST /settings/filter_statuses` adds it there;
//! `GET /settings/filters/{id}` shows a filter with the posts added by hand,
//! each removed with `POST /settings/filters/{id}/statuses/{entry}/delete`.
//! The acts are `service::safety::filters::add_status` and `delete_status`,
//! the same as `/api/v2/filters/{id}/statuses` and `/api/v2/filters/statuses/{id}`.
//! Filters and entries are looked up with the signed-in account (another
//! person's is a 404), posts with the tenant's visibility rules.

use super::{actor, path_id};
use crate::error::not_found;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::view::{StatusView, Views};
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::safety::filters as service;
use kereru_store::filters::{self, Filter};
use kereru_store::{StatusId, statuses};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // POST /statuses/{id}/{action} belongs to posting's actions, so the form posts under /settings.
    cfg.route("/statuses/{id}/filter", web::get().to(choose))
        .route("/settings/filter_statuses", web::post().to(add))
        .route("/settings/filters/{id}", web::get().to(show))
        .route("/settings/filters/{id}/statuses/{entry}/delete", web::post().to(remove));
}

#[derive(serde::Serialize)]
struct Choice {
    id: String,
    title: String,
    /// The post is in this filter already.
    has_it: bool,
    expired: bool,
}

/// The post as the viewer may see it; 404 for one they may not.
async fn visible(state: &AppState, tenant: &Tenant, me: &Me, id: i64) -> Result<StatusView, PageError> {
    let mut conn = state.pool.get().await?;
    let status =
        statuses::visible_one(&mut conn, tenant.id, Some(me.account.id), StatusId(id)).await?.ok_or_else(not_found)?;
    let mut views = Views::new(tenant, Some(me.account.id));
    Ok(views.status(&mut conn, status).await?)
}

async fn render_choice(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    status_id: i64,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let post = visible(state, tenant, me, status_id).await?;
    let mut conn = state.pool.get().await?;
    let now = chrono::Utc::now();
    let choices: Vec<Choice> = filters::list(&mut conn, me.account.id)
        .await?
        .iter()
        .map(|f| Choice {
            id: f.row.id.to_string(),
            title: f.row.title.clone(),
            has_it: f.statuses.iter().any(|s| s.status_id == StatusId(status_id)),
            expired: f.row.expires_at.is_some_and(|at| at <= now),
        })
        .collect();
    Page::new("settings/filter_status.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "filters")
        .insert("post", &post)
        .insert("choices", &choices)
        .insert("error", &error)
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

/// `GET /statuses/{id}/filter`: which filter should take this post.
pub async fn choose(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    render_choice(&state, &tenant, &me, id, None).await
}

#[derive(serde::Deserialize)]
pub struct AddForm {
    #[serde(default)]
    status_id: String,
    #[serde(default)]
    filter_id: String,
}

/// `POST /settings/filter_statuses`: adds the post to the chosen filter, then shows that filter.
pub async fn add(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<HttpResponse, PageError> {
    let status_id = path_id(&form.status_id)?;
    let Ok(filter_id) = form.filter_id.trim().parse::<i64>() else {
        return render_choice(&state, &tenant, &me, status_id, Some("Choose one of your filters.")).await;
    };
    let mut conn = state.pool.get().await?;
    service::add_status(&mut conn, &actor(&tenant, &me), filter_id, StatusId(status_id)).await?;
    Ok(see_other(&format!("/settings/filters/{filter_id}?added=1")))
}

#[derive(serde::Serialize)]
struct Entry {
    id: String,
    /// `None`: the post is gone or no longer visible to the person.
    post: Option<StatusView>,
}

#[derive(serde::Deserialize)]
pub struct Notice {
    added: Option<String>,
    removed: Option<String>,
}

async fn own(state: &AppState, me: &Me, id: &str) -> Result<Filter, PageError> {
    let id = path_id(id)?;
    let mut conn = state.pool.get().await?;
    Ok(filters::get(&mut conn, me.account.id, id).await?.ok_or(ServiceError::NotFound)?)
}

/// `GET /settings/filters/{id}`: one filter with the posts added to it by hand.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
    query: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let filter = own(&state, &me, &id).await?;
    let mut conn = state.pool.get().await?;
    let mut views = Views::new(&tenant, Some(me.account.id));
    let mut entries = Vec::with_capacity(filter.statuses.len());
    for entry in &filter.statuses {
        let post = match statuses::visible_one(&mut conn, tenant.id, Some(me.account.id), entry.status_id).await? {
            Some(status) => Some(views.status(&mut conn, status).await?),
            None => None,
        };
        entries.push(Entry { id: entry.id.to_string(), post });
    }
    let notice = if query.added.is_some() {
        Some("The post was added to this filter.")
    } else {
        query.removed.is_some().then_some("The post was removed from this filter.")
    };
    Page::new("settings/filter.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "filters")
        .insert("filter_id", &filter.row.id.to_string())
        .insert("title", &filter.row.title)
        .insert("hide", &(filter.row.filter_action == "hide"))
        .insert("keywords", &filter.keywords.iter().map(|k| k.keyword.clone()).collect::<Vec<_>>())
        .insert("entries", &entries)
        .insert("notice", &notice)
        .render(&state)
}

#[derive(serde::Deserialize)]
pub struct EntryPath {
    id: String,
    entry: String,
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /settings/filters/{id}/statuses/{entry}/delete`: the post leaves the filter.
pub async fn remove(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<EntryPath>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let filter = own(&state, &me, &path.id).await?;
    let entry = path_id(&path.entry)?;
    // Only an entry of the filter in the path (the service checks whose it is).
    if !filter.statuses.iter().any(|s| s.id == entry) {
        return Err(not_found().into());
    }
    let mut conn = state.pool.get().await?;
    service::delete_status(&mut conn, &actor(&tenant, &me), entry).await?;
    Ok(see_other(&format!("/settings/filters/{}?removed=1", filter.row.id)))
}
