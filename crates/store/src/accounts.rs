//! Local accounts and their login credentials, always within one tenant.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::password::{self, PasswordError};
use crate::schema::{accounts, users};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use kereru_core::Username;
use kereru_core::keys::{ACCOUNT_KEY_BITS, KeyError, generate_rsa_keypair};
use kereru_core::nodeinfo::Usage;

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: AccountId,
    /// The tenant of a local account; `None` for a remote one.
    pub domain_id: Option<DomainId>,
    pub username: String,
    pub display_name: String,
    pub summary: String,
    pub locked: bool,
    pub discoverable: bool,
    pub public_key_pem: String,
    pub created_at: DateTime<Utc>,
    pub bot: bool,
    /// Under the account's tenant's media directory; `None` shows the default image.
    pub avatar_file: Option<String>,
    pub header_file: Option<String>,
    /// Remote accounts: the actor id, the host of the handle, and what the actor published.
    pub uri: Option<String>,
    pub remote_host: Option<String>,
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub avatar_remote_url: Option<String>,
    pub header_remote_url: Option<String>,
    /// The id of the key a remote actor signs with.
    pub key_id: Option<String>,
    /// A local account's followers and following pages are not shown to other servers.
    pub hide_collections: bool,
    /// Where a remote account said it moved to.
    pub moved_to_uri: Option<String>,
}

impl Account {
    pub fn is_local(&self) -> bool {
        self.domain_id.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct NewLocalAccount {
    pub username: Username,
    /// Already validated (`kereru_core::email::parse_email`).
    pub email: String,
    pub password: String,
    pub role: crate::roles::Role,
    /// False for sign-ups that wait for a moderator's approval.
    pub approved: bool,
    pub signup_reason: Option<String>,
    pub locale: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the username {0} is already taken on this domain")]
    UsernameTaken(String),
    #[error("the e-mail address {0} is already used on this domain")]
    EmailTaken(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for AccountError {
    fn from(error: DieselError) -> Self {
        AccountError::Store(StoreError::Database(error))
    }
}

/// Creates a local account with its key pair and login on one tenant, all or nothing.
pub async fn create_local(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    new: NewLocalAccount,
) -> Result<Account, AccountError> {
    password::check_strength(&new.password)?;
    // Both are CPU-heavy (key generation, Argon2): keep them off the async workers.
    let secret = new.password.clone();
    let (keys, password_hash) = tokio::task::spawn_blocking(move || {
        let keys = generate_rsa_keypair(ACCOUNT_KEY_BITS)?;
        let hash = password::hash(&secret)?;
        Ok::<_, AccountError>((keys, hash))
    })
    .await
    .map_err(|e| StoreError::Connect(format!("worker thread failed: {e}")))??;

    let id = next_id();
    let username = new.username.as_str().to_string();
    let email = new.email.clone();
    let result = conn
        .transaction(async |conn| -> Result<(), AccountError> {
            {
                crate::quotas::check_accounts(conn, domain).await?;
                let name_taken: i64 = accounts::table
                    .filter(accounts::domain_id.eq(domain.0))
                    .filter(lower(accounts::username).eq(username.to_lowercase()))
                    .count()
                    .get_result(conn)
                    .await?;
                if name_taken > 0 {
                    return Err(AccountError::UsernameTaken(username.clone()));
                }
                let email_taken: i64 = users::table
                    .filter(users::domain_id.eq(domain.0))
                    .filter(lower(users::email).eq(email.to_lowercase()))
                    .count()
                    .get_result(conn)
                    .await?;
                if email_taken > 0 {
                    return Err(AccountError::EmailTaken(email.clone()));
                }
                diesel::insert_into(accounts::table)
                    .values((
                        accounts::id.eq(id),
                        accounts::domain_id.eq(domain.0),
                        accounts::username.eq(&username),
                        accounts::private_key_pkcs8.eq(&keys.private_pkcs8_der),
                        accounts::public_key_pem.eq(&keys.public_pem),
                    ))
                    .execute(conn)
                    .await?;
                diesel::insert_into(users::table)
                    .values((
                        users::account_id.eq(id),
                        users::domain_id.eq(domain.0),
                        users::email.eq(&email),
                        users::password_hash.eq(&password_hash),
                        users::role.eq(new.role),
                        users::approved.eq(new.approved),
                        users::signup_reason.eq(&new.signup_reason),
                        users::locale.eq(&new.locale),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            }
        })
        .await;
    match result {
        Ok(()) => {}
        // A concurrent insert got past the checks: the unique indexes decide.
        Err(AccountError::Store(e)) => {
            return Err(match e.unique_violation() {
                Some("users_domain_email") => AccountError::EmailTaken(new.email),
                Some(_) => AccountError::UsernameTaken(new.username.to_string()),
                None => AccountError::Store(e),
            });
        }
        Err(e) => return Err(e),
    }
    let account = accounts::table.find(id).select(Account::as_select()).first(conn).await?;
    Ok(account)
}

/// The local account `username` (any case) on this tenant.
pub async fn find_local(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    username: &str,
) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.eq(domain.0))
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .filter(crate::instance_actor::is_person())
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn list_local(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Vec<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.eq(domain.0))
        .filter(crate::instance_actor::is_person())
        .order(accounts::id.asc())
        .select(Account::as_select())
        .load(conn)
        .await?)
}

/// This tenant's NodeInfo figures. "Active" is a sign-in (or, before any,
/// the sign-up) within the period.
pub async fn usage(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Usage, StoreError> {
    let now = Utc::now();
    let total: i64 = users::table.filter(users::domain_id.eq(domain.0)).count().get_result(conn).await?;
    let active_since = |days: i64| now - Duration::days(days);
    let month: i64 = users::table
        .filter(users::domain_id.eq(domain.0))
        .filter(active_after(active_since(30)))
        .count()
        .get_result(conn)
        .await?;
    let halfyear: i64 = users::table
        .filter(users::domain_id.eq(domain.0))
        .filter(active_after(active_since(180)))
        .count()
        .get_result(conn)
        .await?;
    use crate::schema::statuses;
    let local_posts: i64 = statuses::table
        .filter(statuses::domain_id.eq(domain.0))
        .filter(statuses::reblog_of_id.is_null())
        .count()
        .get_result(conn)
        .await?;
    Ok(Usage { users_total: total, active_month: month, active_halfyear: halfyear, local_posts })
}

type ActiveAfter = diesel::dsl::Or<
    diesel::dsl::Gt<users::last_active_at, DateTime<Utc>>,
    diesel::dsl::And<diesel::dsl::IsNull<users::last_active_at>, diesel::dsl::Gt<users::created_at, DateTime<Utc>>>,
>;

/// Signed in after `since`, or never signed in and signed up after it.
fn active_after(since: DateTime<Utc>) -> ActiveAfter {
    users::last_active_at.gt(since).or(users::last_active_at.is_null().and(users::created_at.gt(since)))
}

/// The local account with this id on this tenant.
pub async fn get_local(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::domain_id.eq(domain.0))
        .filter(accounts::id.eq(id.0))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The account whose login (username or e-mail, any case) and password
/// match, on this tenant. Argon2 runs on a blocking thread; an unknown login
/// costs a hash too, so timing does not tell which logins exist.
/// The local account a login (username or e-mail) names on `domain`, without checking any password.
pub async fn login_account(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    login: &str,
) -> Result<Option<AccountId>, StoreError> {
    let login = login.trim().to_lowercase();
    let found: Option<i64> = users::table
        .inner_join(accounts::table)
        .filter(users::domain_id.eq(domain.0))
        .filter(lower(users::email).eq(&login).or(lower(accounts::username).eq(&login)))
        .select(accounts::id)
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(AccountId))
}

pub async fn authenticate(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    login: &str,
    password: &str,
) -> Result<Option<Account>, StoreError> {
    let login = login.trim().to_lowercase();
    let found: Option<(i64, String)> = users::table
        .inner_join(accounts::table)
        .filter(users::domain_id.eq(domain.0))
        .filter(lower(users::email).eq(&login).or(lower(accounts::username).eq(&login)))
        .select((accounts::id, users::password_hash))
        .first(conn)
        .await
        .optional()?;
    let password = password.to_string();
    let (id, hash) = match found {
        Some((id, hash)) => (Some(id), hash),
        None => (None, String::new()),
    };
    let matches = tokio::task::spawn_blocking(move || {
        // An unknown login is checked against a real hash too, so that the
        // time taken does not tell which logins exist.
        let hash = if hash.is_empty() { dummy_hash() } else { hash };
        password::verify(&password, &hash)
    })
    .await
    .map_err(|e| StoreError::Connect(format!("worker thread failed: {e}")))?;
    match (id, matches) {
        (Some(id), true) => {
            diesel::update(users::table.filter(users::account_id.eq(id)))
                .set(users::last_active_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            crate::activity::record_login(conn, domain, AccountId(id)).await?;
            get_local(conn, domain, AccountId(id)).await
        }
        _ => Ok(None),
    }
}

/// An Argon2id hash of a random password, made once per process.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| password::hash(&crate::oauth::new_secret()).unwrap_or_default()).clone()
}

/// Who a tenant's instance page names as contact: its first admin, else its first account.
pub async fn contact_account(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table
        .inner_join(users::table)
        .filter(accounts::domain_id.eq(domain.0))
        .order(((users::role.eq(crate::roles::Role::Admin)).desc(), accounts::id.asc()))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// An account as tenant `viewer_tenant` may see it: its own accounts, and
/// accounts of other tenants it has come to know (see `known_accounts`),
/// but none its staff suspended.
pub async fn get_visible(
    conn: &mut AsyncPgConnection,
    viewer_tenant: DomainId,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    Ok(many_visible(conn, viewer_tenant, &[id.0]).await?.into_iter().next())
}

/// Like [`get_visible`] for many ids; unknown ones are left out.
pub async fn many_visible(
    conn: &mut AsyncPgConnection,
    viewer_tenant: DomainId,
    ids: &[i64],
) -> Result<Vec<Account>, StoreError> {
    use crate::schema::known_accounts;
    let known =
        known_accounts::table.filter(known_accounts::domain_id.eq(viewer_tenant.0)).select(known_accounts::account_id);
    use crate::schema::account_moderation;
    // Accounts this tenant's staff suspended are hidden from it until unsuspended.
    let suspended = account_moderation::table
        .filter(account_moderation::domain_id.eq(viewer_tenant.0))
        .filter(account_moderation::suspended_at.is_not_null())
        .select(account_moderation::account_id);
    Ok(accounts::table
        .filter(accounts::id.eq_any(ids))
        .filter(accounts::domain_id.eq(viewer_tenant.0).or(accounts::id.eq_any(known)))
        .filter(crate::instance_actor::is_person())
        .filter(diesel::dsl::not(accounts::id.eq_any(suspended)))
        .select(Account::as_select())
        .load(conn)
        .await?)
}

/// Any account by id, for the service layer's bookkeeping (no tenant check).
pub async fn get_unchecked(conn: &mut AsyncPgConnection, id: AccountId) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table.find(id.0).select(Account::as_select()).first(conn).await.optional()?)
}

/// Accounts by id with no tenant check, in no particular order: for
/// collections that name whoever follows (or is followed by) a local account.
pub async fn many_unchecked(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<Vec<Account>, StoreError> {
    Ok(accounts::table.filter(accounts::id.eq_any(ids)).select(Account::as_select()).load(conn).await?)
}

/// Accounts tenant `viewer_tenant` may see whose username or display name
/// contains `text` (case-insensitively), by username, for search.
pub async fn search_visible(
    conn: &mut AsyncPgConnection,
    viewer_tenant: DomainId,
    text: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<i64>, StoreError> {
    use crate::schema::known_accounts;
    let pattern = crate::statuses::contains_pattern(text);
    let known =
        known_accounts::table.filter(known_accounts::domain_id.eq(viewer_tenant.0)).select(known_accounts::account_id);
    Ok(accounts::table
        .filter(accounts::domain_id.eq(viewer_tenant.0).or(accounts::id.eq_any(known)))
        .filter(accounts::username.ilike(&pattern).or(accounts::display_name.ilike(&pattern)))
        .filter(crate::instance_actor::is_person())
        .filter(diesel::dsl::not(
            accounts::id.eq_any(
                crate::schema::account_moderation::table
                    .filter(crate::schema::account_moderation::domain_id.eq(viewer_tenant.0))
                    .filter(crate::schema::account_moderation::suspended_at.is_not_null())
                    .select(crate::schema::account_moderation::account_id),
            ),
        ))
        .order(accounts::username.asc())
        .offset(offset)
        .limit(limit)
        .select(accounts::id)
        .load(conn)
        .await?)
}

/// Statuses written (boosts included), for the Account entity.
pub async fn status_count(conn: &mut AsyncPgConnection, account: AccountId) -> Result<i64, StoreError> {
    use crate::schema::statuses;
    Ok(statuses::table.filter(statuses::account_id.eq(account.0)).count().get_result(conn).await?)
}

/// How many other hosts this tenant knows accounts of (Mastodon's `domain_count`).
/// The servers `domain` knows accounts of: remote hosts, and the account hosts of the other
/// tenants on this deployment, sorted (Mastodon's `/api/v1/instance/peers`).
pub async fn known_domains(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Vec<String>, StoreError> {
    use crate::schema::{domains, known_accounts};
    let remote: Vec<String> = known_accounts::table
        .inner_join(accounts::table)
        .filter(known_accounts::domain_id.eq(domain.0))
        .filter(accounts::remote_host.is_not_null())
        .select(accounts::remote_host.assume_not_null())
        .distinct()
        .load(conn)
        .await?;
    let tenants: Vec<String> = known_accounts::table
        .inner_join(accounts::table.inner_join(domains::table))
        .filter(known_accounts::domain_id.eq(domain.0))
        .filter(accounts::domain_id.ne(domain.0))
        .select(domains::account_host)
        .distinct()
        .load(conn)
        .await?;
    let mut all: Vec<String> = remote.into_iter().chain(tenants).collect();
    all.sort();
    all.dedup();
    Ok(all)
}

pub async fn known_domain_count(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<i64, StoreError> {
    use crate::schema::known_accounts;
    // Other tenants count by id, remote servers by host.
    let hosts: Vec<(Option<i64>, Option<String>)> = known_accounts::table
        .inner_join(accounts::table)
        .filter(known_accounts::domain_id.eq(domain.0))
        .filter(accounts::domain_id.is_distinct_from(domain.0))
        .select((accounts::domain_id, accounts::remote_host))
        .distinct()
        .load(conn)
        .await?;
    Ok(hosts.len() as i64)
}

/// What a remote actor document says about its account (already checked and sanitized).
#[derive(Debug, Clone)]
pub struct RemoteActor {
    pub uri: String,
    pub remote_host: String,
    pub username: String,
    pub display_name: String,
    /// Sanitized HTML.
    pub summary: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub public_key_pem: String,
    pub key_id: Option<String>,
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub avatar_remote_url: Option<String>,
    pub header_remote_url: Option<String>,
}

/// Creates or refreshes a remote account by its actor id.
pub async fn upsert_remote(conn: &mut AsyncPgConnection, actor: &RemoteActor) -> Result<Account, StoreError> {
    let values = (
        accounts::username.eq(&actor.username),
        accounts::display_name.eq(&actor.display_name),
        accounts::summary.eq(&actor.summary),
        accounts::locked.eq(actor.locked),
        accounts::bot.eq(actor.bot),
        accounts::discoverable.eq(actor.discoverable),
        accounts::public_key_pem.eq(&actor.public_key_pem),
        accounts::key_id.eq(&actor.key_id),
        accounts::remote_host.eq(&actor.remote_host),
        accounts::url.eq(&actor.url),
        accounts::inbox_url.eq(&actor.inbox_url),
        accounts::shared_inbox_url.eq(&actor.shared_inbox_url),
        accounts::followers_url.eq(&actor.followers_url),
        accounts::avatar_remote_url.eq(&actor.avatar_remote_url),
        accounts::header_remote_url.eq(&actor.header_remote_url),
        accounts::fetched_at.eq(diesel::dsl::now),
        accounts::updated_at.eq(diesel::dsl::now),
    );
    Ok(diesel::insert_into(accounts::table)
        .values((accounts::id.eq(next_id()), accounts::uri.eq(&actor.uri), values))
        .on_conflict(accounts::uri)
        .do_update()
        .set(values)
        .returning(Account::as_returning())
        .get_result(conn)
        .await?)
}

/// A remote account by handle, with when it was last fetched.
pub async fn find_remote(
    conn: &mut AsyncPgConnection,
    username: &str,
    host: &str,
) -> Result<Option<(Account, Option<DateTime<Utc>>)>, StoreError> {
    let found: Option<(Account, Option<DateTime<Utc>>)> = accounts::table
        .filter(accounts::domain_id.is_null())
        .filter(accounts::remote_host.eq(host.to_ascii_lowercase()))
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .select((Account::as_select(), accounts::fetched_at))
        .first(conn)
        .await
        .optional()?;
    Ok(found)
}
