//! The verifier: looks up each waiting claim's TXT and A/AAAA records and,
//! once they are right, creates the tenant, its admin account and the
//! owner's mail in one transaction. It runs in `kereru serve` ([`run`]:
//! every 30 s, at most [`BATCH`] claims a round, each leased so nodes share
//! them), and at once when the person presses "Check now" ([`check_now`]).
//! A claim that is not there yet is looked at again after 30 s, doubling
//! up to 10 min, until it expires.

use super::{Checks, challenge_name};
use crate::ServiceError;
use crate::account_mails::{self, Site};
use chrono::{Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::{HostName, Scheme, Username};
use kereru_store::account_security::{self, Purpose};
use kereru_store::accounts::{self, NewLocalAccount};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::domain_claims::{self, Claim, ClaimState};
use kereru_store::domains::{self, DomainError, DomainState, NewDomain, Registrations};
use kereru_store::roles::Role;
use kereru_store::{Pool, StoreError};
use std::future::Future;

/// Claims checked per round at most (each costs a few DNS queries).
pub const BATCH: i64 = 20;
/// How often the verifier looks for due claims.
pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);
/// "Check now" does nothing more often than this per claim.
pub const RECHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(10);
/// How long the owner's link to set the first password works.
pub const ACTIVATION_DAYS: i64 = 7;
/// A claim taken by a round is not taken again for this long (a node that dies lets it go).
const LEASE_SECONDS: i64 = 120;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The tenant was created.
    Verified,
    /// Not yet: why, in plain words.
    NotYet(String),
    /// Not any more: expired, or verified or refused already, or lost to someone else.
    Over,
}

/// Whether every host of the claim carries the challenge and points here; the problem if not.
pub async fn dns_problem(checks: &Checks, claim: &Claim) -> Option<String> {
    for host in claim.hosts() {
        let name = challenge_name(host);
        match kereru_acme::dns::txt(checks.resolver, &name).await {
            Ok(found) if found.iter().any(|value| value.trim() == claim.challenge) => {}
            Ok(found) if found.is_empty() => return Some(format!("No TXT record at {name} yet.")),
            Ok(_) => return Some(format!("The TXT record at {name} does not carry this claim's value.")),
            Err(why) => return Some(format!("{name} could not be looked up: {why}")),
        }
        let check = kereru_acme::dns::check(checks.resolver, host, &checks.public_addresses).await;
        if !check.ok() {
            return Some(format!("{host} {check}."));
        }
    }
    None
}

/// Checks one claim now (DNS first, no connection held while asking) and acts on what is found.
pub async fn check(pool: &Pool, checks: &Checks, scheme: Scheme, claim: &Claim) -> Result<Outcome, ServiceError> {
    if claim.state != ClaimState::Waiting || claim.expired(Utc::now()) {
        return Ok(Outcome::Over);
    }
    let problem = dns_problem(checks, claim).await;
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    match problem {
        Some(problem) => {
            let wait = Duration::seconds((30i64 << claim.checks.clamp(0, 5)).min(600));
            domain_claims::record_check(&mut conn, claim.id, &problem, Utc::now() + wait).await?;
            Ok(Outcome::NotYet(problem))
        }
        None => create_tenant(&mut conn, scheme, claim.id).await,
    }
}

/// "Check now" on the status page: checks the claim at once unless it was
/// checked less than `min_interval` ago. Returns the claim as it is after.
pub async fn check_now(
    pool: &Pool,
    checks: &Checks,
    scheme: Scheme,
    status_key: &str,
    min_interval: std::time::Duration,
) -> Result<Option<Claim>, ServiceError> {
    let found = {
        let mut conn = pool.get().await.map_err(StoreError::from)?;
        domain_claims::find(&mut conn, status_key).await?
    };
    let Some(claim) = found else { return Ok(None) };
    let min_interval = Duration::from_std(min_interval).unwrap_or(Duration::zero());
    let recent = claim.last_checked_at.is_some_and(|at| at + min_interval > Utc::now());
    if !recent {
        check(pool, checks, scheme, &claim).await?;
    }
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    Ok(domain_claims::find(&mut conn, status_key).await?)
}

/// One round: checks up to [`BATCH`] due claims, and prunes long-expired
/// ones. Returns how many claims were checked.
pub async fn round(pool: &Pool, checks: &Checks, scheme: Scheme) -> Result<usize, ServiceError> {
    let due = {
        let mut conn = pool.get().await.map_err(StoreError::from)?;
        domain_claims::prune(&mut conn, Duration::days(30)).await?;
        domain_claims::claim_due(&mut conn, BATCH, Duration::seconds(LEASE_SECONDS)).await?
    };
    for claim in &due {
        match check(pool, checks, scheme, claim).await {
            Ok(Outcome::Verified) => {
                tracing::info!("self-service claim verified: {} is a site now", claim.account_host)
            }
            Ok(_) => {}
            Err(error) => tracing::warn!("checking the claim of {}: {error}", claim.account_host),
        }
    }
    Ok(due.len())
}

/// The verifier beside `kereru serve`: a round every [`INTERVAL`] until `stop` resolves.
pub async fn run(pool: Pool, checks: Checks, scheme: Scheme, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(error) = round(&pool, &checks, scheme).await {
            tracing::warn!("self-service claims: {error}");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}

/// The claim is proven: in one transaction, the tenant (active), its admin
/// account (a random password nobody knows), the link to set the password
/// mailed to the owner, the audit row, and the claim marked verified. A
/// host someone else took meanwhile refuses the claim instead.
async fn create_tenant(conn: &mut AsyncPgConnection, scheme: Scheme, id: i64) -> Result<Outcome, ServiceError> {
    conn.transaction(async |conn| -> Result<Outcome, ServiceError> {
        let Some(claim) = domain_claims::lock(conn, id).await? else { return Ok(Outcome::Over) };
        if claim.state != ClaimState::Waiting || claim.expired(Utc::now()) {
            return Ok(Outcome::Over);
        }
        let parse = |host: &str| HostName::parse(host).map_err(|e| ServiceError::Invalid(e.to_string()));
        let new = NewDomain {
            account_host: parse(&claim.account_host)?,
            service_host: claim.service_host.as_deref().map(parse).transpose()?,
            state: DomainState::Active,
            registrations: Registrations::Closed,
            name: None,
            owner_email: Some(claim.email.clone()),
        };
        let domain = match domains::create(conn, new).await {
            Ok(domain) => domain,
            Err(DomainError::Store(e)) => return Err(e.into()),
            Err(other) => {
                domain_claims::mark_refused(conn, claim.id, &other.to_string()).await?;
                return Ok(Outcome::Over);
            }
        };
        let username = Username::parse(&claim.username).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let account = accounts::create_local(
            conn,
            domain.id,
            NewLocalAccount {
                username,
                email: claim.email.clone(),
                // Nobody knows it: the owner sets theirs through the mailed link.
                password: kereru_store::oauth::new_secret(),
                role: Role::Admin,
                approved: true,
                signup_reason: None,
                locale: None,
            },
        )
        .await
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let token = account_security::issue_token_lasting(
            conn,
            domain.id,
            account.id,
            Purpose::PasswordReset,
            &claim.email,
            Duration::days(ACTIVATION_DAYS),
        )
        .await?;
        let base_url = domain.urls(scheme).base();
        let site = Site { name: &domain.name, base_url: &base_url };
        let mail = account_mails::owner_activation(site, &account.username, &token, ACTIVATION_DAYS);
        account_mails::send(conn, domain.id, &claim.email, &mail).await?;
        let label = domain.account_host.to_string();
        let actor = format!("self-service claim ({})", claim.email);
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: None,
                actor: None,
                actor_label: &actor,
                action: "create_tenant",
                target_type: "tenant",
                target_id: Some(domain.id.0),
                target_label: &label,
                detail: "DNS verified (TXT challenge)",
            },
        )
        .await?;
        domain_claims::mark_verified(conn, claim.id, domain.id).await?;
        Ok(Outcome::Verified)
    })
    .await
}
