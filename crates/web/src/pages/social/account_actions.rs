//! The follow, unfollow, block, unblock, mute and unmute buttons
//! (`POST /accounts/{id}/{action}`) and the follow requests page. Each calls
//! the service action the client API calls, so both behave the same
//! (federation included); an account this tenant does not know is a 404.

use super::cards;
use super::{actor, path_id};
use crate::error::{WebError, not_found};
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
    CsrfForm(form): CsrfForm<ActForm>,
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
        "mute" => {
            let (hide_notifications, duration) = form.mute_options()?;
            follows::mute(&mut conn, &actor, target, true, hide_notifications, duration).await?
        }
        "unmute" => follows::mute(&mut conn, &actor, target, false, false, None).await?,
        _ => return Err(not_found().into()),
    }
    Ok(see_other(safe_return_to(form.back.return_to.as_deref())))
}

/// The buttons' form: where to go back to and, for Mute, its options.
#[derive(serde::Deserialize)]
pub struct ActForm {
    #[serde(flatten)]
    back: ReturnTo,
    /// Seconds; empty or absent: until unmuted.
    duration: Option<String>,
    /// Present when the form offered the notifications choice (a checkbox
    /// sends nothing when unchecked); without it their notifications are hidden.
    notifications_choice: Option<String>,
    hide_notifications: Option<String>,
}

impl ActForm {
    /// Whether to hide their notifications too, and for how long to mute (as the API's `mute`).
    fn mute_options(&self) -> Result<(bool, Option<i64>), PageError> {
        let hide = self.notifications_choice.is_none() || self.hide_notifications.is_some();
        let duration = match self.duration.as_deref().map(str::trim) {
            None | Some("") | Some("0") => None,
            Some(text) => match text.parse::<i64>() {
                Ok(seconds) if (1..=MAX_MUTE_SECONDS).contains(&seconds) => Some(seconds),
                _ => return Err(WebError::Unprocessable("That is not a duration to mute for.".into()).into()),
            },
        };
        Ok((hide, duration))
    }
}

/// A year: the longest timed mute the form takes (longer is "until unmuted").
const MAX_MUTE_SECONDS: i64 = 366 * 24 * 3600;

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
