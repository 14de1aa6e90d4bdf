//! E-mail domains refused at sign-up, by a tenant or (no tenant) host-wide.
//! A block covers the domain's subdomains too.

use crate::domain_blocks::{Scope, covered_by, normalize};
use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::email_domain_blocks;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = email_domain_blocks)]
pub struct EmailDomainBlock {
    pub id: i64,
    pub domain_id: Option<i64>,
    pub email_domain: String,
    pub created_at: DateTime<Utc>,
}

/// Blocks `email_domain` in `scope`; `None` when it already is.
pub async fn create(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    email_domain: &str,
) -> Result<Option<EmailDomainBlock>, StoreError> {
    Ok(diesel::insert_into(email_domain_blocks::table)
        .values((
            email_domain_blocks::id.eq(next_id()),
            email_domain_blocks::domain_id.eq(scope.map(|t| t.0)),
            email_domain_blocks::email_domain.eq(normalize(email_domain)),
        ))
        .on_conflict_do_nothing()
        .returning(EmailDomainBlock::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn list(conn: &mut AsyncPgConnection, scope: Scope) -> Result<Vec<EmailDomainBlock>, StoreError> {
    let query = email_domain_blocks::table
        .select(EmailDomainBlock::as_select())
        .order(email_domain_blocks::id.desc())
        .into_boxed();
    let query = match scope {
        Some(t) => query.filter(email_domain_blocks::domain_id.eq(t.0)),
        None => query.filter(email_domain_blocks::domain_id.is_null()),
    };
    Ok(query.load(conn).await?)
}

pub async fn get(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<EmailDomainBlock>, StoreError> {
    let query = email_domain_blocks::table
        .filter(email_domain_blocks::id.eq(id))
        .select(EmailDomainBlock::as_select())
        .into_boxed();
    let query = match scope {
        Some(t) => query.filter(email_domain_blocks::domain_id.eq(t.0)),
        None => query.filter(email_domain_blocks::domain_id.is_null()),
    };
    Ok(query.first(conn).await.optional()?)
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    id: i64,
) -> Result<Option<EmailDomainBlock>, StoreError> {
    let Some(found) = get(conn, scope, id).await? else { return Ok(None) };
    diesel::delete(email_domain_blocks::table.filter(email_domain_blocks::id.eq(found.id))).execute(conn).await?;
    Ok(Some(found))
}

/// Whether the address `email` is refused on `tenant` (by it or host-wide).
pub async fn is_blocked(conn: &mut AsyncPgConnection, tenant: DomainId, email: &str) -> Result<bool, StoreError> {
    let Some((_, domain)) = email.rsplit_once('@') else { return Ok(false) };
    let blocked: Vec<String> = email_domain_blocks::table
        .filter(email_domain_blocks::domain_id.is_null().or(email_domain_blocks::domain_id.eq(tenant.0)))
        .select(email_domain_blocks::email_domain)
        .load(conn)
        .await?;
    Ok(covered_by(domain, &blocked))
}
