//! Finding accounts by handle. Tenants on this host are looked up directly;
//! a handle on a host Kererū does not serve is remote (federation's job).

use crate::error::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_core::HostName;
use kereru_store::accounts::{self, Account};
use kereru_store::domains::{self, Domain};
use kereru_store::relationships;

/// The account `username@host` (or `username` on `home`), if it is an
/// account of a serving tenant on this host. Makes it known to `home`.
pub async fn local_handle(
    conn: &mut AsyncPgConnection,
    home: &Domain,
    username: &str,
    host: Option<&str>,
) -> Result<Option<Account>, ServiceError> {
    let tenant = match host {
        None => home.clone(),
        Some(host) => {
            let Ok(host) = HostName::parse(host) else { return Ok(None) };
            if host == home.account_host || &host == home.service_host() {
                home.clone()
            } else {
                match domains::find_by_host(conn, &host).await.map_err(|e| match e {
                    domains::DomainError::Store(s) => ServiceError::Store(s),
                    other => ServiceError::Invalid(other.to_string()),
                })? {
                    Some(domain) if domain.is_serving() => domain,
                    _ => return Ok(None),
                }
            }
        }
    };
    let Some(account) = accounts::find_local(conn, tenant.id, username).await? else { return Ok(None) };
    if tenant.id != home.id {
        relationships::make_known(conn, home.id, &[account.id]).await?;
    }
    Ok(Some(account))
}
