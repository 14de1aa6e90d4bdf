//! The provider API's errors: always JSON, `{"error": "..."}`, with `"field"`
//! naming the request field a 422 is about.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kereru_service::ServiceError;
use kereru_service::provider::ProvisionError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Field { field: &'static str, message: String },
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    /// A plan's quota refused the write (e.g. max_accounts for a new owner): 422 naming it in `quota`.
    #[error(transparent)]
    Quota(kereru_store::quotas::QuotaExceeded),
    #[error("internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Field { .. } | ApiError::Unprocessable(_) | ApiError::Quota(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn response(&self) -> HttpResponse {
        let body = match self {
            ApiError::Field { field, message } => serde_json::json!({ "error": message, "field": field }),
            ApiError::Quota(exceeded) => {
                serde_json::json!({ "error": exceeded.to_string(), "quota": exceeded.quota.as_str() })
            }
            ApiError::Internal(detail) => {
                tracing::error!("provider API: {detail}");
                serde_json::json!({ "error": "internal server error" })
            }
            other => serde_json::json!({ "error": other.to_string() }),
        };
        let mut response = HttpResponse::build(self.status()).json(body);
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

impl From<kereru_store::StoreError> for ApiError {
    fn from(error: kereru_store::StoreError) -> Self {
        match error {
            kereru_store::StoreError::Quota(exceeded) => ApiError::Quota(exceeded),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound => ApiError::NotFound("no such tenant".into()),
            ServiceError::Invalid(message) => ApiError::Unprocessable(message),
            ServiceError::Forbidden(message) => ApiError::Forbidden(message),
            ServiceError::Store(error) => error.into(),
        }
    }
}

impl From<ProvisionError> for ApiError {
    fn from(error: ProvisionError) -> Self {
        match error {
            ProvisionError::Field { field, message } => ApiError::Field { field, message },
            ProvisionError::NotFound => ApiError::NotFound("no such tenant".into()),
            ProvisionError::Conflict(message) => ApiError::Conflict(message),
            ProvisionError::Service(error) => error.into(),
        }
    }
}
