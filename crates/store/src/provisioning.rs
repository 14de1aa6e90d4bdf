//! What the provisioning API keeps about a tenant beside its `domains` row:
//! the plan it is on (a name, as given) and, when deleted through the API,
//! until when it can be restored (table `tenant_provisioning`, one row per
//! tenant at most; no row = no plan, not marked).

use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::tenant_provisioning;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioning {
    pub plan: Option<String>,
    /// Set while the tenant is deleted: its data goes after this time.
    pub delete_after: Option<DateTime<Utc>>,
    /// The state (`active`, `pending`, `suspended`) a restore returns to.
    pub state_before_delete: Option<String>,
}

type Row = (i64, Option<String>, Option<DateTime<Utc>>, Option<String>);

fn columns() -> (
    tenant_provisioning::domain_id,
    tenant_provisioning::plan,
    tenant_provisioning::delete_after,
    tenant_provisioning::state_before_delete,
) {
    (
        tenant_provisioning::domain_id,
        tenant_provisioning::plan,
        tenant_provisioning::delete_after,
        tenant_provisioning::state_before_delete,
    )
}

fn from_row((_, plan, delete_after, state_before_delete): Row) -> Provisioning {
    Provisioning { plan, delete_after, state_before_delete }
}

/// The tenant's provisioning facts (defaults when it has no row).
pub async fn get(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Provisioning, StoreError> {
    let row: Option<Row> = tenant_provisioning::table.find(domain.0).select(columns()).first(conn).await.optional()?;
    Ok(row.map(from_row).unwrap_or_default())
}

/// The facts of several tenants at once, by tenant id (tenants without a row are absent).
pub async fn many(
    conn: &mut AsyncPgConnection,
    domains: &[DomainId],
) -> Result<std::collections::HashMap<DomainId, Provisioning>, StoreError> {
    let ids: Vec<i64> = domains.iter().map(|d| d.0).collect();
    let rows: Vec<Row> = tenant_provisioning::table
        .filter(tenant_provisioning::domain_id.eq_any(ids))
        .select(columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|row| (DomainId(row.0), from_row(row))).collect())
}

/// Sets (or, with `None`, clears) the tenant's plan.
pub async fn set_plan(conn: &mut AsyncPgConnection, domain: DomainId, plan: Option<&str>) -> Result<(), StoreError> {
    diesel::insert_into(tenant_provisioning::table)
        .values((tenant_provisioning::domain_id.eq(domain.0), tenant_provisioning::plan.eq(plan)))
        .on_conflict(tenant_provisioning::domain_id)
        .do_update()
        .set((tenant_provisioning::plan.eq(plan), tenant_provisioning::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the tenant deleted until `delete_after`, remembering the state to restore.
pub async fn mark_deleted(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    delete_after: DateTime<Utc>,
    state_before: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(tenant_provisioning::table)
        .values((
            tenant_provisioning::domain_id.eq(domain.0),
            tenant_provisioning::delete_after.eq(delete_after),
            tenant_provisioning::state_before_delete.eq(state_before),
        ))
        .on_conflict(tenant_provisioning::domain_id)
        .do_update()
        .set((
            tenant_provisioning::delete_after.eq(delete_after),
            tenant_provisioning::state_before_delete.eq(state_before),
            tenant_provisioning::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the deletion mark off (read [`deletion_of`] first for the state to go back to).
pub async fn unmark_deleted(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<bool, StoreError> {
    let changed = diesel::update(
        tenant_provisioning::table
            .filter(tenant_provisioning::domain_id.eq(domain.0))
            .filter(tenant_provisioning::delete_after.is_not_null()),
    )
    .set((
        tenant_provisioning::delete_after.eq(None::<DateTime<Utc>>),
        tenant_provisioning::state_before_delete.eq(None::<String>),
        tenant_provisioning::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// When a marked tenant goes and the state it had, locking the row for the caller's transaction.
pub async fn deletion_of(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
) -> Result<Option<(DateTime<Utc>, Option<String>)>, StoreError> {
    let row: Option<(Option<DateTime<Utc>>, Option<String>)> = tenant_provisioning::table
        .find(domain.0)
        .select((tenant_provisioning::delete_after, tenant_provisioning::state_before_delete))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(row.and_then(|(after, state)| after.map(|after| (after, state))))
}

/// Up to `limit` tenants whose grace period ended before `now`, locked and skipped by other purgers.
pub async fn due_for_purge(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DomainId>, StoreError> {
    let ids: Vec<i64> = tenant_provisioning::table
        .filter(tenant_provisioning::delete_after.le(now))
        .select(tenant_provisioning::domain_id)
        .order(tenant_provisioning::delete_after.asc())
        .limit(limit)
        .for_update()
        .skip_locked()
        .load(conn)
        .await?;
    Ok(ids.into_iter().map(DomainId).collect())
}
