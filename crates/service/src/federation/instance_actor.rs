//! The tenant's instance actor at `/actor` (as Mastodon's): an `Application`
//! named after the tenant's host, with a key pair of its own, that signs what
//! the tenant sends on no person's behalf (forwarded reports). Made the first
//! time it is needed ([`kereru_store::instance_actor`]).

use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_core::TenantUrls;
use kereru_store::accounts::Account;
use kereru_store::domains::Domain;
use kereru_store::instance_actor;
use serde_json::{Value, json};

/// The actor's id: `{base}/actor`.
pub fn id(urls: &TenantUrls) -> String {
    format!("{}/actor", urls.base())
}

/// The tenant's instance actor, made when missing.
pub async fn get(conn: &mut AsyncPgConnection, tenant: &Domain) -> Result<Account, ServiceError> {
    Ok(instance_actor::get_or_create(conn, tenant.id, tenant.account_host.as_str()).await?)
}

/// The actor document servers fetch to check its signatures.
pub fn document(urls: &TenantUrls, account: &Account) -> Value {
    let id = id(urls);
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Application",
        "preferredUsername": account.username,
        "name": account.display_name,
        "url": format!("{}/about", urls.base()),
        "inbox": urls.shared_inbox(),
        "outbox": format!("{id}/outbox"),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "manuallyApprovesFollowers": true,
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": account.public_key_pem,
        },
    })
}
