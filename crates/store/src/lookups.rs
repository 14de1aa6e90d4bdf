//! Finding what a URL names: a remote account by its actor id or profile
//! page, a status by its id or page (for search and the interaction page).

use crate::accounts::Account;
use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::{accounts, status_receipts, statuses};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The remote account whose actor id or profile page is `url`. Remote
/// accounts are shared by the host's tenants (what a tenant knows of them is
/// `known_accounts`, which the caller updates).
pub async fn remote_account_by_url(conn: &mut AsyncPgConnection, url: &str) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.is_null())
        .filter(accounts::uri.eq(url).or(accounts::url.eq(url)))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The id of the status whose id or page is `url`, among those `tenant`
/// knows (its own, or delivered to it); who may see it is the caller's check.
pub async fn status_by_url(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    url: &str,
) -> Result<Option<i64>, StoreError> {
    let delivered_here = status_receipts::table
        .filter(status_receipts::status_id.eq(statuses::id))
        .filter(status_receipts::domain_id.eq(tenant.0));
    Ok(statuses::table
        .filter(statuses::uri.eq(url).or(statuses::url.eq(url)))
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::domain_id.eq(tenant.0).or(diesel::dsl::exists(delivered_here)))
        .select(statuses::id)
        .first(conn)
        .await
        .optional()?)
}
