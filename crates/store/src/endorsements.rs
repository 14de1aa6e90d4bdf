//! Endorsements: accounts a person features on their profile (Mastodon's
//! account pins, `/api/v1/accounts/:id/pin` and `/api/v1/endorsements`).

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::page::Page;
use crate::relationships::{finish_page, page_filter};
use crate::schema::account_endorsements;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Mastodon's limit of endorsed accounts per person.
pub const MAX_ENDORSEMENTS: i64 = 40;

/// `account` (of `tenant`) endorses `target` (idempotent).
pub async fn add(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    target: AccountId,
) -> Result<(), StoreError> {
    diesel::insert_into(account_endorsements::table)
        .values((
            account_endorsements::id.eq(next_id()),
            account_endorsements::domain_id.eq(tenant.0),
            account_endorsements::account_id.eq(account.0),
            account_endorsements::target_account_id.eq(target.0),
        ))
        .on_conflict((account_endorsements::account_id, account_endorsements::target_account_id))
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends `account`'s endorsement of `target`, if any.
pub async fn remove(conn: &mut AsyncPgConnection, account: AccountId, target: AccountId) -> Result<(), StoreError> {
    diesel::delete(
        account_endorsements::table
            .filter(account_endorsements::account_id.eq(account.0))
            .filter(account_endorsements::target_account_id.eq(target.0)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How many accounts `account` endorses.
pub async fn count(conn: &mut AsyncPgConnection, account: AccountId) -> Result<i64, StoreError> {
    Ok(account_endorsements::table
        .filter(account_endorsements::account_id.eq(account.0))
        .count()
        .get_result(conn)
        .await?)
}

/// (endorsement id, endorsed account) of `account` (of `tenant`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    page: Page,
) -> Result<Vec<(i64, AccountId)>, StoreError> {
    let query = account_endorsements::table
        .filter(account_endorsements::domain_id.eq(tenant.0))
        .filter(account_endorsements::account_id.eq(account.0))
        .select((account_endorsements::id, account_endorsements::target_account_id))
        .into_boxed();
    let query = page_filter!(query, account_endorsements::id, page);
    let rows: Vec<(i64, i64)> = query.limit(page.limit).load(conn).await?;
    Ok(finish_page(rows, page).into_iter().map(|(id, a)| (id, AccountId(a))).collect())
}
