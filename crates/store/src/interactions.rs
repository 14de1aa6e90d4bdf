//! Favourites, bookmarks and pins: one row per account and status.

use crate::error::StoreError;
use crate::ids::{AccountId, StatusId, next_id};
use crate::page::Page;
use crate::relationships::page_filter;
use crate::schema::{bookmarks, favourites, status_pins};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

macro_rules! toggle_table {
    ($add:ident, $remove:ident, $list:ident, $table:ident) => {
        /// Adds the row; whether it was new.
        pub async fn $add(
            conn: &mut AsyncPgConnection,
            account: AccountId,
            status: StatusId,
        ) -> Result<bool, StoreError> {
            let n = diesel::insert_into($table::table)
                .values(($table::id.eq(next_id()), $table::account_id.eq(account), $table::status_id.eq(status)))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            Ok(n > 0)
        }

        /// Removes the row; whether there was one.
        pub async fn $remove(
            conn: &mut AsyncPgConnection,
            account: AccountId,
            status: StatusId,
        ) -> Result<bool, StoreError> {
            let n = diesel::delete(
                $table::table.filter($table::account_id.eq(account)).filter($table::status_id.eq(status)),
            )
            .execute(conn)
            .await?;
            Ok(n > 0)
        }

        /// (row id, status id) of the account's rows, newest first, paged by row id.
        pub async fn $list(
            conn: &mut AsyncPgConnection,
            account: AccountId,
            page: Page,
        ) -> Result<Vec<(i64, StatusId)>, StoreError> {
            let query = $table::table
                .filter($table::account_id.eq(account))
                .select(($table::id, $table::status_id))
                .into_boxed();
            let query = page_filter!(query, $table::id, page);
            let mut rows: Vec<(i64, StatusId)> = query.limit(page.limit).load(conn).await?;
            if page.ascending() {
                rows.reverse();
            }
            Ok(rows)
        }
    };
}

toggle_table!(favourite, unfavourite, favourites_of, favourites);
toggle_table!(bookmark, unbookmark, bookmarks_of, bookmarks);
toggle_table!(pin, unpin, pins_of, status_pins);

/// Accounts that favourited a status, newest first.
pub async fn favourited_by(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    page: Page,
) -> Result<Vec<(i64, AccountId)>, StoreError> {
    let query = favourites::table
        .filter(favourites::status_id.eq(status))
        .select((favourites::id, favourites::account_id))
        .into_boxed();
    let query = page_filter!(query, favourites::id, page);
    let mut rows: Vec<(i64, AccountId)> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

pub async fn pin_count(conn: &mut AsyncPgConnection, account: AccountId) -> Result<i64, StoreError> {
    Ok(status_pins::table.filter(status_pins::account_id.eq(account)).count().get_result(conn).await?)
}

pub async fn is_bookmarked(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    status: StatusId,
) -> Result<bool, StoreError> {
    let n: i64 = bookmarks::table
        .filter(bookmarks::account_id.eq(account))
        .filter(bookmarks::status_id.eq(status))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}
