//! Quotas: the limits of a tenant's plan ([`crate::plans`]) checked where
//! the limited thing is written, in the writer's transaction and without an
//! extra round trip where it is hot (posts, media bytes: one conditional
//! upsert that refuses past the limit). No plan, or a NULL limit: unlimited.

use crate::error::StoreError;
use crate::ids::DomainId;
use diesel::sql_types::{BigInt, Nullable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::fmt;

/// A limit a plan sets; its name is what the API's 422 carries as `quota`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Accounts,
    MediaStorageBytes,
    PostsPerDay,
    RemoteFollows,
    CustomEmoji,
}

impl Quota {
    pub const ALL: [Quota; 5] =
        [Quota::Accounts, Quota::MediaStorageBytes, Quota::PostsPerDay, Quota::RemoteFollows, Quota::CustomEmoji];

    /// The name clients see, and the plan's column holding its limit.
    pub fn as_str(self) -> &'static str {
        match self {
            Quota::Accounts => "max_accounts",
            Quota::MediaStorageBytes => "media_storage_bytes",
            Quota::PostsPerDay => "posts_per_day",
            Quota::RemoteFollows => "remote_follows",
            Quota::CustomEmoji => "custom_emoji",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Quota::Accounts => "accounts",
            Quota::MediaStorageBytes => "bytes of stored media",
            Quota::PostsPerDay => "posts a day",
            Quota::RemoteFollows => "follows of accounts on other servers",
            Quota::CustomEmoji => "custom emoji",
        }
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A write refused because the tenant's plan allows no more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("This server's plan allows at most {limit} {}; quota {quota} is used up", quota.what())]
pub struct QuotaExceeded {
    pub quota: Quota,
    pub limit: i64,
}

/// SQL: the limit `quota` of tenant `$1`'s plan (NULL: none).
fn limit_sql(quota: Quota) -> String {
    format!(
        "(SELECT p.{} FROM domain_plans dp JOIN plans p ON p.id = dp.plan_id WHERE dp.domain_id = $1)",
        quota.as_str()
    )
}

#[derive(diesel::QueryableByName)]
struct Limit {
    #[diesel(sql_type = Nullable<BigInt>)]
    limit: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// The limit `quota` of `domain`'s plan, `None` when unlimited.
pub async fn limit(conn: &mut AsyncPgConnection, domain: DomainId, quota: Quota) -> Result<Option<i64>, StoreError> {
    let row: Limit = diesel::sql_query(format!("SELECT {} AS limit", limit_sql(quota)))
        .bind::<BigInt, _>(domain.0)
        .get_result(conn)
        .await?;
    Ok(row.limit)
}

/// Like [`limit`], locking the tenant's plan row until the transaction ends,
/// so that counting and then inserting cannot race another writer.
async fn limit_locked(conn: &mut AsyncPgConnection, domain: DomainId, quota: Quota) -> Result<Option<i64>, StoreError> {
    let rows: Vec<Limit> = diesel::sql_query(format!(
        "SELECT p.{} AS limit FROM domain_plans dp JOIN plans p ON p.id = dp.plan_id
         WHERE dp.domain_id = $1 FOR UPDATE OF dp",
        quota.as_str()
    ))
    .bind::<BigInt, _>(domain.0)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().and_then(|r| r.limit))
}

/// Counts one more local post today (UTC) for `domain`, or refuses when the
/// plan's posts_per_day are used up. Run it inside the posting transaction:
/// one statement, and a refused or rolled-back post counts nothing.
pub async fn count_post(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<(), StoreError> {
    let limit = limit_sql(Quota::PostsPerDay);
    let rows: Vec<Count> = diesel::sql_query(format!(
        "INSERT INTO tenant_post_counts (domain_id, day, posts)
         SELECT $1, (now() AT TIME ZONE 'UTC')::date, 1 WHERE coalesce({limit} >= 1, true)
         ON CONFLICT (domain_id, day) DO UPDATE SET posts = tenant_post_counts.posts + 1
         WHERE coalesce(tenant_post_counts.posts < {limit}, true)
         RETURNING posts AS count"
    ))
    .bind::<BigInt, _>(domain.0)
    .load(conn)
    .await?;
    if rows.is_empty() { Err(exceeded(conn, domain, Quota::PostsPerDay).await) } else { Ok(()) }
}

/// Counts `bytes` more of stored media for `domain`, or refuses when that
/// would pass the plan's media_storage_bytes. Deleting an attachment row
/// gives them back (a trigger, so cascades do too).
pub async fn reserve_storage(conn: &mut AsyncPgConnection, domain: DomainId, bytes: i64) -> Result<(), StoreError> {
    let limit = limit_sql(Quota::MediaStorageBytes);
    let rows: Vec<Count> = diesel::sql_query(format!(
        "INSERT INTO tenant_storage (domain_id, bytes)
         SELECT $1, $2 WHERE coalesce($2 <= {limit}, true)
         ON CONFLICT (domain_id) DO UPDATE SET bytes = tenant_storage.bytes + EXCLUDED.bytes
         WHERE coalesce(tenant_storage.bytes + EXCLUDED.bytes <= {limit}, true)
         RETURNING bytes AS count"
    ))
    .bind::<BigInt, _>(domain.0)
    .bind::<BigInt, _>(bytes.max(0))
    .load(conn)
    .await?;
    if rows.is_empty() { Err(exceeded(conn, domain, Quota::MediaStorageBytes).await) } else { Ok(()) }
}

/// Which profile image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileImageKind {
    Avatar,
    Header,
}

#[derive(diesel::QueryableByName)]
struct OldImage {
    #[diesel(sql_type = BigInt)]
    domain_id: i64,
    #[diesel(sql_type = BigInt)]
    old: i64,
}

/// Records that local `account`'s avatar or header now takes `bytes` (0:
/// removed): the difference from the image it replaces is counted for its
/// tenant, refused past media_storage_bytes when it grows. Run it in the
/// transaction that sets the image.
pub async fn set_profile_image(
    conn: &mut AsyncPgConnection,
    account: crate::ids::AccountId,
    kind: ProfileImageKind,
    bytes: i64,
) -> Result<(), StoreError> {
    let column = match kind {
        ProfileImageKind::Avatar => "avatar",
        ProfileImageKind::Header => "header",
    };
    // The account's row, made if missing, then locked: two changes of one image count one after the other.
    diesel::sql_query(
        "INSERT INTO profile_image_bytes (account_id, domain_id)
         SELECT id, domain_id FROM accounts WHERE id = $1 AND domain_id IS NOT NULL
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind::<BigInt, _>(account.0)
    .execute(conn)
    .await?;
    let rows: Vec<OldImage> = diesel::sql_query(format!(
        "SELECT domain_id, {column} AS old FROM profile_image_bytes WHERE account_id = $1 FOR UPDATE"
    ))
    .bind::<BigInt, _>(account.0)
    .load(conn)
    .await?;
    let Some(row) = rows.into_iter().next() else { return Ok(()) };
    let (domain, bytes) = (DomainId(row.domain_id), bytes.max(0));
    let grows = bytes - row.old;
    if grows > 0 {
        reserve_storage(conn, domain, grows).await?;
    } else if grows < 0 {
        diesel::sql_query("UPDATE tenant_storage SET bytes = greatest(bytes + $2, 0) WHERE domain_id = $1")
            .bind::<BigInt, _>(domain.0)
            .bind::<BigInt, _>(grows)
            .execute(conn)
            .await?;
    }
    diesel::sql_query(format!("UPDATE profile_image_bytes SET {column} = $2 WHERE account_id = $1"))
        .bind::<BigInt, _>(account.0)
        .bind::<BigInt, _>(bytes)
        .execute(conn)
        .await?;
    Ok(())
}

/// Refuses a new account on `domain` when its plan's max_accounts are taken
/// (logins counted). Call inside the creating transaction: it locks the
/// tenant's plan row, so concurrent sign-ups are counted one after another.
pub async fn check_accounts(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<(), StoreError> {
    let Some(limit) = limit_locked(conn, domain, Quota::Accounts).await? else { return Ok(()) };
    let used: Count = diesel::sql_query("SELECT count(*) AS count FROM users WHERE domain_id = $1")
        .bind::<BigInt, _>(domain.0)
        .get_result(conn)
        .await?;
    if used.count >= limit { Err(QuotaExceeded { quota: Quota::Accounts, limit }.into()) } else { Ok(()) }
}

/// Refuses one more follow of a remote account by `domain`'s people when the
/// plan's remote_follows are taken (follows and requests counted). Call
/// inside the following transaction (it locks the tenant's plan row).
pub async fn check_remote_follows(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<(), StoreError> {
    let Some(limit) = limit_locked(conn, domain, Quota::RemoteFollows).await? else { return Ok(()) };
    let used = remote_follows(conn, domain).await?;
    if used >= limit { Err(QuotaExceeded { quota: Quota::RemoteFollows, limit }.into()) } else { Ok(()) }
}

/// How many accounts on other servers `domain`'s people follow or asked to.
pub async fn remote_follows(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<i64, StoreError> {
    let used: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM follows f
         JOIN accounts a ON a.id = f.account_id
         JOIN accounts t ON t.id = f.target_account_id
         WHERE a.domain_id = $1 AND t.domain_id IS NULL",
    )
    .bind::<BigInt, _>(domain.0)
    .get_result(conn)
    .await?;
    Ok(used.count)
}

/// The refusal for `quota`, naming the limit (read again: the refusing statement returned nothing).
async fn exceeded(conn: &mut AsyncPgConnection, domain: DomainId, quota: Quota) -> StoreError {
    match limit(conn, domain, quota).await {
        Ok(limit) => QuotaExceeded { quota, limit: limit.unwrap_or(0) }.into(),
        Err(error) => error,
    }
}
