//! `GET/POST /auth/sign_up` and `/invite/{code}`: the sign-up form, as the
//! tenant's registration mode allows, or any mode with a valid invite.

use super::{FieldErrors, allowed, client_address};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Viewer;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::accounts::{RegisterError, SignUp};
use kereru_store::accounts::{AccountError, NewLocalAccount};
use kereru_store::domains::Registrations;

#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct SignUpForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default, skip_serializing)]
    password_confirmation: String,
    #[serde(default)]
    agreement: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    invite_code: String,
}

#[derive(serde::Deserialize)]
pub struct InviteQuery {
    invite_code: Option<String>,
}

/// The mode this form works in: the tenant's, or "invite" with a valid code.
async fn mode(state: &AppState, tenant: &Tenant, code: &str) -> Result<(&'static str, bool), PageError> {
    if !code.is_empty() {
        let mut conn = state.pool.get().await?;
        let valid = kereru_store::invites::find(&mut conn, tenant.id, code)
            .await?
            .is_some_and(|invite| invite.valid_at(chrono::Utc::now()));
        return Ok(("invite", valid));
    }
    Ok((tenant.registrations.as_str(), true))
}

async fn page(
    state: &AppState,
    tenant: &Tenant,
    viewer: &Viewer,
    form: &SignUpForm,
    mode: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let rules = kereru_store::about::rules(&mut conn, tenant.id).await?;
    drop(conn);
    Page::new("auth/sign_up.html", tenant, viewer)
        .insert("nav", "sign_up")
        .insert("rules", &rules.iter().map(|r| r.text.as_str()).collect::<Vec<_>>())
        .insert("form", form)
        .insert("mode", mode)
        .insert("errors", errors)
        .insert("min_password", &kereru_store::password::MIN_PASSWORD_LEN)
        .status(status)
        .render(state)
}

/// `GET /auth/sign_up` (optionally `?invite_code=`).
pub async fn form(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    query: web::Query<InviteQuery>,
) -> Result<HttpResponse, PageError> {
    if viewer.signed_in.is_some() {
        return Ok(see_other(crate::pages::auth::AFTER_SIGN_IN));
    }
    let code = query.invite_code.clone().unwrap_or_default();
    let (mode, valid) = mode(&state, &tenant, code.trim()).await?;
    let mut errors = FieldErrors::new();
    if !valid {
        errors.insert("invite_code", "This invite is invalid, expired or used up.".into());
    }
    let form = SignUpForm { invite_code: code, ..SignUpForm::default() };
    let status = if valid { StatusCode::OK } else { StatusCode::NOT_FOUND };
    page(&state, &tenant, &viewer, &form, mode, &errors, status).await
}

/// `GET /invite/{code}`: the sign-up form with the invite filled in.
pub async fn invite(path: web::Path<String>) -> HttpResponse {
    let query = serde_urlencoded::to_string([("invite_code", path.into_inner())]).unwrap_or_default();
    see_other(&format!("/auth/sign_up?{query}"))
}

/// `POST /auth/sign_up`
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SignUpForm>,
) -> Result<HttpResponse, PageError> {
    let code = form.invite_code.trim().to_string();
    let (mode, _) = mode(&state, &tenant, &code).await?;
    let mut errors = FieldErrors::new();
    if mode == Registrations::Closed.as_str() {
        return page(&state, &tenant, &viewer, &form, mode, &errors, StatusCode::FORBIDDEN).await;
    }
    let username = kereru_core::Username::parse(form.username.trim());
    if let Err(error) = &username {
        errors.insert("username", format!("{error}"));
    }
    let email = kereru_core::email::parse_email(&form.email);
    if email.is_err() {
        errors.insert("email", "Enter an e-mail address like name@example.org.".into());
    }
    if let Err(error) = kereru_store::password::check_strength(&form.password) {
        errors.insert("password", format!("{}{}", error.to_string()[..1].to_uppercase(), &error.to_string()[1..]));
    } else if form.password != form.password_confirmation {
        errors.insert("password_confirmation", "The two passwords differ.".into());
    }
    if form.agreement.is_none() {
        errors.insert("agreement", "Please accept the rules to join.".into());
    }
    if mode == "approval" && form.reason.trim().is_empty() {
        errors.insert("reason", "Please say why you want to join: the staff read it.".into());
    }
    let (Ok(username), Ok(email), true) = (username, email, errors.is_empty()) else {
        return page(&state, &tenant, &viewer, &form, mode, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !allowed(&state.sign_ups, &format!("signup:{}", client_address(&req))) {
        errors.insert("form", "Too many sign-ups from your address. Please try again in half an hour.".into());
        return page(&state, &tenant, &viewer, &form, mode, &errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let reason = form.reason.trim();
    let sign_up = SignUp {
        account: NewLocalAccount {
            username,
            email,
            password: form.password.clone(),
            role: kereru_store::roles::Role::User,
            approved: false,
            signup_reason: (!reason.is_empty()).then(|| reason.to_string()),
            // The web page speaks English, but the person's browser may prefer another language for mails.
            locale: req
                .headers()
                .contains_key(actix_web::http::header::ACCEPT_LANGUAGE)
                .then(|| crate::localize::locale_of(req.headers()).code().to_string()),
        },
        invite_code: (!code.is_empty()).then_some(code),
        address: client_address(&req),
    };
    let mut conn = state.pool.get().await?;
    match kereru_service::accounts::sign_up(&mut conn, &tenant.domain, tenant.urls.scheme, sign_up).await {
        Ok(_) => Ok(see_other("/auth/sign_up/check_email")),
        Err(error) => {
            let (field, message) = match error {
                _ if error.quota().is_some() => {
                    ("form", "This server has all the accounts its plan allows: no new sign-ups for now.".into())
                }
                RegisterError::Account(AccountError::UsernameTaken(_)) => {
                    ("username", "This username is taken.".into())
                }
                RegisterError::Account(AccountError::EmailTaken(_)) => {
                    ("email", "This e-mail address already has an account here.".into())
                }
                RegisterError::Account(AccountError::Password(p)) => ("password", p.to_string()),
                RegisterError::InvalidInvite => ("invite_code", error.to_string()),
                RegisterError::ReasonRequired => ("reason", error.to_string()),
                RegisterError::Closed => ("form", error.to_string()),
                RegisterError::EmailDomainBlocked => {
                    ("email", "Sign-ups with this e-mail domain are not allowed here.".into())
                }
                RegisterError::AddressBlocked => ("form", error.to_string()),
                RegisterError::Account(other) => return Err(crate::WebError::from(other).into()),
                RegisterError::Service(other) => return Err(other.into()),
                RegisterError::UnknownApplication => return Err(crate::WebError::Internal(error.to_string()).into()),
            };
            errors.insert(field, message);
            page(&state, &tenant, &viewer, &form, mode, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// `GET /auth/sign_up/check_email`: what happens next.
pub async fn check_email(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    Page::new("auth/message.html", &tenant, &viewer)
        .insert("heading", "Check your inbox")
        .insert(
            "message",
            "We sent you an e-mail with a link to confirm your address. Open it to finish signing up; then you can log in.",
        )
        .insert("hint", "No mail after a few minutes? Look in your spam folder, or ask for a new link.")
        .insert("link", "/auth/confirmation/new")
        .insert("link_label", "Send the link again")
        .render(&state)
}
