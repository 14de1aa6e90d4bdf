//! `POST /admin/settings/federation`: a tenant's admin switches limited
//! federation on or off (`service::limited_federation::set`, with its audit
//! row). The switch is a section of `/admin/settings` (`general`).

use super::label;
use crate::pages::admin::StaffPage;
use crate::pages::csrf::CsrfForm;
use crate::pages::{PageError, see_other};
use crate::staff::Administer;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::limited_federation::{Switcher, set};

#[derive(serde::Deserialize)]
pub struct FederationForm {
    /// A checkbox: present when ticked.
    #[serde(default)]
    limited_federation: Option<String>,
}

/// `POST /admin/settings/federation`
pub async fn save(
    state: web::Data<AppState>,
    tenant: Tenant,
    page: StaffPage<Administer>,
    CsrfForm(form): CsrfForm<FederationForm>,
) -> Result<HttpResponse, PageError> {
    let label = label(&tenant, &page);
    let mut conn = state.pool.get().await?;
    let by = Switcher::Admin { account: page.me.account.id, label: &label };
    set(&mut conn, tenant.id, tenant.account_host.as_ref(), by, form.limited_federation.is_some()).await?;
    Ok(see_other("/admin/settings?done=federation"))
}
