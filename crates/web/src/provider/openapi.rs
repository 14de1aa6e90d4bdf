//! The provider API's description, `docs/provider-openapi.json` (OpenAPI 3.1),
//! compiled in and served as it is kept in the repository. No key needed.

use super::Route;
use actix_web::{HttpResponse, web};

/// The document, as kept in the repository.
pub const DOCUMENT: &str = include_str!("../../../../docs/provider-openapi.json");

pub const ROUTES: &[Route] = &[("GET", "/openapi.json")];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(document));
}

async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(DOCUMENT)
}
