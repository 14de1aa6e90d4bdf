//! The social parts of the client API (issue 15): several accounts at once,
//! account search, endorsements, notes, familiar followers, suggestions, the
//! directory, conversations and muted threads.

pub mod account_notes;
pub mod accounts;
pub mod conversations;
pub mod directory;
pub mod endorsements;
pub mod suggestions;

use crate::error::{WebError, not_found};
use actix_web::{HttpResponse, web};
use kereru_store::{AccountId, PgConn, relationships};

/// Registered before `api::routes`' `/api/v1/accounts/{id}` and
/// `/api/v1/accounts/{id}/{action}`, which would take these paths.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/accounts", web::get().to(accounts::index))
        .route("/api/v1/accounts/search", web::get().to(accounts::search))
        .route("/api/v1/accounts/familiar_followers", web::get().to(accounts::familiar_followers))
        .route("/api/v1/accounts/{id}/pin", web::post().to(endorsements::endorse))
        .route("/api/v1/accounts/{id}/endorse", web::post().to(endorsements::endorse))
        .route("/api/v1/accounts/{id}/unpin", web::post().to(endorsements::unendorse))
        .route("/api/v1/accounts/{id}/unendorse", web::post().to(endorsements::unendorse))
        .route("/api/v1/accounts/{id}/endorsements", web::get().to(endorsements::of_account))
        .route("/api/v1/accounts/{id}/note", web::post().to(account_notes::set))
        .route("/api/v1/endorsements", web::get().to(endorsements::mine))
        .route("/api/v1/suggestions", web::get().to(suggestions::v1))
        .route("/api/v2/suggestions", web::get().to(suggestions::v2))
        .route("/api/v1/suggestions/{id}", web::delete().to(suggestions::dismiss))
        .route("/api/v1/directory", web::get().to(directory::list))
        .route("/api/v1/conversations", web::get().to(conversations::list))
        .route("/api/v1/conversations/{id}/read", web::post().to(conversations::read))
        .route("/api/v1/conversations/{id}", web::delete().to(conversations::remove));
}

/// The Relationship entity between `viewer` and `target`, as the account actions answer.
async fn relationship_with(conn: &mut PgConn, viewer: AccountId, target: AccountId) -> Result<HttpResponse, WebError> {
    let rel = relationships::relationships(conn, viewer, &[target.0]).await?;
    let rel = rel.first().ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(super::render::relationship(rel)))
}

/// `limit` for lists of accounts: Mastodon's default 40, at most 80.
fn account_limit(params: &crate::params::Params) -> i64 {
    params.str("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(40).clamp(1, 80)
}

fn offset(params: &crate::params::Params) -> i64 {
    params.str("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).clamp(0, 10_000)
}
