//! `GET/POST /oauth/authorize`: the login and consent page of the
//! authorization-code flow (with PKCE), protected against CSRF by a
//! double-submit cookie and against framing by `X-Frame-Options`.

use crate::auth::LoginFailure;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::scopes::Scopes;
use kereru_store::oauth::{self, Application, NewCode, OOB_REDIRECT};

const CSRF_COOKIE: &str = "kereru_csrf";

/// A validated authorization request.
struct Request {
    app: Application,
    redirect_uri: String,
    scopes: Scopes,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Problems found before the redirect URI is trusted are shown, never redirected to.
fn page_error(message: &str) -> WebError {
    WebError::BadRequest(message.to_string())
}

async fn validate(state: &AppState, tenant: &Tenant, params: &Params) -> Result<Request, WebError> {
    let client_id = params.str("client_id").ok_or_else(|| page_error("client_id is missing"))?;
    let mut conn = state.pool.get().await?;
    let app = oauth::find_application(&mut conn, tenant.id, client_id)
        .await?
        .ok_or_else(|| page_error("this application is not registered on this server"))?;
    let redirect_uri = match params.str("redirect_uri") {
        Some(uri) => uri.to_string(),
        None if app.redirect_uris.len() == 1 => app.redirect_uris[0].clone(),
        None => return Err(page_error("redirect_uri is missing")),
    };
    if !app.redirect_uris.contains(&redirect_uri) {
        return Err(page_error("redirect_uri is not one this application registered"));
    }
    if params.str("response_type").unwrap_or("code") != "code" {
        return Err(page_error("only response_type=code is supported"));
    }
    let scopes = Scopes::parse(params.str("scope").or(params.str("scopes")).unwrap_or("read"))
        .map_err(|e| page_error(&e.to_string()))?;
    if !scopes.within(&app.scopes) {
        return Err(page_error("the requested scopes exceed those the application registered"));
    }
    let code_challenge = params.str("code_challenge").filter(|c| !c.is_empty()).map(str::to_string);
    let code_challenge_method = match (&code_challenge, params.str("code_challenge_method")) {
        (None, _) => None,
        (Some(_), Some("S256")) => Some("S256".to_string()),
        (Some(_), _) => return Err(page_error("code_challenge_method must be S256")),
    };
    if code_challenge.as_ref().is_some_and(|c| c.len() < 43 || c.len() > 128) {
        return Err(page_error("code_challenge must be 43 to 128 characters"));
    }
    Ok(Request {
        app,
        redirect_uri,
        scopes,
        state: params.str("state").map(str::to_string),
        code_challenge,
        code_challenge_method,
    })
}

fn render_form(
    state: &AppState,
    tenant: &Tenant,
    request: &Request,
    csrf: &str,
    error: Option<&str>,
    login: &str,
) -> Result<String, WebError> {
    let mut context = tera::Context::new();
    context.insert("site_name", &tenant.name);
    context.insert("site_host", tenant.account_host.as_str());
    context.insert("app_name", &request.app.name);
    context.insert("app_website", &request.app.website);
    context.insert("scopes", &request.scopes.iter().collect::<Vec<_>>());
    context.insert("scope", &request.scopes.to_string());
    context.insert("client_id", &request.app.client_id);
    context.insert("redirect_uri", &request.redirect_uri);
    context.insert("state", &request.state);
    context.insert("code_challenge", &request.code_challenge);
    context.insert("code_challenge_method", &request.code_challenge_method);
    context.insert("csrf", csrf);
    context.insert("error", &error);
    context.insert("login", login);
    state.templates.render("authorize.html", &context)
}

/// A page of this flow: never cached, never framed.
fn html(status: actix_web::http::StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Content-Security-Policy", "frame-ancestors 'none'; form-action 'self'"));
    response
}

/// `GET /oauth/authorize`
pub async fn show(req: HttpRequest, state: web::Data<AppState>, tenant: Tenant, params: Params) -> HttpResponse {
    let request = match validate(&state, &tenant, &params).await {
        Ok(request) => request,
        Err(error) => return error.respond_to(&req),
    };
    let csrf = oauth::new_secret();
    match render_form(&state, &tenant, &request, &csrf, None, "") {
        Ok(body) => {
            let cookie = Cookie::build(CSRF_COOKIE, csrf)
                .path("/oauth")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(tenant.urls.scheme == kereru_core::Scheme::Https)
                .finish();
            html(actix_web::http::StatusCode::OK).cookie(cookie).body(body)
        }
        Err(error) => error.respond_to(&req),
    }
}

/// Appends query parameters to a redirect URI that may already have some.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{query}")
}

fn redirect(location: String) -> HttpResponse {
    HttpResponse::Found().insert_header(("Location", location)).insert_header(("Cache-Control", "no-store")).finish()
}

/// `POST /oauth/authorize`: the form's answer.
pub async fn submit(req: HttpRequest, state: web::Data<AppState>, tenant: Tenant, params: Params) -> HttpResponse {
    match decide(&req, &state, &tenant, &params).await {
        Ok(response) => response,
        Err(error) => error.respond_to(&req),
    }
}

async fn decide(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    params: &Params,
) -> Result<HttpResponse, WebError> {
    let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
    let field = params.str("csrf");
    let csrf_ok = matches!((&cookie, field), (Some(c), Some(f)) if !c.is_empty() && c.as_bytes() == f.as_bytes());
    if !csrf_ok {
        return Err(WebError::Forbidden(
            "the form expired or came from another site: reload the page and try again".into(),
        ));
    }
    let request = validate(state, tenant, params).await?;
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = &request.state {
        pairs.push(("state", s));
    }
    if params.str("decision") != Some("allow") {
        if request.redirect_uri == OOB_REDIRECT {
            return Err(WebError::Forbidden("authorization denied".into()));
        }
        pairs.insert(0, ("error", "access_denied"));
        return Ok(redirect(with_query(&request.redirect_uri, &pairs)));
    }
    let login = params.str("login").unwrap_or("").to_string();
    let password = params.str("password").unwrap_or("");
    let account = match crate::auth::login(state, tenant, &login, password).await {
        Ok(account) => account,
        Err(LoginFailure::Error(error)) => return Err(error),
        Err(failure) => {
            let (status, message) = match failure {
                LoginFailure::TooMany(wait) => {
                    (actix_web::http::StatusCode::TOO_MANY_REQUESTS, LoginFailure::too_many_message(wait))
                }
                _ => (actix_web::http::StatusCode::UNAUTHORIZED, "Invalid login or password.".to_string()),
            };
            let csrf = cookie.unwrap_or_default();
            let body = render_form(state, tenant, &request, &csrf, Some(&message), &login)?;
            return Ok(html(status).body(body));
        }
    };
    let refuse = |status: actix_web::http::StatusCode, message: &str| -> Result<HttpResponse, WebError> {
        let csrf = cookie.clone().unwrap_or_default();
        let body = render_form(state, tenant, &request, &csrf, Some(message), &login)?;
        Ok(html(status).body(body))
    };
    match crate::auth::gate(state, tenant, &account).await? {
        crate::auth::Gate::Open => {}
        crate::auth::Gate::NotYet(not_yet) => return refuse(actix_web::http::StatusCode::FORBIDDEN, not_yet.message()),
        crate::auth::Gate::NeedsCode => {
            let code = params.str("otp_code").unwrap_or("").trim();
            let mut conn = state.pool.get().await?;
            let wrong = code.is_empty()
                || !kereru_service::account_security::second_factor(&mut conn, tenant.id, account.id, code).await?;
            if wrong {
                // Wrong codes spend the account's budget of failed logins, as wrong passwords do.
                if let Err(wait) = state.logins.attempt(tenant.id.0, &account.id.0.to_string()) {
                    return refuse(
                        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                        &LoginFailure::too_many_message(wait),
                    );
                }
                let message = if code.is_empty() {
                    "This account uses two-factor authentication: enter the code from your authenticator app."
                } else {
                    "That two-factor code is not right, or was already used."
                };
                return refuse(actix_web::http::StatusCode::UNAUTHORIZED, message);
            }
        }
    }
    let mut conn = state.pool.get().await?;
    let code = oauth::create_code(
        &mut conn,
        tenant.id,
        &request.app,
        NewCode {
            account: account.id,
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
        },
    )
    .await?;
    if request.redirect_uri == OOB_REDIRECT {
        let mut context = tera::Context::new();
        context.insert("site_name", &tenant.name);
        context.insert("app_name", &request.app.name);
        context.insert("code", &code);
        let body = state.templates.render("authorize_code.html", &context)?;
        return Ok(html(actix_web::http::StatusCode::OK).body(body));
    }
    pairs.insert(0, ("code", &code));
    Ok(redirect(with_query(&request.redirect_uri, &pairs)))
}
