//! `GET /@{name}/{id}` for people (the HTML side of
//! `federation::objects::status`): the thread around a post (ancestors, the
//! post in focus, replies), each read through the same visibility rules as
//! the client API's `/api/v1/statuses/{id}/context`.

use super::session::Viewer;
use super::view::Views;
use super::{Page, PageError};
use crate::api::statuses::thread;
use crate::error::not_found;
use crate::extract::parse_id;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use kereru_store::accounts;
use kereru_store::statuses;

/// The post page; the caller has decided that the client wants HTML.
pub async fn page(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    id: &str,
) -> Result<HttpResponse, PageError> {
    let viewer = Viewer::extract(req).await?;
    let viewer_id = viewer.account().map(|a| a.id);
    let mut conn = state.pool.get().await?;
    let author = accounts::find_local(&mut conn, tenant.id, username).await?.ok_or_else(not_found)?;
    let id = kereru_store::StatusId(parse_id(id)?);
    let status = statuses::visible_one(&mut conn, tenant.id, viewer_id, id).await?.ok_or_else(not_found)?;
    // Only this author's own posts (not boosts) have a page under their name.
    if status.account_id != author.id || status.domain_id != Some(tenant.id) || status.reblog_of_id.is_some() {
        return Err(not_found().into());
    }
    let (ancestors, descendants) = thread(&mut conn, tenant, viewer_id, &status).await?;
    let mut views = Views::new(tenant, viewer_id);
    let focus = views.status(&mut conn, status).await?;
    views.set_context(kereru_core::filters::Context::Thread);
    let ancestors = views.statuses(&mut conn, ancestors).await?;
    let descendants = views.statuses(&mut conn, descendants).await?;
    let page_url = format!("{}/{}", tenant.urls.profile_page(&author.username), focus.id);
    let mut response = Page::new("status.html", tenant, &viewer)
        .insert("s", &focus)
        .insert("ancestors", &ancestors)
        .insert("descendants", &descendants)
        .insert("page_url", &page_url)
        .insert("current_path", req.path())
        .render(state)?;
    response
        .headers_mut()
        .insert(actix_web::http::header::VARY, actix_web::http::header::HeaderValue::from_static("Accept"));
    Ok(response)
}
