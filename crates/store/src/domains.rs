//! Tenants: the `domains` table and the host names each one answers on.

use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::{domain_hosts, domains};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use kereru_core::{HostName, Scheme, TenantUrls};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainState {
    /// Provisioned but not serving yet.
    Pending,
    Active,
    /// Answers 404 everywhere, keeps its data.
    Suspended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrations {
    Open,
    Approval,
    Closed,
}

macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(format!("`{other}` is not one of: {}", [$($text),+].join(", "))),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(DomainState { Pending => "pending", Active => "active", Suspended => "suspended" });
text_enum!(Registrations { Open => "open", Approval => "approval", Closed => "closed" });

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub id: DomainId,
    pub account_host: HostName,
    pub service_host: Option<HostName>,
    pub state: DomainState,
    pub registrations: Registrations,
    pub name: String,
    pub owner_email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Domain {
    pub fn urls(&self, scheme: Scheme) -> TenantUrls {
        TenantUrls::new(scheme, self.account_host.clone(), self.service_host.clone())
    }

    /// The host actor URLs live on.
    pub fn service_host(&self) -> &HostName {
        self.service_host.as_ref().unwrap_or(&self.account_host)
    }

    pub fn is_serving(&self) -> bool {
        self.state == DomainState::Active
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = domains)]
struct DomainRow {
    id: DomainId,
    account_host: String,
    service_host: Option<String>,
    state: String,
    registrations: String,
    name: String,
    owner_email: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<DomainRow> for Domain {
    type Error = StoreError;

    fn try_from(row: DomainRow) -> Result<Self, StoreError> {
        // The database only ever receives validated values; anything else is corruption.
        let corrupt = |what: String| StoreError::Corrupt(format!("domain {}: {what}", row.id));
        Ok(Domain {
            id: row.id,
            account_host: HostName::parse(&row.account_host).map_err(|e| corrupt(e.to_string()))?,
            service_host: match &row.service_host {
                Some(host) => Some(HostName::parse(host).map_err(|e| corrupt(e.to_string()))?),
                None => None,
            },
            state: row.state.parse().map_err(corrupt)?,
            registrations: row.registrations.parse().map_err(corrupt)?,
            name: row.name,
            owner_email: row.owner_email,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewDomain {
    pub account_host: HostName,
    pub service_host: Option<HostName>,
    pub state: DomainState,
    pub registrations: Registrations,
    /// Shown by NodeInfo and the instance API; defaults to the account host.
    pub name: Option<String>,
    pub owner_email: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("the host {0} is already served by a domain on this host")]
    HostTaken(String),
    #[error("the service host must differ from the account host")]
    SameHosts,
    #[error("no domain {0} on this host")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for DomainError {
    fn from(error: DieselError) -> Self {
        DomainError::Store(StoreError::Database(error))
    }
}

/// Creates a tenant and claims its host names, all or nothing.
pub async fn create(conn: &mut AsyncPgConnection, new: NewDomain) -> Result<Domain, DomainError> {
    if new.service_host.as_ref() == Some(&new.account_host) {
        return Err(DomainError::SameHosts);
    }
    let id = next_id();
    let result = conn
        .transaction(async |conn| -> Result<(), DomainError> {
            {
                let mut hosts = vec![(new.account_host.to_string(), "account")];
                if let Some(service) = &new.service_host {
                    hosts.push((service.to_string(), "service"));
                }
                let names: Vec<&String> = hosts.iter().map(|(h, _)| h).collect();
                let taken: Option<String> = domain_hosts::table
                    .filter(domain_hosts::host.eq_any(names))
                    .select(domain_hosts::host)
                    .first(conn)
                    .await
                    .optional()?;
                if let Some(host) = taken {
                    return Err(DomainError::HostTaken(host));
                }
                diesel::insert_into(domains::table)
                    .values((
                        domains::id.eq(id),
                        domains::account_host.eq(new.account_host.as_str()),
                        domains::service_host.eq(new.service_host.as_ref().map(|h| h.as_str())),
                        domains::state.eq(new.state.as_str()),
                        domains::registrations.eq(new.registrations.as_str()),
                        domains::name.eq(new.name.clone().unwrap_or_else(|| new.account_host.to_string())),
                        domains::owner_email.eq(new.owner_email.as_deref()),
                    ))
                    .execute(conn)
                    .await?;
                for (host, role) in &hosts {
                    diesel::insert_into(domain_hosts::table)
                        .values((
                            domain_hosts::host.eq(host),
                            domain_hosts::domain_id.eq(id),
                            domain_hosts::role.eq(role),
                        ))
                        .execute(conn)
                        .await?;
                }
                Ok(())
            }
        })
        .await;
    match result {
        Ok(()) => {}
        // Two admins racing for one host: the primary key decides.
        Err(DomainError::Store(e)) if e.unique_violation().is_some() => {
            return Err(DomainError::HostTaken(new.account_host.to_string()));
        }
        Err(e) => return Err(e),
    }
    get(conn, DomainId(id)).await
}

pub async fn get(conn: &mut AsyncPgConnection, id: DomainId) -> Result<Domain, DomainError> {
    let row: DomainRow = domains::table
        .find(id.0)
        .select(DomainRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| DomainError::NotFound(format!("#{}", id.0)))?;
    Ok(Domain::try_from(row)?)
}

pub async fn list(conn: &mut AsyncPgConnection) -> Result<Vec<Domain>, DomainError> {
    let rows: Vec<DomainRow> =
        domains::table.order(domains::account_host.asc()).select(DomainRow::as_select()).load(conn).await?;
    rows.into_iter().map(|row| Domain::try_from(row).map_err(DomainError::from)).collect()
}

/// A page of tenants by account host (the provider API's list): in `state` if given, account
/// host starting with `prefix` if given, after the account host `after`, at most `limit`.
pub async fn list_page(
    conn: &mut AsyncPgConnection,
    state: Option<DomainState>,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Domain>, DomainError> {
    let mut query = domains::table.select(DomainRow::as_select()).order(domains::account_host.asc()).into_boxed();
    if let Some(state) = state {
        query = query.filter(domains::state.eq(state.as_str()));
    }
    if let Some(prefix) = prefix {
        let escaped = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        query = query.filter(domains::account_host.like(format!("{escaped}%")));
    }
    if let Some(after) = after {
        query = query.filter(domains::account_host.gt(after));
    }
    let rows: Vec<DomainRow> = query.limit(limit).load(conn).await?;
    rows.into_iter().map(|row| Domain::try_from(row).map_err(DomainError::from)).collect()
}

/// The tenant that answers on `host` (its account host or its service host), in any state.
pub async fn find_by_host(conn: &mut AsyncPgConnection, host: &HostName) -> Result<Option<Domain>, DomainError> {
    let row: Option<DomainRow> = domain_hosts::table
        .inner_join(domains::table)
        .filter(domain_hosts::host.eq(host.as_str()))
        .select(DomainRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(Domain::try_from).transpose()?)
}

/// Like [`find_by_host`], for commands where a missing domain is an error.
pub async fn require_by_host(conn: &mut AsyncPgConnection, host: &HostName) -> Result<Domain, DomainError> {
    find_by_host(conn, host).await?.ok_or_else(|| DomainError::NotFound(host.to_string()))
}

pub async fn set_state(conn: &mut AsyncPgConnection, id: DomainId, state: DomainState) -> Result<Domain, DomainError> {
    let updated = diesel::update(domains::table.find(id.0))
        .set((domains::state.eq(state.as_str()), domains::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    if updated == 0 {
        return Err(DomainError::NotFound(format!("#{}", id.0)));
    }
    get(conn, id).await
}

/// Deletes a tenant with everything that belongs to it (the schema cascades).
pub async fn remove(conn: &mut AsyncPgConnection, id: DomainId) -> Result<(), DomainError> {
    let deleted = diesel::delete(domains::table.find(id.0)).execute(conn).await?;
    if deleted == 0 {
        return Err(DomainError::NotFound(format!("#{}", id.0)));
    }
    Ok(())
}

/// Sets who may sign up on the tenant (`kereru domain add --registrations`, the admin's settings page).
pub async fn set_registrations(
    conn: &mut AsyncPgConnection,
    id: DomainId,
    registrations: Registrations,
) -> Result<(), StoreError> {
    diesel::update(domains::table.find(id.0))
        .set((domains::registrations.eq(registrations.as_str()), domains::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    Ok(())
}
