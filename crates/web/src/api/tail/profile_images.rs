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
    let (updated, old_file) = kereru_service::profiles::remove_image(&mut conn, &me.actor(), kind).await?;
    if let Some(name) = old_file {
        let dir = kereru_media::tenant_dir(&state.settings.media_dir, me.tenant.id.0);
        kereru_media::files::remove_files(dir, vec![name]).await;
    }
    let body = crate::api::accounts::credential_account_of(&mut conn, &me.tenant, &updated).await?;
    Ok(HttpResponse::Ok().json(body))
}
