//! Private notes a person keeps on other accounts (Relationship `note`).

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::account_notes;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Mastodon's limit on a note's length.
pub const MAX_NOTE: usize = 2000;

/// Sets `account`'s note on `target`; an empty comment removes it.
pub async fn set(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    target: AccountId,
    comment: &str,
) -> Result<(), StoreError> {
    if comment.is_empty() {
        diesel::delete(
            account_notes::table
                .filter(account_notes::account_id.eq(account.0))
                .filter(account_notes::target_account_id.eq(target.0)),
        )
        .execute(conn)
        .await?;
        return Ok(());
    }
    diesel::insert_into(account_notes::table)
        .values((
            account_notes::domain_id.eq(tenant.0),
            account_notes::account_id.eq(account.0),
            account_notes::target_account_id.eq(target.0),
            account_notes::comment.eq(comment),
        ))
        .on_conflict((account_notes::account_id, account_notes::target_account_id))
        .do_update()
        .set((account_notes::comment.eq(comment), account_notes::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    Ok(())
}
