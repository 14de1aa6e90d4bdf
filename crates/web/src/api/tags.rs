//! Hashtags: `/api/v1/tags/{name}` (with follow, unfollow, feature, unfeature),
//! `/api/v1/followed_tags`, and featured tags (`/api/v1/featured_tags`,
//! `/api/v1/accounts/{id}/featured_tags`), with Mastodon's Tag and FeaturedTag entities.

use super::paging;
use super::render::{Renderer, timestamp};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{WebError, not_found};
use crate::extract::{Action, Id, Scope, User, actions, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use kereru_service::tags as service;
use kereru_store::tags::{self, Featured};
use kereru_store::{AccountId, PgConn, accounts};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/tags/{name}", web::get().to(show))
        .route("/api/v1/tags/{name}/{action}", web::post().to(act))
        .route("/api/v1/followed_tags", web::get().to(followed))
        .route("/api/v1/featured_tags", web::get().to(featured_mine))
        .route("/api/v1/featured_tags", web::post().to(feature))
        .route("/api/v1/featured_tags/suggestions", web::get().to(suggestions))
        .route("/api/v1/featured_tags/{id}", web::delete().to(unfeature))
        .route("/api/v1/accounts/{id}/featured_tags", web::get().to(featured_of));
}

/// Tag entities for `names` as `viewer` sees them: use over the last week on this
/// tenant, and (for a signed-in viewer) whether they follow or feature each.
pub async fn tags_json(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    names: &[String],
) -> Result<Vec<Value>, WebError> {
    let states = tags::states(conn, viewer, names).await?;
    let today = Utc::now().date_naive();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let state = states.get(name).cloned().unwrap_or_default();
        let used = tags::history(conn, tenant.id, name).await?;
        // Seven days, today first, as Mastodon's history (days as UNIX times, figures as strings).
        let history: Vec<Value> = (0..7)
            .map(|back| {
                let day = today - Duration::days(back);
                let seen = used.iter().find(|d| d.day.date_naive() == day);
                let at = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or_default();
                json!({
                    "day": at.to_string(),
                    "accounts": seen.map_or(0, |d| d.accounts).to_string(),
                    "uses": seen.map_or(0, |d| d.uses).to_string(),
                })
            })
            .collect();
        let mut tag = json!({
            "id": state.id.map(|id| id.to_string()).unwrap_or_default(),
            "name": name,
            "url": format!("{}/tags/{name}", tenant.urls.base()),
            "history": history,
        });
        if viewer.is_some() {
            tag["following"] = state.following.into();
            tag["featuring"] = state.featuring.into();
        }
        out.push(tag);
    }
    Ok(out)
}

async fn tag_json(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<AccountId>,
    name: &str,
) -> Result<Value, WebError> {
    let list = tags_json(conn, tenant, viewer, &[name.to_string()]).await?;
    list.into_iter().next().ok_or_else(not_found)
}

/// The FeaturedTag entity; `profile` is the owner's profile page.
fn featured_json(profile: &str, tag: &Featured) -> Value {
    json!({
        "id": tag.id.to_string(),
        "name": tag.name,
        "url": format!("{profile}/tagged/{}", tag.name),
        "statuses_count": tag.statuses_count.to_string(),
        "last_status_at": tag.last_status_at.map(timestamp),
    })
}

/// `GET /api/v1/tags/{name}`: any valid name, known or not; otherwise 404.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    name: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let name = service::normalize(&name).ok_or_else(not_found)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(tag_json(&mut conn, &tenant, auth.viewer(), &name).await?))
}

/// `POST /api/v1/tags/{name}/{action}`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagAction {
    Follow,
    Unfollow,
    Feature,
    Unfeature,
}

actions!(TagAction { Follow = "follow", Unfollow = "unfollow", Feature = "feature", Unfeature = "unfeature" });

/// `POST /api/v1/tags/{name}/{follow,unfollow,feature,unfeature}`: answers the Tag.
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    path: web::Path<(String, String)>,
    Action(action): Action<TagAction>,
) -> Result<HttpResponse, WebError> {
    let scope = match action {
        TagAction::Follow | TagAction::Unfollow => Scope::WriteFollows,
        TagAction::Feature | TagAction::Unfeature => Scope::WriteAccounts,
    };
    let actor = auth.actor(&tenant, scope)?;
    let (name, _) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let name = match action {
        TagAction::Follow => service::follow(&mut conn, &actor, &name).await?,
        TagAction::Unfollow => service::unfollow(&mut conn, &actor, &name).await?,
        TagAction::Feature => service::feature(&mut conn, &actor, &name, false).await?.name,
        TagAction::Unfeature => service::unfeature_name(&mut conn, &actor, &name).await?,
    };
    Ok(HttpResponse::Ok().json(tag_json(&mut conn, &tenant, Some(actor.account.id), &name).await?))
}

/// `GET /api/v1/followed_tags`: paged by the follow (100, at most 200).
pub async fn followed(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadFollows>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut page = paging::page_with_max(&params, 200)?;
    if params.str("limit").is_none_or(str::is_empty) {
        page.limit = 100;
    }
    let mut conn = state.pool.get().await?;
    let rows = tags::followed(&mut conn, me.tenant.id, me.id(), page).await?;
    let names: Vec<String> = rows.iter().map(|(_, name)| name.clone()).collect();
    let body = tags_json(&mut conn, &me.tenant, Some(me.id()), &names).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    Ok(paging::respond(&req, &me.tenant.urls.base(), &ids, body))
}

/// `GET /api/v1/featured_tags`: the viewer's own.
pub async fn featured_mine(
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let list = tags::featured(&mut conn, me.tenant.id, me.id(), None).await?;
    let profile = me.tenant.urls.profile_page(&me.account.username);
    Ok(HttpResponse::Ok().json(list.iter().map(|t| featured_json(&profile, t)).collect::<Vec<_>>()))
}

/// `POST /api/v1/featured_tags` (`name`): 422 for an invalid or repeated name, or past the limit.
pub async fn feature(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let name = params.str("name").unwrap_or("");
    let mut conn = state.pool.get().await?;
    let tag = service::feature(&mut conn, &me.actor(), name, true).await?;
    let profile = me.tenant.urls.profile_page(&me.account.username);
    Ok(HttpResponse::Ok().json(featured_json(&profile, &tag)))
}

/// `DELETE /api/v1/featured_tags/{id}`
pub async fn unfeature(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    service::unfeature_id(&mut conn, &me.actor(), id.0).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v1/featured_tags/suggestions`: the viewer's most used tags not featured yet (Tag entities).
pub async fn suggestions(state: web::Data<AppState>, me: User<scope::ReadAccounts>) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let names = tags::suggestions(&mut conn, me.tenant.id, me.id(), 10).await?;
    Ok(HttpResponse::Ok().json(tags_json(&mut conn, &me.tenant, Some(me.id()), &names).await?))
}

/// `GET /api/v1/accounts/{id}/featured_tags`: anyone may look, for an account this tenant knows.
pub async fn featured_of(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = AccountId(parse_id(&path)?);
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, id).await?.ok_or_else(not_found)?;
    // Only local accounts feature tags here; their rows live on their own tenant.
    let Some(home) = account.domain_id else { return Ok(HttpResponse::Ok().json(Vec::<Value>::new())) };
    let list = tags::featured(&mut conn, home, account.id, None).await?;
    let entity = Renderer::new(&tenant, auth.viewer()).account(&mut conn, &account).await?;
    let profile = entity["url"].as_str().unwrap_or_default().to_string();
    Ok(HttpResponse::Ok().json(list.iter().map(|t| featured_json(&profile, t)).collect::<Vec<_>>()))
}
