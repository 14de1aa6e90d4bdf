//! The allow list, e-mail domain blocks and IP blocks: add, change, remove,
//! each with its audit row. Sign-up and sign-in enforce them
//! (`crate::accounts`, [`ip_severity`]).

use super::{Acting, audit};
use crate::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::DomainId;
use kereru_store::domain_allows::{self, DomainAllow};
use kereru_store::domain_blocks::Scope;
use kereru_store::email_domain_blocks::{self, EmailDomainBlock};
use kereru_store::ip_blocks::{self, IpBlock, IpBlockInput, IpSeverity};
use std::net::IpAddr;

pub async fn allow(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    host: &str,
) -> Result<DomainAllow, ServiceError> {
    let host = super::domain_blocks::parse_host(host)?;
    conn.transaction(async |conn| {
        let allow = domain_allows::create(conn, scope, &host).await?;
        audit(conn, acting, scope, "create_domain_allow", ("domain_allow", allow.id, &allow.host), "").await?;
        Ok(allow)
    })
    .await
}

pub async fn disallow(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    id: i64,
) -> Result<DomainAllow, ServiceError> {
    conn.transaction(async |conn| {
        let allow = domain_allows::delete(conn, scope, id).await?.ok_or(ServiceError::NotFound)?;
        audit(conn, acting, scope, "destroy_domain_allow", ("domain_allow", allow.id, &allow.host), "").await?;
        Ok(allow)
    })
    .await
}

/// Blocks sign-ups with addresses at `domain` (and its subdomains); 422 when already blocked.
pub async fn block_email_domain(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    domain: &str,
) -> Result<EmailDomainBlock, ServiceError> {
    let domain = super::domain_blocks::parse_host(domain)?;
    conn.transaction(async |conn| {
        let block = email_domain_blocks::create(conn, scope, &domain)
            .await?
            .ok_or_else(|| ServiceError::Invalid("Validation failed: Domain has already been taken".into()))?;
        let target = ("email_domain_block", block.id, block.email_domain.as_str());
        audit(conn, acting, scope, "create_email_domain_block", target, "").await?;
        Ok(block)
    })
    .await
}

pub async fn unblock_email_domain(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    id: i64,
) -> Result<EmailDomainBlock, ServiceError> {
    conn.transaction(async |conn| {
        let block = email_domain_blocks::delete(conn, scope, id).await?.ok_or(ServiceError::NotFound)?;
        let target = ("email_domain_block", block.id, block.email_domain.as_str());
        audit(conn, acting, scope, "destroy_email_domain_block", target, "").await?;
        Ok(block)
    })
    .await
}

pub async fn block_ip(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    input: IpBlockInput,
) -> Result<IpBlock, ServiceError> {
    conn.transaction(async |conn| {
        let block = ip_blocks::create(conn, scope, &input)
            .await?
            .ok_or_else(|| ServiceError::Invalid("Validation failed: Ip has already been taken".into()))?;
        audit(conn, acting, scope, "create_ip_block", ("ip_block", block.id, &block.ip), &block.severity).await?;
        Ok(block)
    })
    .await
}

pub async fn update_ip_block(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    id: i64,
    input: IpBlockInput,
) -> Result<IpBlock, ServiceError> {
    conn.transaction(async |conn| {
        let block = ip_blocks::update(conn, scope, id, &input).await.map_err(|e| match e {
            kereru_store::StoreError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => ServiceError::Invalid("Validation failed: Ip has already been taken".into()),
            other => ServiceError::Store(other),
        })?;
        let block = block.ok_or(ServiceError::NotFound)?;
        audit(conn, acting, scope, "update_ip_block", ("ip_block", block.id, &block.ip), &block.severity).await?;
        Ok(block)
    })
    .await
}

pub async fn unblock_ip(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    id: i64,
) -> Result<IpBlock, ServiceError> {
    conn.transaction(async |conn| {
        let block = ip_blocks::delete(conn, scope, id).await?.ok_or(ServiceError::NotFound)?;
        audit(conn, acting, scope, "destroy_ip_block", ("ip_block", block.id, &block.ip), "").await?;
        Ok(block)
    })
    .await
}

/// What `address` may not do on `tenant`; `None` for an address that can't be parsed.
pub async fn ip_severity(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    address: &str,
) -> Result<Option<IpSeverity>, ServiceError> {
    let Ok(address) = address.parse::<IpAddr>() else { return Ok(None) };
    Ok(ip_blocks::severity_for(conn, tenant, address).await?)
}
