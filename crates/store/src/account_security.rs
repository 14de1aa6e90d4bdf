//! What secures a login, within one tenant: e-mail confirmation, single-use
//! tokens sent by mail (confirmation, e-mail change, password reset) or held
//! between the two steps of a two-factor sign-in, the password itself, and
//! the TOTP secret with its recovery codes. Tokens are random and stored as
//! SHA-256 digests; every lookup names the tenant.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::oauth::{new_secret, sha256};
use crate::password;
use crate::schema::{account_moderation, accounts, oauth_tokens, user_tokens, users, web_sessions};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What a token is for; each has its own lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the address given at sign-up.
    Confirmation,
    /// Confirms a new address; it becomes the login's only then.
    EmailChange,
    PasswordReset,
    /// Carries a sign-in from the password step to the code step.
    TwoFactor,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Confirmation => "confirmation",
            Purpose::EmailChange => "email_change",
            Purpose::PasswordReset => "password_reset",
            Purpose::TwoFactor => "two_factor",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Confirmation | Purpose::EmailChange => Duration::days(2),
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::TwoFactor => Duration::minutes(5),
        }
    }
}

/// The login's security state, as the sign-in and settings pages need it.
#[derive(Debug, Clone, Queryable)]
pub struct Login {
    pub account_id: i64,
    pub email: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub approved: bool,
    pub role: crate::roles::Role,
    pub otp_secret: Option<String>,
    pub otp_enabled: bool,
    pub otp_last_step: Option<i64>,
    pub otp_recovery_codes: String,
    /// The staff turned this login off (Mastodon's "disable").
    pub disabled: bool,
    /// The tenant's staff suspended the account.
    pub suspended: bool,
    /// The language the person chose (or signed up in): their mails' language.
    pub locale: Option<String>,
}

impl Login {
    pub fn confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// `account`'s login on `domain`.
pub async fn login(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
) -> Result<Option<Login>, StoreError> {
    Ok(users::table
        .filter(users::domain_id.eq(domain.0))
        .filter(users::account_id.eq(account.0))
        .select((
            users::account_id,
            users::email,
            users::confirmed_at,
            users::approved,
            users::role,
            users::otp_secret,
            users::otp_enabled,
            users::otp_last_step,
            users::otp_recovery_codes,
            users::disabled,
            diesel::dsl::exists(
                account_moderation::table
                    .filter(account_moderation::domain_id.eq(domain.0))
                    .filter(account_moderation::account_id.eq(account.0))
                    .filter(account_moderation::suspended_at.is_not_null()),
            ),
            users::locale,
        ))
        .first(conn)
        .await
        .optional()?)
}

/// The account whose login's address is `email` (any case) on `domain`.
pub async fn account_by_email(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    email: &str,
) -> Result<Option<AccountId>, StoreError> {
    let found: Option<i64> = users::table
        .filter(users::domain_id.eq(domain.0))
        .filter(lower(users::email).eq(email.trim().to_lowercase()))
        .select(users::account_id)
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(AccountId))
}

/// Whether some login on `domain` has the address `email` (any case).
pub async fn email_taken(conn: &mut AsyncPgConnection, domain: DomainId, email: &str) -> Result<bool, StoreError> {
    Ok(account_by_email(conn, domain, email).await?.is_some())
}

/// Marks a new login as waiting for its address to be confirmed.
pub async fn set_unconfirmed(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::domain_id.eq(domain.0)).filter(users::account_id.eq(account.0)))
        .set(users::confirmed_at.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the invite a login signed up with.
pub async fn set_invite(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    invite: i64,
) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::domain_id.eq(domain.0)).filter(users::account_id.eq(account.0)))
        .set(users::invite_id.eq(invite))
        .execute(conn)
        .await?;
    Ok(())
}

/// A new token for `account`; returns it (to put in a link, shown once).
pub async fn issue_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    purpose: Purpose,
    email: &str,
) -> Result<String, StoreError> {
    issue_token_lasting(conn, domain, account, purpose, email, purpose.lifetime()).await
}

/// As [`issue_token`], live for `lifetime` instead of the purpose's own
/// (a new site's owner gets days, not an hour, to set their first password).
pub async fn issue_token_lasting(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    purpose: Purpose,
    email: &str,
    lifetime: Duration,
) -> Result<String, StoreError> {
    let token = new_secret();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::id.eq(next_id()),
            user_tokens::domain_id.eq(domain.0),
            user_tokens::account_id.eq(account.0),
            user_tokens::purpose.eq(purpose.as_str()),
            user_tokens::token_sha256.eq(sha256(&token)),
            user_tokens::email.eq(email),
            user_tokens::expires_at.eq(Utc::now() + lifetime),
        ))
        .execute(conn)
        .await?;
    Ok(token)
}

/// A live token, found but not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundToken {
    pub id: i64,
    pub account: AccountId,
    pub email: String,
}

/// The live (unused, unexpired) token `token` for `purpose` on `domain`.
pub async fn find_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    purpose: Purpose,
    token: &str,
) -> Result<Option<FoundToken>, StoreError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let row: Option<(i64, i64, String)> = user_tokens::table
        .filter(user_tokens::token_sha256.eq(sha256(token)))
        .filter(user_tokens::domain_id.eq(domain.0))
        .filter(user_tokens::purpose.eq(purpose.as_str()))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(Utc::now()))
        .select((user_tokens::id, user_tokens::account_id, user_tokens::email))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(id, account, email)| FoundToken { id, account: AccountId(account), email }))
}

/// Uses the live token `token` (once: a second use finds nothing).
pub async fn use_token(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    purpose: Purpose,
    token: &str,
) -> Result<Option<FoundToken>, StoreError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let row: Option<(i64, i64, String)> = diesel::update(
        user_tokens::table
            .filter(user_tokens::token_sha256.eq(sha256(token)))
            .filter(user_tokens::domain_id.eq(domain.0))
            .filter(user_tokens::purpose.eq(purpose.as_str()))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(Utc::now())),
    )
    .set(user_tokens::used_at.eq(Utc::now()))
    .returning((user_tokens::id, user_tokens::account_id, user_tokens::email))
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|(id, account, email)| FoundToken { id, account: AccountId(account), email }))
}

/// Ends every unused token of `account` for `purpose` (a new link replaces the old ones).
pub async fn expire_tokens(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    purpose: Purpose,
) -> Result<(), StoreError> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::domain_id.eq(domain.0))
            .filter(user_tokens::account_id.eq(account.0))
            .filter(user_tokens::purpose.eq(purpose.as_str()))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Confirms the login's address (now, if not already).
pub async fn confirm(conn: &mut AsyncPgConnection, domain: DomainId, account: AccountId) -> Result<(), StoreError> {
    diesel::update(
        users::table
            .filter(users::domain_id.eq(domain.0))
            .filter(users::account_id.eq(account.0))
            .filter(users::confirmed_at.is_null()),
    )
    .set(users::confirmed_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes `email` the login's address (a confirmed e-mail change).
pub async fn set_email(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    email: &str,
) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::domain_id.eq(domain.0)).filter(users::account_id.eq(account.0)))
        .set((users::email.eq(email), users::confirmed_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether `password` is the login's (Argon2 on a blocking thread).
pub async fn check_password(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    password: &str,
) -> Result<bool, StoreError> {
    let hash: Option<String> = users::table
        .filter(users::domain_id.eq(domain.0))
        .filter(users::account_id.eq(account.0))
        .select(users::password_hash)
        .first(conn)
        .await
        .optional()?;
    let Some(hash) = hash else { return Ok(false) };
    let password = password.to_string();
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| StoreError::Connect(format!("worker thread failed: {e}")))
}

/// Sets a new password (hashed on a blocking thread). The caller checked its strength.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    new_password: &str,
) -> Result<(), password::PasswordError> {
    let secret = new_password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash(&secret))
        .await
        .map_err(|e| password::PasswordError::Hash(format!("worker thread failed: {e}")))??;
    diesel::update(users::table.filter(users::domain_id.eq(domain.0)).filter(users::account_id.eq(account.0)))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .await
        .map_err(|e| password::PasswordError::Hash(e.to_string()))?;
    Ok(())
}

/// Ends `account`'s browser sessions but `keep`, and revokes all its OAuth tokens.
pub async fn end_sessions(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    keep_session: Option<i64>,
    revoke_tokens: bool,
) -> Result<(), StoreError> {
    diesel::delete(
        web_sessions::table
            .filter(web_sessions::domain_id.eq(domain.0))
            .filter(web_sessions::account_id.eq(account.0))
            .filter(web_sessions::id.ne(keep_session.unwrap_or(0))),
    )
    .execute(conn)
    .await?;
    if revoke_tokens {
        diesel::update(
            oauth_tokens::table
                .filter(oauth_tokens::domain_id.eq(domain.0))
                .filter(oauth_tokens::account_id.eq(account.0))
                .filter(oauth_tokens::revoked_at.is_null()),
        )
        .set(oauth_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Stores a TOTP secret being set up (not yet enabled).
pub async fn set_otp_secret(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    secret: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::domain_id.eq(domain.0)).filter(users::account_id.eq(account.0)))
        .set((
            users::otp_secret.eq(secret),
            users::otp_enabled.eq(false),
            users::otp_last_step.eq(None::<i64>),
            users::otp_recovery_codes.eq(""),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Turns two-factor on with these recovery-code digests; `step` is the code's, used now.
pub async fn enable_otp(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    step: i64,
    recovery_digests: &str,
) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::domain_id.eq(domain.0)).filter(users::account_id.eq(account.0)))
        .set((
            users::otp_enabled.eq(true),
            users::otp_last_step.eq(step),
            users::otp_recovery_codes.eq(recovery_digests),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records an accepted code's step, only if it is later than the last one:
/// false when another request used this step (or a later one) first.
pub async fn use_otp_step(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    step: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        users::table
            .filter(users::domain_id.eq(domain.0))
            .filter(users::account_id.eq(account.0))
            .filter(users::otp_last_step.is_null().or(users::otp_last_step.lt(step))),
    )
    .set(users::otp_last_step.eq(step))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Replaces the recovery-code digests only if they are still `expected`
/// (a used code is gone; two requests cannot both spend it).
pub async fn replace_recovery_codes(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    expected: &str,
    remaining: &str,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        users::table
            .filter(users::domain_id.eq(domain.0))
            .filter(users::account_id.eq(account.0))
            .filter(users::otp_recovery_codes.eq(expected)),
    )
    .set(users::otp_recovery_codes.eq(remaining))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// The username of `account` on `domain` (for mails).
pub async fn username(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
) -> Result<String, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.eq(domain.0))
        .filter(accounts::id.eq(account.0))
        .select(accounts::username)
        .first(conn)
        .await?)
}

/// Approves `account`'s sign-up on `domain`; whether it was waiting.
pub async fn approve(conn: &mut AsyncPgConnection, domain: DomainId, account: AccountId) -> Result<bool, StoreError> {
    let changed = diesel::update(users::table)
        .filter(users::domain_id.eq(domain.0))
        .filter(users::account_id.eq(account.0))
        .filter(users::approved.eq(false))
        .set(users::approved.eq(true))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}
