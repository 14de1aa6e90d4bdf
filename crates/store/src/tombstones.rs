//! Deleted local accounts. Deleting an account removes everything it had
//! (the database cascades from its `accounts` row) but keeps a row under the
//! same id with its name and key pair and no login: the `Delete` of its
//! actor, queued in the same transaction, is still signed with its key when
//! the delivery worker sends it, and the name is never handed out again (as
//! Mastodon keeps a tombstone account). The account lists, search and
//! lookups leave the row out as they do any local row without a login
//! (`instance_actor::is_person`); its actor answers 410 ([`is_tombstone`]).

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::{account_tombstones, accounts, deliveries, delivery_activities};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What a tombstone keeps of the account.
#[derive(Debug, Clone, Queryable)]
struct Kept {
    id: i64,
    domain_id: Option<i64>,
    username: String,
    private_key_pkcs8: Option<Vec<u8>>,
    public_key_pem: String,
    created_at: DateTime<Utc>,
}

/// Every inbox this account's activities were queued for, as the delivery
/// queue still remembers them, a personal inbox replaced by its server's
/// shared inbox when the account behind it has one (one copy per server).
pub async fn delivered_inboxes(conn: &mut AsyncPgConnection, account: AccountId) -> Result<Vec<String>, StoreError> {
    let inboxes: Vec<String> = deliveries::table
        .inner_join(delivery_activities::table)
        .filter(delivery_activities::account_id.eq(account.0))
        .select(deliveries::inbox)
        .distinct()
        .load(conn)
        .await?;
    let shared: Vec<(Option<String>, Option<String>)> = accounts::table
        .filter(accounts::inbox_url.eq_any(&inboxes))
        .filter(accounts::shared_inbox_url.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)
        .await?;
    let mut out: Vec<String> = inboxes
        .into_iter()
        .map(|inbox| {
            shared
                .iter()
                .find(|(own, _)| own.as_deref() == Some(inbox.as_str()))
                .and_then(|(_, shared)| shared.clone())
                .unwrap_or(inbox)
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Deletes local account `account` of `tenant` and leaves its tombstone;
/// false when the tenant has no such account. Run it inside the caller's
/// transaction, and queue the `Delete` after it (the old row's queued
/// deliveries go with it).
pub async fn bury(conn: &mut AsyncPgConnection, tenant: DomainId, account: AccountId) -> Result<bool, StoreError> {
    let kept: Option<Kept> = accounts::table
        .filter(accounts::domain_id.eq(tenant.0))
        .filter(accounts::id.eq(account.0))
        .select((
            accounts::id,
            accounts::domain_id,
            accounts::username,
            accounts::private_key_pkcs8,
            accounts::public_key_pem,
            accounts::created_at,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some(kept) = kept else { return Ok(false) };
    diesel::delete(accounts::table.find(kept.id)).execute(conn).await?;
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(kept.id),
            accounts::domain_id.eq(kept.domain_id),
            accounts::username.eq(&kept.username),
            accounts::display_name.eq(""),
            accounts::discoverable.eq(false),
            accounts::private_key_pkcs8.eq(&kept.private_key_pkcs8),
            accounts::public_key_pem.eq(&kept.public_key_pem),
            accounts::created_at.eq(kept.created_at),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(account_tombstones::table)
        .values((account_tombstones::account_id.eq(kept.id), account_tombstones::domain_id.eq(tenant.0)))
        .execute(conn)
        .await?;
    Ok(true)
}

/// Whether `username` names a deleted account of `tenant`.
pub async fn is_tombstone(conn: &mut AsyncPgConnection, tenant: DomainId, username: &str) -> Result<bool, StoreError> {
    let found: i64 = account_tombstones::table
        .inner_join(accounts::table)
        .filter(account_tombstones::domain_id.eq(tenant.0))
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .count()
        .get_result(conn)
        .await?;
    Ok(found > 0)
}
