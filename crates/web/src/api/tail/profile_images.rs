//! `DELETE /api/v1/profile/avatar` and `/header`: the image goes (its file
//! too, once the change committed) and other servers hear of the profile's
//! Update, as `update_credentials` sends it. Answers the CredentialAccount.

use crate::error::WebError;
use crate::extract::{User, scope};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_media::ProfileImage;

pub async fn delete_avatar(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
) -> Result<HttpResponse, WebError> {
    remove(state, me, ProfileImage::Avatar).await
}

pub async fn delete_header(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
) -> Result<HttpResponse, WebError> {
    remove(state, me, ProfileImage::Header).await
}

async fn remove(
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    kind: ProfileImage,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    // The old file is queued for removal by the database in the same transaction
    // (`media_file_removals`, migration 000504), whichever store holds it.
    let (updated, _old_file) = kereru_service::profiles::remove_image(&mut conn, &me.actor(), kind).await?;
    let body = crate::api::accounts::credential_account_of(&mut conn, &me.tenant, &updated).await?;
    Ok(HttpResponse::Ok().json(body))
}
