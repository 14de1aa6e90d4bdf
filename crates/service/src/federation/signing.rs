//! Keys that sign on a tenant's behalf.

use crate::error::ServiceError;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::Scheme;
use kereru_core::signatures::Signer;
use kereru_store::accounts;
use kereru_store::domains::Domain;
use kereru_store::ids::AccountId;
use kereru_store::schema::accounts as accounts_table;

/// The signer of a local account: its key pair, `{actor}#main-key`.
pub async fn account_signer(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    account: AccountId,
) -> Result<Option<Signer>, ServiceError> {
    let row: Option<(String, Option<Vec<u8>>)> = accounts_table::table
        .find(account.0)
        .filter(accounts_table::domain_id.eq(tenant.id.0))
        .select((accounts_table::username, accounts_table::private_key_pkcs8))
        .first(conn)
        .await
        .optional()?;
    let Some((username, Some(der))) = row else { return Ok(None) };
    let key_id = tenant.urls(scheme).actor_key_id(&username);
    Signer::from_rsa_pkcs8_der(key_id, &der).map(Some).map_err(|e| ServiceError::Invalid(format!("signing key: {e}")))
}

/// Signs the tenant's own fetches (servers in authorized-fetch mode answer
/// only signed GETs): the key of its contact account, if it has accounts.
pub async fn tenant_signer(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
) -> Result<Option<Signer>, ServiceError> {
    match accounts::contact_account(conn, tenant.id).await? {
        Some(account) => account_signer(conn, tenant, scheme, account.id).await,
        None => Ok(None),
    }
}
