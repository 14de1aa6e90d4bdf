//! `kereru block add|remove|list`: remote hosts refused by a tenant or by the whole host.

use crate::cli::BlockCommand;
use anyhow::Context;
use kereru_core::HostName;
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
    match command {
        BlockCommand::Add { host, domain } => {
            let host = remote_host(&host)?;
            let scope = tenant(conn, domain.as_deref()).await?;
            domain_blocks::add(conn, scope, host.as_str()).await?;
            match domain {
                Some(domain) => println!("{host} (and its subdomains) is blocked for {domain}"),
                None => println!("{host} (and its subdomains) is blocked for every domain"),
            }
        }
        BlockCommand::Remove { host, domain } => {
            let host = remote_host(&host)?;
            let scope = tenant(conn, domain.as_deref()).await?;
            anyhow::ensure!(domain_blocks::remove(conn, scope, host.as_str()).await?, "{host} is not blocked there");
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
