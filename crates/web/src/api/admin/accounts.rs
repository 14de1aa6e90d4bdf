//! Mastodon's admin accounts API: `/api/v1/admin/accounts` (list with v1's
//! filters, show, approve, reject, action, enable, unsilence, unsuspend,
//! unsensitive, delete) and `/api/v2/admin/accounts` (origin, status,
//! permissions, role_ids). Every account is one this tenant knows; an id of
//! another tenant's account it does not know is 404.

use crate::api::paging;
use crate::api::render::{Renderer, timestamp};
use crate::error::WebError;
use crate::extract::{Action, Id, actions, scope};
use crate::params::Params;
use crate::staff::{Moderate, Staff};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::moderation::accounts::{self as moderation, AccountAction, Details, Moderator, Warning};
use kereru_store::PgConn;
use kereru_store::moderation::{self as store, AccountFilter, AdminAccount, Origin, State};
use kereru_store::roles::Role;
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/admin/accounts", web::get().to(list_v1))
        .route("/api/v2/admin/accounts", web::get().to(list_v2))
        .route("/api/v1/admin/accounts/{id}", web::get().to(show))
        .route("/api/v1/admin/accounts/{id}", web::delete().to(delete))
        .route("/api/v1/admin/accounts/{id}/action", web::post().to(action))
        .route("/api/v1/admin/accounts/{id}/{action}", web::post().to(undo_or_decide));
}

type Reader = Staff<scope::AdminReadAccounts, Moderate>;
type Writer = Staff<scope::AdminWriteAccounts, Moderate>;

/// Mastodon's Admin::Account.
pub async fn admin_account(
    conn: &mut PgConn,
    renderer: &mut Renderer<'_>,
    found: &AdminAccount,
) -> Result<Value, WebError> {
    let account = renderer.account(conn, &found.account).await?;
    let login = found.login.as_ref();
    let role = login.map(|l| l.role).unwrap_or(Role::User);
    Ok(json!({
        "id": found.account.id.0.to_string(),
        "username": found.account.username,
        "domain": found.domain(),
        "created_at": timestamp(login.map(|l| l.created_at).unwrap_or(found.account.created_at)),
        "email": login.map(|l| l.email.clone()),
        "ip": null,
        "ips": [],
        "role": crate::api::entities::role(role),
        "confirmed": login.is_some_and(|l| l.confirmed_at.is_some()),
        "suspended": found.verdict.suspended_at.is_some(),
        "silenced": found.verdict.silenced_at.is_some(),
        "sensitized": found.verdict.sensitized_at.is_some(),
        "disabled": found.disabled(),
        "approved": login.is_none_or(|l| l.approved),
        "locale": login.and_then(|l| l.locale.clone()).unwrap_or_default(),
        "invite_request": login.and_then(|l| l.signup_reason.clone()),
        "account": account,
    }))
}

async fn respond_list(
    state: &AppState,
    req: &HttpRequest,
    who: &Reader,
    filter: AccountFilter,
    params: &Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page_with_max(params, 200)?;
    let page = if params.str("limit").is_none() { kereru_store::page::Page { limit: 100, ..page } } else { page };
    let tenant = &who.user.tenant;
    let mut conn = state.pool.get().await?;
    let list = store::list(&mut conn, tenant.id, &filter, page).await?;
    let mut renderer = Renderer::new(tenant, Some(who.user.id()));
    let mut body = Vec::with_capacity(list.len());
    for found in &list {
        body.push(admin_account(&mut conn, &mut renderer, found).await?);
    }
    let ids: Vec<i64> = list.iter().map(|a| a.account.id.0).collect();
    Ok(paging::respond(req, &tenant.urls.base(), &ids, body))
}

fn text_filters(params: &Params, filter: &mut AccountFilter) {
    let text = |key: &str| params.str(key).map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    filter.username = text("username");
    filter.display_name = text("display_name");
    filter.by_domain = text("by_domain");
    filter.email = text("email");
}

/// v1: boolean filters `local`, `remote`, `active`, `pending`, `disabled`,
/// `sensitized`, `silenced`, `suspended`, `staff`, and the text ones.
async fn list_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Reader,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let on = |key: &str| params.bool(key).unwrap_or(false);
    let mut filter = AccountFilter::default();
    if on("local") {
        filter.origin = Some(Origin::Local);
    } else if on("remote") {
        filter.origin = Some(Origin::Remote);
    }
    for (key, wanted) in [
        ("active", State::Active),
        ("pending", State::Pending),
        ("disabled", State::Disabled),
        ("sensitized", State::Sensitized),
        ("silenced", State::Silenced),
        ("suspended", State::Suspended),
    ] {
        if on(key) {
            filter.state = Some(wanted);
            break;
        }
    }
    if on("staff") {
        filter.roles = vec![Role::Moderator, Role::Admin];
    }
    text_filters(&params, &mut filter);
    respond_list(&state, &req, &who, filter, &params).await
}

/// v2: `origin` (local|remote), `status` (active|pending|disabled|silenced|suspended),
/// `permissions` (staff), `role_ids[]`, and the text ones; an unknown value is 422.
async fn list_v2(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Reader,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut filter = AccountFilter::default();
    let bad = |key: &str| WebError::Unprocessable(format!("{key} is not valid"));
    filter.origin = match params.str("origin").filter(|v| !v.is_empty()) {
        None => None,
        Some("local") => Some(Origin::Local),
        Some("remote") => Some(Origin::Remote),
        Some(_) => return Err(bad("origin")),
    };
    filter.state = match params.str("status").filter(|v| !v.is_empty()) {
        None => None,
        Some("active") => Some(State::Active),
        Some("pending") => Some(State::Pending),
        Some("disabled") => Some(State::Disabled),
        Some("silenced") => Some(State::Silenced),
        Some("suspended") => Some(State::Suspended),
        Some("sensitized") => Some(State::Sensitized),
        Some(_) => return Err(bad("status")),
    };
    match params.str("permissions").filter(|v| !v.is_empty()) {
        None => {}
        Some("staff") => filter.roles = vec![Role::Moderator, Role::Admin],
        Some(_) => return Err(bad("permissions")),
    }
    let mut role_ids = params.list("role_ids[]");
    role_ids.extend(params.list("role_ids"));
    for id in role_ids.iter().filter(|v| !v.is_empty()) {
        // The ids of Mastodon's built-in roles, as `entities::role` renders them.
        let role = match id.as_str() {
            "-99" => Role::User,
            "2" => Role::Moderator,
            "3" => Role::Admin,
            _ => continue,
        };
        filter.roles.push(role);
    }
    if !role_ids.is_empty() && filter.roles.is_empty() {
        return Ok(HttpResponse::Ok().json(Vec::<Value>::new()));
    }
    text_filters(&params, &mut filter);
    respond_list(&state, &req, &who, filter, &params).await
}

async fn render_one(
    state: &AppState,
    who_tenant: &crate::tenant::Tenant,
    viewer: kereru_store::AccountId,
    id: kereru_store::AccountId,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let found = moderation::find(&mut conn, &who_tenant.domain, id).await?;
    let mut renderer = Renderer::new(who_tenant, Some(viewer));
    Ok(HttpResponse::Ok().json(admin_account(&mut conn, &mut renderer, &found).await?))
}

async fn show(state: web::Data<AppState>, who: Reader, id: Id) -> Result<HttpResponse, WebError> {
    render_one(&state, &who.user.tenant, who.user.id(), id.account()).await
}

/// Takes `action` on `id` and answers the Admin::Account as it is after it
/// (as it was before, for acts that delete it).
async fn act_and_render(
    state: &AppState,
    who: &Writer,
    id: Id,
    action: AccountAction,
) -> Result<HttpResponse, WebError> {
    let tenant = &who.user.tenant;
    let mut conn = state.pool.get().await?;
    let before = moderation::find(&mut conn, &tenant.domain, id.account()).await?;
    let mut renderer = Renderer::new(tenant, Some(who.user.id()));
    let rendered_before = admin_account(&mut conn, &mut renderer, &before).await?;
    let by = Moderator::of(&mut conn, &tenant.domain, who.staff).await?;
    moderation::act(&mut conn, &tenant.domain, tenant.urls.scheme, &by, id.account(), action, &Details::default())
        .await?;
    if matches!(action, AccountAction::Reject | AccountAction::Delete) {
        return Ok(HttpResponse::Ok().json(rendered_before));
    }
    let after = moderation::find(&mut conn, &tenant.domain, id.account()).await?;
    Ok(HttpResponse::Ok().json(admin_account(&mut conn, &mut renderer, &after).await?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Reject,
    Enable,
    Unsilence,
    Unsuspend,
    Unsensitive,
}

actions!(Decision {
    Approve = "approve",
    Reject = "reject",
    Enable = "enable",
    Unsilence = "unsilence",
    Unsuspend = "unsuspend",
    Unsensitive = "unsensitive",
});

async fn undo_or_decide(
    state: web::Data<AppState>,
    who: Writer,
    id: Id,
    action: Action<Decision>,
) -> Result<HttpResponse, WebError> {
    let action = match action.0 {
        Decision::Approve => AccountAction::Approve,
        Decision::Reject => AccountAction::Reject,
        Decision::Enable => AccountAction::Enable,
        Decision::Unsilence => AccountAction::Unsilence,
        Decision::Unsuspend => AccountAction::Unsuspend,
        Decision::Unsensitive => AccountAction::Unsensitive,
    };
    act_and_render(&state, &who, id, action).await
}

async fn delete(state: web::Data<AppState>, who: Writer, id: Id) -> Result<HttpResponse, WebError> {
    act_and_render(&state, &who, id, AccountAction::Delete).await
}

/// `POST /api/v1/admin/accounts/:id/action`: `type` (none, sensitive,
/// disable, silence, suspend), `report_id`, `text`, `send_email_notification`
/// (default true, as Mastodon); answers `{}`.
async fn action(state: web::Data<AppState>, who: Writer, id: Id, params: Params) -> Result<HttpResponse, WebError> {
    let kind = params.str("type").filter(|v| !v.is_empty()).unwrap_or("none");
    let warning = Warning::parse(kind).ok_or_else(|| WebError::Unprocessable("type is not valid".into()))?;
    let report = match params.str("report_id").filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| WebError::Unprocessable("report_id is not valid".into()))?),
    };
    let text = params.str("text").unwrap_or("").trim().to_string();
    if text.chars().count() > 5000 {
        return Err(WebError::Unprocessable("text is too long".into()));
    }
    let tenant = &who.user.tenant;
    let mut conn = state.pool.get().await?;
    let by = Moderator::of(&mut conn, &tenant.domain, who.staff).await?;
    // Mastodon tells the person unless asked not to.
    let notify = params.bool("send_email_notification").unwrap_or(true);
    let details = Details { text, report, notify };
    moderation::perform(&mut conn, &tenant.domain, tenant.urls.scheme, &by, id.account(), warning, &details).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
