//! OAuth 2 for the client API: app registration, the authorization page,
//! the token and revocation endpoints, and the server metadata (RFC 8414).

pub mod apps;
pub mod authorize;
pub mod token;

use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_store::oauth::{self, Application};

pub const SCOPES_SUPPORTED: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
];

/// `GET /.well-known/oauth-authorization-server`
pub async fn metadata(tenant: Tenant) -> HttpResponse {
    let base = tenant.urls.base();
    HttpResponse::Ok().json(serde_json::json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

/// The client's credentials: `client_id`/`client_secret` in the body, or HTTP Basic.
pub(crate) fn client_credentials(req: &HttpRequest, params: &Params) -> (Option<String>, Option<String>) {
    use base64::Engine;
    let basic = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| pair.split_once(':').map(|(id, secret)| (id.to_string(), secret.to_string())));
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (params.str("client_id").map(str::to_string), params.str("client_secret").map(str::to_string)),
    }
}

pub(crate) fn invalid_client() -> WebError {
    WebError::OAuth {
        status: 401,
        code: "invalid_client",
        description: "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.".into(),
    }
}

/// The app behind the request's client credentials, on this tenant only.
pub(crate) async fn authenticated_client(
    state: &AppState,
    tenant: &Tenant,
    req: &HttpRequest,
    params: &Params,
) -> Result<Application, WebError> {
    let (Some(id), Some(secret)) = client_credentials(req, params) else { return Err(invalid_client()) };
    let mut conn = state.pool.get().await?;
    oauth::authenticate_client(&mut conn, tenant.id, &id, &secret).await?.ok_or_else(invalid_client)
}

/// `POST /oauth/revoke` (RFC 7009): 200 `{}` whether or not the token existed.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let app = authenticated_client(&state, &tenant, &req, &params).await?;
    let token = params.required("token")?;
    let mut conn = state.pool.get().await?;
    oauth::revoke(&mut conn, tenant.id, &app, token).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
