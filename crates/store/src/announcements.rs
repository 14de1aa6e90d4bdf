//! A tenant's announcements (written by its admins), who dismissed which, and
//! people's emoji reactions. Every read names the tenant; people see only
//! published ones, admins all of their tenant's.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::schema::{announcement_dismissals, announcement_reactions, announcements};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::{HashMap, HashSet};

/// Distinct reaction names one announcement may carry (Mastodon's limit).
pub const MAX_REACTION_NAMES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: i64,
    pub domain_id: i64,
    pub text: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub all_day: bool,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an admin writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementFields {
    pub text: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub all_day: bool,
}

/// Every announcement of `tenant`, newest first (the admin page).
pub async fn all(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Vec<Announcement>, StoreError> {
    Ok(announcements::table
        .filter(announcements::domain_id.eq(tenant.0))
        .order(announcements::id.desc())
        .select(Announcement::as_select())
        .load(conn)
        .await?)
}

/// `tenant`'s published announcements, oldest first (Mastodon's `chronological`).
pub async fn published(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Vec<Announcement>, StoreError> {
    Ok(announcements::table
        .filter(announcements::domain_id.eq(tenant.0))
        .filter(announcements::published.eq(true))
        .order((announcements::published_at.asc(), announcements::id.asc()))
        .select(Announcement::as_select())
        .load(conn)
        .await?)
}

/// One announcement of `tenant`, published or not.
pub async fn get(conn: &mut AsyncPgConnection, tenant: DomainId, id: i64) -> Result<Option<Announcement>, StoreError> {
    Ok(announcements::table
        .filter(announcements::domain_id.eq(tenant.0))
        .filter(announcements::id.eq(id))
        .select(Announcement::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// One published announcement of `tenant` (what people may act on).
pub async fn get_published(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
) -> Result<Option<Announcement>, StoreError> {
    Ok(get(conn, tenant, id).await?.filter(|a| a.published))
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    fields: &AnnouncementFields,
) -> Result<Announcement, StoreError> {
    Ok(diesel::insert_into(announcements::table)
        .values((
            announcements::id.eq(next_id()),
            announcements::domain_id.eq(tenant.0),
            announcements::text.eq(&fields.text),
            announcements::starts_at.eq(fields.starts_at),
            announcements::ends_at.eq(fields.ends_at),
            announcements::all_day.eq(fields.all_day),
        ))
        .returning(Announcement::as_returning())
        .get_result(conn)
        .await?)
}

/// New text and times; `None` when `tenant` has no such announcement.
pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
    fields: &AnnouncementFields,
) -> Result<Option<Announcement>, StoreError> {
    Ok(diesel::update(
        announcements::table.filter(announcements::domain_id.eq(tenant.0)).filter(announcements::id.eq(id)),
    )
    .set((
        announcements::text.eq(&fields.text),
        announcements::starts_at.eq(fields.starts_at),
        announcements::ends_at.eq(fields.ends_at),
        announcements::all_day.eq(fields.all_day),
        announcements::updated_at.eq(diesel::dsl::now),
    ))
    .returning(Announcement::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Publishes or withdraws; `published_at` is set the first time it is published
/// and kept after (Mastodon's `publish!` keeps an earlier one too).
pub async fn set_published(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
    published: bool,
) -> Result<Option<Announcement>, StoreError> {
    let target = announcements::table.filter(announcements::domain_id.eq(tenant.0)).filter(announcements::id.eq(id));
    let now = Utc::now();
    Ok(diesel::update(target)
        .set((
            announcements::published.eq(published),
            announcements::published_at.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >(if published {
                "COALESCE(published_at, now())"
            } else {
                "published_at"
            })),
            announcements::updated_at.eq(now),
        ))
        .returning(Announcement::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Deletes one of `tenant`'s announcements (dismissals and reactions go with it).
pub async fn delete(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
) -> Result<Option<Announcement>, StoreError> {
    Ok(diesel::delete(
        announcements::table.filter(announcements::domain_id.eq(tenant.0)).filter(announcements::id.eq(id)),
    )
    .returning(Announcement::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// Records that `account` dismissed the announcement (again is fine).
pub async fn dismiss(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    id: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(announcement_dismissals::table)
        .values((
            announcement_dismissals::announcement_id.eq(id),
            announcement_dismissals::account_id.eq(account.0),
            announcement_dismissals::domain_id.eq(tenant.0),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `ids` `account` dismissed.
pub async fn dismissed(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    ids: &[i64],
) -> Result<HashSet<i64>, StoreError> {
    let rows: Vec<i64> = announcement_dismissals::table
        .filter(announcement_dismissals::domain_id.eq(tenant.0))
        .filter(announcement_dismissals::account_id.eq(account.0))
        .filter(announcement_dismissals::announcement_id.eq_any(ids))
        .select(announcement_dismissals::announcement_id)
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// One reaction name on an announcement: how many reacted, and whether the viewer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub name: String,
    pub count: i64,
    pub me: bool,
}

/// The reactions of `ids`, per announcement in order of their first use; `me` for `viewer`.
pub async fn reactions(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    viewer: Option<AccountId>,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Reaction>>, StoreError> {
    let rows: Vec<(i64, String, i64)> = announcement_reactions::table
        .filter(announcement_reactions::domain_id.eq(tenant.0))
        .filter(announcement_reactions::announcement_id.eq_any(ids))
        .order(announcement_reactions::created_at.asc())
        .select((
            announcement_reactions::announcement_id,
            announcement_reactions::name,
            announcement_reactions::account_id,
        ))
        .load(conn)
        .await?;
    let mut out: HashMap<i64, Vec<Reaction>> = HashMap::new();
    for (announcement, name, account) in rows {
        let list = out.entry(announcement).or_default();
        let me = viewer.is_some_and(|v| v.0 == account);
        match list.iter_mut().find(|r| r.name == name) {
            Some(found) => {
                found.count += 1;
                found.me |= me;
            }
            None => list.push(Reaction { name, count: 1, me }),
        }
    }
    Ok(out)
}

/// How many people reacted `name` to announcement `id`.
pub async fn reaction_count(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
    name: &str,
) -> Result<i64, StoreError> {
    Ok(announcement_reactions::table
        .filter(announcement_reactions::domain_id.eq(tenant.0))
        .filter(announcement_reactions::announcement_id.eq(id))
        .filter(announcement_reactions::name.eq(name))
        .count()
        .get_result(conn)
        .await?)
}

/// The distinct names already used on announcement `id`.
pub async fn reaction_names(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(announcement_reactions::table
        .filter(announcement_reactions::domain_id.eq(tenant.0))
        .filter(announcement_reactions::announcement_id.eq(id))
        .select(announcement_reactions::name)
        .distinct()
        .load(conn)
        .await?)
}

/// Adds `account`'s reaction; whether it is new.
pub async fn react(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    id: i64,
    name: &str,
) -> Result<bool, StoreError> {
    let n = diesel::insert_into(announcement_reactions::table)
        .values((
            announcement_reactions::announcement_id.eq(id),
            announcement_reactions::account_id.eq(account.0),
            announcement_reactions::domain_id.eq(tenant.0),
            announcement_reactions::name.eq(name),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Removes `account`'s reaction; whether there was one.
pub async fn unreact(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    id: i64,
    name: &str,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        announcement_reactions::table
            .filter(announcement_reactions::domain_id.eq(tenant.0))
            .filter(announcement_reactions::announcement_id.eq(id))
            .filter(announcement_reactions::account_id.eq(account.0))
            .filter(announcement_reactions::name.eq(name)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}
