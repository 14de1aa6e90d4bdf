//! `GET /`: the tenant's front page, and `GET /about`: what it says about
//! itself (name, description, rules), for visitors and its people.

use super::session::Viewer;
use super::view::Views;
use super::{Page, PageError};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::page::Page as StorePage;
use kereru_store::statuses::{self, Feed};
use kereru_store::{about, accounts};

/// People shown on the front page (the rest are a search away).
const PEOPLE_SHOWN: usize = 60;
/// Recent posts shown on the front page.
const RECENT_POSTS: i64 = 5;

#[derive(serde::Serialize)]
struct Person {
    #[serde(flatten)]
    account: super::view::AccountView,
    /// The bio as plain text, cut short.
    bio_excerpt: String,
}

pub async fn home(state: web::Data<AppState>, tenant: Tenant, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let description = about::description(&mut conn, tenant.id).await?;
    let rules = about::rules(&mut conn, tenant.id).await?;
    let all = accounts::list_local(&mut conn, tenant.id).await?;
    let views_of = Views::new(&tenant, viewer.account().map(|a| a.id));
    let people = all
        .iter()
        .take(PEOPLE_SHOWN)
        .map(|account| {
            let account = views_of.local_account(account)?;
            let bio_excerpt = super::view::excerpt(&account.bio_text, 140);
            Ok(Person { account, bio_excerpt })
        })
        .collect::<Result<Vec<_>, crate::error::WebError>>()?;
    let viewer_id = viewer.account().map(|a| a.id);
    let feed = Feed::Public { local: true, remote: false };
    let page = StorePage { limit: RECENT_POSTS, ..StorePage::default() };
    let recent = statuses::visible(&mut conn, tenant.id, viewer_id, &feed, page).await?;
    let recent = Views::new(&tenant, viewer_id).statuses(&mut conn, recent).await?;
    Page::new("home.html", &tenant, &viewer)
        .insert("description", &description)
        .insert("rules", &rules.iter().map(|r| r.text.as_str()).collect::<Vec<_>>())
        .insert("people", &people)
        .insert("people_total", &all.len())
        .insert("recent", &recent)
        .insert("current_path", "/")
        .render(&state)
}

/// `GET /about`
pub async fn about_page(state: web::Data<AppState>, tenant: Tenant, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let description = about::description(&mut conn, tenant.id).await?;
    let rules = about::rules(&mut conn, tenant.id).await?;
    let usage = accounts::usage(&mut conn, tenant.id).await?;
    let contact = accounts::contact_account(&mut conn, tenant.id).await?;
    let contact = match contact {
        Some(account) => Some(Views::new(&tenant, None).local_account(&account)?),
        None => None,
    };
    Page::new("about.html", &tenant, &viewer)
        .insert("description", &description)
        .insert("rules", &rules.iter().map(|r| r.text.as_str()).collect::<Vec<_>>())
        .insert("people_total", &usage.users_total)
        .insert("posts_total", &usage.local_posts)
        .insert("contact", &contact)
        .insert("since", &tenant.created_at.format("%B %Y").to_string())
        .render(&state)
}
