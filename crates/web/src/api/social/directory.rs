//! `GET /api/v1/directory` (`offset`, `limit`, `order` active|new, `local`): discoverable profiles.

use super::{account_limit, offset};
use crate::api::render::Renderer;
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::directory::{self, Order};

pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let order = match params.str("order") {
        None | Some("active") => Order::Active,
        Some("new") => Order::New,
        Some(_) => return Err(WebError::Unprocessable("order must be active or new".into())),
    };
    let local = params.bool("local").unwrap_or(false);
    let mut conn = state.pool.get().await?;
    let ids = directory::list(&mut conn, tenant.id, local, order, offset(&params), account_limit(&params)).await?;
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, auth.viewer()).accounts_by_id(&mut conn, &ids).await?))
}
