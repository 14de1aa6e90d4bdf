//! Claims of custom domains made on the host's page (self-service): what was
//! asked, the TXT challenge that proves control, and how checking went.
//! A claim reserves nothing until it is verified (the tenant's
//! `domain_hosts` rows do that); the verifier claims due rows under
//! `FOR UPDATE SKIP LOCKED` with a lease, so nodes share the work.

use crate::error::StoreError;
use crate::ids::{DomainId, next_id};
use crate::oauth::new_secret;
use crate::schema::domain_claims;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// How long a claim may wait for its DNS records.
pub const LIFETIME_DAYS: i64 = 7;
/// Longest problem text kept per claim.
const MAX_PROBLEM_LENGTH: usize = 500;

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// Waiting for the TXT (and A/AAAA) records.
    Waiting,
    /// Proven: the tenant exists (`domain_id`).
    Verified,
    /// Proven too late: another claim or an admin took a host first.
    Refused,
}

impl ClaimState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Waiting => "waiting",
            ClaimState::Verified => "verified",
            ClaimState::Refused => "refused",
        }
    }

    fn parse(text: &str) -> ClaimState {
        match text {
            "verified" => ClaimState::Verified,
            "refused" => ClaimState::Refused,
            _ => ClaimState::Waiting,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = domain_claims)]
struct ClaimRow {
    id: i64,
    status_key: String,
    challenge: String,
    account_host: String,
    service_host: Option<String>,
    email: String,
    username: String,
    state: String,
    domain_id: Option<i64>,
    checks: i32,
    last_problem: Option<String>,
    last_checked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    verified_at: Option<DateTime<Utc>>,
}

/// One claim. Host names were canonicalized before they were stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub status_key: String,
    pub challenge: String,
    pub account_host: String,
    pub service_host: Option<String>,
    pub email: String,
    pub username: String,
    pub state: ClaimState,
    pub domain_id: Option<DomainId>,
    pub checks: i32,
    pub last_problem: Option<String>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
}

impl Claim {
    /// A waiting claim past its lifetime: it can no longer be verified.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.state == ClaimState::Waiting && self.expires_at <= now
    }

    /// The hosts to prove: the account host, then the service host if any.
    pub fn hosts(&self) -> Vec<&str> {
        let mut hosts = vec![self.account_host.as_str()];
        hosts.extend(self.service_host.as_deref());
        hosts
    }
}

impl From<ClaimRow> for Claim {
    fn from(row: ClaimRow) -> Self {
        Claim {
            id: row.id,
            status_key: row.status_key,
            challenge: row.challenge,
            account_host: row.account_host,
            service_host: row.service_host,
            email: row.email,
            username: row.username,
            state: ClaimState::parse(&row.state),
            domain_id: row.domain_id.map(DomainId),
            checks: row.checks,
            last_problem: row.last_problem,
            last_checked_at: row.last_checked_at,
            created_at: row.created_at,
            expires_at: row.expires_at,
            verified_at: row.verified_at,
        }
    }
}

/// What a person asked for (already validated and canonical).
#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    pub account_host: &'a str,
    pub service_host: Option<&'a str>,
    pub email: &'a str,
    pub username: &'a str,
}

/// Stores a new claim with a random status key and challenge; due for checking at once.
pub async fn create(conn: &mut AsyncPgConnection, new: &NewClaim<'_>) -> Result<Claim, StoreError> {
    let row: ClaimRow = diesel::insert_into(domain_claims::table)
        .values((
            domain_claims::id.eq(next_id()),
            domain_claims::status_key.eq(new_secret()),
            domain_claims::challenge.eq(new_secret()),
            domain_claims::account_host.eq(new.account_host),
            domain_claims::service_host.eq(new.service_host),
            domain_claims::email.eq(new.email),
            domain_claims::username.eq(new.username),
            domain_claims::expires_at.eq(Utc::now() + Duration::days(LIFETIME_DAYS)),
        ))
        .returning(ClaimRow::as_returning())
        .get_result(conn)
        .await?;
    Ok(row.into())
}

/// The claim whose status page is `/claim/{status_key}`.
pub async fn find(conn: &mut AsyncPgConnection, status_key: &str) -> Result<Option<Claim>, StoreError> {
    if status_key.is_empty() || status_key.len() > 100 {
        return Ok(None);
    }
    let row: Option<ClaimRow> = domain_claims::table
        .filter(domain_claims::status_key.eq(status_key))
        .select(ClaimRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(Claim::from))
}

/// The claim `id`, locked for the caller's transaction.
pub async fn lock(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Claim>, StoreError> {
    let row: Option<ClaimRow> =
        domain_claims::table.find(id).select(ClaimRow::as_select()).for_update().first(conn).await.optional()?;
    Ok(row.map(Claim::from))
}

/// How many claims for `account_host` are waiting and live (to bound them).
pub async fn waiting_for_host(conn: &mut AsyncPgConnection, account_host: &str) -> Result<i64, StoreError> {
    Ok(domain_claims::table
        .filter(domain_claims::account_host.eq(account_host))
        .filter(domain_claims::state.eq(ClaimState::Waiting.as_str()))
        .filter(domain_claims::expires_at.gt(Utc::now()))
        .count()
        .get_result(conn)
        .await?)
}

/// Up to `limit` waiting, live claims due for a check; each is leased for
/// `lease` (its next check moves forward), so no other node takes it meanwhile.
pub async fn claim_due(conn: &mut AsyncPgConnection, limit: i64, lease: Duration) -> Result<Vec<Claim>, StoreError> {
    conn.transaction(async |conn| -> Result<Vec<Claim>, StoreError> {
        let now = Utc::now();
        let ids: Vec<i64> = domain_claims::table
            .filter(domain_claims::state.eq(ClaimState::Waiting.as_str()))
            .filter(domain_claims::expires_at.gt(now))
            .filter(domain_claims::next_check_at.le(now))
            .order(domain_claims::next_check_at.asc())
            .limit(limit)
            .select(domain_claims::id)
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ClaimRow> = diesel::update(domain_claims::table.filter(domain_claims::id.eq_any(&ids)))
            .set(domain_claims::next_check_at.eq(now + lease))
            .returning(ClaimRow::as_returning())
            .get_results(conn)
            .await?;
        Ok(rows.into_iter().map(Claim::from).collect())
    })
    .await
}

fn bounded(problem: &str) -> String {
    problem.chars().take(MAX_PROBLEM_LENGTH).collect()
}

/// Notes a check that did not verify the claim: why, and when to look again.
pub async fn record_check(
    conn: &mut AsyncPgConnection,
    id: i64,
    problem: &str,
    next_check_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(domain_claims::table.find(id))
        .set((
            domain_claims::checks.eq(domain_claims::checks + 1),
            domain_claims::last_problem.eq(bounded(problem)),
            domain_claims::last_checked_at.eq(Utc::now()),
            domain_claims::next_check_at.eq(next_check_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a claim verified: its tenant is `domain`.
pub async fn mark_verified(conn: &mut AsyncPgConnection, id: i64, domain: DomainId) -> Result<(), StoreError> {
    diesel::update(domain_claims::table.find(id))
        .set((
            domain_claims::state.eq(ClaimState::Verified.as_str()),
            domain_claims::domain_id.eq(domain.0),
            domain_claims::checks.eq(domain_claims::checks + 1),
            domain_claims::last_problem.eq(None::<String>),
            domain_claims::last_checked_at.eq(Utc::now()),
            domain_claims::verified_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a claim refused for good (`problem` says why).
pub async fn mark_refused(conn: &mut AsyncPgConnection, id: i64, problem: &str) -> Result<(), StoreError> {
    diesel::update(domain_claims::table.find(id))
        .set((
            domain_claims::state.eq(ClaimState::Refused.as_str()),
            domain_claims::checks.eq(domain_claims::checks + 1),
            domain_claims::last_problem.eq(bounded(problem)),
            domain_claims::last_checked_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes waiting claims that expired more than `keep` ago, and refused ones as old. Returns how many.
pub async fn prune(conn: &mut AsyncPgConnection, keep: Duration) -> Result<usize, StoreError> {
    let before = Utc::now() - keep;
    Ok(diesel::delete(
        domain_claims::table
            .filter(domain_claims::state.ne(ClaimState::Verified.as_str()))
            .filter(domain_claims::expires_at.lt(before)),
    )
    .execute(conn)
    .await?)
}
