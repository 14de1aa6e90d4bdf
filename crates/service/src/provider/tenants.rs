//! Tenants as a hosting provider manages them: create (with its owner's
//! admin account), update, suspend, activate, delete with a grace period,
//! restore, and resending the owner's activation link. Each is one
//! transaction with a host-wide audit row naming the key. Creating and the
//! state changes go through [`crate::tenants`] (the same acts as `kereru
//! domain` and the host admin's pages), so they behave alike.

use super::{ProvisionError, key_label, owner};
use crate::tenants::{self as tenant_acts, By, NewTenant};
use crate::{ServiceError, tenants::tenant_name};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::email::parse_email;
use kereru_core::{HostError, HostName, Scheme};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::domains::{self, Domain, DomainError, DomainState, Registrations};
use kereru_store::{about, provisioning};

/// A tenant to create, as the request gave it (checked here, field by field).
#[derive(Debug, Clone, Default)]
pub struct CreateTenant {
    pub account_host: String,
    pub service_host: Option<String>,
    pub plan: Option<String>,
    pub owner_email: Option<String>,
    pub owner_username: Option<String>,
    pub registrations: Option<String>,
    pub name: Option<String>,
}

/// Changes to a tenant; `None` leaves a field as it is. `plan: Some(None)` clears the plan.
#[derive(Debug, Clone, Default)]
pub struct UpdateTenant {
    pub name: Option<String>,
    pub description: Option<String>,
    pub registrations: Option<String>,
    pub plan: Option<Option<String>>,
}

/// What the provisioning API settles for a request: who acts and the host's fixed facts.
#[derive(Debug, Clone, Copy)]
pub struct Provider<'a> {
    /// The key's name, for the audit log.
    pub key: &'a str,
    /// The public scheme, for the links mailed to owners.
    pub scheme: Scheme,
    /// The provider API's own host: never a tenant.
    pub reserved: Option<&'a HostName>,
}

fn host_field(field: &'static str, raw: &str) -> Result<HostName, ProvisionError> {
    HostName::parse(raw.trim()).map_err(|e| match e {
        HostError::IpAddress(_) => ProvisionError::field(field, "an IP address cannot be a domain: give a host name"),
        other => ProvisionError::field(field, other.to_string()),
    })
}

fn registrations_field(raw: &str) -> Result<Registrations, ProvisionError> {
    raw.trim().parse::<Registrations>().map_err(|e| ProvisionError::field("registrations", e))
}

fn plan_field(raw: &str) -> Result<String, ProvisionError> {
    let plan = raw.trim();
    if plan.is_empty() || plan.chars().count() > 64 {
        return Err(ProvisionError::field("plan", "a plan is named by 1 to 64 characters"));
    }
    Ok(plan.to_string())
}

fn name_field(raw: Option<String>) -> Result<Option<String>, ProvisionError> {
    tenant_name(raw).map_err(|e| match e {
        ServiceError::Invalid(message) => ProvisionError::field("name", message),
        other => other.into(),
    })
}

fn description_field(raw: &str) -> Result<String, ProvisionError> {
    let description = raw.trim();
    if description.chars().count() > 2000 {
        return Err(ProvisionError::field("description", "the description must be at most 2000 characters"));
    }
    Ok(description.to_string())
}

async fn record(
    conn: &mut AsyncPgConnection,
    by: &Provider<'_>,
    action: &str,
    domain: &Domain,
    detail: &str,
) -> Result<(), ProvisionError> {
    let (actor, target) = (key_label(by.key), domain.account_host.to_string());
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant: None,
            actor: None,
            actor_label: &actor,
            action,
            target_type: "tenant",
            target_id: Some(domain.id.0),
            target_label: &target,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// The tenant answering on `host` (account or service host), in any state.
pub async fn find(conn: &mut AsyncPgConnection, host: &str) -> Result<Domain, ProvisionError> {
    let Ok(host) = HostName::parse(host) else { return Err(ProvisionError::NotFound) };
    domains::find_by_host(conn, &host).await.map_err(domain_error)?.ok_or(ProvisionError::NotFound)
}

fn domain_error(error: DomainError) -> ProvisionError {
    match error {
        DomainError::NotFound(_) => ProvisionError::NotFound,
        DomainError::Store(e) => e.into(),
        DomainError::SameHosts => ProvisionError::field("service_host", DomainError::SameHosts.to_string()),
        other => ProvisionError::field("account_host", other.to_string()),
    }
}

/// Puts `domain` on the plan named `plan` (`kereru provider plan` or `/plans` made it; none: no
/// limits), whose quotas are enforced from then on; an unknown name is a 422 on `plan`. The
/// name is also kept with the provisioning record that the tenant's view shows.
async fn assign_plan(
    conn: &mut AsyncPgConnection,
    key: &str,
    domain: &Domain,
    plan: Option<&str>,
) -> Result<(), ProvisionError> {
    match crate::plans::assign(conn, crate::plans::By::ProviderKey(key), domain.id, domain.account_host.as_ref(), plan)
        .await
    {
        Ok(_) => {}
        Err(ServiceError::Invalid(message)) => return Err(ProvisionError::field("plan", message)),
        Err(other) => return Err(other.into()),
    }
    provisioning::set_plan(conn, domain.id, plan).await?;
    Ok(())
}

/// Creates a tenant, serving at once, with its plan and (given an owner
/// e-mail) its owner's admin account and activation mail, in one transaction.
pub async fn create(
    conn: &mut AsyncPgConnection,
    by: Provider<'_>,
    request: CreateTenant,
) -> Result<Domain, ProvisionError> {
    let account_host = host_field("account_host", &request.account_host)?;
    let service_host = match request.service_host.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(host_field("service_host", raw)?),
    };
    if service_host.as_ref() == Some(&account_host) {
        return Err(ProvisionError::field("service_host", DomainError::SameHosts.to_string()));
    }
    let owner_email = match request.owner_email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(parse_email(raw).map_err(|e| ProvisionError::field("owner_email", e.to_string()))?),
    };
    let registrations = match &request.registrations {
        Some(raw) => registrations_field(raw)?,
        None => Registrations::Closed,
    };
    let plan = request.plan.as_deref().map(plan_field).transpose()?;
    let name = name_field(request.name)?;
    for (field, host) in [("account_host", Some(&account_host)), ("service_host", service_host.as_ref())] {
        if let (Some(host), Some(reserved)) = (host, by.reserved)
            && host == reserved
        {
            return Err(ProvisionError::field(field, format!("{host} is the provider API's host, never a domain")));
        }
    }
    let new = NewTenant { account_host, service_host, registrations, name, owner_email: owner_email.clone() };
    let taken = |host: &HostName| -> &'static str {
        if new.service_host.as_ref() == Some(host) { "service_host" } else { "account_host" }
    };
    // Known before the transaction, so the error can name the field.
    for host in [Some(&new.account_host), new.service_host.as_ref()].into_iter().flatten() {
        if domains::find_by_host(conn, host).await.map_err(domain_error)?.is_some() {
            return Err(ProvisionError::field(taken(host), format!("{host} is already taken on this host")));
        }
    }
    let label = key_label(by.key);
    conn.transaction(async |conn| -> Result<Domain, ProvisionError> {
        let domain = tenant_acts::add(conn, By::Provider { label: &label }, new).await?;
        if let Some(plan) = &plan {
            assign_plan(conn, by.key, &domain, Some(plan)).await?;
        }
        if let Some(email) = &owner_email {
            owner::create(conn, &domain, by.scheme, email, request.owner_username.as_deref()).await?;
        }
        Ok(domain)
    })
    .await
}

/// Changes a tenant's name, description, registrations and plan.
pub async fn update(
    conn: &mut AsyncPgConnection,
    by: Provider<'_>,
    host: &str,
    request: UpdateTenant,
) -> Result<Domain, ProvisionError> {
    let name = match request.name {
        Some(raw) => Some(name_field(Some(raw))?.ok_or_else(|| ProvisionError::field("name", "the name is blank"))?),
        None => None,
    };
    let description = request.description.as_deref().map(description_field).transpose()?;
    let registrations = request.registrations.as_deref().map(registrations_field).transpose()?;
    let plan = match request.plan {
        Some(Some(raw)) => Some(Some(plan_field(&raw)?)),
        Some(None) => Some(None),
        None => None,
    };
    conn.transaction(async |conn| -> Result<Domain, ProvisionError> {
        let domain = find(conn, host).await?;
        if name.is_some() || description.is_some() {
            about::update(conn, domain.id, name.as_deref(), description.as_deref()).await?;
        }
        if let Some(registrations) = registrations {
            domains::set_registrations(conn, domain.id, registrations).await?;
        }
        if let Some(plan) = &plan {
            assign_plan(conn, by.key, &domain, plan.as_deref()).await?;
        }
        let mut changed = Vec::new();
        for (field, given) in [
            ("name", name.is_some()),
            ("description", description.is_some()),
            ("registrations", registrations.is_some()),
            ("plan", plan.is_some()),
        ] {
            if given {
                changed.push(field);
            }
        }
        record(conn, &by, "update_tenant", &domain, &changed.join(", ")).await?;
        domains::get(conn, domain.id).await.map_err(domain_error)
    })
    .await
}

/// Suspends (404 everywhere, data kept) or activates a tenant. A deleted
/// tenant cannot be activated: restore it.
pub async fn set_state(
    conn: &mut AsyncPgConnection,
    by: Provider<'_>,
    host: &str,
    state: DomainState,
) -> Result<Domain, ProvisionError> {
    let label = key_label(by.key);
    conn.transaction(async |conn| -> Result<Domain, ProvisionError> {
        let domain = find(conn, host).await?;
        if provisioning::deletion_of(conn, domain.id).await?.is_some() {
            return Err(ProvisionError::Conflict(format!(
                "{} is deleted: restore it first (POST .../restore)",
                domain.account_host
            )));
        }
        Ok(tenant_acts::set_state(conn, By::Provider { label: &label }, domain.id, state).await?)
    })
    .await
}

/// Deletes a tenant: suspended now, its data removed after `grace_days`
/// (restorable until then). Deleting a deleted tenant changes nothing.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    by: Provider<'_>,
    host: &str,
    grace_days: u32,
) -> Result<(Domain, DateTime<Utc>), ProvisionError> {
    conn.transaction(async |conn| -> Result<(Domain, DateTime<Utc>), ProvisionError> {
        let domain = find(conn, host).await?;
        if let Some((after, _)) = provisioning::deletion_of(conn, domain.id).await? {
            return Ok((domain, after));
        }
        let after = Utc::now() + chrono::Duration::days(i64::from(grace_days));
        provisioning::mark_deleted(conn, domain.id, after, domain.state.as_str()).await?;
        // Through the same act as a suspension, so whatever follows one (events) follows this too.
        let label = key_label(by.key);
        let domain = match domain.state {
            DomainState::Suspended => domain,
            _ => {
                tenant_acts::set_state(conn, By::Provider { label: &label }, domain.id, DomainState::Suspended).await?
            }
        };
        let detail = format!("data removed after {}", after.format("%Y-%m-%d %H:%M UTC"));
        record(conn, &by, "delete_tenant", &domain, &detail).await?;
        Ok((domain, after))
    })
    .await
}

/// Undoes a deletion within the grace period: the tenant returns to the state it had.
pub async fn restore(conn: &mut AsyncPgConnection, by: Provider<'_>, host: &str) -> Result<Domain, ProvisionError> {
    conn.transaction(async |conn| -> Result<Domain, ProvisionError> {
        let domain = find(conn, host).await?;
        let Some((_, before)) = provisioning::deletion_of(conn, domain.id).await? else {
            return Err(ProvisionError::Conflict(format!("{} is not deleted", domain.account_host)));
        };
        let state = before.and_then(|s| s.parse::<DomainState>().ok()).unwrap_or(DomainState::Active);
        provisioning::unmark_deleted(conn, domain.id).await?;
        let label = key_label(by.key);
        let domain = match state {
            DomainState::Suspended => domain,
            _ => tenant_acts::set_state(conn, By::Provider { label: &label }, domain.id, state).await?,
        };
        record(conn, &by, "restore_tenant", &domain, state.as_str()).await?;
        Ok(domain)
    })
    .await
}

/// Mails the owner a fresh activation link, while their account is not activated.
pub async fn resend_owner(
    conn: &mut AsyncPgConnection,
    by: Provider<'_>,
    host: &str,
) -> Result<owner::Owner, ProvisionError> {
    conn.transaction(async |conn| -> Result<owner::Owner, ProvisionError> {
        let domain = find(conn, host).await?;
        let Some(found) = owner::find(conn, &domain).await? else {
            return Err(ProvisionError::Conflict(format!("{} has no owner account", domain.account_host)));
        };
        if found.activated {
            return Err(ProvisionError::Conflict("the owner has activated their account already".into()));
        }
        owner::send_activation(conn, &domain, by.scheme, found.account, &found.email, &found.username).await?;
        record(conn, &by, "resend_owner_activation", &domain, "").await?;
        Ok(found)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_in_errors() {
        let field = |e: ProvisionError| match e {
            ProvisionError::Field { field, .. } => field,
            other => panic!("not a field error: {other}"),
        };
        assert_eq!(host_field("account_host", "192.0.2.1").map_err(field).err(), Some("account_host"));
        assert_eq!(host_field("service_host", "not a host").map_err(field).err(), Some("service_host"));
        assert_eq!(registrations_field("sometimes").map_err(field).err(), Some("registrations"));
        assert_eq!(plan_field("  ").map_err(field).err(), Some("plan"));
        assert_eq!(plan_field(" pro ").ok(), Some("pro".to_string()));
    }
}
