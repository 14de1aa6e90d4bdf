//! Self-service custom domains on the host's page (`[provider] self_service`):
//! `/claim` (the form), `/claim/{key}` (the status a person reloads) and
//! `/claim/{key}/check` ("Check now"). They answer on hosts no tenant
//! serves: `tenant::resolve_tenant` lets these paths through there with a
//! [`HostPage`] instead of a tenant; on a tenant's host they are 404, but
//! for the status of the claim that created that very tenant.
//! Forms are checked with the visitor's `kereru_form` cookie (double submit).

use super::accounts::{allowed, client_address};
use super::{PageError, html_response, see_other};
use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use kereru_service::claims::{self, Checks, ClaimError, ClaimForm, Stage, verify};
use std::collections::BTreeMap;
use std::future::{Ready, ready};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/claim", web::get().to(form))
        .route("/claim", web::post().to(submit))
        .route("/claim/{key}", web::get().to(status))
        .route("/claim/{key}/check", web::post().to(check));
}

/// Paths `tenant::resolve_tenant` lets through on hosts no tenant serves (when self-service is on).
pub fn is_claim_path(path: &str) -> bool {
    path == "/claim" || path.starts_with("/claim/")
}

/// A request on the host's own page (no tenant serves its host), and the host asked.
#[derive(Debug, Clone)]
pub struct HostPage {
    pub host: String,
}

impl FromRequest for HostPage {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A tenant's host has no claim pages: the same 404 as any unknown path there.
        ready(
            req.extensions()
                .get::<HostPage>()
                .cloned()
                .ok_or_else(|| WebError::NotFound("the page you are looking for isn't here".into())),
        )
    }
}

fn checks(state: &AppState) -> Checks {
    Checks {
        resolver: state.settings.hosting.resolver,
        public_addresses: state.settings.hosting.public_addresses.clone(),
    }
}

fn render(
    state: &AppState,
    template: &str,
    context: &tera::Context,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let body = state.templates.render(template, context)?;
    Ok(html_response(status).insert_header(("Cache-Control", "no-store")).body(body))
}

/// Byte comparison whose time does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a form whose token is not the visitor's form cookie.
fn verify_token(req: &HttpRequest, presented: &str) -> Result<(), WebError> {
    let cookie = req.cookie(super::csrf::FORM_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if cookie.len() >= 32 && same(cookie.as_bytes(), presented.as_bytes()) {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "This form expired or came from another site. Go back, reload the page and try again.".into(),
        ))
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Prefill {
    #[serde(default)]
    account_host: String,
}

fn form_context(
    req: &HttpRequest,
    page: &HostPage,
    form: &ClaimForm,
    errors: &BTreeMap<&str, String>,
) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("host", &page.host);
    context.insert("csrf", &super::csrf::anonymous_token(req));
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert("challenge_label", claims::CHALLENGE_LABEL);
    context
}

/// The claim form (`?account_host=` fills in the domain, as the no-site page's link does).
pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    page: HostPage,
    query: web::Query<Prefill>,
) -> Result<HttpResponse, PageError> {
    let form = ClaimForm { account_host: query.account_host.chars().take(253).collect(), ..ClaimForm::default() };
    render(&state, "claim/form.html", &form_context(&req, &page, &form, &BTreeMap::new()), StatusCode::OK)
}

#[derive(Debug, serde::Deserialize)]
pub struct SubmitFields {
    #[serde(default)]
    authenticity_token: String,
    #[serde(flatten)]
    form: ClaimForm,
}

/// Takes a claim: on success, 303 to its status page; otherwise the form again with the errors.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    page: HostPage,
    fields: web::Form<SubmitFields>,
) -> Result<HttpResponse, PageError> {
    let SubmitFields { authenticity_token, form } = fields.into_inner();
    verify_token(&req, &authenticity_token)?;
    let mut errors = BTreeMap::new();
    if !allowed(&state.sign_ups, &format!("claim:{}", client_address(&req))) {
        errors.insert("form", "Too many claims from your address. Please try again in half an hour.".to_string());
        let context = form_context(&req, &page, &form, &errors);
        return render(&state, "claim/form.html", &context, StatusCode::TOO_MANY_REQUESTS);
    }
    let mut conn = state.pool.get().await?;
    match claims::submit(&mut conn, &form).await {
        Ok(claim) => Ok(see_other(&format!("/claim/{}", claim.status_key))),
        Err(problems) => {
            for problem in problems {
                match problem {
                    ClaimError::Field { field, message } => {
                        errors.entry(field).or_insert(message);
                    }
                    ClaimError::Service(error) => return Err(error.into()),
                }
            }
            let context = form_context(&req, &page, &form, &errors);
            render(&state, "claim/form.html", &context, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The status of a claim: the records to set, and how far it has come. On
/// the host's page; and on the tenant the claim created (a claim made on the
/// domain itself keeps its page once the domain serves), no other tenant.
pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let no_claim = || {
        PageError::from(WebError::NotFound("There is no such claim. Check the address, or start a new claim.".into()))
    };
    let tenant = req.extensions().get::<Tenant>().map(|t| (t.id, t.requested_host.to_string()));
    let host = match (req.extensions().get::<HostPage>(), &tenant) {
        (Some(page), _) => page.host.clone(),
        (None, Some((_, host))) => host.clone(),
        (None, None) => return Err(no_claim()),
    };
    let mut conn = state.pool.get().await?;
    let hosting = &state.settings.hosting;
    let found = claims::status(&mut conn, &checks(&state), hosting.tls_enabled, &key).await?;
    let Some(status) = found else { return Err(no_claim()) };
    if let Some((id, _)) = tenant
        && status.claim.domain_id != Some(id)
    {
        return Err(no_claim());
    }
    let on_site = tenant.is_some();
    let page = HostPage { host };
    let claim = &status.claim;
    let scheme = state.settings.public_scheme.as_str();
    let mut context = tera::Context::new();
    context.insert("host", &page.host);
    context.insert("csrf", &super::csrf::anonymous_token(&req));
    context.insert("key", &claim.status_key);
    // On the new site itself, the layout links its front page, not the claim form.
    context.insert("on_site", &on_site);
    context.insert("stage", &status.stage);
    context.insert("account_host", &claim.account_host);
    context.insert("service_host", &claim.service_host);
    context.insert("email", &claim.email);
    context.insert("username", &claim.username);
    context.insert("txt", &status.txt);
    context.insert("addresses", &status.addresses);
    context.insert("addresses_known", &!hosting.public_addresses.is_empty());
    context.insert("last_problem", &claim.last_problem);
    context.insert("last_checked", &claim.last_checked_at.map(when));
    context.insert("expires", &when(claim.expires_at));
    let site_host = claim.service_host.as_deref().unwrap_or(&claim.account_host);
    context.insert("site_url", &format!("{scheme}://{site_host}/"));
    let code = if status.stage == Stage::Expired { StatusCode::GONE } else { StatusCode::OK };
    render(&state, "claim/status.html", &context, code)
}

#[derive(Debug, serde::Deserialize)]
pub struct CheckFields {
    #[serde(default)]
    authenticity_token: String,
}

/// "Check now": looks at the DNS records at once (at most every few seconds per claim), then back to the status.
pub async fn check(
    state: web::Data<AppState>,
    req: HttpRequest,
    _page: HostPage,
    key: web::Path<String>,
    fields: web::Form<CheckFields>,
) -> Result<HttpResponse, PageError> {
    verify_token(&req, &fields.authenticity_token)?;
    let hosting = &state.settings.hosting;
    let scheme = state.settings.public_scheme;
    match verify::check_now(&state.pool, &checks(&state), scheme, &key, hosting.claim_recheck).await? {
        Some(claim) => Ok(see_other(&format!("/claim/{}", claim.status_key))),
        None => Err(WebError::NotFound("There is no such claim.".into()).into()),
    }
}
