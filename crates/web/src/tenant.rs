//! Tenant resolution: the middleware that turns a request's Host into the
//! tenant it is for, before any handler runs, and the extractor handlers use.

use crate::error::WebError;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use kereru_core::{HostName, TenantUrls};
use kereru_store::domains::{self, Domain};
use std::future::{Ready, ready};
use std::ops::Deref;

/// The tenant a request is for, and the host name it was asked on.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub domain: Domain,
    /// The host the client used: the account host or the service host.
    pub requested_host: HostName,
    pub urls: TenantUrls,
}

impl Deref for Tenant {
    type Target = Domain;
    fn deref(&self) -> &Domain {
        &self.domain
    }
}

impl FromRequest for Tenant {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Present on every route inside the tenant scope; its absence is a wiring bug.
        ready(
            req.extensions()
                .get::<Tenant>()
                .cloned()
                .ok_or_else(|| WebError::Internal("route outside the tenant scope".into())),
        )
    }
}

/// The host a request was sent to: the `Host` header (HTTP/1.1) or the
/// URI's authority (HTTP/2's `:authority`).
fn requested_host(req: &ServiceRequest) -> Result<HostName, WebError> {
    let raw = match req.headers().get(header::HOST) {
        Some(value) => value.to_str().map_err(|_| WebError::BadRequest("the Host header is not valid text".into()))?,
        None => req
            .uri()
            .authority()
            .map(|a| a.as_str())
            .ok_or_else(|| WebError::BadRequest("the request has no Host header".into()))?,
    };
    HostName::from_host_header(raw).map_err(|e| match e {
        // An IP address is well-formed, just not a tenant.
        kereru_core::HostError::IpAddress(_) => WebError::NotFound("no site is served at this address".into()),
        other => WebError::BadRequest(format!("bad Host header: {other}")),
    })
}

fn declared_body_len(req: &ServiceRequest) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

pub async fn resolve_tenant(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match find_tenant(&req).await {
        Ok(tenant) => {
            req.extensions_mut().insert(tenant);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(error) => {
            let (http_req, _) = req.into_parts();
            let response = match (&error, http_req.app_data::<web::Data<AppState>>()) {
                // A browser asking for a host that is no tenant's gets a page saying what runs here.
                (WebError::NotFound(_), Some(state))
                    if !crate::error::wants_json(http_req.path(), http_req.headers().get(header::ACCEPT)) =>
                {
                    crate::pages::no_tenant::page(state, &requested_name(&http_req))
                }
                _ => error.respond_to(&http_req),
            };
            Ok(ServiceResponse::new(http_req, response).map_into_right_body())
        }
    }
}

/// The name the client asked for, without a port, for the page that says no site is here.
fn requested_name(req: &actix_web::HttpRequest) -> String {
    let host = req.connection_info().host().to_string();
    match host.rsplit_once(':') {
        // `[::1]:8080` and `name:8080` lose the port; a bare IPv6 address keeps its colons.
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => name.to_string(),
        _ => host,
    }
}

async fn find_tenant(req: &ServiceRequest) -> Result<Tenant, WebError> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| WebError::Internal("application state missing".into()))?;
    let host = requested_host(req)?;
    // The provider host is never a tenant, even if a domain row named it before it was configured.
    if state.settings.provider.host.as_ref() == Some(&host) {
        return Err(WebError::NotFound(format!("no site is served at {host}")));
    }
    let limit = if req.method() == actix_web::http::Method::POST && req.path().ends_with("/inbox") {
        state.settings.max_inbox_bytes
    } else {
        crate::api::media::upload_body_limit(req.method(), req.path()).unwrap_or(state.settings.max_body_bytes)
    };
    if let Some(len) = declared_body_len(req)
        && len > limit
    {
        return Err(WebError::PayloadTooLarge(limit));
    }
    let mut conn = state.pool.get().await?;
    let domain = domains::find_by_host(&mut conn, &host).await?;
    // Unknown and suspended hosts look the same from outside: nothing here.
    match domain {
        Some(domain) if domain.is_serving() => {
            let urls = domain.urls(state.settings.public_scheme);
            Ok(Tenant { domain, requested_host: host, urls })
        }
        _ => Err(WebError::NotFound(format!("no site is served at {host}"))),
    }
}
