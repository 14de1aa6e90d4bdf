//! The follow, unfollow, block, unblock, mute and unmute buttons
//! (`POST /accounts/{id}/{action}`) and the follow requests page. Each calls
//! the service action the client API calls, so both behave the same
//! (federation included); an account this tenant does not know is a 404.

use super::cards;
use super::{actor, path_id};
use crate::error::not_found;
use crate::pages::ReturnTo;
use crate::pages::auth::safe_return_to;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::follows;
use kereru_store::AccountId;
use kereru_store::page::Page as StorePage;
use kereru_store::relationships::{self, FollowState};

/// `POST /accounts/{id}/{action}`
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<ReturnTo>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let target = AccountId(path_id(&id)?);
    let actor = actor(&tenant, &me);
    let mut conn = state.pool.get().await?;
    match action.as_str() {
        "follow" => {
            let events = follows::follow(&mut conn, &actor, target, true, false).await?;
            state.publish(&events).await;
        }
        "unfollow" => follows::unfollow(&mut conn, &actor, target).await?,
        "block" => follows::block(&mut conn, &actor, target, true).await?,
        "unblock" => follows::block(&mut conn, &actor, target, false).await?,
        "mute" => follows::mute(&mut conn, &actor, target, true, true, None).await?,
        "unmute" => follows::mute(&mut conn, &actor, target, false, false, None).await?,
        _ => return Err(not_found().into()),
    }
    Ok(see_other(safe_return_to(form.return_to.as_deref())))
}

#[derive(serde::Deserialize)]
pub struct Paging {
    max_id: Option<i64>,
}

const PER_PAGE: i64 = 40;

/// `GET /follow_requests`: who asked to follow, with accept and reject buttons.
pub async fn requests(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Paging>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let page = StorePage { limit: PER_PAGE, max_id: query.max_id, ..StorePage::default() };
    let rows = relationships::followers(&mut conn, me.account.id, FollowState::Requested, page).await?;
    let next = (rows.len() as i64 == PER_PAGE).then(|| rows.last().map(|(id, _)| *id)).flatten();
    let ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let people = cards::cards(&mut conn, &tenant, Some(&me.account), &ids).await?;
    Page::new("social/follow_requests.html", &tenant, &me.viewer)
        .insert("nav", "notifications")
        .insert("people", &people)
        .insert("next_max_id", &next)
        .insert("locked", &me.account.locked)
        .render(&state)
}

/// `POST /follow_requests/{id}/authorize` and `/reject`
pub async fn answer(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<(String, String)>,
    CsrfForm(_): CsrfForm<ReturnTo>,
) -> Result<HttpResponse, PageError> {
    let (id, answer) = path.into_inner();
    let follower = AccountId(path_id(&id)?);
    let actor = actor(&tenant, &me);
    let mut conn = state.pool.get().await?;
    match answer.as_str() {
        "authorize" => {
            let events = follows::authorize(&mut conn, &actor, follower).await?;
            state.publish(&events).await;
        }
        "reject" => follows::reject(&mut conn, &actor, follower).await?,
        _ => return Err(not_found().into()),
    }
    Ok(see_other("/follow_requests"))
}
