//! A person's own domain blocks (`/api/v1/domain_blocks`): hosts whose
//! accounts they no longer see in timelines and notifications. The feed
//! queries in [`crate::statuses`] and [`crate::notifications`] read this table.

use crate::error::StoreError;
use crate::ids::{AccountId, next_id};
use crate::page::Page;
use crate::relationships::{finish_page, page_filter};
use crate::schema::account_domain_blocks;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Blocks `host` for `account`; whether it is new.
pub async fn add(conn: &mut AsyncPgConnection, account: AccountId, host: &str) -> Result<bool, StoreError> {
    let n = diesel::insert_into(account_domain_blocks::table)
        .values((
            account_domain_blocks::id.eq(next_id()),
            account_domain_blocks::account_id.eq(account.0),
            account_domain_blocks::host.eq(host),
        ))
        .on_conflict((account_domain_blocks::account_id, account_domain_blocks::host))
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Unblocks `host` for `account`; whether it was blocked.
pub async fn remove(conn: &mut AsyncPgConnection, account: AccountId, host: &str) -> Result<bool, StoreError> {
    let n = diesel::delete(
        account_domain_blocks::table
            .filter(account_domain_blocks::account_id.eq(account.0))
            .filter(account_domain_blocks::host.eq(host)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// (block id, host) of `account`'s domain blocks, newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    page: Page,
) -> Result<Vec<(i64, String)>, StoreError> {
    let query = account_domain_blocks::table
        .filter(account_domain_blocks::account_id.eq(account.0))
        .select((account_domain_blocks::id, account_domain_blocks::host))
        .into_boxed();
    let query = page_filter!(query, account_domain_blocks::id, page);
    let rows: Vec<(i64, String)> = query.limit(page.limit).load(conn).await?;
    Ok(finish_page(rows, page))
}

/// Whether `account` blocks `host`.
pub async fn blocks(conn: &mut AsyncPgConnection, account: AccountId, host: &str) -> Result<bool, StoreError> {
    let n: i64 = account_domain_blocks::table
        .filter(account_domain_blocks::account_id.eq(account.0))
        .filter(account_domain_blocks::host.eq(host))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// Accounts on `host` (another server, or another tenant here) that follow
/// (or asked to follow) `account`.
pub async fn followers_on(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    host: &str,
) -> Result<Vec<AccountId>, StoreError> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let sql = format!(
        "SELECT f.account_id AS id FROM follows f JOIN accounts aa ON aa.id = f.account_id \
         WHERE f.target_account_id = $1 AND {} = $2",
        host_sql("aa")
    );
    let rows: Vec<Row> = diesel::sql_query(sql).bind::<BigInt, _>(account.0).bind::<Text, _>(host).load(conn).await?;
    Ok(rows.into_iter().map(|r| AccountId(r.id)).collect())
}

/// SQL: the host of account `{a}` (an accounts alias): a remote account's
/// server, or the account host of a tenant on this deployment (whose people
/// are "another server" to the other tenants' people).
pub(crate) fn host_sql(a: &str) -> String {
    format!(
        "(CASE WHEN {a}.domain_id IS NULL THEN {a}.remote_host \
           ELSE (SELECT dh.account_host FROM domains dh WHERE dh.id = {a}.domain_id) END)"
    )
}

/// SQL condition: account `{account}` (an id expression) is not on a host the
/// viewer (`{viewer}`) blocks.
pub(crate) fn account_not_blocked_sql(account: &str, viewer: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM account_domain_blocks adb JOIN accounts aa ON aa.id = {account} \
           WHERE adb.account_id = {viewer} AND adb.host = {})",
        host_sql("aa")
    )
}

/// SQL condition: the author of `{s}` (a statuses alias) is not on a host
/// the viewer (`$viewer`) blocks.
pub(crate) fn not_blocked_sql(s: &str, viewer: &str) -> String {
    account_not_blocked_sql(&format!("{s}.account_id"), viewer)
}
