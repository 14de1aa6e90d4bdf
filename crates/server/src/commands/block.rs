//! `kereru block add|remove|list`: remote hosts a tenant or the whole host
//! blocks, through the same service actions as the admin API and pages
//! (effects and audit row included).

use crate::cli::BlockCommand;
use anyhow::Context;
use kereru_core::HostName;
use kereru_service::blocks::{Acting, domain_blocks as blocks};
use kereru_store::domain_blocks::{BlockOptions, Severity};
use kereru_store::ids::DomainId;
use kereru_store::{Connection, domain_blocks, domains};

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
    }
    Ok(())
}
