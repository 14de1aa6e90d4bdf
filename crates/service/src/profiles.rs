//! Profile changes: what `update_credentials` does, as one action.

use crate::Actor;
use crate::error::ServiceError;
use crate::federation::outbound;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::account_settings::{self, SettingsChange};
use kereru_store::accounts::{self, Account};
use kereru_store::profiles::{self, ProfileError, ProfileUpdate};
use kereru_store::statuses::Visibility;

/// A profile change and new posting defaults; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct CredentialsUpdate {
    pub profile: ProfileUpdate,
    pub default_visibility: Option<Visibility>,
    pub default_sensitive: Option<bool>,
    /// `Some(None)` clears the default language.
    pub default_language: Option<Option<String>>,
    /// `indexable`, `attribution_domains`, the default quote policy (checked here).
    pub settings: SettingsChange,
}

/// Mastodon's checks of the settings kept beside the account: a known quote
/// policy, at most ten attribution domains, each a host name (stored canonical).
fn checked_settings(mut settings: SettingsChange) -> Result<SettingsChange, ServiceError> {
    if let Some(policy) = &settings.quote_policy
        && !account_settings::QUOTE_POLICIES.contains(&policy.as_str())
    {
        return Err(ServiceError::Invalid(format!("Validation failed: Quote policy `{policy}` is not a quote policy")));
    }
    if let Some(domains) = settings.attribution_domains.take() {
        if domains.len() > account_settings::MAX_ATTRIBUTION_DOMAINS {
            return Err(ServiceError::Invalid(format!(
                "Validation failed: Attribution domains is too long (maximum is {} domains)",
                account_settings::MAX_ATTRIBUTION_DOMAINS
            )));
        }
        let mut canonical = Vec::new();
        for domain in domains.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
            let host = kereru_core::HostName::parse(domain.trim_start_matches("*.")).map_err(|_| {
                ServiceError::Invalid(format!("Validation failed: Attribution domains {domain} is not a valid domain"))
            })?;
            if !canonical.contains(&host.to_string()) {
                canonical.push(host.to_string());
            }
        }
        settings.attribution_domains = Some(canonical);
    }
    Ok(settings)
}

/// Changes the actor's profile and posting defaults and queues the Update
/// other servers hear of it by, in one transaction: a refused change (too
/// long a name, too many fields) changes nothing and sends nothing.
pub async fn update_credentials(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    change: CredentialsUpdate,
) -> Result<Account, ServiceError> {
    let me = actor.account.id;
    let settings = checked_settings(change.settings)?;
    let result = conn
        .transaction(async |conn| -> Result<Account, ServiceError> {
            profiles::update(conn, me, change.profile).await.map_err(|e| match e {
                ProfileError::Invalid(_) => ServiceError::Invalid(e.to_string()),
                ProfileError::Store(s) => ServiceError::Store(s),
            })?;
            let (visibility, sensitive, language) =
                (change.default_visibility, change.default_sensitive, change.default_language);
            profiles::set_posting_defaults(conn, me, visibility, sensitive, language).await?;
            account_settings::update(conn, actor.tenant.id, me, &settings).await?;
            let updated = accounts::get_unchecked(conn, me).await?.ok_or(ServiceError::NotFound)?;
            // Other servers hear of the new profile (through the delivery queue).
            outbound::profile_updated(conn, actor.scheme, actor.tenant, &updated).await?;
            Ok(updated)
        })
        .await;
    crate::quota_notice::after(conn, actor.tenant.id, result).await
}

/// Removes the actor's avatar or header (Mastodon's `DELETE /api/v1/profile/avatar`
/// and `/header`) and queues the Update other servers hear of it by, in one
/// transaction. Answers the account and the file it no longer uses (the
/// caller removes it once this committed); no image is no error, as Mastodon.
pub async fn remove_image(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    kind: kereru_media::ProfileImage,
) -> Result<(Account, Option<String>), ServiceError> {
    use kereru_media::ProfileImage;
    let me = actor.account.id;
    conn.transaction(async |conn| -> Result<(Account, Option<String>), ServiceError> {
        let current = accounts::get_unchecked(conn, me).await?.ok_or(ServiceError::NotFound)?;
        let old = match kind {
            ProfileImage::Avatar => current.avatar_file.clone(),
            ProfileImage::Header => current.header_file.clone(),
        };
        let Some(old) = old else { return Ok((current, None)) };
        let change = match kind {
            ProfileImage::Avatar => ProfileUpdate { avatar_file: Some(None), ..ProfileUpdate::default() },
            ProfileImage::Header => ProfileUpdate { header_file: Some(None), ..ProfileUpdate::default() },
        };
        let updated = profiles::update(conn, me, change).await.map_err(|e| match e {
            ProfileError::Invalid(_) => ServiceError::Invalid(e.to_string()),
            ProfileError::Store(s) => ServiceError::Store(s),
        })?;
        outbound::profile_updated(conn, actor.scheme, actor.tenant, &updated).await?;
        Ok((updated, Some(old)))
    })
    .await
}
