//! Plans: named sets of limits a provider sells, and the plan of each
//! tenant. A NULL limit is unlimited; a tenant without a plan has no limits.
//! Enforcement is in [`crate::quotas`].

use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::schema::{domain_plans, plans};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = plans)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub max_accounts: Option<i64>,
    pub media_storage_bytes: Option<i64>,
    pub posts_per_day: Option<i64>,
    pub remote_follows: Option<i64>,
    pub custom_emoji: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A plan's limits; `None` is unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_accounts: Option<i64>,
    pub media_storage_bytes: Option<i64>,
    pub posts_per_day: Option<i64>,
    pub remote_follows: Option<i64>,
    pub custom_emoji: Option<i64>,
}

/// Changes to a plan's limits: `Some(None)` makes one unlimited, `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitsChange {
    pub max_accounts: Option<Option<i64>>,
    pub media_storage_bytes: Option<Option<i64>>,
    pub posts_per_day: Option<Option<i64>>,
    pub remote_follows: Option<Option<i64>>,
    pub custom_emoji: Option<Option<i64>>,
}

impl LimitsChange {
    pub fn apply(&self, limits: &mut Limits) {
        let pairs = [
            (&mut limits.max_accounts, self.max_accounts),
            (&mut limits.media_storage_bytes, self.media_storage_bytes),
            (&mut limits.posts_per_day, self.posts_per_day),
            (&mut limits.remote_follows, self.remote_follows),
            (&mut limits.custom_emoji, self.custom_emoji),
        ];
        for (slot, change) in pairs {
            if let Some(value) = change {
                *slot = value;
            }
        }
    }
}

impl Plan {
    pub fn limits(&self) -> Limits {
        Limits {
            max_accounts: self.max_accounts,
            media_storage_bytes: self.media_storage_bytes,
            posts_per_day: self.posts_per_day,
            remote_follows: self.remote_follows,
            custom_emoji: self.custom_emoji,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("a plan named {0} already exists")]
    NameTaken(String),
    #[error("a plan name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit")]
    InvalidName,
    #[error("limits are whole numbers of at least 0")]
    NegativeLimit,
    #[error("the plan {0} still has tenants; move them to another plan first")]
    InUse(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for PlanError {
    fn from(error: DieselError) -> Self {
        PlanError::Store(StoreError::Database(error))
    }
}

/// Whether `name` may name a plan (the table's CHECK says the same).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn check(name: &str, limits: &Limits) -> Result<(), PlanError> {
    if !valid_name(name) {
        return Err(PlanError::InvalidName);
    }
    let all = [
        limits.max_accounts,
        limits.media_storage_bytes,
        limits.posts_per_day,
        limits.remote_follows,
        limits.custom_emoji,
    ];
    if all.iter().flatten().any(|limit| *limit < 0) {
        return Err(PlanError::NegativeLimit);
    }
    Ok(())
}

pub async fn create(conn: &mut AsyncPgConnection, name: &str, limits: &Limits) -> Result<Plan, PlanError> {
    check(name, limits)?;
    diesel::insert_into(plans::table)
        .values((
            plans::id.eq(next_id()),
            plans::name.eq(name),
            plans::max_accounts.eq(limits.max_accounts),
            plans::media_storage_bytes.eq(limits.media_storage_bytes),
            plans::posts_per_day.eq(limits.posts_per_day),
            plans::remote_follows.eq(limits.remote_follows),
            plans::custom_emoji.eq(limits.custom_emoji),
        ))
        .returning(Plan::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => PlanError::NameTaken(name.to_string()),
            other => other.into(),
        })
}

/// Sets every limit of the plan `name`; `None` when there is no such plan.
pub async fn update(conn: &mut AsyncPgConnection, name: &str, limits: &Limits) -> Result<Option<Plan>, PlanError> {
    check(name, limits)?;
    Ok(diesel::update(plans::table.filter(plans::name.eq(name)))
        .set((
            plans::max_accounts.eq(limits.max_accounts),
            plans::media_storage_bytes.eq(limits.media_storage_bytes),
            plans::posts_per_day.eq(limits.posts_per_day),
            plans::remote_follows.eq(limits.remote_follows),
            plans::custom_emoji.eq(limits.custom_emoji),
            plans::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Plan::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn get(conn: &mut AsyncPgConnection, name: &str) -> Result<Option<Plan>, StoreError> {
    Ok(plans::table.filter(plans::name.eq(name)).select(Plan::as_select()).first(conn).await.optional()?)
}

pub async fn list(conn: &mut AsyncPgConnection) -> Result<Vec<Plan>, StoreError> {
    Ok(plans::table.order(plans::name).select(Plan::as_select()).load(conn).await?)
}

/// Deletes the plan `name`; refused while a tenant has it. `false`: no such plan.
pub async fn delete(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, PlanError> {
    let deleted =
        diesel::delete(plans::table.filter(plans::name.eq(name))).execute(conn).await.map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => PlanError::InUse(name.to_string()),
            other => other.into(),
        })?;
    Ok(deleted > 0)
}

/// How many tenants have the plan `id`.
pub async fn tenants_on(conn: &mut AsyncPgConnection, id: i64) -> Result<i64, StoreError> {
    Ok(domain_plans::table.filter(domain_plans::plan_id.eq(id)).count().get_result(conn).await?)
}

/// The plan of `domain`, if it has one.
pub async fn of(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Option<Plan>, StoreError> {
    Ok(domain_plans::table
        .inner_join(plans::table)
        .filter(domain_plans::domain_id.eq(domain.0))
        .select(Plan::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Puts `domain` on the plan `plan` (an id from [`get`]), or on none.
pub async fn assign(conn: &mut AsyncPgConnection, domain: DomainId, plan: Option<i64>) -> Result<(), StoreError> {
    match plan {
        Some(plan) => {
            diesel::insert_into(domain_plans::table)
                .values((domain_plans::domain_id.eq(domain.0), domain_plans::plan_id.eq(plan)))
                .on_conflict(domain_plans::domain_id)
                .do_update()
                .set(domain_plans::plan_id.eq(plan))
                .execute(conn)
                .await?;
        }
        None => {
            diesel::delete(domain_plans::table.filter(domain_plans::domain_id.eq(domain.0))).execute(conn).await?;
        }
    }
    Ok(())
}
