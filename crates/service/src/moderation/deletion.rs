//! Deleting a local account for good, and telling the fediverse: a `Delete`
//! of the actor (object = the actor id, to as:Public), signed with the
//! account's own key, queued for every inbox that followed it and every
//! inbox (shared ones included) the tenant delivered to for it — in the
//! caller's transaction, after `store::tombstones::bury` removed everything
//! but the name and the key pair the delivery worker still signs with.

use crate::error::ServiceError;
use crate::federation::outbound;
use diesel_async::AsyncPgConnection;
use kereru_core::Scheme;
use kereru_core::activitypub as ap;
use kereru_delivery::http::Url;
use kereru_store::accounts::Account;
use kereru_store::domains::Domain;
use kereru_store::tombstones;

/// Deletes `account` (a local account of `tenant`) and queues the `Delete`
/// of its actor. Run it inside the caller's transaction. `NotFound` when the
/// tenant has no such account.
pub async fn delete_local(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    account: &Account,
) -> Result<(), ServiceError> {
    if account.domain_id != Some(tenant.id) {
        return Err(ServiceError::NotFound);
    }
    let actor = tenant.urls(scheme).actor(&account.username);
    // Who must hear of it, read before the follows and the queue's rows go.
    let mut inboxes = outbound::follower_inboxes(conn, account.id).await?;
    inboxes.extend(
        tombstones::delivered_inboxes(conn, account.id).await?.iter().filter_map(|inbox| Url::parse(inbox).ok()),
    );
    inboxes.sort();
    inboxes.dedup();
    if !tombstones::bury(conn, tenant.id, account.id).await? {
        return Err(ServiceError::NotFound);
    }
    outbound::send(conn, account.id, &ap::delete_actor(&actor), &inboxes).await
}
