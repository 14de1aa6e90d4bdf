//! ActivityPub endpoints of a tenant: inboxes ([`inbox`]), local objects
//! by id ([`objects`]) and the actor collections ([`collections`]).

pub mod collections;
pub mod inbox;
pub mod instance_actor;
pub mod objects;
pub mod quote_authorizations;

use crate::state::AppState;
use actix_web::HttpRequest;
use kereru_core::signatures::RequestParts;
use kereru_service::federation::Context;

/// What of a request its signature covers, owned so it can outlive the
/// `HttpRequest` borrow across awaits.
pub(crate) struct SignedRequest {
    method: String,
    scheme: &'static str,
    authority: String,
    path_and_query: String,
    /// Values that are not visible ASCII cannot be signed over and are left out.
    headers: Vec<(String, String)>,
}

impl SignedRequest {
    pub fn new(req: &HttpRequest, state: &AppState, authority: &str) -> Self {
        SignedRequest {
            method: req.method().as_str().to_string(),
            scheme: state.settings.public_scheme.as_str(),
            authority: authority.to_string(),
            path_and_query: req.uri().path_and_query().map_or(req.path(), |pq| pq.as_str()).to_string(),
            headers: req
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
                .collect(),
        }
    }

    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    pub fn parts<'a>(&'a self, headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> RequestParts<'a> {
        RequestParts {
            method: &self.method,
            scheme: self.scheme,
            authority: &self.authority,
            path_and_query: &self.path_and_query,
            headers,
            body,
        }
    }

    pub fn is_signed(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("signature") || n.eq_ignore_ascii_case("signature-input"))
    }
}

pub(crate) fn context(state: &AppState) -> Context<'_> {
    Context { fetcher: &state.fetcher, scheme: state.settings.public_scheme }
}
