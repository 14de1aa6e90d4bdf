//! Mastodon's streaming API, served by every node on the API's own host and
//! port: server-sent events at `/api/v1/streaming/{stream}` ([`sse`]) and a
//! WebSocket at `/api/v1/streaming` ([`ws`]).
//!
//! Actions publish [`kereru_service::Event`]s with PostgreSQL `NOTIFY`; each
//! process's [`Hub`] listens and passes them to the streams connected to it;
//! each stream decides, per event, what its viewer on its tenant gets
//! ([`channels`]), loading and re-checking every status before sending it.

pub mod channels;
pub mod hub;
pub mod sse;
pub mod ws;

pub use hub::{HEARTBEAT, Hub, HubError};

use crate::auth::Auth;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};

/// Routes inside the tenant scope (tokens belong to tenants).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/streaming").wrap(from_fn(ws::protocol_token)).route(web::get().to(ws::connect)))
        .route("/api/v1/streaming/{stream:.+}", web::get().to(sse::stream));
}

/// `GET /api/v1/streaming/health`: on any host, no token, as Mastodon's.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("OK")
}

/// The query string as parameters (streams take theirs from the URL only).
pub(crate) fn query_params(req: &HttpRequest) -> Params {
    Params::from_pairs(serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()).unwrap_or_default())
}

/// The token a stream was opened with, checked again now and then: a
/// revoked token, or a tenant that stopped serving, ends the stream.
pub(crate) struct TokenCheck {
    token: Option<String>,
    token_id: i64,
}

impl TokenCheck {
    /// The token `auth` was made from: the bearer header, else `access_token`.
    pub(crate) fn from_request(req: &HttpRequest, auth: &Auth) -> TokenCheck {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_string());
        let token = bearer.or_else(|| query_params(req).str("access_token").map(str::to_string));
        TokenCheck { token, token_id: auth.grant.token_id }
    }

    /// Whether the stream may go on. A database that cannot be asked right
    /// now is not a reason to drop clients: it counts as yes.
    pub(crate) async fn still_valid(&self, state: &AppState, tenant: &Tenant) -> bool {
        let Some(token) = &self.token else { return true };
        let mut conn = match state.pool.get().await {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!("streaming: cannot check a token: {error}");
                return true;
            }
        };
        let serving = match kereru_store::domains::get(&mut conn, tenant.id).await {
            Ok(domain) => domain.is_serving(),
            Err(error) => {
                tracing::warn!("streaming: cannot check a tenant: {error}");
                true
            }
        };
        match kereru_store::oauth::authenticate_token(&mut conn, tenant.id, token).await {
            Ok(grant) => serving && grant.is_some_and(|g| g.token_id == self.token_id),
            Err(error) => {
                tracing::warn!("streaming: cannot check a token: {error}");
                serving
            }
        }
    }
}
