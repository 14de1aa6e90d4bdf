//! `HEAD` answers like `GET` on every route, as Rails (and so Mastodon)
//! does: monitors and link checkers send `HEAD /`. The request is routed as
//! a `GET`; the HTTP layer remembers the method it read and sends the
//! headers (Content-Length included) without the body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware: a `HEAD` request goes on as a `GET`.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
