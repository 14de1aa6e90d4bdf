//! Remote hosts refused: by one tenant, or (no tenant) by the whole host.
//! A block covers the host's subdomains too, as Mastodon's domain blocks do.

use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::domain_blocks;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// `host` and every parent domain of it: `a.b.example` → `a.b.example`, `b.example`, `example`.
fn with_parents(host: &str) -> Vec<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut names = vec![host.clone()];
    let mut rest = host.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        names.push(parent.to_string());
        rest = parent;
    }
    names
}

/// Whether `host` is blocked for `tenant` (by the tenant or host-wide).
pub async fn is_blocked(conn: &mut AsyncPgConnection, tenant: DomainId, host: &str) -> Result<bool, StoreError> {
    any_blocked(conn, tenant, &[host]).await
}

/// Whether any of `hosts` is blocked for `tenant`, in one query.
pub async fn any_blocked(conn: &mut AsyncPgConnection, tenant: DomainId, hosts: &[&str]) -> Result<bool, StoreError> {
    let names: Vec<String> = hosts.iter().flat_map(|host| with_parents(host)).collect();
    let found: i64 = domain_blocks::table
        .filter(domain_blocks::host.eq_any(&names))
        .filter(domain_blocks::domain_id.is_null().or(domain_blocks::domain_id.eq(tenant.0)))
        .count()
        .get_result(conn)
        .await?;
    Ok(found > 0)
}

/// Blocks `host` for `tenant`, or host-wide with `None`. Idempotent.
pub async fn add(conn: &mut AsyncPgConnection, tenant: Option<DomainId>, host: &str) -> Result<(), StoreError> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    diesel::insert_into(domain_blocks::table)
        .values((
            domain_blocks::id.eq(next_id()),
            domain_blocks::domain_id.eq(tenant.map(|t| t.0)),
            domain_blocks::host.eq(&host),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn remove(conn: &mut AsyncPgConnection, tenant: Option<DomainId>, host: &str) -> Result<bool, StoreError> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let query = diesel::delete(domain_blocks::table).filter(domain_blocks::host.eq(host));
    let removed = match tenant {
        Some(tenant) => query.filter(domain_blocks::domain_id.eq(tenant.0)).execute(conn).await?,
        None => query.filter(domain_blocks::domain_id.is_null()).execute(conn).await?,
    };
    Ok(removed > 0)
}

pub async fn list(conn: &mut AsyncPgConnection, tenant: Option<DomainId>) -> Result<Vec<String>, StoreError> {
    let query = domain_blocks::table.select(domain_blocks::host).order(domain_blocks::host).into_boxed();
    let query = match tenant {
        Some(tenant) => query.filter(domain_blocks::domain_id.eq(tenant.0)),
        None => query.filter(domain_blocks::domain_id.is_null()),
    };
    Ok(query.load(conn).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_host_is_covered_by_its_parent_domains() {
        assert_eq!(super::with_parents("A.b.Example."), vec!["a.b.example", "b.example", "example"]);
    }
}
