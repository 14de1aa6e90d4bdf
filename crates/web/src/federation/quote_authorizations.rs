//! `GET /users/{name}/quote_authorizations/{id}`: the FEP-044f
//! QuoteAuthorization by which a local author approved a quote of theirs
//! (`{id}` is the quoting status's id), dereferenceable as Mastodon's are so
//! that third servers can verify a quote. Only a quote that stands accepted
//! has one; anything else is 404 (a revoked one too: that is the point).

use super::context;
use crate::error::{WebError, not_found};
use crate::extract::parse_id;
use crate::negotiate::ACTIVITY_JSON;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::activitypub::quotes as fep;
use kereru_store::accounts;
use kereru_store::ids::StatusId;
use kereru_store::quote_links;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{username}/quote_authorizations/{id}", web::get().to(show));
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (username, id) = path.into_inner();
    let result = async {
        let quoting = StatusId(parse_id(&id)?);
        let mut conn = state.pool.get().await?;
        let author = accounts::find_local(&mut conn, tenant.id, &username).await?.ok_or_else(not_found)?;
        let (interacting, target) =
            quote_links::served_authorization(&mut conn, tenant.id, author.id, quoting).await?.ok_or_else(not_found)?;
        let actor = tenant.domain.urls(context(&state).scheme).actor(&author.username);
        let document =
            fep::quote_authorization(&format!("{actor}/quote_authorizations/{quoting}"), &actor, &interacting, &target);
        Ok::<_, WebError>(HttpResponse::Ok().content_type(ACTIVITY_JSON).body(document.to_string()))
    }
    .await;
    result.unwrap_or_else(|error| error.respond_to(&req))
}
