//! Invite links of one tenant: a code, who made it, how often it may be
//! used and until when. An invite lets someone sign up when registrations
//! are closed or need approval.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::schema::{domains, invites};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = invites)]
pub struct Invite {
    pub id: i64,
    pub domain_id: i64,
    pub creator_id: i64,
    pub code: String,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Invite {
    /// Whether it may still be used at `now`.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now) && self.max_uses.is_none_or(|max| self.uses < max)
    }
}

/// A new random code: 12 letters and digits, easy to read aloud.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    creator: AccountId,
    max_uses: Option<i32>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Invite, StoreError> {
    Ok(diesel::insert_into(invites::table)
        .values((
            invites::id.eq(next_id()),
            invites::domain_id.eq(domain.0),
            invites::creator_id.eq(creator.0),
            invites::code.eq(new_code()),
            invites::max_uses.eq(max_uses),
            invites::expires_at.eq(expires_at),
        ))
        .returning(Invite::as_returning())
        .get_result(conn)
        .await?)
}

/// The invite `code` on `domain`, valid or not.
pub async fn find(conn: &mut AsyncPgConnection, domain: DomainId, code: &str) -> Result<Option<Invite>, StoreError> {
    if code.is_empty() || code.len() > 64 {
        return Ok(None);
    }
    Ok(invites::table
        .filter(invites::domain_id.eq(domain.0))
        .filter(invites::code.eq(code))
        .select(Invite::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Counts one use of the invite `code` if it is still valid; the invite, or
/// `None` when it is unknown, expired or used up (decided in one UPDATE).
pub async fn use_one(conn: &mut AsyncPgConnection, domain: DomainId, code: &str) -> Result<Option<Invite>, StoreError> {
    let now = Utc::now();
    Ok(diesel::update(
        invites::table
            .filter(invites::domain_id.eq(domain.0))
            .filter(invites::code.eq(code))
            .filter(invites::expires_at.is_null().or(invites::expires_at.gt(now)))
            .filter(invites::max_uses.is_null().or(invites::uses.nullable().lt(invites::max_uses))),
    )
    .set(invites::uses.eq(invites::uses + 1))
    .returning(Invite::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// The invites `creator` made on `domain`, newest first.
pub async fn list_by(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    creator: AccountId,
) -> Result<Vec<Invite>, StoreError> {
    Ok(invites::table
        .filter(invites::domain_id.eq(domain.0))
        .filter(invites::creator_id.eq(creator.0))
        .order(invites::id.desc())
        .limit(200)
        .select(Invite::as_select())
        .load(conn)
        .await?)
}

/// Ends one of `creator`'s invites now; whether there was one.
pub async fn expire(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    creator: AccountId,
    id: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        invites::table
            .filter(invites::domain_id.eq(domain.0))
            .filter(invites::creator_id.eq(creator.0))
            .filter(invites::id.eq(id)),
    )
    .set(invites::expires_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Every invite of `domain`, newest first (the admin's view), with each creator's username.
pub async fn list_all(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Vec<(Invite, String)>, StoreError> {
    use crate::schema::accounts;
    Ok(invites::table
        .inner_join(accounts::table.on(accounts::id.eq(invites::creator_id)))
        .filter(invites::domain_id.eq(domain.0))
        .order(invites::id.desc())
        .limit(500)
        .select((Invite::as_select(), accounts::username))
        .load(conn)
        .await?)
}

/// Ends any invite of `domain` now (an admin revoking it); the invite, or `None` when there is none.
pub async fn revoke(conn: &mut AsyncPgConnection, domain: DomainId, id: i64) -> Result<Option<Invite>, StoreError> {
    Ok(diesel::update(invites::table.filter(invites::domain_id.eq(domain.0)).filter(invites::id.eq(id)))
        .set(invites::expires_at.eq(Utc::now()))
        .returning(Invite::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Whether any user of `domain` may make invites (else only its admins).
pub async fn users_may_invite(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<bool, StoreError> {
    Ok(domains::table.find(domain.0).select(domains::invites_by_users).first(conn).await?)
}

/// Lets any user of `domain` make invites, or only its admins.
pub async fn set_users_may_invite(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    allowed: bool,
) -> Result<(), StoreError> {
    diesel::update(domains::table.find(domain.0)).set(domains::invites_by_users.eq(allowed)).execute(conn).await?;
    Ok(())
}
