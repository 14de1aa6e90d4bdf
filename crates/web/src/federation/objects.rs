//! Local statuses by their ids: ActivityPub JSON for servers (a Note, or
//! the Create/Announce at `.../activity`), an HTML page for people. What is
//! not public is shown only to a signed fetch by an actor allowed to see it.

use super::{SignedRequest, context};
use crate::error::{WebError, not_found};
use crate::extract::parse_id;
use crate::negotiate::{ACTIVITY_JSON, wants_activity_json};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::activitypub as ap;
use kereru_service::federation::{outbound, signing, verify};
use kereru_store::PgConn;
use kereru_store::accounts::{self, Account};
use kereru_store::ids::{AccountId, StatusId};
use kereru_store::statuses::{self, Status};

/// The remote actor that signed the request, if it is signed and verifies.
pub(crate) async fn signed_viewer(req: &HttpRequest, state: &AppState, tenant: &Tenant) -> Option<AccountId> {
    let authority = tenant.requested_host.to_string();
    let request = SignedRequest::new(req, state, &authority);
    if !request.is_signed() {
        return None;
    }
    let headers = request.header_refs();
    let parts = request.parts(&headers, &[]);
    let signer = {
        let mut conn = state.pool.get().await.ok()?;
        signing::tenant_signer(&mut conn, &tenant.domain, state.settings.public_scheme).await.ok().flatten()
    };
    match verify::signer_of(&state.pool, &state.fetcher, &state.key_fetches, signer.as_ref(), &tenant.domain, &parts)
        .await
    {
        Ok(account) => Some(account.id),
        Err(error) => {
            tracing::info!(path = req.path(), "a signed fetch did not verify: {error}");
            None
        }
    }
}

/// The author's status `id` as `viewer` may see it.
async fn load(
    conn: &mut PgConn,
    tenant: &Tenant,
    username: &str,
    id: &str,
    viewer: Option<AccountId>,
) -> Result<(Account, Status), WebError> {
    let author = accounts::find_local(conn, tenant.id, username).await?.ok_or_else(not_found)?;
    let id = StatusId(parse_id(id)?);
    let status = statuses::visible_one(conn, tenant.id, viewer, id).await?.ok_or_else(not_found)?;
    if status.account_id != author.id || status.domain_id != Some(tenant.id) {
        return Err(not_found());
    }
    Ok((author, status))
}

fn activity_json(document: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type(ACTIVITY_JSON).insert_header(("Vary", "Accept")).body(document.to_string())
}

async fn note(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    id: &str,
) -> Result<HttpResponse, WebError> {
    // Verified before a connection is taken: verifying may wait on the signer's server.
    let viewer = signed_viewer(req, state, tenant).await;
    let mut conn = state.pool.get().await?;
    let (_, status) = load(&mut conn, tenant, username, id, viewer).await?;
    if status.reblog_of_id.is_some() {
        return Err(not_found());
    }
    let (mut note, _) = outbound::note_of(&mut conn, context(state).scheme, &status).await?;
    note["@context"] = ap::context();
    Ok(activity_json(&note))
}

/// `GET /users/{name}/statuses/{id}` and `GET /@{name}/{id}` (the page people follow links to).
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (username, id) = path.into_inner();
    if !wants_activity_json(&req) {
        // People get the post's page, with the thread, as the session's person may see it.
        return crate::pages::post::page(&req, &state, &tenant, &username, &id)
            .await
            .unwrap_or_else(|error| actix_web::ResponseError::error_response(&error));
    }
    note(&req, &state, &tenant, &username, &id).await.unwrap_or_else(|error| error.respond_to(&req))
}

/// `GET /users/{name}/statuses/{id}/activity`: the Create of a status, or the Announce of a boost.
pub async fn activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (username, id) = path.into_inner();
    let result = async {
        let viewer = signed_viewer(&req, &state, &tenant).await;
        let mut conn = state.pool.get().await?;
        let (_, status) = load(&mut conn, &tenant, &username, &id, viewer).await?;
        let scheme = context(&state).scheme;
        let document = outbound::activity_of(&mut conn, scheme, &status).await?;
        Ok::<_, WebError>(activity_json(&document))
    }
    .await;
    result.unwrap_or_else(|error| error.respond_to(&req))
}
