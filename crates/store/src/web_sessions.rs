//! Browser sessions of the web interface. The cookie carries a random token;
//! the table keeps its SHA-256. Every lookup names the tenant, so a session
//! cookie of one tenant opens nothing on another.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::oauth::{new_secret, sha256};
use crate::schema::web_sessions;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A session unused for this long is over.
pub const IDLE_LIFETIME: Duration = Duration::days(30);
/// `last_seen_at` is written at most this often, not on every page view.
const TOUCH_EVERY: Duration = Duration::minutes(10);
/// The longest user agent kept (it is shown in the session list).
const MAX_USER_AGENT: usize = 300;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = web_sessions)]
pub struct WebSession {
    pub id: i64,
    pub domain_id: i64,
    pub account_id: i64,
    pub csrf: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl WebSession {
    pub fn domain(&self) -> DomainId {
        DomainId(self.domain_id)
    }
    pub fn account(&self) -> AccountId {
        AccountId(self.account_id)
    }
}

/// Opens a session for `account` on `domain`; returns the cookie's token (shown once) and the row.
pub async fn create(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    user_agent: &str,
    ip: &str,
) -> Result<(String, WebSession), StoreError> {
    let token = new_secret();
    let user_agent: String = user_agent.chars().take(MAX_USER_AGENT).collect();
    let session = diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id.eq(next_id()),
            web_sessions::domain_id.eq(domain.0),
            web_sessions::account_id.eq(account.0),
            web_sessions::token_sha256.eq(sha256(&token)),
            web_sessions::csrf.eq(new_secret()),
            web_sessions::user_agent.eq(user_agent),
            web_sessions::ip.eq(ip),
        ))
        .returning(WebSession::as_returning())
        .get_result(conn)
        .await?;
    Ok((token, session))
}

/// The live session `token` opens on `domain`, touching its last use now and then.
pub async fn find(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    token: &str,
) -> Result<Option<WebSession>, StoreError> {
    let now = Utc::now();
    let found: Option<WebSession> = web_sessions::table
        .filter(web_sessions::token_sha256.eq(sha256(token)))
        .filter(web_sessions::domain_id.eq(domain.0))
        .filter(web_sessions::last_seen_at.gt(now - IDLE_LIFETIME))
        .select(WebSession::as_select())
        .first(conn)
        .await
        .optional()?;
    if let Some(session) = &found
        && now - session.last_seen_at > TOUCH_EVERY
    {
        diesel::update(web_sessions::table.find(session.id))
            .set(web_sessions::last_seen_at.eq(now))
            .execute(conn)
            .await?;
    }
    Ok(found)
}

/// Ends the session `token` opens on `domain` (signing out). Whether there was one.
pub async fn delete_by_token(conn: &mut AsyncPgConnection, domain: DomainId, token: &str) -> Result<bool, StoreError> {
    let n = diesel::delete(web_sessions::table)
        .filter(web_sessions::token_sha256.eq(sha256(token)))
        .filter(web_sessions::domain_id.eq(domain.0))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Ends one of `account`'s sessions by its id (from the session list). Whether there was one.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    id: i64,
) -> Result<bool, StoreError> {
    let n = diesel::delete(web_sessions::table)
        .filter(web_sessions::id.eq(id))
        .filter(web_sessions::domain_id.eq(domain.0))
        .filter(web_sessions::account_id.eq(account.0))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Ends every session of `account` but `keep` (after a password change, say).
pub async fn delete_others(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    keep: Option<i64>,
) -> Result<usize, StoreError> {
    let query = diesel::delete(web_sessions::table)
        .filter(web_sessions::domain_id.eq(domain.0))
        .filter(web_sessions::account_id.eq(account.0))
        .filter(web_sessions::id.ne(keep.unwrap_or(0)));
    Ok(query.execute(conn).await?)
}

/// `account`'s live sessions, the most recently used first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
) -> Result<Vec<WebSession>, StoreError> {
    Ok(web_sessions::table
        .filter(web_sessions::domain_id.eq(domain.0))
        .filter(web_sessions::account_id.eq(account.0))
        .filter(web_sessions::last_seen_at.gt(Utc::now() - IDLE_LIFETIME))
        .order(web_sessions::last_seen_at.desc())
        .select(WebSession::as_select())
        .load(conn)
        .await?)
}
