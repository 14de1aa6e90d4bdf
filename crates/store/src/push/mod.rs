//! Web Push: each tenant's VAPID key pair ([`vapid_key`], made on first
//! need) and people's subscriptions, one per access token as Mastodon has
//! them. The queue of pushes to send is [`queue`].

pub mod queue;

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::{push_subscriptions, push_vapid_keys};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::webpush::{self, VapidKeys};

/// The tenant's VAPID keys, generated and stored the first time anyone asks.
/// Two nodes asking at once both generate; the first insert wins and both
/// answer with the stored pair.
pub async fn vapid_key(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<VapidKeys, StoreError> {
    if let Some(keys) = stored_key(conn, domain).await? {
        return Ok(keys);
    }
    let fresh = webpush::generate_vapid().map_err(|e| StoreError::Corrupt(format!("generating a VAPID key: {e}")))?;
    diesel::insert_into(push_vapid_keys::table)
        .values((
            push_vapid_keys::domain_id.eq(domain.0),
            push_vapid_keys::private_key.eq(&fresh.pkcs8),
            push_vapid_keys::public_key.eq(&fresh.public),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    stored_key(conn, domain).await?.ok_or_else(|| StoreError::Corrupt("the VAPID key was not stored".into()))
}

async fn stored_key(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Option<VapidKeys>, StoreError> {
    let row: Option<(Vec<u8>, Vec<u8>)> = push_vapid_keys::table
        .filter(push_vapid_keys::domain_id.eq(domain.0))
        .select((push_vapid_keys::private_key, push_vapid_keys::public_key))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(pkcs8, public)| VapidKeys { pkcs8, public }))
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = push_subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub domain_id: i64,
    pub account_id: i64,
    pub token_id: i64,
    pub access_token: String,
    pub endpoint: String,
    pub key_p256dh: Vec<u8>,
    pub key_auth: Vec<u8>,
    /// JSON object: notification type -> bool.
    pub alerts: String,
    pub policy: String,
    pub standard: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a new subscription holds.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    pub domain: DomainId,
    pub account: AccountId,
    pub token_id: i64,
    pub access_token: &'a str,
    pub endpoint: &'a str,
    pub key_p256dh: &'a [u8],
    pub key_auth: &'a [u8],
    pub alerts: &'a str,
    pub policy: &'a str,
    pub standard: bool,
}

/// The subscription of access token `token_id`, on its tenant.
pub async fn of_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    token_id: i64,
) -> Result<Option<Subscription>, StoreError> {
    Ok(push_subscriptions::table
        .filter(push_subscriptions::domain_id.eq(domain.0))
        .filter(push_subscriptions::token_id.eq(token_id))
        .select(Subscription::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Replaces the token's subscription with a new one (Mastodon's POST).
pub async fn replace(conn: &mut AsyncPgConnection, new: &NewSubscription<'_>) -> Result<Subscription, StoreError> {
    delete_of_token(conn, new.domain, new.token_id).await?;
    Ok(diesel::insert_into(push_subscriptions::table)
        .values((
            push_subscriptions::domain_id.eq(new.domain.0),
            push_subscriptions::account_id.eq(new.account.0),
            push_subscriptions::token_id.eq(new.token_id),
            push_subscriptions::access_token.eq(new.access_token),
            push_subscriptions::endpoint.eq(new.endpoint),
            push_subscriptions::key_p256dh.eq(new.key_p256dh),
            push_subscriptions::key_auth.eq(new.key_auth),
            push_subscriptions::alerts.eq(new.alerts),
            push_subscriptions::policy.eq(new.policy),
            push_subscriptions::standard.eq(new.standard),
        ))
        .returning(Subscription::as_returning())
        .get_result(conn)
        .await?)
}

/// Sets alerts and policy of the token's subscription (Mastodon's PUT). None when it has none.
pub async fn update_data(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    token_id: i64,
    alerts: &str,
    policy: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(diesel::update(
        push_subscriptions::table
            .filter(push_subscriptions::domain_id.eq(domain.0))
            .filter(push_subscriptions::token_id.eq(token_id)),
    )
    .set((
        push_subscriptions::alerts.eq(alerts),
        push_subscriptions::policy.eq(policy),
        push_subscriptions::updated_at.eq(diesel::dsl::now),
    ))
    .returning(Subscription::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Deletes the token's subscription (and its queued pushes). Returns whether there was one.
pub async fn delete_of_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    token_id: i64,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        push_subscriptions::table
            .filter(push_subscriptions::domain_id.eq(domain.0))
            .filter(push_subscriptions::token_id.eq(token_id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Deletes subscription `id` (the push service said it is gone).
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> Result<(), StoreError> {
    diesel::delete(push_subscriptions::table.filter(push_subscriptions::id.eq(id))).execute(conn).await?;
    Ok(())
}
