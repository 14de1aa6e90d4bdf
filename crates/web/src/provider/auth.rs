//! Provider keys on requests: `Authorization: Bearer KEY`. [`ProviderKey`]
//! lets any live key in (reads); [`WriteKey`] also refuses read-only keys
//! with 403 (writes). A missing, unknown or revoked key is 401 before any
//! handler runs.

use super::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use kereru_store::provider_keys;
use std::future::Future;
use std::pin::Pin;

/// The live key a request was made with.
#[derive(Debug, Clone)]
pub struct ProviderKey(pub provider_keys::ProviderKey);

/// A live key that may write (not read-only).
#[derive(Debug, Clone)]
pub struct WriteKey(pub provider_keys::ProviderKey);

impl ProviderKey {
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

impl WriteKey {
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim().to_string())
}

async fn authenticate(state: Option<web::Data<AppState>>, key: Option<String>) -> Result<ProviderKey, ApiError> {
    let key = key.ok_or_else(|| ApiError::Unauthorized("an API key is required: Authorization: Bearer KEY".into()))?;
    let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    provider_keys::authenticate(&mut conn, &key)
        .await?
        .map(ProviderKey)
        .ok_or_else(|| ApiError::Unauthorized("the API key is invalid or revoked".into()))
}

impl FromRequest for ProviderKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = bearer(req);
        Box::pin(authenticate(state, key))
    }
}

impl FromRequest for WriteKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = bearer(req);
        Box::pin(async move {
            let ProviderKey(key) = authenticate(state, key).await?;
            if key.read_only {
                return Err(ApiError::Forbidden(format!("the API key {} is read-only", key.name)));
            }
            Ok(WriteKey(key))
        })
    }
}
