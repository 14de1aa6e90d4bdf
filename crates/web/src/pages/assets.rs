//! The stylesheet and script of the web interface, compiled in. Their URLs
//! carry a hash of their content, so they can be cached for a year and a new
//! release is still fetched at once.

use actix_web::{HttpResponse, web};
use std::sync::LazyLock;

const STYLESHEET: &str = include_str!("../../static/kereru.css");
const SCRIPT: &str = include_str!("../../static/kereru.js");

fn short_hash(content: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, content.as_bytes());
    digest.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| format!("/static/kereru.css?v={}", short_hash(STYLESHEET)));
static SCRIPT_URL: LazyLock<String> = LazyLock::new(|| format!("/static/kereru.js?v={}", short_hash(SCRIPT)));

pub fn stylesheet_url() -> &'static str {
    &STYLESHEET_URL
}

pub fn script_url() -> &'static str {
    &SCRIPT_URL
}

/// `GET /static/{name}`
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "kereru.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "kereru.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file"),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}
