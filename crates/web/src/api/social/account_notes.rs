//! `POST /api/v1/accounts/{id}/note` (`comment`): a private note, answered with the Relationship.

use super::relationship_with;
use crate::error::WebError;
use crate::extract::{Id, User, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_service::social::account_notes;

pub async fn set(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    id: Id,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let comment = params.str("comment").unwrap_or("").to_string();
    let mut conn = state.pool.get().await?;
    account_notes::set(&mut conn, &me.actor(), id.account(), &comment).await?;
    relationship_with(&mut conn, me.id(), id.account()).await
}
