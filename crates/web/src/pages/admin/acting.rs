//! Which tenant a moderation page acts on. The report and account pages are
//! one set of handlers and templates reached two ways: `/admin/reports/...`
//! and `/admin/accounts/...` act on the tenant the page is asked on (its
//! moderators and admins), `/admin/host/tenants/{domain_id}/reports/...` and
//! `.../accounts/...` on the tenant named in the path (host admins only,
//! signed in on any tenant: web sessions are per host). [`AdminOn`] tells
//! the handler which, and where the pages' links lead.

use super::StaffPage;
use super::session_staff;
use crate::error::{WebError, not_found};
use crate::pages::PageError;
use crate::staff::Reach;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use kereru_service::staff::Need;
use kereru_store::DomainId;
use kereru_store::domains;
use serde_json::{Value, json};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

/// The path segment naming the tenant on the host admin's routes.
pub const DOMAIN_ID: &str = "domain_id";

/// A staff member on a moderation page: who (`page`, checked against `R` on
/// their own tenant, or against host admin on the host routes), the tenant
/// acted on (`on`) and the path its pages start with (`base`).
pub struct AdminOn<R> {
    pub page: StaffPage<R>,
    /// The tenant whose reports and accounts the page shows and changes.
    pub on: Tenant,
    /// `/admin`, or `/admin/host/tenants/{domain_id}` for a host admin.
    pub base: String,
    /// A host admin acting on a tenant through the host routes.
    pub across: bool,
}

impl<R> AdminOn<R> {
    /// The templates' `on` context: where links lead and what the banner says.
    pub fn context(&self) -> Value {
        json!({
            "base": self.base,
            "across": self.across,
            "host": self.on.account_host.to_string(),
            "name": self.on.name,
            "link_base": self.link_base(),
        })
    }

    /// What the tenant's own paths (`/@name`) need in front to lead to that
    /// tenant from the page's host: nothing on its own pages, its URL across.
    pub fn link_base(&self) -> String {
        if self.across { self.on.urls.base() } else { String::new() }
    }

    /// A path under this page's base: `self.path("/reports/3")`.
    pub fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.base)
    }
}

impl<R: Reach + 'static> FromRequest for AdminOn<R> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let here = Tenant::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let domain_id = req.match_info().get(DOMAIN_ID).map(str::to_string);
        // The host routes need a host admin, whatever the page needs on a tenant.
        let need = if domain_id.is_some() { Need::HostAdmin } else { R::NEED };
        let page = session_staff(req, payload, need);
        Box::pin(async move {
            let here = here.into_inner()?;
            let (me, staff) = page.await?;
            let page = StaffPage { me, staff, reach: PhantomData };
            let Some(raw) = domain_id else {
                return Ok(AdminOn { page, on: here, base: "/admin".into(), across: false });
            };
            let id = crate::extract::parse_id(&raw)?;
            let state = state.ok_or_else(|| WebError::Internal("no state".into()))?;
            let mut conn = state.pool.get().await.map_err(WebError::from)?;
            let domain = match domains::get(&mut conn, DomainId(id)).await {
                Ok(domain) => domain,
                Err(domains::DomainError::NotFound(_)) => return Err(not_found().into()),
                Err(other) => return Err(PageError::Web(other.into())),
            };
            let urls = domain.urls(state.settings.public_scheme);
            let on = Tenant { requested_host: domain.account_host.clone(), domain, urls };
            Ok(AdminOn { page, on, base: format!("/admin/host/tenants/{id}"), across: true })
        })
    }
}
