//! What a tenant says about itself: its name and description (columns of
//! `domains`) and its rules (`domain_rules`, in order). The front page, the
//! about page and the instance API show them; `kereru domain` edits them.

use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::{domain_rules, domains};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One rule of a tenant, in its place in the list.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = domain_rules)]
pub struct Rule {
    pub id: i64,
    pub position: i32,
    pub text: String,
}

/// The tenant's description (empty when none was given).
pub async fn description(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<String, StoreError> {
    Ok(domains::table.find(domain.0).select(domains::description).first(conn).await.optional()?.unwrap_or_default())
}

/// The tenant's description and when its about settings last changed (Mastodon's extended description).
pub async fn described(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
) -> Result<Option<(String, chrono::DateTime<chrono::Utc>)>, StoreError> {
    Ok(domains::table
        .find(domain.0)
        .select((domains::description, domains::updated_at))
        .first(conn)
        .await
        .optional()?)
}

/// Sets the tenant's name and/or description; `None` keeps what is there.
pub async fn update(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), StoreError> {
    if let Some(name) = name {
        diesel::update(domains::table.find(domain.0))
            .set((domains::name.eq(name), domains::updated_at.eq(diesel::dsl::now)))
            .execute(conn)
            .await?;
    }
    if let Some(description) = description {
        diesel::update(domains::table.find(domain.0))
            .set((domains::description.eq(description), domains::updated_at.eq(diesel::dsl::now)))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The tenant's rules, in order.
pub async fn rules(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Vec<Rule>, StoreError> {
    Ok(domain_rules::table
        .filter(domain_rules::domain_id.eq(domain.0))
        .order((domain_rules::position.asc(), domain_rules::id.asc()))
        .select(Rule::as_select())
        .load(conn)
        .await?)
}

/// Adds a rule at the end of the list.
pub async fn add_rule(conn: &mut AsyncPgConnection, domain: DomainId, text: &str) -> Result<Rule, StoreError> {
    let last: Option<i32> = domain_rules::table
        .filter(domain_rules::domain_id.eq(domain.0))
        .select(diesel::dsl::max(domain_rules::position))
        .first(conn)
        .await?;
    Ok(diesel::insert_into(domain_rules::table)
        .values((
            domain_rules::id.eq(next_id()),
            domain_rules::domain_id.eq(domain.0),
            domain_rules::position.eq(last.unwrap_or(0) + 1),
            domain_rules::text.eq(text),
        ))
        .returning(Rule::as_returning())
        .get_result(conn)
        .await?)
}

/// Removes the tenant's rule `id`; false when it has no such rule.
pub async fn remove_rule(conn: &mut AsyncPgConnection, domain: DomainId, id: i64) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        domain_rules::table.filter(domain_rules::domain_id.eq(domain.0)).filter(domain_rules::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Moves the tenant's rule `id` one place up (`up`) or down, swapping with its
/// neighbour; false when it has no such rule. Positions are renumbered 1..n.
pub async fn move_rule(conn: &mut AsyncPgConnection, domain: DomainId, id: i64, up: bool) -> Result<bool, StoreError> {
    let mut ids: Vec<i64> = rules(conn, domain).await?.into_iter().map(|rule| rule.id).collect();
    let Some(at) = ids.iter().position(|&rule| rule == id) else {
        return Ok(false);
    };
    let other = if up { at.checked_sub(1) } else { Some(at + 1).filter(|&n| n < ids.len()) };
    if let Some(other) = other {
        ids.swap(at, other);
    }
    for (n, rule) in ids.iter().enumerate() {
        let position = i32::try_from(n + 1).unwrap_or(i32::MAX);
        diesel::update(
            domain_rules::table.filter(domain_rules::domain_id.eq(domain.0)).filter(domain_rules::id.eq(rule)),
        )
        .set(domain_rules::position.eq(position))
        .execute(conn)
        .await?;
    }
    Ok(true)
}

/// Changes the text of the tenant's rule `id`; false when it has no such rule.
pub async fn edit_rule(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    id: i64,
    text: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        domain_rules::table.filter(domain_rules::domain_id.eq(domain.0)).filter(domain_rules::id.eq(id)),
    )
    .set(domain_rules::text.eq(text))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}
