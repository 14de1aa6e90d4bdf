//! A tenant's instance actor (Mastodon's `/actor`): the server itself as an
//! ActivityPub `Application`, which signs what the tenant sends on no
//! person's behalf (a forwarded report). Stored as a local account row of the
//! tenant WITHOUT a login (no `users` row), named after the tenant's host
//! (which no person's name can be: names have no dots), made the first time
//! it is needed. The account lists, search and lookups leave it out
//! ([`is_person`]).

use crate::accounts::Account;
use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::{accounts, users};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::keys::{ACCOUNT_KEY_BITS, generate_rsa_keypair};

/// `EXISTS (a login of this account)`.
type HasLogin =
    diesel::dsl::exists<diesel::dsl::Filter<users::table, diesel::dsl::Eq<users::account_id, accounts::id>>>;

/// A filter for account queries: remote accounts, and local ones with a
/// login (people) — everything but instance actors.
pub fn is_person() -> diesel::dsl::Or<diesel::dsl::IsNull<accounts::domain_id>, HasLogin> {
    accounts::domain_id.is_null().or(diesel::dsl::exists(users::table.filter(users::account_id.eq(accounts::id))))
}

/// The tenant's instance actor, if it was made.
pub async fn find(conn: &mut AsyncPgConnection, tenant: DomainId, host: &str) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.eq(tenant.0))
        .filter(accounts::username.eq(host))
        .filter(diesel::dsl::not(diesel::dsl::exists(users::table.filter(users::account_id.eq(accounts::id)))))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The tenant's instance actor, made (with its own key pair) when missing.
/// `host` is the tenant's host, the actor's name.
pub async fn get_or_create(conn: &mut AsyncPgConnection, tenant: DomainId, host: &str) -> Result<Account, StoreError> {
    if let Some(actor) = find(conn, tenant, host).await? {
        return Ok(actor);
    }
    // Key generation is CPU-heavy: off the async workers.
    let keys = tokio::task::spawn_blocking(|| generate_rsa_keypair(ACCOUNT_KEY_BITS))
        .await
        .map_err(|e| StoreError::Connect(format!("worker thread failed: {e}")))?
        .map_err(|e| StoreError::Corrupt(format!("key generation: {e}")))?;
    // Two first uses at once: the unique name index keeps one, both read it back.
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(next_id()),
            accounts::domain_id.eq(tenant.0),
            accounts::username.eq(host),
            accounts::display_name.eq(host),
            accounts::bot.eq(true),
            accounts::discoverable.eq(false),
            accounts::private_key_pkcs8.eq(&keys.private_pkcs8_der),
            accounts::public_key_pem.eq(&keys.public_pem),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    find(conn, tenant, host).await?.ok_or_else(|| StoreError::Corrupt(format!("the instance actor of {host}")))
}
