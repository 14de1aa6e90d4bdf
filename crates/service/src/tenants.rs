//! Provisioning tenants: add, suspend, activate and remove a domain, from the
//! command line (`kereru domain ...`) or a host admin's pages
//! (`/admin/host/tenants`). Each act is one transaction with its audit row
//! (host-wide: the tenant may be gone afterwards). Also what the tenant's
//! owner must set in DNS.

use crate::ServiceError;
use crate::staff::{self, Need};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::HostName;
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::domains::{self, Domain, DomainError, DomainState, NewDomain, Registrations};
use kereru_store::{AccountId, DomainId};
use std::net::IpAddr;

/// Who provisions: a host admin signed in on `tenant`, or the command line on the host.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    HostAdmin { tenant: DomainId, account: AccountId, label: &'a str },
    CommandLine,
}

impl By<'_> {
    fn label(&self) -> &str {
        match self {
            By::HostAdmin { label, .. } => label,
            By::CommandLine => "command line",
        }
    }

    fn account(&self) -> Option<AccountId> {
        match self {
            By::HostAdmin { account, .. } => Some(*account),
            By::CommandLine => None,
        }
    }

    /// A host admin's reach, checked again inside the act's transaction.
    async fn authorize(&self, conn: &mut AsyncPgConnection) -> Result<(), ServiceError> {
        if let By::HostAdmin { tenant, account, .. } = self {
            staff::authorize(conn, *tenant, *account, Need::HostAdmin).await?;
        }
        Ok(())
    }

    /// A host admin may not suspend or remove the tenant they are signed in on (they would lock themselves out).
    fn refuse_own(&self, target: DomainId) -> Result<(), ServiceError> {
        match self {
            By::HostAdmin { tenant, .. } if *tenant == target => {
                Err(ServiceError::Invalid("You are signed in on this domain: do this from another one.".into()))
            }
            _ => Ok(()),
        }
    }
}

/// A tenant to add, its hosts already parsed.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub account_host: HostName,
    pub service_host: Option<HostName>,
    pub registrations: Registrations,
    pub name: Option<String>,
    pub owner_email: Option<String>,
}

/// The name a tenant is given: trimmed, blank means none (the host is used), at most 100 characters.
pub fn tenant_name(name: Option<String>) -> Result<Option<String>, ServiceError> {
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return Err(ServiceError::Invalid("the name must be at most 100 characters".into()));
    }
    Ok(name)
}

fn domain_error(error: DomainError) -> ServiceError {
    match error {
        DomainError::NotFound(_) => ServiceError::NotFound,
        DomainError::Store(e) => ServiceError::Store(e),
        other => ServiceError::Invalid(other.to_string()),
    }
}

async fn record(
    conn: &mut AsyncPgConnection,
    by: &By<'_>,
    action: &str,
    domain: &Domain,
    detail: &str,
) -> Result<(), ServiceError> {
    let label = domain.account_host.to_string();
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant: None,
            actor: by.account(),
            actor_label: by.label(),
            action,
            target_type: "tenant",
            target_id: Some(domain.id.0),
            target_label: &label,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Refuses a new tenant that would take `reserved` (the provider API's host, which is never a tenant).
pub fn refuse_reserved(new: &NewTenant, reserved: Option<&HostName>) -> Result<(), ServiceError> {
    let Some(reserved) = reserved else { return Ok(()) };
    if &new.account_host == reserved || new.service_host.as_ref() == Some(reserved) {
        return Err(ServiceError::Invalid(format!(
            "{reserved} is this host's provider API host ([provider] host) and cannot be a domain"
        )));
    }
    Ok(())
}

/// Adds a tenant, serving at once.
pub async fn add(conn: &mut AsyncPgConnection, by: By<'_>, new: NewTenant) -> Result<Domain, ServiceError> {
    let name = tenant_name(new.name)?;
    conn.transaction(async |conn| -> Result<Domain, ServiceError> {
        by.authorize(conn).await?;
        let new = NewDomain {
            account_host: new.account_host,
            service_host: new.service_host,
            state: DomainState::Active,
            registrations: new.registrations,
            name,
            owner_email: new.owner_email,
        };
        let domain = domains::create(conn, new).await.map_err(domain_error)?;
        record(conn, &by, "create_tenant", &domain, "").await?;
        Ok(domain)
    })
    .await
}

/// Sets a tenant's state: suspended answers 404 everywhere and keeps its data; active serves again.
pub async fn set_state(
    conn: &mut AsyncPgConnection,
    by: By<'_>,
    id: DomainId,
    state: DomainState,
) -> Result<Domain, ServiceError> {
    if state != DomainState::Active {
        by.refuse_own(id)?;
    }
    conn.transaction(async |conn| -> Result<Domain, ServiceError> {
        by.authorize(conn).await?;
        let domain = domains::set_state(conn, id, state).await.map_err(domain_error)?;
        let action = match state {
            DomainState::Active => "activate_tenant",
            DomainState::Suspended => "suspend_tenant",
            DomainState::Pending => "unpublish_tenant",
        };
        record(conn, &by, action, &domain, "").await?;
        Ok(domain)
    })
    .await
}

/// Removes a tenant and everything of it. `confirm` must be its account host
/// (the host admin typed it to confirm); anything else changes nothing.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    by: By<'_>,
    id: DomainId,
    confirm: &str,
) -> Result<Domain, ServiceError> {
    by.refuse_own(id)?;
    conn.transaction(async |conn| -> Result<Domain, ServiceError> {
        by.authorize(conn).await?;
        let domain = domains::get(conn, id).await.map_err(domain_error)?;
        if !confirm.trim().eq_ignore_ascii_case(domain.account_host.as_str()) {
            return Err(ServiceError::Invalid(format!("Type {} to confirm.", domain.account_host)));
        }
        record(conn, &by, "remove_tenant", &domain, "").await?;
        domains::remove(conn, id).await.map_err(domain_error)?;
        Ok(domain)
    })
    .await
}

/// One DNS record the tenant's owner must set; `value` is `None` when this
/// host's public addresses are not configured (the record is then described).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsRecord {
    pub host: String,
    /// `A` or `AAAA`.
    pub kind: &'static str,
    pub value: Option<String>,
}

/// The records that make this host serve `domain`: its service host, and its account host when they differ.
pub fn dns_records(domain: &Domain, public_addresses: &[IpAddr]) -> Vec<DnsRecord> {
    let mut hosts = vec![domain.service_host().clone()];
    if domain.service_host.is_some() {
        hosts.push(domain.account_host.clone());
    }
    let mut records = Vec::new();
    for host in &hosts {
        if public_addresses.is_empty() {
            records.push(DnsRecord { host: host.to_string(), kind: "A", value: None });
            records.push(DnsRecord { host: host.to_string(), kind: "AAAA", value: None });
        }
        for address in public_addresses {
            let kind = if address.is_ipv4() { "A" } else { "AAAA" };
            records.push(DnsRecord { host: host.to_string(), kind, value: Some(address.to_string()) });
        }
    }
    records
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Utc;

    fn domain(service_host: Option<&str>) -> Domain {
        Domain {
            id: DomainId(1),
            account_host: HostName::parse("example.org").unwrap(),
            service_host: service_host.map(|h| HostName::parse(h).unwrap()),
            state: DomainState::Active,
            registrations: Registrations::Closed,
            name: "Example".into(),
            owner_email: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn records_name_the_service_host_first_then_the_account_host() {
        let addresses: Vec<IpAddr> = vec!["192.0.2.7".parse().unwrap(), "2001:db8::7".parse().unwrap()];
        let records = dns_records(&domain(Some("social.example.org")), &addresses);
        let shown: Vec<(&str, &str, Option<&str>)> =
            records.iter().map(|r| (r.host.as_str(), r.kind, r.value.as_deref())).collect();
        assert_eq!(
            shown,
            [
                ("social.example.org", "A", Some("192.0.2.7")),
                ("social.example.org", "AAAA", Some("2001:db8::7")),
                ("example.org", "A", Some("192.0.2.7")),
                ("example.org", "AAAA", Some("2001:db8::7")),
            ]
        );
    }

    #[test]
    fn without_addresses_each_host_gets_an_a_and_an_aaaa_to_fill_in() {
        let records = dns_records(&domain(None), &[]);
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.host == "example.org" && r.value.is_none()));
        assert_eq!((records[0].kind, records[1].kind), ("A", "AAAA"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(tenant_name(Some("  Sea  ".into())).unwrap(), Some("Sea".into()));
        assert_eq!(tenant_name(Some("   ".into())).unwrap(), None);
        assert!(tenant_name(Some("x".repeat(101))).is_err());
    }
}
