//! Hosts a tenant (or, with no tenant, the whole host) explicitly federates
//! with: Mastodon's allow list, kept for its admin API.

use crate::domain_blocks::{Scope, normalize};
use crate::error::StoreError;
use crate::ids::next_id;
use crate::schema::domain_allows;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = domain_allows)]
pub struct DomainAllow {
    pub id: i64,
    pub domain_id: Option<i64>,
    pub host: String,
    pub created_at: DateTime<Utc>,
}

/// Allows `host` in `scope`; the existing entry when it is already allowed.
pub async fn create(conn: &mut AsyncPgConnection, scope: Scope, host: &str) -> Result<DomainAllow, StoreError> {
    let host = normalize(host);
    let inserted = diesel::insert_into(domain_allows::table)
        .values((
            domain_allows::id.eq(next_id()),
            domain_allows::domain_id.eq(scope.map(|t| t.0)),
            domain_allows::host.eq(&host),
        ))
        .on_conflict_do_nothing()
        .returning(DomainAllow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    match inserted {
        Some(allow) => Ok(allow),
        None => {
            let query = domain_allows::table.filter(domain_allows::host.eq(&host)).into_boxed();
            let query = match scope {
                Some(t) => query.filter(domain_allows::domain_id.eq(t.0)),
                None => query.filter(domain_allows::domain_id.is_null()),
            };
            Ok(query.select(DomainAllow::as_select()).first(conn).await?)
        }
    }
}

pub async fn list(conn: &mut AsyncPgConnection, scope: Scope) -> Result<Vec<DomainAllow>, StoreError> {
    let query = domain_allows::table.select(DomainAllow::as_select()).order(domain_allows::id.desc()).into_boxed();
    let query = match scope {
        Some(t) => query.filter(domain_allows::domain_id.eq(t.0)),
        None => query.filter(domain_allows::domain_id.is_null()),
    };
    Ok(query.load(conn).await?)
}

pub async fn get(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<DomainAllow>, StoreError> {
    let query = domain_allows::table.filter(domain_allows::id.eq(id)).select(DomainAllow::as_select()).into_boxed();
    let query = match scope {
        Some(t) => query.filter(domain_allows::domain_id.eq(t.0)),
        None => query.filter(domain_allows::domain_id.is_null()),
    };
    Ok(query.first(conn).await.optional()?)
}

/// Removes allow `id` of `scope`; whether there was one.
pub async fn delete(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<DomainAllow>, StoreError> {
    let Some(found) = get(conn, scope, id).await? else { return Ok(None) };
    diesel::delete(domain_allows::table.filter(domain_allows::id.eq(found.id))).execute(conn).await?;
    Ok(Some(found))
}
