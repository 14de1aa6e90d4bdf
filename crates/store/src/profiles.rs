//! Profile edits, profile fields, posting preferences and read markers.

use crate::accounts::Account;
use crate::error::StoreError;
use crate::ids::AccountId;
use crate::schema::{account_fields, accounts, markers, users};
use crate::statuses::Visibility;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub const MAX_FIELDS: usize = 4;
pub const MAX_FIELD_NAME: usize = 255;
pub const MAX_FIELD_VALUE: usize = 255;
pub const MAX_DISPLAY_NAME: usize = 30;
pub const MAX_NOTE: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<DateTime<Utc>>,
}

/// A profile change; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    /// Withhold the followers and following collections' pages.
    pub hide_collections: Option<bool>,
    pub fields: Option<Vec<(String, String)>>,
    /// New image file names (already stored); `Some(None)` removes the image.
    pub avatar_file: Option<Option<String>>,
    pub header_file: Option<Option<String>>,
    /// The stored size of a new avatar or header (counted against the
    /// tenant's media storage; 0 when unknown).
    pub avatar_bytes: i64,
    pub header_bytes: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("Validation failed: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ProfileError {
    fn from(error: diesel::result::Error) -> Self {
        ProfileError::Store(StoreError::Database(error))
    }
}

/// Checks everything first, then applies it in one transaction.
pub async fn update(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    change: ProfileUpdate,
) -> Result<Account, ProfileError> {
    if change.display_name.as_ref().is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME) {
        return Err(ProfileError::Invalid(format!(
            "Display name is too long (maximum is {MAX_DISPLAY_NAME} characters)"
        )));
    }
    if change.note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(ProfileError::Invalid(format!("Note is too long (maximum is {MAX_NOTE} characters)")));
    }
    if let Some(fields) = &change.fields {
        if fields.len() > MAX_FIELDS {
            return Err(ProfileError::Invalid(format!("Fields is too long (maximum is {MAX_FIELDS} fields)")));
        }
        if fields.iter().any(|(n, v)| n.chars().count() > MAX_FIELD_NAME || v.chars().count() > MAX_FIELD_VALUE) {
            return Err(ProfileError::Invalid("a profile field is too long (maximum is 255 characters)".into()));
        }
    }
    conn.transaction(async |conn| -> Result<(), ProfileError> {
        if let Some(name) = &change.display_name {
            diesel::update(accounts::table.find(account.0))
                .set(accounts::display_name.eq(name.trim()))
                .execute(conn)
                .await?;
        }
        if let Some(note) = &change.note {
            diesel::update(accounts::table.find(account.0))
                .set(accounts::summary.eq(note.trim()))
                .execute(conn)
                .await?;
        }
        if let Some(locked) = change.locked {
            diesel::update(accounts::table.find(account.0)).set(accounts::locked.eq(locked)).execute(conn).await?;
        }
        if let Some(bot) = change.bot {
            diesel::update(accounts::table.find(account.0)).set(accounts::bot.eq(bot)).execute(conn).await?;
        }
        if let Some(file) = &change.avatar_file {
            let bytes = if file.is_some() { change.avatar_bytes } else { 0 };
            crate::quotas::set_profile_image(conn, account, crate::quotas::ProfileImageKind::Avatar, bytes).await?;
            diesel::update(accounts::table.find(account.0)).set(accounts::avatar_file.eq(file)).execute(conn).await?;
        }
        if let Some(file) = &change.header_file {
            let bytes = if file.is_some() { change.header_bytes } else { 0 };
            crate::quotas::set_profile_image(conn, account, crate::quotas::ProfileImageKind::Header, bytes).await?;
            diesel::update(accounts::table.find(account.0)).set(accounts::header_file.eq(file)).execute(conn).await?;
        }
        if let Some(discoverable) = change.discoverable {
            diesel::update(accounts::table.find(account.0))
                .set(accounts::discoverable.eq(discoverable))
                .execute(conn)
                .await?;
        }
        if let Some(hide) = change.hide_collections {
            diesel::update(accounts::table.find(account.0))
                .set(accounts::hide_collections.eq(hide))
                .execute(conn)
                .await?;
        }
        if let Some(fields) = &change.fields {
            diesel::delete(account_fields::table.filter(account_fields::account_id.eq(account.0)))
                .execute(conn)
                .await?;
            let rows: Vec<_> = fields
                .iter()
                .filter(|(n, v)| !n.trim().is_empty() || !v.trim().is_empty())
                .enumerate()
                .map(|(i, (n, v))| {
                    (
                        account_fields::account_id.eq(account.0),
                        account_fields::position.eq(i as i32),
                        account_fields::name.eq(n.trim().to_string()),
                        account_fields::value.eq(v.trim().to_string()),
                    )
                })
                .collect();
            diesel::insert_into(account_fields::table).values(rows).execute(conn).await?;
        }
        diesel::update(accounts::table.find(account.0))
            .set(accounts::updated_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await?;
    let updated = accounts::table.find(account.0).select(Account::as_select()).first(conn).await?;
    Ok(updated)
}

pub async fn fields(conn: &mut AsyncPgConnection, account: AccountId) -> Result<Vec<Field>, StoreError> {
    Ok(account_fields::table
        .filter(account_fields::account_id.eq(account.0))
        .order(account_fields::position.asc())
        .select((account_fields::name, account_fields::value, account_fields::verified_at))
        .load(conn)
        .await?)
}

/// Marks the field at `position` as verified (its page links back with
/// `rel="me"`) if it still holds `value`: a field edited while its old value
/// was being checked stays unverified. Returns whether a field was marked.
pub async fn mark_field_verified(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    position: i32,
    value: &str,
) -> Result<bool, StoreError> {
    let marked = diesel::update(
        account_fields::table
            .filter(account_fields::account_id.eq(account.0))
            .filter(account_fields::position.eq(position))
            .filter(account_fields::value.eq(value)),
    )
    .set(account_fields::verified_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(marked > 0)
}

/// Posting preferences of a local account.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Preferences {
    pub default_visibility: Visibility,
    pub default_sensitive: bool,
    pub default_language: Option<String>,
    pub approved: bool,
    pub role: crate::roles::Role,
}

pub async fn preferences(conn: &mut AsyncPgConnection, account: AccountId) -> Result<Preferences, StoreError> {
    Ok(users::table
        .find(account.0)
        .select((
            users::default_visibility,
            users::default_sensitive,
            users::default_language,
            users::approved,
            users::role,
        ))
        .first(conn)
        .await?)
}

pub async fn set_posting_defaults(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    visibility: Option<Visibility>,
    sensitive: Option<bool>,
    language: Option<Option<String>>,
) -> Result<(), StoreError> {
    if let Some(visibility) = visibility {
        diesel::update(users::table.find(account.0))
            .set(users::default_visibility.eq(visibility))
            .execute(conn)
            .await?;
    }
    if let Some(sensitive) = sensitive {
        diesel::update(users::table.find(account.0)).set(users::default_sensitive.eq(sensitive)).execute(conn).await?;
    }
    if let Some(language) = language {
        diesel::update(users::table.find(account.0)).set(users::default_language.eq(language)).execute(conn).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Marker {
    pub timeline: String,
    pub last_read_id: i64,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

pub async fn markers_of(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    timelines: &[String],
) -> Result<Vec<Marker>, StoreError> {
    Ok(markers::table
        .filter(markers::account_id.eq(account.0))
        .filter(markers::timeline.eq_any(timelines))
        .select((markers::timeline, markers::last_read_id, markers::version, markers::updated_at))
        .load(conn)
        .await?)
}

/// Saves a marker, bumping its version (Mastodon's optimistic-locking counter).
pub async fn save_marker(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    timeline: &str,
    last_read_id: i64,
) -> Result<Marker, StoreError> {
    Ok(diesel::insert_into(markers::table)
        .values((
            markers::account_id.eq(account.0),
            markers::timeline.eq(timeline),
            markers::last_read_id.eq(last_read_id),
        ))
        .on_conflict((markers::account_id, markers::timeline))
        .do_update()
        .set((
            markers::last_read_id.eq(last_read_id),
            markers::version.eq(markers::version + 1),
            markers::updated_at.eq(diesel::dsl::now),
        ))
        .returning((markers::timeline, markers::last_read_id, markers::version, markers::updated_at))
        .get_result(conn)
        .await?)
}

/// Saves several markers at once, all or none.
pub async fn save_markers(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    updates: &[(&str, i64)],
) -> Result<Vec<Marker>, StoreError> {
    conn.transaction(async |conn| -> Result<Vec<Marker>, StoreError> {
        let mut saved = Vec::with_capacity(updates.len());
        for (timeline, last_read_id) in updates {
            saved.push(save_marker(conn, account, timeline, *last_read_id).await?);
        }
        Ok(saved)
    })
    .await
}
