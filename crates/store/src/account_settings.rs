//! Profile settings Mastodon's `update_credentials` takes beside the account
//! row: `indexable`, `attribution_domains`, the default quote policy.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::account_settings;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

/// Mastodon's quote policies for a person's posts.
pub const QUOTE_POLICIES: &[&str] = &["public", "followers", "nobody"];

/// Mastodon's limit on attribution domains.
pub const MAX_ATTRIBUTION_DOMAINS: usize = 10;

/// The settings; without a row, indexable follows `discoverable`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    pub indexable: Option<bool>,
    pub attribution_domains: Vec<String>,
    pub quote_policy: String,
}

/// A change; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub indexable: Option<bool>,
    pub attribution_domains: Option<Vec<String>>,
    pub quote_policy: Option<String>,
}

impl SettingsChange {
    pub fn is_empty(&self) -> bool {
        self.indexable.is_none() && self.attribution_domains.is_none() && self.quote_policy.is_none()
    }
}

pub async fn get(conn: &mut AsyncPgConnection, account: AccountId) -> Result<Settings, StoreError> {
    let row: Option<(Option<bool>, Vec<String>, String)> = account_settings::table
        .find(account.0)
        .select((account_settings::indexable, account_settings::attribution_domains, account_settings::quote_policy))
        .first(conn)
        .await
        .optional()?;
    Ok(match row {
        Some((indexable, attribution_domains, quote_policy)) => {
            Settings { indexable, attribution_domains, quote_policy }
        }
        None => Settings { quote_policy: "public".into(), ..Settings::default() },
    })
}

/// Each account's explicit `indexable`, for accounts that set one.
pub async fn indexable_of(conn: &mut AsyncPgConnection, accounts: &[i64]) -> Result<HashMap<i64, bool>, StoreError> {
    let rows: Vec<(i64, Option<bool>)> = account_settings::table
        .filter(account_settings::account_id.eq_any(accounts))
        .select((account_settings::account_id, account_settings::indexable))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, v)| v.map(|v| (id, v))).collect())
}

/// Applies `change` to `account`'s settings (values already validated).
pub async fn update(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    change: &SettingsChange,
) -> Result<(), StoreError> {
    if change.is_empty() {
        return Ok(());
    }
    let current = get(conn, account).await?;
    let indexable = change.indexable.or(current.indexable);
    let domains = change.attribution_domains.clone().unwrap_or(current.attribution_domains);
    let policy = change.quote_policy.clone().unwrap_or(current.quote_policy);
    diesel::insert_into(account_settings::table)
        .values((
            account_settings::account_id.eq(account.0),
            account_settings::domain_id.eq(tenant.0),
            account_settings::indexable.eq(indexable),
            account_settings::attribution_domains.eq(&domains),
            account_settings::quote_policy.eq(&policy),
        ))
        .on_conflict(account_settings::account_id)
        .do_update()
        .set((
            account_settings::indexable.eq(indexable),
            account_settings::attribution_domains.eq(&domains),
            account_settings::quote_policy.eq(&policy),
            account_settings::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
