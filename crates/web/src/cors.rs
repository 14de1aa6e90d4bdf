//! CORS for browser apps on other origins (Elk, Phanpy, Pinafore, Mastodon's
//! own web app), as Mastodon configures it: the client API, OAuth's token
//! and revocation endpoints and the discovery documents answer preflights
//! and carry `Access-Control-Allow-Origin: *` with the headers apps read.
//! Credentials are never allowed: a cross-origin call is authorized by its
//! bearer token alone, never by a cookie.

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

const ALLOW_METHODS: &str = "POST, PUT, DELETE, GET, PATCH, OPTIONS";
const EXPOSE_HEADERS: &str = "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id";
/// Seconds a browser may cache a preflight (rack-cors' default, which Mastodon keeps).
const MAX_AGE: &str = "7200";

/// Whether `path` is open to other origins.
pub fn is_cors_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/.well-known/")
        || path.starts_with("/nodeinfo/")
        || matches!(path, "/oauth/token" | "/oauth/revoke")
}

fn allow(headers: &mut HeaderMap) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
    // A cookie must never authorize a cross-origin call, whatever a handler set.
    headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
}

/// Middleware: answers preflights on CORS paths and adds the headers to
/// every response there (errors and 429s included, so apps can read them).
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !is_cors_path(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut response = HttpResponse::Ok().finish();
        allow(response.headers_mut());
        // Any request header is allowed, as Mastodon's `headers: :any`.
        if let Some(asked) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned() {
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
        }
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(http_req, response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    allow(response.headers_mut());
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::is_cors_path;

    #[test]
    fn the_api_oauth_token_endpoints_and_discovery_are_open_to_other_origins() {
        for path in ["/api/v1/instance", "/api/v2/search", "/.well-known/webfinger", "/nodeinfo/2.0", "/oauth/token"] {
            assert!(is_cors_path(path), "{path}");
        }
        for path in ["/oauth/authorize", "/", "/@alice", "/inbox", "/users/alice/inbox", "/apiv1"] {
            assert!(!is_cors_path(path), "{path}");
        }
    }
}
