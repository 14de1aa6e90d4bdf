//! `/invites`: the invite links a person made (list, make, expire). Made by
//! a tenant's admins, or by anyone where the tenant allows it.

use super::FieldErrors;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

#[derive(serde::Serialize)]
struct Row {
    id: String,
    url: String,
    code: String,
    uses: String,
    expires: String,
    valid: bool,
}

async fn page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let may = kereru_service::invites::may_invite(&mut conn, tenant.id, me.account.id).await?;
    let now = chrono::Utc::now();
    let rows: Vec<Row> = kereru_store::invites::list_by(&mut conn, tenant.id, me.account.id)
        .await?
        .into_iter()
        .map(|invite| Row {
            id: invite.id.to_string(),
            url: format!("{}/invite/{}", tenant.urls.base(), invite.code),
            code: invite.code.clone(),
            uses: match invite.max_uses {
                Some(max) => format!("{} of {max}", invite.uses),
                None => format!("{} (no limit)", invite.uses),
            },
            expires: match invite.expires_at {
                Some(at) if at <= now => "Expired".into(),
                Some(at) => at.format("%-d %b %Y, %H:%M UTC").to_string(),
                None => "Never".into(),
            },
            valid: invite.valid_at(now),
        })
        .collect();
    Page::new("invites.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "invites")
        .insert("may_invite", &may)
        .insert("invites", &rows)
        .insert("errors", errors)
        .status(if may { status } else { StatusCode::FORBIDDEN })
        .render(state)
}

/// `GET /invites`
pub async fn list(state: web::Data<AppState>, tenant: Tenant, me: Me) -> Result<HttpResponse, PageError> {
    page(&state, &tenant, &me, &FieldErrors::new(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct NewInvite {
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    expires_in_days: String,
}

/// `POST /invites`
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<NewInvite>,
) -> Result<HttpResponse, PageError> {
    let parse = |text: &str| -> Result<Option<i64>, ()> {
        match text.trim() {
            "" => Ok(None),
            n => n.parse().map(Some).map_err(|_| ()),
        }
    };
    let mut errors = FieldErrors::new();
    let max_uses = parse(&form.max_uses).ok().flatten().and_then(|n| i32::try_from(n).ok());
    let days = parse(&form.expires_in_days);
    if parse(&form.max_uses).is_err() {
        errors.insert("max_uses", "Choose a number of uses.".into());
    }
    if days.is_err() {
        errors.insert("expires_in_days", "Choose how long the invite lasts.".into());
    }
    if !errors.is_empty() {
        return page(&state, &tenant, &me, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut conn = state.pool.get().await?;
    let made =
        kereru_service::invites::create(&mut conn, tenant.id, me.account.id, max_uses, days.ok().flatten()).await;
    drop(conn);
    match made {
        Ok(_) => Ok(see_other("/invites")),
        Err(kereru_service::ServiceError::Invalid(message)) => {
            errors.insert("form", message);
            page(&state, &tenant, &me, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /invites/{id}/expire`
pub async fn expire(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    kereru_service::invites::expire(&mut conn, tenant.id, me.account.id, path.into_inner()).await?;
    Ok(see_other("/invites"))
}
