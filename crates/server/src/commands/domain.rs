//! `kereru domain ...`: provisioning tenants from the command line.

use crate::cli::{DomainCommand, RegistrationsArg, RuleCommand};
use crate::config::Config;
use anyhow::{Context, bail};
use kereru_core::{HostName, email::parse_email};
use kereru_service::tenants::{self, By, NewTenant};
use kereru_store::Connection;
use kereru_store::domains::{self, Domain, DomainState, Registrations};
use kereru_store::{about, accounts};
use std::fmt::Write as _;
use std::net::IpAddr;

pub async fn run(command: DomainCommand, conn: &mut Connection, config: &Config) -> anyhow::Result<()> {
    match command {
        DomainCommand::Add { host, service_host, owner, registrations, name } => {
            let account_host = HostName::parse(&host)?;
            let service_host = service_host.as_deref().map(HostName::parse).transpose()?;
            let owner_email = owner.as_deref().map(parse_email).transpose()?;
            let registrations = match registrations {
                RegistrationsArg::Open => Registrations::Open,
                RegistrationsArg::Approval => Registrations::Approval,
                RegistrationsArg::Closed => Registrations::Closed,
            };
            let new = NewTenant { account_host, service_host, registrations, name, owner_email };
            tenants::refuse_reserved(&new, config.provider.host().as_ref())?;
            let domain = tenants::add(conn, By::CommandLine, new).await?;
            println!("added {} ({})", domain.account_host, domain.state);
            print!("{}", dns_instructions(&domain, &config.acme.public_addresses, config));
        }
        DomainCommand::List => {
            let all = domains::list(conn).await?;
            if all.is_empty() {
                println!("no domains yet: add one with `kereru domain add HOST`");
            }
            for domain in all {
                let service = domain.service_host.as_ref().map(|h| format!(" (service host {h})")).unwrap_or_default();
                println!("{}\t{}\t{}{}", domain.account_host, domain.state, domain.registrations, service);
            }
        }
        DomainCommand::Show { host } => {
            let domain = find(conn, &host).await?;
            let users = accounts::usage(conn, domain.id).await?.users_total;
            println!("domain {}", domain.account_host);
            println!("  state:          {}", domain.state);
            println!("  name:           {}", domain.name);
            let description = about::description(conn, domain.id).await?;
            if !description.is_empty() {
                println!("  description:    {description}");
            }
            println!("  account host:   {}  (handles are @name@{})", domain.account_host, domain.account_host);
            println!("  service host:   {}", domain.service_host());
            println!("  registrations:  {}", domain.registrations);
            if kereru_store::limited_federation::is_on(conn, domain.id).await? {
                println!("  federation:     limited (only domains on the allow list)");
            }
            println!("  owner:          {}", domain.owner_email.as_deref().unwrap_or("(none)"));
            println!("  accounts:       {users}");
            let provisioning = kereru_store::provisioning::get(conn, domain.id).await?;
            if let Some(plan) = &provisioning.plan {
                println!("  plan:           {plan}");
            }
            if let Some(after) = provisioning.delete_after {
                println!(
                    "  deleted:        its data is removed after {} (restore: POST /api/provider/v1/tenants/{}/restore)",
                    after.format("%Y-%m-%d %H:%M UTC"),
                    domain.account_host
                );
            }
            print!("{}", super::provider_plan::usage_lines(conn, domain.id).await?);
            println!("  created:        {}", domain.created_at.format("%Y-%m-%d %H:%M UTC"));
            print!("{}", tls_status(conn, &domain, config).await?);
            print!("{}", dns_instructions(&domain, &config.acme.public_addresses, config));
        }
        DomainCommand::SetPlan { host, plan, none: _ } => {
            super::provider_plan::set_plan(conn, &host, plan.as_deref()).await?;
        }
        DomainCommand::Suspend { host } => {
            let domain = find(conn, &host).await?;
            let domain = tenants::set_state(conn, By::CommandLine, domain.id, DomainState::Suspended).await?;
            println!(
                "suspended {}: it answers 404 until `kereru domain activate {}`",
                domain.account_host, domain.account_host
            );
        }
        DomainCommand::Activate { host } => {
            let domain = find(conn, &host).await?;
            let domain = tenants::set_state(conn, By::CommandLine, domain.id, DomainState::Active).await?;
            println!("activated {}", domain.account_host);
        }
        DomainCommand::Remove { host } => {
            let domain = find(conn, &host).await?;
            tenants::remove(conn, By::CommandLine, domain.id, domain.account_host.as_str()).await?;
            println!("removed {} and all of its accounts", domain.account_host);
        }
        DomainCommand::Update { host, name, description, limited_federation } => {
            let domain = find(conn, &host).await?;
            let name = name.map(|n| n.trim().to_string());
            match &name {
                Some(n) if n.is_empty() => bail!("the name must not be blank"),
                Some(n) if n.chars().count() > 100 => bail!("the name must be at most 100 characters"),
                _ => {}
            }
            let description = description.map(|d| d.trim().to_string());
            if description.as_ref().is_some_and(|d| d.chars().count() > 2000) {
                bail!("the description must be at most 2000 characters");
            }
            if name.is_none() && description.is_none() && limited_federation.is_none() {
                bail!("nothing to change: give --name, --description and/or --limited-federation");
            }
            if name.is_some() || description.is_some() {
                about::update(conn, domain.id, name.as_deref(), description.as_deref()).await?;
            }
            if let Some(on) = limited_federation {
                let host = domain.account_host.to_string();
                let by = kereru_service::limited_federation::Switcher::CommandLine;
                kereru_service::limited_federation::set(conn, domain.id, &host, by, on).await?;
                println!("limited federation {} for {}", if on { "on" } else { "off" }, domain.account_host);
            }
            println!("updated {}", domain.account_host);
        }
        DomainCommand::Rule(command) => rule(command, conn).await?,
    }
    Ok(())
}

async fn rule(command: RuleCommand, conn: &mut Connection) -> anyhow::Result<()> {
    match command {
        RuleCommand::Add { host, text } => {
            let domain = find(conn, &host).await?;
            let text = text.trim();
            if text.is_empty() || text.chars().count() > 500 {
                bail!("a rule must be 1 to 500 characters");
            }
            let rule = about::add_rule(conn, domain.id, text).await?;
            println!("added rule {} to {}", rule.id, domain.account_host);
        }
        RuleCommand::List { host } => {
            let domain = find(conn, &host).await?;
            let rules = about::rules(conn, domain.id).await?;
            if rules.is_empty() {
                println!("{} has no rules yet: add one with `kereru domain rule add {host} TEXT`", domain.account_host);
            }
            for (n, rule) in rules.iter().enumerate() {
                println!("{}. {}  (id {})", n + 1, rule.text, rule.id);
            }
        }
        RuleCommand::Remove { host, id } => {
            let domain = find(conn, &host).await?;
            if !about::remove_rule(conn, domain.id, id).await? {
                bail!("{} has no rule {id} (see `kereru domain rule list {host}`)", domain.account_host);
            }
            println!("removed rule {id} from {}", domain.account_host);
        }
    }
    Ok(())
}

pub(crate) async fn find(conn: &mut Connection, host: &str) -> anyhow::Result<Domain> {
    let host = HostName::parse(host)?;
    domains::require_by_host(conn, &host).await.context("unknown domain").map_err(|e| {
        match e.downcast_ref::<domains::DomainError>() {
            Some(domains::DomainError::NotFound(_)) => {
                anyhow::anyhow!("no domain {host} on this host (see `kereru domain list`)")
            }
            _ => e,
        }
    })
}

/// Each host's certificate, issuance trouble and DNS check, in plain words.
async fn tls_status(conn: &mut Connection, domain: &Domain, config: &Config) -> anyhow::Result<String> {
    let mut out = String::from("\nTLS certificates");
    if !config.tls.enabled {
        out.push_str(" ([tls] enabled is false: this node serves plain HTTP)");
    }
    out.push_str(":\n");
    let mut hosts = vec![domain.account_host.clone()];
    hosts.extend(domain.service_host.clone());
    let acme = config.acme_settings()?;
    let now = chrono::Utc::now();
    for host in &hosts {
        let report = kereru_acme::db::report(conn, host.as_str()).await?;
        let certificate = match (report.not_after, report.issued_at) {
            (Some(until), Some(issued)) if until > now => {
                format!(
                    "valid until {} (issued {})",
                    until.format("%Y-%m-%d %H:%M UTC"),
                    issued.format("%Y-%m-%d %H:%M UTC")
                )
            }
            (Some(until), _) => format!("EXPIRED at {}", until.format("%Y-%m-%d %H:%M UTC")),
            _ if report.lease_owner.is_some() => "being issued now".to_string(),
            _ => "none yet".to_string(),
        };
        let _ = writeln!(out, "  {host}: {certificate}");
        if let Some(renew) = report.ari_renew_at.filter(|_| report.not_after.is_some()) {
            let _ = writeln!(out, "    renewal suggested by the CA: {}", renew.format("%Y-%m-%d %H:%M UTC"));
        }
        if let Some(error) = &report.last_error {
            let failures = report.failures.unwrap_or(0);
            let _ = write!(out, "    last problem");
            if failures > 0 {
                let _ = write!(out, " ({failures} failed attempt{} in a row)", if failures == 1 { "" } else { "s" });
            }
            let _ = writeln!(out, ": {error}");
        }
        if let Some(next) = report.next_attempt_at.filter(|next| *next > now) {
            let _ = writeln!(out, "    next attempt: {}", next.format("%Y-%m-%d %H:%M:%S UTC"));
        }
        let dns = kereru_acme::dns::check(acme.resolver, host.as_str(), &acme.public_addresses).await;
        let _ = writeln!(out, "    DNS: {host} {dns}");
    }
    Ok(out)
}

/// What the domain's owner must set in DNS, in plain words.
pub fn dns_instructions(domain: &Domain, public_addresses: &[IpAddr], config: &Config) -> String {
    let mut out = String::from("\nDNS records to set for this host to serve it:\n");
    let service = domain.service_host();
    for record in tenants::dns_records(domain, public_addresses) {
        let value = match (&record.value, record.kind) {
            (Some(address), _) => address.as_str(),
            (None, "A") => "<this server's public IPv4 address>",
            (None, _) => "<this server's public IPv6 address>",
        };
        let _ = writeln!(out, "  {}.  {:<4}  {value}", record.host, record.kind);
    }
    if public_addresses.is_empty() {
        out.push_str("  (set [acme] public_addresses in the configuration to print the addresses here)\n");
    }
    out.push_str("  A subdomain may use a CNAME to this server's host name instead.\n");
    if domain.service_host.is_some() {
        let scheme = config.public_scheme().map(|s| s.as_str()).unwrap_or("https");
        let _ = write!(
            out,
            "\nIf {account} stays with another web server instead, that server must redirect\n\
             (301) these paths to the same path on {scheme}://{service}:\n  \
             /.well-known/webfinger   (keep the query string)\n  \
             /.well-known/host-meta\n  \
             /.well-known/nodeinfo\n\
             Handles stay @name@{account}; profiles and posts live on {service}.\n",
            account = domain.account_host,
        );
    }
    out
}
