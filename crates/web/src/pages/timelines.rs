//! Timelines as pages: `/tags/{name}` and `/public/local` for everyone,
//! `/home` and `/notifications` for the person signed in. Each reads what
//! the client API's matching endpoint reads, with the same rules
//! (`store::statuses::visible`, `store::notifications::list`).

use super::paging::{PageQuery, current_path, next_link};
use super::session::{Me, Viewer};
use super::view::Views;
use super::{Page, PageError};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::filters::Context;
use kereru_store::AccountId;
use kereru_store::notifications;
use kereru_store::statuses::{self, Feed};

/// What a timeline page shows above its posts.
struct Heading<'a> {
    template: &'static str,
    title: &'a str,
    intro: &'a str,
    nav: &'a str,
    empty: &'a str,
}

#[allow(clippy::too_many_arguments)]
async fn timeline(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    viewer: &Viewer,
    viewer_id: Option<AccountId>,
    feed: Feed,
    query: &PageQuery,
    heading: Heading<'_>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let list = statuses::visible(&mut conn, tenant.id, viewer_id, &feed, query.page()).await?;
    let ids: Vec<i64> = list.iter().map(|s| s.id.0).collect();
    let context = if matches!(feed, Feed::Home) { Context::Home } else { Context::Public };
    let posts = Views::new(tenant, viewer_id).in_context(context).statuses(&mut conn, list).await?;
    Page::new(heading.template, tenant, viewer)
        .insert("title", heading.title)
        .insert("intro", heading.intro)
        .insert("empty", heading.empty)
        .insert("nav", heading.nav)
        .insert("posts", &posts)
        .insert("first_page", &query.is_first())
        .insert("first_url", req.path())
        .insert("next_url", &next_link(req.path(), &ids))
        .insert("current_path", &current_path(req))
        .render(state)
}

/// `GET /public/local`: public posts by this tenant's people.
pub async fn local(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let viewer_id = viewer.account().map(|a| a.id);
    let title = format!("Posts from {}", tenant.name);
    let heading = Heading {
        template: "timeline.html",
        title: &title,
        intro: "Public posts by the people here, newest first.",
        nav: "local",
        empty: "Nobody here has posted in public yet.",
    };
    let feed = Feed::Public { local: true, remote: false };
    timeline(&req, &state, &tenant, &viewer, viewer_id, feed, &query, heading).await
}

/// `GET /tags/{name}`: public posts with the hashtag, newest first.
pub async fn tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    name: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let viewer_id = viewer.account().map(|a| a.id);
    let name = name.trim_start_matches('#').to_lowercase();
    let title = format!("#{name}");
    let intro = format!("Public posts tagged #{name} that {} knows of.", tenant.name);
    let heading = Heading {
        template: "timeline.html",
        title: &title,
        intro: &intro,
        nav: "",
        empty: "No posts with this tag yet.",
    };
    let feed = Feed::Tag { name, local: true, remote: true };
    timeline(&req, &state, &tenant, &viewer, viewer_id, feed, &query, heading).await
}

/// `GET /home`: the signed-in person's home timeline (`/api/v1/timelines/home`).
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let heading = Heading {
        template: "home_timeline.html",
        title: "Home",
        intro: "",
        nav: "home",
        empty: "Your home feed is empty. Follow people to see their posts here.",
    };
    timeline(&req, &state, &tenant, &me.viewer, Some(me.account.id), Feed::Home, &query, heading).await
}

/// `GET /notifications`: the signed-in person's notifications (`/api/v1/notifications`).
pub async fn notifications_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let rows = notifications::list(&mut conn, me.account.id, &[], &[], None, query.page()).await?;
    let ids: Vec<i64> = rows.iter().map(|n| n.id.0).collect();
    let list = Views::new(&tenant, Some(me.account.id))
        .in_context(Context::Notifications)
        .notifications(&mut conn, rows)
        .await?;
    Page::new("notifications.html", &tenant, &me.viewer)
        .insert("nav", "notifications")
        .insert("notifications", &list)
        .insert("first_page", &query.is_first())
        .insert("next_url", &next_link(req.path(), &ids))
        .insert("current_path", &current_path(&req))
        .render(&state)
}
