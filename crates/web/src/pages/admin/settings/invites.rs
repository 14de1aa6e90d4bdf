//! `/admin/invites`: every invite of the tenant, whoever made it; an admin
//! may revoke any of them. (People make their own at `/invites`.)

use super::{Done, Nothing, admin, label};
use crate::pages::admin::StaffPage;
use crate::pages::csrf::CsrfForm;
use crate::pages::{Page, PageError, see_other};
use crate::staff::Administer;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::tenant_admin;
use kereru_store::invites;

#[derive(serde::Serialize)]
struct Row {
    id: String,
    url: String,
    creator: String,
    uses: String,
    expires: String,
    valid: bool,
}

/// `GET /admin/invites`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let users_may_invite = invites::users_may_invite(&mut conn, tenant.id).await?;
    let now = chrono::Utc::now();
    let rows: Vec<Row> = invites::list_all(&mut conn, tenant.id)
        .await?
        .into_iter()
        .map(|(invite, creator)| Row {
            id: invite.id.to_string(),
            url: format!("{}/invite/{}", tenant.urls.base(), invite.code),
            creator: tenant.urls.handle(&creator),
            uses: match invite.max_uses {
                Some(max) => format!("{} of {max}", invite.uses),
                None => format!("{} (no limit)", invite.uses),
            },
            expires: match invite.expires_at {
                Some(at) if at <= now => "Expired".into(),
                Some(at) => at.format("%-d %b %Y, %H:%M UTC").to_string(),
                None => "Never".into(),
            },
            valid: invite.valid_at(now),
        })
        .collect();
    drop(conn);
    let notice = query.done.as_ref().map(|_| "The invite is revoked: nobody can use it any more.");
    Page::new("admin/invites.html", &tenant, &page.me.viewer)
        .insert("nav", "admin")
        .insert("section", "invites")
        .insert("staff", &page.nav())
        .insert("invites", &rows)
        .insert("users_may_invite", &users_may_invite)
        .insert("notice", &notice)
        .render(&state)
}

/// `POST /admin/invites/{id}/revoke`
pub async fn revoke(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    tenant_admin::revoke_invite(&mut conn, admin(&tenant, &page, &label), path.into_inner()).await?;
    Ok(see_other("/admin/invites?done=revoked"))
}
