//! The report queue: what a tenant's people report (the client API, the web
//! form) and what other servers send (`Flag`), in one table per tenant, with
//! the moderators' assignment and the record of what was done.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::page::Page;
use crate::schema::reports;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Mastodon's report categories.
pub const CATEGORIES: [&str; 4] = ["spam", "legal", "violation", "other"];

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i64,
    pub domain_id: i64,
    /// Who reported: a local account, or a remote server's actor for a `Flag`.
    pub account_id: i64,
    pub target_account_id: i64,
    pub status_ids: Vec<i64>,
    pub comment: String,
    /// The `Flag`'s id for a report from another server.
    pub uri: Option<String>,
    pub created_at: DateTime<Utc>,
    pub category: String,
    pub rule_ids: Vec<i64>,
    pub forward: bool,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub assigned_account_id: Option<i64>,
    pub action_taken_at: Option<DateTime<Utc>>,
    pub action_taken_by_account_id: Option<i64>,
    pub action_taken: String,
    pub updated_at: DateTime<Utc>,
}

impl Report {
    pub fn resolved(&self) -> bool {
        self.action_taken_at.is_some()
    }
}

/// A report to file.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub tenant: DomainId,
    pub reporter: AccountId,
    pub target: AccountId,
    pub status_ids: &'a [i64],
    pub comment: &'a str,
    pub uri: Option<&'a str>,
    /// One of [`CATEGORIES`].
    pub category: &'a str,
    pub rule_ids: &'a [i64],
    pub forward: bool,
}

/// Files a report; `None` when a report with the same `uri` is already in
/// the tenant's queue (a `Flag` delivered twice).
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewReport<'_>) -> Result<Option<Report>, StoreError> {
    Ok(diesel::insert_into(reports::table)
        .values((
            reports::id.eq(next_id()),
            reports::domain_id.eq(new.tenant.0),
            reports::account_id.eq(new.reporter.0),
            reports::target_account_id.eq(new.target.0),
            reports::status_ids.eq(new.status_ids),
            reports::comment.eq(new.comment),
            reports::uri.eq(new.uri),
            reports::category.eq(new.category),
            reports::rule_ids.eq(new.rule_ids),
            reports::forward.eq(new.forward),
        ))
        .on_conflict_do_nothing()
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Report `id` of this tenant.
pub async fn get(conn: &mut AsyncPgConnection, tenant: DomainId, id: i64) -> Result<Option<Report>, StoreError> {
    Ok(reports::table
        .filter(reports::domain_id.eq(tenant.0))
        .filter(reports::id.eq(id))
        .select(Report::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Which reports a list shows (Mastodon's admin filters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// `Some(false)`: open ones only; `Some(true)`: resolved ones only.
    pub resolved: Option<bool>,
    /// Filed by this account.
    pub account_id: Option<i64>,
    /// About this account.
    pub target_account_id: Option<i64>,
}

/// A page of this tenant's reports, newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    filter: Filter,
    page: Page,
) -> Result<Vec<Report>, StoreError> {
    let mut query = reports::table.filter(reports::domain_id.eq(tenant.0)).select(Report::as_select()).into_boxed();
    query = match filter.resolved {
        Some(true) => query.filter(reports::action_taken_at.is_not_null()),
        Some(false) => query.filter(reports::action_taken_at.is_null()),
        None => query,
    };
    if let Some(account) = filter.account_id {
        query = query.filter(reports::account_id.eq(account));
    }
    if let Some(target) = filter.target_account_id {
        query = query.filter(reports::target_account_id.eq(target));
    }
    if let Some(max) = page.max_id {
        query = query.filter(reports::id.lt(max));
    }
    if let Some(since) = page.since_id {
        query = query.filter(reports::id.gt(since));
    }
    if let Some(min) = page.min_id {
        query = query.filter(reports::id.gt(min));
    }
    query = if page.ascending() { query.order(reports::id.asc()) } else { query.order(reports::id.desc()) };
    let mut rows = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Open reports in this tenant's queue.
pub async fn count_open(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<i64, StoreError> {
    Ok(reports::table
        .filter(reports::domain_id.eq(tenant.0))
        .filter(reports::action_taken_at.is_null())
        .count()
        .get_result(conn)
        .await?)
}

/// Assigns report `id` to `moderator` (or to nobody).
pub async fn assign(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
    moderator: Option<AccountId>,
) -> Result<Option<Report>, StoreError> {
    Ok(diesel::update(reports::table.filter(reports::domain_id.eq(tenant.0)).filter(reports::id.eq(id)))
        .set((reports::assigned_account_id.eq(moderator.map(|m| m.0)), reports::updated_at.eq(diesel::dsl::now)))
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Marks report `id` resolved by `moderator`, with what was done.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
    moderator: AccountId,
    action_taken: &str,
) -> Result<Option<Report>, StoreError> {
    Ok(diesel::update(reports::table.filter(reports::domain_id.eq(tenant.0)).filter(reports::id.eq(id)))
        .set((
            reports::action_taken_at.eq(diesel::dsl::now),
            reports::action_taken_by_account_id.eq(moderator.0),
            reports::action_taken.eq(action_taken),
            reports::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Opens report `id` again (what was done is forgotten; the audit log keeps it).
pub async fn reopen(conn: &mut AsyncPgConnection, tenant: DomainId, id: i64) -> Result<Option<Report>, StoreError> {
    Ok(diesel::update(reports::table.filter(reports::domain_id.eq(tenant.0)).filter(reports::id.eq(id)))
        .set((
            reports::action_taken_at.eq(None::<DateTime<Utc>>),
            reports::action_taken_by_account_id.eq(None::<i64>),
            reports::action_taken.eq(""),
            reports::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Records that report `id` was forwarded to the reported account's server.
pub async fn mark_forwarded(conn: &mut AsyncPgConnection, id: i64) -> Result<(), StoreError> {
    diesel::update(reports::table.find(id))
        .set((reports::forwarded_at.eq(diesel::dsl::now), reports::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Changes report `id`'s category and rules (Mastodon's admin update).
pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
    category: &str,
    rule_ids: &[i64],
) -> Result<Option<Report>, StoreError> {
    Ok(diesel::update(reports::table.filter(reports::domain_id.eq(tenant.0)).filter(reports::id.eq(id)))
        .set((reports::category.eq(category), reports::rule_ids.eq(rule_ids), reports::updated_at.eq(diesel::dsl::now)))
        .returning(Report::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}
