//! Finding people: account search limited to whom the viewer follows
//! (`/api/v1/accounts/search?following=true`), and familiar followers.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Accounts `viewer` follows (accepted) that `tenant` sees, whose username or
/// display name contains `text`, by username.
pub async fn search_followed(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    viewer: AccountId,
    text: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT a.id FROM accounts a \
           JOIN follows f ON f.target_account_id = a.id AND f.account_id = $2 AND f.state = 'accepted' \
          WHERE (a.domain_id = $1 OR a.id IN (SELECT k.account_id FROM known_accounts k WHERE k.domain_id = $1)) \
            AND (a.username ILIKE $3 OR a.display_name ILIKE $3) \
            AND NOT EXISTS (SELECT 1 FROM account_moderation m WHERE m.domain_id = $1 AND m.account_id = a.id \
                  AND m.suspended_at IS NOT NULL) \
          ORDER BY a.username ASC OFFSET $4 LIMIT $5",
    )
    .bind::<BigInt, _>(tenant.0)
    .bind::<BigInt, _>(viewer.0)
    .bind::<Text, _>(crate::statuses::contains_pattern(text))
    .bind::<BigInt, _>(offset)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Accounts `viewer` follows that follow `target` (both accepted), leaving out
/// those who hide their collections, as Mastodon's familiar followers.
pub async fn familiar_followers(
    conn: &mut AsyncPgConnection,
    viewer: AccountId,
    target: AccountId,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT a.id FROM follows mine \
           JOIN follows theirs ON theirs.account_id = mine.target_account_id \
                AND theirs.target_account_id = $2 AND theirs.state = 'accepted' \
           JOIN accounts a ON a.id = mine.target_account_id \
          WHERE mine.account_id = $1 AND mine.state = 'accepted' AND NOT a.hide_collections \
          ORDER BY theirs.id DESC LIMIT 40",
    )
    .bind::<BigInt, _>(viewer.0)
    .bind::<BigInt, _>(target.0)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
