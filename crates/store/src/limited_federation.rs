//! Limited federation (Mastodon's LIMITED_FEDERATION_MODE), per tenant: when
//! on, only hosts on the allow list (`domain_allows`: the tenant's own and the
//! host-wide entries, subdomains included) federate with the tenant. Every
//! other host is refused as a suspended one is: `domain_blocks::any_blocked`
//! (inbox, processing, lookups) and [`refused_among`] (outbound) ask here.
//! This host's own tenants are never refused (they reach each other locally).

use crate::domain_blocks::{normalize, with_parents};
use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::{domain_allows, domain_hosts, limited_federation};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Whether `tenant` is in limited federation mode.
pub async fn is_on(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<bool, StoreError> {
    let found: i64 =
        limited_federation::table.filter(limited_federation::domain_id.eq(tenant.0)).count().get_result(conn).await?;
    Ok(found > 0)
}

/// Turns limited federation on or off for `tenant`; whether it changed.
pub async fn set(conn: &mut AsyncPgConnection, tenant: DomainId, on: bool) -> Result<bool, StoreError> {
    let changed = if on {
        diesel::insert_into(limited_federation::table)
            .values(limited_federation::domain_id.eq(tenant.0))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?
    } else {
        diesel::delete(limited_federation::table.filter(limited_federation::domain_id.eq(tenant.0)))
            .execute(conn)
            .await?
    };
    Ok(changed > 0)
}

/// What decides whether a host federates with a tenant in limited mode.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    allowed: Vec<String>,
    local: Vec<String>,
}

impl AllowList {
    /// Whether `host` (or a parent of it) is allowed, or is one of this host's tenants.
    pub fn allows(&self, host: &str) -> bool {
        let host = normalize(host);
        self.local.contains(&host) || with_parents(&host).iter().any(|name| self.allowed.contains(name))
    }
}

/// The allow list of `tenant` when it is in limited federation mode, for
/// judging `hosts`; `None` when it is not (everything federates).
pub async fn allow_list(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    hosts: &[&str],
) -> Result<Option<AllowList>, StoreError> {
    if !is_on(conn, tenant).await? {
        return Ok(None);
    }
    let allowed: Vec<String> = domain_allows::table
        .filter(domain_allows::domain_id.is_null().or(domain_allows::domain_id.eq(tenant.0)))
        .select(domain_allows::host)
        .load(conn)
        .await?;
    let names: Vec<String> = hosts.iter().map(|host| normalize(host)).collect();
    let local: Vec<String> =
        domain_hosts::table.filter(domain_hosts::host.eq_any(&names)).select(domain_hosts::host).load(conn).await?;
    Ok(Some(AllowList { allowed, local }))
}

/// Whether any of `hosts` is refused for `tenant` because it is in limited
/// federation mode and the host is not allowed.
pub async fn refused_among(conn: &mut AsyncPgConnection, tenant: DomainId, hosts: &[&str]) -> Result<bool, StoreError> {
    if hosts.is_empty() {
        return Ok(false);
    }
    let Some(list) = allow_list(conn, tenant, hosts).await? else { return Ok(false) };
    Ok(hosts.iter().any(|host| !list.allows(host)))
}
