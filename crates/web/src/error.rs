//! Errors as clients expect them: `{"error": "..."}` JSON for API and
//! federation paths (as Mastodon answers), a short HTML page for browsers.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use kereru_service::ServiceError;
use kereru_store::StoreError;
use kereru_store::accounts::AccountError;
use kereru_store::domains::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("content type {0:?} is not supported here")]
    UnsupportedMediaType(String),
    /// RFC 6749 §5.2 errors of the OAuth endpoints: `{"error": code, "error_description": ...}`.
    #[error("{description}")]
    OAuth { status: u16, code: &'static str, description: String },
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(u64),
    #[error("{0}")]
    TooManyRequests(String),
    /// A plan's quota refused the write: 422 `{"error": ..., "quota": "posts_per_day"}`.
    #[error(transparent)]
    Quota(kereru_store::quotas::QuotaExceeded),
    #[error("internal server error")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::OAuth { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST),
            WebError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Quota(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn json_response(&self) -> HttpResponse {
        let body = match self {
            WebError::OAuth { code, description, .. } => {
                serde_json::json!({ "error": code, "error_description": description })
            }
            WebError::Quota(exceeded) => {
                serde_json::json!({ "error": exceeded.to_string(), "quota": exceeded.quota.as_str() })
            }
            other => serde_json::json!({ "error": other.to_string() }),
        };
        let mut response = HttpResponse::build(self.status());
        if matches!(self, WebError::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"kereru\", error=\"invalid_token\""));
        }
        response.json(body)
    }

    /// The response for this request: JSON or HTML by path and `Accept`.
    pub fn respond_to(&self, req: &HttpRequest) -> HttpResponse {
        if let WebError::Internal(detail) = self {
            tracing::error!(path = req.path(), "internal error: {detail}");
        }
        if wants_json(req.path(), req.headers().get(header::ACCEPT)) {
            self.json_response()
        } else {
            let status = self.status();
            let title = status.canonical_reason().unwrap_or("Error");
            let body = format!(
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} {title}</title></head>\
                 <body><h1>{code} {title}</h1><p>{message}</p></body></html>\n",
                code = status.as_u16(),
                message = kereru_core::actor::escape_html(&self.to_string()),
            );
            HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
        }
    }
}

/// API, discovery and federation paths always get JSON; elsewhere, clients that ask for it.
pub fn wants_json(path: &str, accept: Option<&HeaderValue>) -> bool {
    const JSON_PREFIXES: [&str; 5] = ["/api/", "/.well-known/", "/nodeinfo", "/oauth/", "/inbox"];
    if JSON_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
        return true;
    }
    let accept = accept.and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("json") && !accept.contains("text/html")
}

// Handlers return `Result<_, WebError>`; actix renders it without the request,
// so this form is JSON. Handlers that serve browsers call `respond_to`.
impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(detail) = self {
            tracing::error!("internal error: {detail}");
        }
        self.json_response()
    }
}

/// Mastodon's answer for anything that isn't there, or that this viewer may not see.
pub fn not_found() -> WebError {
    WebError::NotFound("Record not found".into())
}

// The one mapping from the layers below to HTTP: handlers use `?` on store
// and service results and never look at a database error themselves.
impl From<ServiceError> for WebError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound => not_found(),
            ServiceError::Invalid(message) => WebError::Unprocessable(message),
            ServiceError::Forbidden(message) => WebError::Forbidden(message),
            ServiceError::Store(e) => WebError::from(e),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Quota(exceeded) => WebError::Quota(exceeded),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<DomainError> for WebError {
    fn from(error: DomainError) -> Self {
        WebError::Internal(error.to_string())
    }
}

impl From<AccountError> for WebError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(error) => error.into(),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<kereru_store::pool::PoolError> for WebError {
    fn from(error: kereru_store::pool::PoolError) -> Self {
        WebError::Internal(format!("database pool: {error}"))
    }
}

/// The default service: a route that doesn't exist on this tenant.
pub async fn unknown_route(req: HttpRequest) -> HttpResponse {
    WebError::NotFound("the page you are looking for isn't here".into()).respond_to(&req)
}
