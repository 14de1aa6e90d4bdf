//! The figures on the administration dashboard (`/admin`) and the host
//! admin's moderation overview: what waits for a
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

/// One tenant's moderation at a glance, for the host admin's overview.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TenantModeration {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub domain_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub account_host: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub state: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub open_reports: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub pending_sign_ups: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub suspended: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub silenced: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub staff: i64,
}

/// Every tenant's open reports, waiting sign-ups, suspended and silenced
/// accounts and staff, those with the most open reports first. Host-wide
/// on purpose: only the host admin's pages read it.
pub async fn host_wide_moderation(conn: &mut AsyncPgConnection) -> Result<Vec<TenantModeration>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT d.id AS domain_id, d.account_host, d.name, d.state,
            (SELECT count(*) FROM reports r WHERE r.domain_id = d.id AND r.action_taken_at IS NULL) AS open_reports,
            (SELECT count(*) FROM users u WHERE u.domain_id = d.id AND NOT u.approved) AS pending_sign_ups,
            (SELECT count(*) FROM account_moderation m
                WHERE m.domain_id = d.id AND m.suspended_at IS NOT NULL) AS suspended,
            (SELECT count(*) FROM account_moderation m
                WHERE m.domain_id = d.id AND m.silenced_at IS NOT NULL) AS silenced,
            (SELECT count(*) FROM users u WHERE u.domain_id = d.id AND u.role <> 'user') AS staff
         FROM domains d
         ORDER BY open_reports DESC, pending_sign_ups DESC, d.account_host",
    )
    .load(conn)
    .await?)
}

/// An open report on some tenant, as the host admin's overview lists it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct OpenReport {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    /// The tenant whose queue it is in.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub domain_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub tenant_host: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub target_username: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub target_remote_host: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub comment: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub from_remote: bool,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The newest `limit` unresolved reports of every tenant (host admins only).
pub async fn host_wide_open_reports(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<OpenReport>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT r.id, r.domain_id, d.account_host AS tenant_host, t.username AS target_username,
                t.remote_host AS target_remote_host, r.category, r.comment,
                (f.remote_host IS NOT NULL) AS from_remote, r.created_at
         FROM reports r
         JOIN domains d ON d.id = r.domain_id
         JOIN accounts t ON t.id = r.target_account_id
         JOIN accounts f ON f.id = r.account_id
         WHERE r.action_taken_at IS NULL
         ORDER BY r.id DESC
         LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit.clamp(1, 200))
    .load(conn)
    .await?)
}
