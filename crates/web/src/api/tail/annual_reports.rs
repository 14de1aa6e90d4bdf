//! Annual reports ("Wrapstodon"), as a Mastodon server answers that
//! generates none: no reports, every year `ineligible`, reading and asking
//! to generate one change nothing.

use crate::extract::{User, scope};
use actix_web::{HttpResponse, web};
use serde_json::json;

fn no_reports() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "annual_reports": [], "accounts": [], "statuses": [] }))
}

/// `GET /api/v1/annual_reports`
pub async fn list(_me: User<scope::ReadAccounts>) -> HttpResponse {
    no_reports()
}

/// `GET /api/v1/annual_reports/{year}`
pub async fn of_year(_me: User<scope::ReadAccounts>, _year: web::Path<u32>) -> HttpResponse {
    no_reports()
}

/// `GET /api/v1/annual_reports/{year}/state`
pub async fn state(_me: User<scope::ReadAccounts>, _year: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "state": "ineligible" }))
}

/// `POST /api/v1/annual_reports/{year}/read`
pub async fn read(_me: User<scope::WriteAccounts>, _year: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({}))
}

/// `POST /api/v1/annual_reports/{year}/generate`: nothing to generate.
pub async fn generate(_me: User<scope::WriteAccounts>, _year: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({}))
}
