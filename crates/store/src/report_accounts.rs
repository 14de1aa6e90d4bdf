//! What Mastodon's Admin::Account tells moderators about an account, as a
//! tenant sees it: the login's facts for its own people, and the tenant's
//! verdict (`account_moderation`) for anyone. Reports show their accounts so.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::roles::Role;
use crate::schema::{account_moderation, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The login of a local account of this tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub email: String,
    pub role: Role,
    pub approved: bool,
    pub confirmed: bool,
    pub disabled: bool,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The tenant's verdict on an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    pub suspended: bool,
    pub silenced: bool,
    pub sensitized: bool,
}

pub async fn login(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<Option<Login>, StoreError> {
    type Row = (String, Role, bool, Option<DateTime<Utc>>, bool, Option<String>, DateTime<Utc>);
    let row: Option<Row> = users::table
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::account_id.eq(account.0))
        .select((
            users::email,
            users::role,
            users::approved,
            users::confirmed_at,
            users::disabled,
            users::locale,
            users::created_at,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(email, role, approved, confirmed_at, disabled, locale, created_at)| Login {
        email,
        role,
        approved,
        confirmed: confirmed_at.is_some(),
        disabled,
        locale,
        created_at,
    }))
}

pub async fn verdict(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<Verdict, StoreError> {
    type Row = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let row: Option<Row> = account_moderation::table
        .filter(account_moderation::domain_id.eq(tenant.0))
        .filter(account_moderation::account_id.eq(account.0))
        .select((account_moderation::suspended_at, account_moderation::silenced_at, account_moderation::sensitized_at))
        .first(conn)
        .await
        .optional()?;
    Ok(row
        .map(|(suspended, silenced, sensitized)| Verdict {
            suspended: suspended.is_some(),
            silenced: silenced.is_some(),
            sensitized: sensitized.is_some(),
        })
        .unwrap_or_default())
}
