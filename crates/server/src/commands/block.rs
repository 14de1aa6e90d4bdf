//! `kereru block add|remove|list`: remote hosts a tenant or the whole host
//! blocks; `kereru block email ...` and `kereru block ip ...`: e-mail domains
//! and address ranges refused. All through the same service actions as the
//! admin API and pages (effects and audit row included); the command line is
//! the way to the host-wide e-mail and address lists.

use crate::cli::{BlockCommand, EmailBlockCommand, IpBlockCommand};
use anyhow::Context;
use kereru_core::HostName;
use kereru_core::blocks::IpRange;
use kereru_service::blocks::{Acting, domain_blocks as blocks, lists};
use kereru_store::domain_blocks::{BlockOptions, Severity};
use kereru_store::ids::DomainId;
use kereru_store::ip_blocks::{IpBlockInput, IpSeverity};
use kereru_store::{Connection, domain_blocks, domains, email_domain_blocks, ip_blocks};

async fn tenant(conn: &mut Connection, domain: Option<&str>) -> anyhow::Result<Option<DomainId>> {
    let Some(domain) = domain else { return Ok(None) };
    let host = HostName::parse(domain).with_context(|| format!("{domain} is not a valid host name"))?;
    let found = domains::find_by_host(conn, &host).await?.with_context(|| format!("no domain {host} here"))?;
    Ok(Some(found.id))
}

fn remote_host(host: &str) -> anyhow::Result<HostName> {
    HostName::parse(host).with_context(|| format!("{host} is not a valid host name"))
}

pub async fn run(command: BlockCommand, conn: &mut Connection) -> anyhow::Result<()> {
    let acting = Acting::command_line();
    match command {
        BlockCommand::Add { host, domain, severity, reject_media, reject_reports, public_comment, private_comment } => {
            let host = remote_host(&host)?;
            let scope = tenant(conn, domain.as_deref()).await?;
            let options = BlockOptions {
                severity: Severity::parse(&severity).with_context(|| format!("{severity} is not a severity"))?,
                reject_media,
                reject_reports,
                private_comment,
                public_comment,
                obfuscate: false,
            };
            // Adding a block that exists changes it (the command was always idempotent).
            let existing = domain_blocks::covering(conn, scope, host.as_str()).await?;
            match existing.iter().find(|b| b.host == host.as_str()) {
                Some(block) => blocks::update(conn, &acting, scope, block.id, options).await?,
                None => blocks::create(conn, &acting, scope, host.as_str(), options).await?,
            };
            match domain {
                Some(domain) => println!("{host} (and its subdomains) is blocked for {domain}"),
                None => println!("{host} (and its subdomains) is blocked for every domain"),
            }
        }
        BlockCommand::Remove { host, domain } => {
            let host = remote_host(&host)?;
            let scope = tenant(conn, domain.as_deref()).await?;
            blocks::delete_host(conn, &acting, scope, host.as_str()).await.map_err(anyhow::Error::msg)?;
            println!("{host} is no longer blocked");
        }
        BlockCommand::List { domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            for host in domain_blocks::list(conn, scope).await? {
                println!("{host}");
            }
        }
        BlockCommand::Email(command) => email(command, conn, &acting).await?,
        BlockCommand::Ip(command) => ip(command, conn, &acting).await?,
    }
    Ok(())
}

fn whom(domain: Option<&str>) -> String {
    domain.map_or_else(|| "every domain".to_string(), str::to_string)
}

async fn email(command: EmailBlockCommand, conn: &mut Connection, acting: &Acting) -> anyhow::Result<()> {
    match command {
        EmailBlockCommand::Add { email_domain, domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            let block = lists::block_email_domain(conn, acting, scope, &email_domain).await?;
            println!("sign-ups with addresses at {} are refused for {}", block.email_domain, whom(domain.as_deref()));
        }
        EmailBlockCommand::Remove { email_domain, domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            let wanted = blocks::parse_host(&email_domain)?;
            let found = email_domain_blocks::list(conn, scope).await?.into_iter().find(|b| b.email_domain == wanted);
            let block = found.with_context(|| format!("{wanted} is not blocked for {}", whom(domain.as_deref())))?;
            lists::unblock_email_domain(conn, acting, scope, block.id).await?;
            println!("{wanted} is no longer blocked");
        }
        EmailBlockCommand::List { domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            for block in email_domain_blocks::list(conn, scope).await? {
                println!("{}", block.email_domain);
            }
        }
    }
    Ok(())
}

async fn ip(command: IpBlockCommand, conn: &mut Connection, acting: &Acting) -> anyhow::Result<()> {
    let range_of = |text: &str| IpRange::parse(text).with_context(|| format!("{text} is not an address or a range"));
    match command {
        IpBlockCommand::Add { range, severity, comment, domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            let input = IpBlockInput {
                range: range_of(&range)?,
                severity: IpSeverity::parse(&severity).with_context(|| format!("{severity} is not a severity"))?,
                comment,
                expires_at: None,
            };
            let block = lists::block_ip(conn, acting, scope, input).await?;
            println!("{} is blocked ({}) for {}", block.ip, block.severity, whom(domain.as_deref()));
        }
        IpBlockCommand::Remove { range, domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            let wanted = range_of(&range)?.to_string();
            let found = ip_blocks::list(conn, scope).await?.into_iter().find(|b| b.ip == wanted);
            let block = found.with_context(|| format!("{wanted} is not blocked for {}", whom(domain.as_deref())))?;
            lists::unblock_ip(conn, acting, scope, block.id).await?;
            println!("{wanted} is no longer blocked");
        }
        IpBlockCommand::List { domain } => {
            let scope = tenant(conn, domain.as_deref()).await?;
            for block in ip_blocks::list(conn, scope).await? {
                println!("{}\t{}\t{}", block.ip, block.severity, block.comment);
            }
        }
    }
    Ok(())
}
