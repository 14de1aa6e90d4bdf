//! Each tenant host's DNS and TLS status in plain words, as `kereru domain
//! show` prints it: does the name point here, is there a certificate, until
//! when, and what went wrong last.

use crate::state::Hosting;
use chrono::{DateTime, Utc};
use kereru_store::PgConn as AsyncPgConnection;
use kereru_store::StoreError;

/// One host of a tenant, for the template.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostStatus {
    pub host: String,
    /// `ok`, `warning` or `problem`: the badge's colour.
    pub dns_level: &'static str,
    pub dns: String,
    pub tls_level: &'static str,
    pub tls: String,
    /// The certificate's end, `YYYY-MM-DD`, when there is one.
    pub expires: Option<String>,
    pub tls_problem: Option<String>,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The certificate part: read from the certificate manager's tables.
async fn tls(conn: &mut AsyncPgConnection, hosting: &Hosting, host: &str) -> Result<HostStatus, StoreError> {
    let report = kereru_acme::db::report(conn, host).await.map_err(StoreError::Database)?;
    let now = Utc::now();
    let (tls_level, tls) = match (report.not_after, report.issued_at) {
        (Some(until), Some(issued)) if until > now => {
            let level = if until - now < chrono::Duration::days(14) { "warning" } else { "ok" };
            (level, format!("valid until {} (issued {})", when(until), when(issued)))
        }
        (Some(until), _) => ("problem", format!("expired at {}", when(until))),
        _ if report.lease_owner.is_some() => ("warning", "being issued now".to_string()),
        _ if !hosting.tls_enabled => ("warning", "none (this node serves plain HTTP)".to_string()),
        _ => ("warning", "none yet".to_string()),
    };
    let tls_problem = report.last_error.map(|error| match report.failures.unwrap_or(0) {
        0 => error,
        1 => format!("{error} (1 failed attempt)"),
        n => format!("{error} ({n} failed attempts in a row)"),
    });
    Ok(HostStatus {
        host: host.to_string(),
        dns_level: "warning",
        dns: String::new(),
        tls_level,
        tls,
        expires: report.not_after.map(|at| at.format("%Y-%m-%d").to_string()),
        tls_problem,
    })
}

/// The status of each of `hosts`: certificates from the database, DNS asked now (all hosts at once).
pub async fn hosts(
    conn: &mut AsyncPgConnection,
    hosting: &Hosting,
    hosts: &[String],
) -> Result<Vec<HostStatus>, StoreError> {
    let mut statuses = Vec::with_capacity(hosts.len());
    for host in hosts {
        statuses.push(tls(conn, hosting, host).await?);
    }
    // Asked at once: each lookup may take its whole timeout.
    let lookups: Vec<_> = hosts
        .iter()
        .map(|host| {
            let (host, resolver, expected) = (host.clone(), hosting.resolver, hosting.public_addresses.clone());
            tokio::spawn(async move { kereru_acme::dns::check(resolver, &host, &expected).await })
        })
        .collect();
    for (status, lookup) in statuses.iter_mut().zip(lookups) {
        let check = lookup.await.unwrap_or_else(|e| kereru_acme::dns::DnsCheck::Failed(e.to_string()));
        status.dns_level = match &check {
            kereru_acme::dns::DnsCheck::PointsHere(_) => "ok",
            kereru_acme::dns::DnsCheck::Skipped => "warning",
            _ => "problem",
        };
        status.dns = check.to_string();
    }
    Ok(statuses)
}
