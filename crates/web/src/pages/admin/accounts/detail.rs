//! `/admin/accounts/{id}`: one account as its tenant's staff sees it, the
//! actions that apply to it now (each a form; destructive ones ask for
//! confirmation), and for admins its role. The actions are
//! `service::moderation` ones, the same as the admin API's. A host admin
//! reaches them for any tenant under `/admin/host/tenants/{domain_id}`
//! ([`AdminOn`]): the act is on that tenant, the audit row names the host admin.

use super::{done_notice, row, section, when};
use crate::extract::parse_id as path_id;
use crate::pages::admin::acting::AdminOn;
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::{Administer, Moderate};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::moderation::accounts::{self as moderation, AccountAction, Details, Moderator};
use kereru_service::moderation::roles::{self, Granter, RoleError};
use kereru_store::AccountId;
use kereru_store::moderation::AdminAccount;
use kereru_store::roles::{Role, Staff};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct ActionButton {
    verb: &'static str,
    label: &'static str,
    /// The question a destructive action asks first; `None` for harmless ones.
    confirm: Option<String>,
    danger: bool,
    /// Whether the form offers to tell the person by e-mail.
    warns: bool,
}

fn button(verb: &'static str, label: &'static str, confirm: Option<String>) -> ActionButton {
    let danger = confirm.is_some();
    let warns = matches!(verb, "suspend" | "silence" | "sensitive" | "disable");
    ActionButton { verb, label, confirm, danger, warns }
}

/// The actions that apply to `found` now, for `staff`.
fn actions(found: &AdminAccount, staff: &Staff) -> Vec<ActionButton> {
    let handle = moderation::account_label(found);
    let mut out = Vec::new();
    if found.pending() {
        out.push(button("approve", "Approve the sign-up", None));
        out.push(button(
            "reject",
            "Reject the sign-up",
            Some(format!("Reject {handle}'s sign-up? The account is deleted.")),
        ));
        return out;
    }
    let verdict = &found.verdict;
    if verdict.suspended_at.is_some() {
        out.push(button("unsuspend", "Unsuspend", None));
    } else {
        out.push(button(
            "suspend",
            "Suspend",
            Some(format!("Suspend {handle}? They can no longer log in, and their profile and posts are hidden here.")),
        ));
    }
    if verdict.silenced_at.is_some() {
        out.push(button("unsilence", "Lift the limit", None));
    } else {
        out.push(button("silence", "Limit", Some(format!("Limit {handle}? Their posts leave the public timelines."))));
    }
    if verdict.sensitized_at.is_some() {
        out.push(button("unsensitive", "Stop forcing sensitive", None));
    } else {
        out.push(button("sensitive", "Force sensitive", Some(format!("Mark all of {handle}'s media sensitive?"))));
    }
    if let Some(login) = &found.login {
        if login.disabled {
            out.push(button("enable", "Enable the login", None));
        } else {
            out.push(button("disable", "Disable the login", Some(format!("Disable {handle}'s login?"))));
        }
        out.push(button("reset_password", "Send a password reset link", None));
        if login.confirmed_at.is_none() {
            out.push(button("resend_confirmation", "Resend the confirmation link", None));
        }
        if verdict.suspended_at.is_some() && staff.can_administer() {
            out.push(button(
                "delete",
                "Delete the account for good",
                Some(format!("Delete {handle} and everything of theirs for good? This cannot be undone.")),
            ));
        }
    }
    out
}

#[derive(Serialize)]
struct Facts {
    confirmed: Option<String>,
    last_active: Option<String>,
    suspended_at: Option<String>,
    silenced_at: Option<String>,
    sensitized_at: Option<String>,
    host_admin: bool,
    profile_url: Option<String>,
}

async fn render(
    state: &AppState,
    tenant: &Tenant,
    staff: &AdminOn<impl Sized>,
    id: AccountId,
    error: Option<(StatusCode, String)>,
    notice: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let found = moderation::find(&mut conn, &staff.on.domain, id).await?;
    let login = found.login.as_ref();
    let facts = Facts {
        confirmed: login.map(|l| l.confirmed_at.map(when).unwrap_or_else(|| "not yet".into())),
        last_active: login.and_then(|l| l.last_active_at).map(when),
        suspended_at: found.verdict.suspended_at.map(when),
        silenced_at: found.verdict.silenced_at.map(when),
        sensitized_at: found.verdict.sensitized_at.map(when),
        host_admin: login.is_some_and(|l| l.host_admin),
        profile_url: if found.is_local() {
            Some(format!("{}/@{}", staff.link_base(), found.account.username))
        } else {
            found.account.url.clone().or_else(|| found.account.uri.clone())
        },
    };
    let who = &staff.page.staff;
    let is_self = who.account == found.account.id;
    let can_set_role = who.can_administer() && found.is_local() && !is_self;
    let (status, message) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    Page::new("admin/account.html", tenant, &staff.page.me.viewer)
        .insert("section", section(staff))
        .insert("staff", &staff.page.nav())
        .insert("on", &staff.context())
        .insert("account", &row(&found))
        .insert("facts", &facts)
        .insert("actions", &if is_self { Vec::new() } else { actions(&found, who) })
        .insert("has_login", &found.is_local())
        .insert("can_set_role", &can_set_role)
        .insert("roles", &["user", "moderator", "admin"])
        .insert("is_self", &is_self)
        .insert("error", &message)
        .insert("notice", &notice)
        .status(status)
        .render(state)
}

/// The account's id in the path (the host admin's routes also name the tenant).
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    id: String,
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /admin/accounts/{id}`
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: AdminOn<Moderate>,
    path: web::Path<AccountPath>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let id = AccountId(path_id(&path.id)?);
    let notice = query.done.as_deref().map(done_notice);
    render(&state, &tenant, &staff, id, None, notice).await
}

#[derive(Debug, Deserialize)]
pub struct ActForm {
    action: String,
    #[serde(default)]
    text: String,
    /// `list` when the form is on the list page (approve, reject there).
    #[serde(default)]
    back: String,
    /// The "tell them by e-mail" box.
    notify: Option<String>,
}

/// `POST /admin/accounts/{id}/act`: one action; then back to where it was asked.
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: AdminOn<Moderate>,
    path: web::Path<AccountPath>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> Result<HttpResponse, PageError> {
    let id = AccountId(path_id(&path.id)?);
    let Some(action) = AccountAction::parse(&form.action) else {
        let error = (StatusCode::UNPROCESSABLE_ENTITY, "Choose one of the actions shown.".to_string());
        return render(&state, &tenant, &staff, id, Some(error), None).await;
    };
    if form.text.chars().count() > 5000 {
        let error = (StatusCode::UNPROCESSABLE_ENTITY, "The note is too long (5000 characters at most).".to_string());
        return render(&state, &tenant, &staff, id, Some(error), None).await;
    }
    let mut conn = state.pool.get().await?;
    let by = Moderator::of(&mut conn, &tenant.domain, staff.page.staff).await?;
    let details = Details { text: form.text.trim().to_string(), report: None, notify: form.notify.is_some() };
    match moderation::act(&mut conn, &staff.on.domain, staff.on.urls.scheme, &by, id, action, &details).await {
        Ok(()) => {}
        Err(ServiceError::Invalid(message)) => {
            return render(&state, &tenant, &staff, id, Some((StatusCode::UNPROCESSABLE_ENTITY, message)), None).await;
        }
        Err(ServiceError::Forbidden(_)) => {
            let message = "Your role does not reach this account, or this action does not apply to it now.".to_string();
            return render(&state, &tenant, &staff, id, Some((StatusCode::FORBIDDEN, message)), None).await;
        }
        Err(other) => return Err(other.into()),
    }
    let verb = action.verb();
    if form.back == "list" || matches!(action, AccountAction::Reject | AccountAction::Delete) {
        return Ok(see_other(&staff.path(&format!("/accounts?done={verb}"))));
    }
    Ok(see_other(&staff.path(&format!("/accounts/{}?done={verb}", id.0))))
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    role: String,
}

/// `POST /admin/accounts/{id}/role` (admins): user, moderator or admin; the last admin stays.
pub async fn role(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: AdminOn<Administer>,
    path: web::Path<AccountPath>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, PageError> {
    let id = AccountId(path_id(&path.id)?);
    let Ok(role) = form.role.parse::<Role>() else {
        let error = (StatusCode::UNPROCESSABLE_ENTITY, "Choose user, moderator or admin.".to_string());
        return render(&state, &tenant, &staff, id, Some(error), None).await;
    };
    let mut conn = state.pool.get().await?;
    let target = moderation::find(&mut conn, &staff.on.domain, id).await?;
    let by = Moderator::of(&mut conn, &tenant.domain, staff.page.staff).await?;
    let granter = Granter::Staff { staff: staff.page.staff, label: &by.label };
    let label = moderation::account_label(&target);
    match roles::set_role(&mut conn, staff.on.id, &granter, id, &label, role).await {
        Ok(_) => Ok(see_other(&staff.path(&format!("/accounts/{}?done=role", id.0)))),
        Err(RoleError::Service(ServiceError::Forbidden(_))) => {
            let message = "You cannot change your own role.".to_string();
            render(&state, &tenant, &staff, id, Some((StatusCode::FORBIDDEN, message)), None).await
        }
        Err(RoleError::Service(other)) => Err(other.into()),
        Err(refused) => {
            render(&state, &tenant, &staff, id, Some((StatusCode::UNPROCESSABLE_ENTITY, refused.to_string())), None)
                .await
        }
    }
}
