//! `GET /@{name}` (and `/users/{name}`) for people: the profile page, the
//! HTML side of `actors::actor`. Pinned posts, then posts paged by
//! `?max_id=`, as the viewer may see them (`store::statuses::visible`, the
//! client API's rules: a visitor sees public and unlisted posts only).

use super::paging::{PageQuery, current_path, next_link};
use super::session::Viewer;
use super::view::Views;
use super::{Page, PageError};
use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::header::{HeaderValue, VARY};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use kereru_store::accounts::{self, Account};
use kereru_store::page::Page as StorePage;
use kereru_store::statuses::{self, Feed};

/// This tenant's account `username` (not suspended), or a 404 page.
pub async fn owner(state: &AppState, tenant: &Tenant, username: &str) -> Result<Account, PageError> {
    let mut conn = state.pool.get().await?;
    let account = accounts::find_local(&mut conn, tenant.id, username)
        .await?
        .ok_or_else(|| WebError::NotFound("no such account on this domain".into()))?;
    // A suspended account's profile is gone until it is unsuspended.
    if kereru_store::moderation::is_suspended(&mut conn, tenant.id, account.id).await? {
        return Err(WebError::NotFound("no such account on this domain".into()).into());
    }
    Ok(account)
}

fn posts_feed(account: &Account, pinned: bool) -> Feed {
    Feed::Account {
        account: account.id,
        // The profile shows posts and boosts; replies to others are in their threads.
        exclude_replies: !pinned,
        exclude_reblogs: pinned,
        pinned,
        tagged: None,
        only_media: false,
    }
}

/// The profile page of `username`; the caller has decided that the client wants HTML.
pub async fn page(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    username: &str,
) -> Result<HttpResponse, PageError> {
    let viewer = Viewer::extract(req).await?;
    let query = web::Query::<PageQuery>::from_query(req.query_string()).map(|q| q.into_inner()).unwrap_or_default();
    let account = owner(state, tenant, username).await?;
    let viewer_id = viewer.account().map(|a| a.id);
    let mut conn = state.pool.get().await?;
    let mut views = Views::new(tenant, viewer_id).in_context(kereru_core::filters::Context::Account);
    let profile = views.account(&mut conn, &account).await?;
    let pinned = if query.is_first() {
        let list =
            statuses::visible(&mut conn, tenant.id, viewer_id, &posts_feed(&account, true), StorePage::default())
                .await?;
        views.statuses(&mut conn, list).await?
    } else {
        Vec::new()
    };
    let list = statuses::visible(&mut conn, tenant.id, viewer_id, &posts_feed(&account, false), query.page()).await?;
    let ids: Vec<i64> = list.iter().map(|s| s.id.0).collect();
    let posts = views.statuses(&mut conn, list).await?;
    let path = format!("/@{}", account.username);
    let mine = viewer_id == Some(account.id);
    // A signed-in visitor gets the follow, mute and block buttons.
    let relationship = match viewer.account() {
        Some(me) => {
            super::social::relationship::of(&mut conn, me, &account, &tenant.urls.handle(&account.username)).await?
        }
        None => None,
    };
    let mut response = Page::new("profile.html", tenant, &viewer)
        .insert("a", &profile)
        .insert("pinned", &pinned)
        .insert("posts", &posts)
        .insert("next_url", &next_link(&path, &ids))
        .insert("first_page", &query.is_first())
        .insert("mine", &mine)
        .insert("relationship", &relationship)
        .insert("return_to", &current_path(req))
        .insert("actor_url", &tenant.urls.actor(&account.username))
        .insert("profile_url", &tenant.urls.profile_page(&account.username))
        .insert("rss_url", &format!("{}.rss", tenant.urls.profile_page(&account.username)))
        .insert("current_path", &current_path(req))
        .insert("nav", if mine { "profile" } else { "" })
        .render(state)?;
    response.headers_mut().insert(VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}
