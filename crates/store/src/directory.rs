//! The profile directory (`/api/v1/directory`): discoverable accounts a tenant
//! shows, its own or all it knows, most recently active or newest first.

use crate::error::StoreError;
use crate::ids::DomainId;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By the latest status, accounts that never posted last.
    Active,
    /// Newest accounts first.
    New,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Ids of discoverable accounts `tenant` lists: its own approved people (and,
/// unless `local_only`, the remote and other-tenant accounts it knows), none
/// suspended here or moved.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    local_only: bool,
    order: Order,
    offset: i64,
    limit: i64,
) -> Result<Vec<i64>, StoreError> {
    let order_by = match order {
        Order::Active => {
            "(SELECT max(s.created_at) FROM statuses s WHERE s.account_id = a.id) DESC NULLS LAST, a.id DESC"
        }
        Order::New => "a.created_at DESC, a.id DESC",
    };
    let sql = format!(
        "SELECT a.id FROM accounts a \
          WHERE a.discoverable AND a.moved_to_uri IS NULL \
            AND ((a.domain_id = $1 AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = a.id \
                    AND u.approved AND NOT u.disabled)) \
              OR (NOT $2 AND a.id IN (SELECT k.account_id FROM known_accounts k WHERE k.domain_id = $1))) \
            AND NOT EXISTS (SELECT 1 FROM account_moderation m WHERE m.domain_id = $1 AND m.account_id = a.id \
                    AND m.suspended_at IS NOT NULL) \
          ORDER BY {order_by} OFFSET $3 LIMIT $4"
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<Bool, _>(local_only)
        .bind::<BigInt, _>(offset)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
