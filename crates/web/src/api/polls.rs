//! `/api/v1/polls/{id}` and `/votes`, and the Poll entity inside statuses.

use super::render::timestamp;
use crate::auth::MaybeAuth;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::polls::{self as service, NewPoll};
use kereru_store::PgConn;
use kereru_store::ids::{AccountId, StatusId};
use kereru_store::polls::{self, Poll};
use kereru_store::statuses;
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/polls/{id}", web::get().to(show)).route("/api/v1/polls/{id}/votes", web::post().to(vote));
}

/// The Poll entity; `own` is the viewer's choices when there is a viewer.
/// Totals are hidden (null) while a `hide_totals` poll runs, as Mastodon does.
pub fn poll_json(poll: &Poll, own: Option<&[i32]>) -> Value {
    let expired = poll.expired_at(chrono::Utc::now());
    let show_totals = expired || !poll.hide_totals;
    let options: Vec<Value> = poll
        .options
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let votes = show_totals.then(|| poll.tallies.get(i).copied().unwrap_or(0));
            json!({ "title": title, "votes_count": votes })
        })
        .collect();
    let mut value = json!({
        "id": poll.id.to_string(),
        "expires_at": poll.expires_at.map(timestamp),
        "expired": expired,
        "multiple": poll.multiple,
        "votes_count": poll.votes_count,
        "voters_count": poll.voters_count,
        "options": options,
        "emojis": [],
    });
    if let Some(own) = own {
        value["voted"] = (!own.is_empty()).into();
        value["own_votes"] = own.iter().copied().map(Value::from).collect::<Vec<_>>().into();
    }
    value
}

/// The Poll entities of these statuses for `viewer` (statuses already read
/// through the visibility rules), by status.
pub async fn for_statuses(
    conn: &mut PgConn,
    ids: &[StatusId],
    viewer: Option<AccountId>,
) -> Result<HashMap<StatusId, Value>, WebError> {
    let found = polls::of_statuses(conn, ids).await?;
    if found.is_empty() {
        return Ok(HashMap::new());
    }
    let poll_ids: Vec<i64> = found.values().map(|p| p.id).collect();
    let own = match viewer {
        Some(viewer) => Some(polls::own_votes(conn, viewer, &poll_ids).await?),
        None => None,
    };
    Ok(found
        .into_iter()
        .map(|(status, poll)| {
            let mine = own.as_ref().map(|o| o.get(&poll.id).map(Vec::as_slice).unwrap_or(&[]));
            (status, poll_json(&poll, mine))
        })
        .collect())
}

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, `poll[hide_totals]`; `None` without options.
pub fn poll_param(params: &Params) -> Result<Option<NewPoll>, WebError> {
    let options = params.list("poll[options]");
    if options.is_empty() && params.str("poll[expires_in]").is_none() {
        return Ok(None);
    }
    let expires_in = match params.str("poll[expires_in]").filter(|v| !v.is_empty()) {
        // Some clients send a float; whole seconds count.
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite())
            .map(|s| s as i64)
            .ok_or_else(|| WebError::Unprocessable("poll[expires_in] must be a number of seconds".into()))?,
        None => return Err(WebError::Unprocessable("Validation failed: Poll expires at can't be blank".into())),
    };
    Ok(Some(NewPoll {
        options,
        expires_in,
        multiple: params.bool("poll[multiple]").unwrap_or(false),
        hide_totals: params.bool("poll[hide_totals]").unwrap_or(false),
    }))
}

/// `GET /api/v1/polls/{id}`: a poll whose status the viewer may see here.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    Id(id): Id,
) -> Result<HttpResponse, WebError> {
    let viewer = auth.viewer();
    let mut conn = state.pool.get().await?;
    let poll = polls::get_unchecked(&mut conn, id).await?.ok_or_else(not_found)?;
    statuses::visible_one(&mut conn, tenant.id, viewer, poll.status_id).await?.ok_or_else(not_found)?;
    let own = match viewer {
        Some(viewer) => {
            Some(polls::own_votes(&mut conn, viewer, &[poll.id]).await?.remove(&poll.id).unwrap_or_default())
        }
        None => None,
    };
    Ok(HttpResponse::Ok().json(poll_json(&poll, own.as_deref())))
}

/// `POST /api/v1/polls/{id}/votes` with `choices[]`.
pub async fn vote(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    Id(id): Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let choices = params
        .list("choices")
        .iter()
        .map(|c| c.trim().parse::<i64>().map_err(|_| WebError::Unprocessable("choices must be numbers".into())))
        .collect::<Result<Vec<_>, _>>()?;
    if choices.is_empty() {
        return Err(WebError::BadRequest("param is missing or the value is empty: choices".into()));
    }
    let mut conn = state.pool.get().await?;
    let (poll, _) = service::vote(&mut conn, &me.actor(), id, &choices).await?;
    let own = polls::own_votes(&mut conn, me.id(), &[poll.id]).await?.remove(&poll.id).unwrap_or_default();
    Ok(HttpResponse::Ok().json(poll_json(&poll, Some(&own))))
}
