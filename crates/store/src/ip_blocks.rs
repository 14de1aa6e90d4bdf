//! Address ranges with what they may not do (sign up freely, sign up at all,
//! use the server), by a tenant or (no tenant) host-wide. Ranges are stored
//! normalized (`kereru_core::blocks::IpRange`); matching is done here.

use crate::domain_blocks::Scope;
use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::ip_blocks;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::blocks::IpRange;
use std::net::IpAddr;

/// What an address in the range may not do; ordered weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IpSeverity {
    SignUpRequiresApproval,
    SignUpBlock,
    NoAccess,
}

impl IpSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            IpSeverity::SignUpRequiresApproval => "sign_up_requires_approval",
            IpSeverity::SignUpBlock => "sign_up_block",
            IpSeverity::NoAccess => "no_access",
        }
    }
    pub fn parse(text: &str) -> Option<IpSeverity> {
        match text {
            "sign_up_requires_approval" => Some(IpSeverity::SignUpRequiresApproval),
            "sign_up_block" => Some(IpSeverity::SignUpBlock),
            "no_access" => Some(IpSeverity::NoAccess),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = ip_blocks)]
pub struct IpBlock {
    pub id: i64,
    pub domain_id: Option<i64>,
    pub ip: String,
    pub severity: String,
    pub comment: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlockInput {
    pub range: IpRange,
    pub severity: IpSeverity,
    pub comment: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new block in `scope`; `None` when the range is already blocked there.
pub async fn create(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    input: &IpBlockInput,
) -> Result<Option<IpBlock>, StoreError> {
    Ok(diesel::insert_into(ip_blocks::table)
        .values((
            ip_blocks::id.eq(next_id()),
            ip_blocks::domain_id.eq(scope.map(|t| t.0)),
            ip_blocks::ip.eq(input.range.to_string()),
            ip_blocks::severity.eq(input.severity.as_str()),
            ip_blocks::comment.eq(&input.comment),
            ip_blocks::expires_at.eq(input.expires_at),
        ))
        .on_conflict_do_nothing()
        .returning(IpBlock::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Changes block `id` of `scope`; `None` when there is none.
pub async fn update(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    id: i64,
    input: &IpBlockInput,
) -> Result<Option<IpBlock>, StoreError> {
    let Some(found) = get(conn, scope, id).await? else { return Ok(None) };
    Ok(Some(
        diesel::update(ip_blocks::table.filter(ip_blocks::id.eq(found.id)))
            .set((
                ip_blocks::ip.eq(input.range.to_string()),
                ip_blocks::severity.eq(input.severity.as_str()),
                ip_blocks::comment.eq(&input.comment),
                ip_blocks::expires_at.eq(input.expires_at),
                ip_blocks::updated_at.eq(diesel::dsl::now),
            ))
            .returning(IpBlock::as_returning())
            .get_result(conn)
            .await?,
    ))
}

pub async fn list(conn: &mut AsyncPgConnection, scope: Scope) -> Result<Vec<IpBlock>, StoreError> {
    let query = ip_blocks::table.select(IpBlock::as_select()).order(ip_blocks::id.desc()).into_boxed();
    let query = match scope {
        Some(t) => query.filter(ip_blocks::domain_id.eq(t.0)),
        None => query.filter(ip_blocks::domain_id.is_null()),
    };
    Ok(query.load(conn).await?)
}

pub async fn get(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<IpBlock>, StoreError> {
    let query = ip_blocks::table.filter(ip_blocks::id.eq(id)).select(IpBlock::as_select()).into_boxed();
    let query = match scope {
        Some(t) => query.filter(ip_blocks::domain_id.eq(t.0)),
        None => query.filter(ip_blocks::domain_id.is_null()),
    };
    Ok(query.first(conn).await.optional()?)
}

pub async fn delete(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<IpBlock>, StoreError> {
    let Some(found) = get(conn, scope, id).await? else { return Ok(None) };
    diesel::delete(ip_blocks::table.filter(ip_blocks::id.eq(found.id))).execute(conn).await?;
    Ok(Some(found))
}

/// The strongest unexpired block of `address` on `tenant` (its own and host-wide).
pub async fn severity_for(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    address: IpAddr,
) -> Result<Option<IpSeverity>, StoreError> {
    let rows: Vec<(String, String)> = ip_blocks::table
        .filter(ip_blocks::domain_id.is_null().or(ip_blocks::domain_id.eq(tenant.0)))
        .filter(ip_blocks::expires_at.is_null().or(ip_blocks::expires_at.gt(diesel::dsl::now)))
        .select((ip_blocks::ip, ip_blocks::severity))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(ip, _)| IpRange::parse(ip).is_ok_and(|range| range.contains(address)))
        .filter_map(|(_, severity)| IpSeverity::parse(&severity))
        .max())
}
