//! Errors as clients expect them: `{"error": "..."}` JSON for API and
//! federation paths (as Mastodon answers), a short HTML page for browsers.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use kereru_core::i18n::Locale;
use kereru_service::ServiceError;
use kereru_store::StoreError;
use kereru_store::accounts::AccountError;
use kereru_store::domains::DomainError;

/// One field's problem in a 422, as Mastodon's `details` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The parameter: `username`, `email`.
    pub field: &'static str,
    /// Its name in the message (`Username`), in English.
    pub label: &'static str,
    /// Mastodon's code: `ERR_BLANK`, `ERR_INVALID`, `ERR_TAKEN`, `ERR_ACCEPTED`, `ERR_TOO_SHORT`, ...
    pub code: &'static str,
    /// In English, with `{name}` placeholders filled from `args`.
    pub description: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &'static str, label: &'static str, code: &'static str, description: &'static str) -> Self {
        FieldError { field, label, code, description, args: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    fn describe(&self, locale: Locale) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        locale.format(self.description, &args)
    }
}

/// Rails' sentence for a list of field errors: `Validation failed: Email is invalid, Password can't be blank`.
fn validation_message(fields: &[FieldError], locale: Locale) -> String {
    let parts: Vec<String> =
        fields.iter().map(|f| format!("{} {}", locale.text(f.label), f.describe(locale))).collect();
    format!("{}: {}", locale.text("Validation failed"), parts.join(", "))
}

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
    /// Fields that failed validation: 422 `{"error": "Validation failed: ...", "details": {field: [...]}}`.
    #[error("{}", validation_message(.0, Locale::En))]
    Validation(Vec<FieldError>),
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
            WebError::Quota(_) | WebError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn json_response(&self) -> HttpResponse {
        self.json_response_in(Locale::En)
    }

    /// The message in `locale` where a translation exists ([`Locale::error_message`]).
    pub fn message_in(&self, locale: Locale) -> String {
        match self {
            WebError::Validation(fields) => validation_message(fields, locale),
            // Internal details are logged, never shown.
            WebError::Internal(_) => locale.text("internal server error").to_string(),
            other => locale.error_message(&other.to_string()),
        }
    }

    /// The JSON answer, its message in `locale`.
    pub fn json_response_in(&self, locale: Locale) -> HttpResponse {
        let body = match self {
            WebError::OAuth { code, description, .. } => {
                serde_json::json!({ "error": code, "error_description": locale.error_message(description) })
            }
            WebError::Quota(exceeded) => {
                serde_json::json!({ "error": exceeded.to_string(), "quota": exceeded.quota.as_str() })
            }
            WebError::Validation(fields) => {
                let mut details = serde_json::Map::new();
                for field in fields {
                    let entry = details.entry(field.field).or_insert_with(|| serde_json::json!([]));
                    if let Some(list) = entry.as_array_mut() {
                        list.push(serde_json::json!({ "error": field.code, "description": field.describe(locale) }));
                    }
                }
                serde_json::json!({ "error": self.message_in(locale), "details": details })
            }
            other => serde_json::json!({ "error": other.message_in(locale) }),
        };
        let mut response = HttpResponse::build(self.status());
        if matches!(self, WebError::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"kereru\", error=\"invalid_token\""));
        }
        response.json(body)
    }

    /// The response for this request: JSON or HTML by path and `Accept`, in
    /// the language its `Accept-Language` asks for where we have one.
    pub fn respond_to(&self, req: &HttpRequest) -> HttpResponse {
        if let WebError::Internal(detail) = self {
            tracing::error!(path = req.path(), "internal error: {detail}");
        }
        let locale = crate::localize::locale_of(req.headers());
        let mut response = self.respond_in(req, locale);
        if locale != Locale::En {
            response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.code()));
        }
        response
    }

    /// [`WebError::respond_to`] in `locale` (logging left to the first answer).
    pub fn respond_in(&self, req: &HttpRequest, locale: Locale) -> HttpResponse {
        if wants_json(req.path(), req.headers().get(header::ACCEPT)) {
            self.json_response_in(locale)
        } else {
            let status = self.status();
            let title = status.canonical_reason().unwrap_or("Error");
            let body = format!(
                "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{code} {title}</title></head>\
                 <body><h1>{code} {title}</h1><p>{message}</p></body></html>\n",
                code = status.as_u16(),
                lang = locale.code(),
                message = kereru_core::actor::escape_html(&self.message_in(locale)),
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
