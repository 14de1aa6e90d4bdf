//! A person's own domain blocks (`/api/v1/domain_blocks`): hosts whose
//! accounts they no longer see in timelines and notifications. The feed
//! queries in [`crate::statuses`] and [`crate::notifications`] read this table.

use crate::error::StoreError;
use crate::ids::{AccountId, next_id};
use crate::page::Page;
use crate::relationships::{finish_page, page_filter};
use crate::schema::{account_domain_blocks, accounts, follows};
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

/// Accounts on `host` that follow (or asked to follow) `account`.
pub async fn followers_on(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    host: &str,
) -> Result<Vec<AccountId>, StoreError> {
    let ids: Vec<i64> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(account.0))
        .filter(accounts::remote_host.eq(host))
        .select(follows::account_id)
        .load(conn)
        .await?;
    Ok(ids.into_iter().map(AccountId).collect())
}

/// SQL condition: the author of `{s}` (a statuses alias) is not on a host
/// the viewer (`$viewer`) blocks.
pub(crate) fn not_blocked_sql(s: &str, viewer: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM account_domain_blocks adb JOIN accounts aa ON aa.remote_host = adb.host \
           WHERE adb.account_id = {viewer} AND aa.id = {s}.account_id)"
    )
}
