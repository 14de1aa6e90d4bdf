//! What asking for the confirmation mail again through the client API needs:
//! the application a person signed up through (`POST /api/v1/accounts`), kept
//! on their login (only that application may ask, as Mastodon's
//! `created_by_application`), and correcting a still unconfirmed address.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::{user_sign_up_apps, users};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Records that `account` of `domain` signed up through `application`.
pub async fn record(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    application: i64,
) -> Result<(), StoreError> {
    diesel::update(
        user_sign_up_apps::table
            .filter(user_sign_up_apps::domain_id.eq(domain.0))
            .filter(user_sign_up_apps::account_id.eq(account.0)),
    )
    .set(user_sign_up_apps::created_by_application_id.eq(application))
    .execute(conn)
    .await?;
    Ok(())
}

/// The application `account` of `domain` signed up through, if it did through one.
pub async fn of(conn: &mut AsyncPgConnection, domain: DomainId, account: AccountId) -> Result<Option<i64>, StoreError> {
    Ok(user_sign_up_apps::table
        .filter(user_sign_up_apps::domain_id.eq(domain.0))
        .filter(user_sign_up_apps::account_id.eq(account.0))
        .select(user_sign_up_apps::created_by_application_id)
        .first::<Option<i64>>(conn)
        .await
        .optional()?
        .flatten())
}

/// Replaces the address of `account`'s login while it is unconfirmed (a
/// confirmed login changes its address only through a confirmed link);
/// whether it was unconfirmed and changed.
pub async fn correct_unconfirmed(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    email: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        users::table
            .filter(users::domain_id.eq(domain.0))
            .filter(users::account_id.eq(account.0))
            .filter(users::confirmed_at.is_null()),
    )
    .set(users::email.eq(email))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}
