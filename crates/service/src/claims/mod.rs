//! Self-service custom domains (`[provider] self_service`): a person claims
//! a domain on the host's page, sets the DNS records shown
//! (`_kereru-challenge.<host>` TXT with the claim's challenge, A/AAAA to
//! this host), and the verifier ([`verify`]) creates the tenant once they
//! are there: active at once (the certificate manager then orders its
//! certificate), with an admin account that has no known password and a
//! mail to the owner with the link that sets one.
//!
//! Nobody takes a domain they do not control: without the TXT record
//! nothing is created, and a claim reserves no name (the first to prove
//! control wins; a host that is already a tenant's is refused).

pub mod verify;

use crate::ServiceError;
use crate::tenants::{DnsRecord, host_records};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use kereru_core::{HostName, Username, email::parse_email};
use kereru_store::domain_claims::{self, Claim, ClaimState, NewClaim};
use kereru_store::domains;
use std::net::{IpAddr, SocketAddr};

/// The TXT record's name is this label under each host claimed.
pub const CHALLENGE_LABEL: &str = "_kereru-challenge";
/// Waiting claims per account host at once: enough for typos, not for flooding.
const MAX_WAITING_PER_HOST: i64 = 3;

/// What the DNS checks ask and expect: `[acme] resolver` and `[acme] public_addresses`.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    pub resolver: Option<SocketAddr>,
    /// Empty: the A/AAAA check is skipped (only the TXT record proves control).
    pub public_addresses: Vec<IpAddr>,
}

/// The claim form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct ClaimForm {
    #[serde(default)]
    pub account_host: String,
    #[serde(default)]
    pub service_host: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub username: String,
}

/// Why a claim was not taken, naming the form field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("{message}")]
    Field { field: &'static str, message: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn field(field: &'static str, message: impl Into<String>) -> ClaimError {
    ClaimError::Field { field, message: message.into() }
}

impl From<kereru_store::StoreError> for ClaimError {
    fn from(error: kereru_store::StoreError) -> Self {
        ClaimError::Service(error.into())
    }
}

impl From<diesel::result::Error> for ClaimError {
    fn from(error: diesel::result::Error) -> Self {
        ClaimError::Service(error.into())
    }
}

fn domain_error(error: domains::DomainError) -> ClaimError {
    match error {
        domains::DomainError::Store(e) => e.into(),
        other => ClaimError::Service(ServiceError::Invalid(other.to_string())),
    }
}

/// A library error as a sentence on a form: capitalized, with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Checks the form and stores the claim (nothing is reserved yet). Every
/// field's error is reported, the first one found per field.
pub async fn submit(conn: &mut AsyncPgConnection, form: &ClaimForm) -> Result<Claim, Vec<ClaimError>> {
    let mut errors = Vec::new();
    let account_host = match form.account_host.trim() {
        "" => {
            errors.push(field("account_host", "Enter the domain you want to use."));
            None
        }
        raw => HostName::parse(raw)
            .map_err(|e| errors.push(field("account_host", format!("This is not a domain name we can use: {e}."))))
            .ok(),
    };
    let service_host = match form.service_host.trim() {
        "" => None,
        raw => match HostName::parse(raw) {
            Ok(host) if Some(&host) == account_host.as_ref() => {
                errors.push(field("service_host", "Leave this empty to serve everything on the domain itself."));
                None
            }
            Ok(host) => Some(host),
            Err(e) => {
                errors.push(field("service_host", format!("This is not a host name we can use: {e}.")));
                None
            }
        },
    };
    let email = parse_email(&form.email).map_err(|e| errors.push(field("email", sentence(&e.to_string())))).ok();
    let username = Username::parse(form.username.trim())
        .map_err(|e| errors.push(field("username", sentence(&e.to_string()))))
        .ok();
    // Hosts a tenant already has (in any role or state) are not for claiming.
    for (name, host) in [("account_host", account_host.as_ref()), ("service_host", service_host.as_ref())] {
        if let Some(host) = host
            && domains::find_by_host(conn, host).await.map_err(|e| vec![domain_error(e)])?.is_some()
        {
            errors.push(field(name, format!("{host} is already a site on this server.")));
        }
    }
    if let Some(host) = &account_host
        && domain_claims::waiting_for_host(conn, host.as_str()).await.map_err(|e| vec![e.into()])?
            >= MAX_WAITING_PER_HOST
    {
        errors.push(field("account_host", format!("{host} already has claims waiting for DNS. Try again later.")));
    }
    let (Some(account_host), Some(email), Some(username), true) = (account_host, email, username, errors.is_empty())
    else {
        return Err(errors);
    };
    let service = service_host.as_ref().map(|h| h.as_str());
    let new = NewClaim {
        account_host: account_host.as_str(),
        service_host: service,
        email: &email,
        username: username.as_str(),
    };
    domain_claims::create(conn, &new).await.map_err(|e| vec![e.into()])
}

/// How far a claim has come, as its status page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The records are not (all) there yet.
    WaitingForDns,
    /// The tenant exists; its certificate is not issued yet.
    IssuingCertificate,
    /// The site serves (over HTTPS when this host serves TLS).
    Ready,
    /// Seven days passed without the records.
    Expired,
    /// Someone else proved control first, or the site was removed since.
    Refused,
}

/// A claim with what its status page shows.
#[derive(Debug, Clone)]
pub struct Status {
    pub claim: Claim,
    pub stage: Stage,
    /// The TXT records to set: (name, value).
    pub txt: Vec<(String, String)>,
    /// The A/AAAA records to set.
    pub addresses: Vec<DnsRecord>,
}

/// The TXT record name for `host`.
pub fn challenge_name(host: &str) -> String {
    format!("{CHALLENGE_LABEL}.{host}")
}

/// The claim behind `/claim/{status_key}` and where it stands. With
/// `tls_enabled`, a verified claim is ready once every host has a certificate.
pub async fn status(
    conn: &mut AsyncPgConnection,
    checks: &Checks,
    tls_enabled: bool,
    status_key: &str,
) -> Result<Option<Status>, ServiceError> {
    let Some(claim) = domain_claims::find(conn, status_key).await? else { return Ok(None) };
    let stage = stage(conn, &claim, tls_enabled, Utc::now()).await?;
    let hosts: Vec<String> = claim.hosts().iter().map(|h| h.to_string()).collect();
    let txt = hosts.iter().map(|h| (challenge_name(h), claim.challenge.clone())).collect();
    let addresses = host_records(&hosts, &checks.public_addresses);
    Ok(Some(Status { claim, stage, txt, addresses }))
}

async fn stage(
    conn: &mut AsyncPgConnection,
    claim: &Claim,
    tls_enabled: bool,
    now: DateTime<Utc>,
) -> Result<Stage, ServiceError> {
    Ok(match claim.state {
        ClaimState::Waiting if claim.expired(now) => Stage::Expired,
        ClaimState::Waiting => Stage::WaitingForDns,
        ClaimState::Refused => Stage::Refused,
        ClaimState::Verified if claim.domain_id.is_none() => Stage::Refused,
        ClaimState::Verified if !tls_enabled => Stage::Ready,
        ClaimState::Verified => {
            let mut all = true;
            for host in claim.hosts() {
                let report = kereru_acme::db::report(conn, host).await?;
                all &= report.not_after.is_some_and(|until| until > now);
            }
            if all { Stage::Ready } else { Stage::IssuingCertificate }
        }
    })
}
