//! The administration pages (`/admin/...`): moderators see reports, accounts
//! and the audit log; a tenant's admins its settings and federation; host
//! admins the tenants and the delivery queue. Every page is reached through
//! [`StaffPage`], which refuses a role that does not reach.

pub mod accounts;
pub mod acting;
pub mod blocks;
pub mod host;
pub mod report_edit;
pub mod reports;
pub mod settings;

use super::PageError;
use super::session::Me;
use crate::error::WebError;
use crate::staff::Reach;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use kereru_service::staff;
use kereru_store::roles;
use serde_json::{Value, json};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(accounts::routes)
        .configure(blocks::routes)
        .configure(host::routes)
        .configure(reports::routes)
        .configure(report_edit::routes)
        .configure(settings::routes);
}

/// A signed-in person whose role on this tenant reaches `R`
/// ([`crate::staff::Moderate`], [`crate::staff::Administer`], [`crate::staff::HostAdmin`]);
/// anyone else gets the 403 page (and the sign-in page when signed out).
pub struct StaffPage<R> {
    pub me: Me,
    pub staff: roles::Staff,
    reach: PhantomData<R>,
}

impl<R> StaffPage<R> {
    /// The layout's `staff` context for `admin/nav.html`.
    pub fn nav(&self) -> Value {
        json!({ "role": self.staff.role.as_str(), "host_admin": self.staff.host_admin })
    }
}

impl<R: Reach + 'static> FromRequest for StaffPage<R> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let found = session_staff(req, payload, R::NEED);
        Box::pin(async move {
            let (me, staff) = found.await?;
            Ok(StaffPage { me, staff, reach: PhantomData })
        })
    }
}

/// The signed-in person and their reach on the tenant they signed in on, when it meets `need`.
fn session_staff(
    req: &HttpRequest,
    payload: &mut Payload,
    need: staff::Need,
) -> impl Future<Output = Result<(Me, roles::Staff), PageError>> + 'static {
    let me = Me::from_request(req, payload);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    async move {
        let me = me.await?;
        let state = state.ok_or_else(|| WebError::Internal("no state".into()))?;
        let mut conn = state.pool.get().await.map_err(WebError::from)?;
        let tenant = kereru_store::DomainId(me.session.domain_id);
        let staff = staff::authorize(&mut conn, tenant, me.account.id, need).await?;
        Ok((me, staff))
    }
}
