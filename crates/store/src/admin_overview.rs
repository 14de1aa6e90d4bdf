//! The figures on the administration dashboard (`/admin`): what waits for a
//! tenant's staff, and how big the tenant is.

use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::{reports, users};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// Reports nobody has resolved yet.
    pub open_reports: i64,
    /// Sign-ups waiting for approval.
    pub pending_sign_ups: i64,
    /// The tenant's logins (people with an account here).
    pub accounts: i64,
}

pub async fn overview(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Overview, StoreError> {
    let open_reports: i64 = reports::table
        .filter(reports::domain_id.eq(tenant.0))
        .filter(reports::action_taken_at.is_null())
        .count()
        .get_result(conn)
        .await?;
    let pending_sign_ups: i64 = users::table
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::approved.eq(false))
        .count()
        .get_result(conn)
        .await?;
    let accounts: i64 = users::table.filter(users::domain_id.eq(tenant.0)).count().get_result(conn).await?;
    Ok(Overview { open_reports, pending_sign_ups, accounts })
}
