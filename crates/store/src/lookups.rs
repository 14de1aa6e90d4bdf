//! Finding what a URL names: a remote account by its actor id or profile
//! page, a status by its id or page (for search and the interaction page).

use crate::accounts::Account;
use crate::error::StoreError;
use crate::schema::{accounts, statuses};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The remote account whose actor id or profile page is `url`.
pub async fn remote_account_by_url(conn: &mut AsyncPgConnection, url: &str) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.is_null())
        .filter(accounts::uri.eq(url).or(accounts::url.eq(url)))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The id of the status whose id or page is `url` (visibility is the caller's check).
pub async fn status_by_url(conn: &mut AsyncPgConnection, url: &str) -> Result<Option<i64>, StoreError> {
    Ok(statuses::table
        .filter(statuses::uri.eq(url).or(statuses::url.eq(url)))
        .filter(statuses::reblog_of_id.is_null())
        .select(statuses::id)
        .first(conn)
        .await
        .optional()?)
}
