//! `kereru admin grant|revoke`: roles from the command line (each change
//! recorded in the audit log as done by "command line").

use crate::cli::{AdminCommand, RoleArg, RoleArgs};
use anyhow::Context;
use kereru_core::HostName;
use kereru_service::moderation::roles::{self, Granter};
use kereru_store::Connection;
use kereru_store::roles::Role;
use kereru_store::{accounts, domains};

pub async fn run(command: AdminCommand, conn: &mut Connection) -> anyhow::Result<()> {
    let (args, grant) = match command {
        AdminCommand::Grant(args) => (args, true),
        AdminCommand::Revoke(args) => (args, false),
    };
    let RoleArgs { role, host_admin, domain, username } = args;
    let host = HostName::parse(&domain)?;
    let domain = domains::find_by_host(conn, &host)
        .await?
        .with_context(|| format!("no domain {host} on this host (see `kereru domain list`)"))?;
    let account = accounts::find_local(conn, domain.id, &username)
        .await?
        .with_context(|| format!("no account {username} on {host}"))?;
    let label = format!("@{}@{}", account.username, domain.account_host);
    if host_admin {
        let changed = roles::set_host_admin(conn, domain.id, account.id, &label, grant).await?;
        match (grant, changed) {
            (true, true) => println!("{label} is now a host admin"),
            (true, false) => println!("{label} was already a host admin"),
            (false, true) => println!("{label} is no longer a host admin"),
            (false, false) => println!("{label} was not a host admin"),
        }
        return Ok(());
    }
    let named = match role {
        Some(RoleArg::Moderator) => Role::Moderator,
        Some(RoleArg::Admin) => Role::Admin,
        None => anyhow::bail!("name a role (moderator or admin) or --host-admin"),
    };
    if !grant {
        let current = kereru_store::roles::staff(conn, domain.id, account.id)
            .await?
            .with_context(|| format!("{label} has no login on {host}"))?;
        if current.role != named {
            println!("{label} is {}, not {named}: nothing changed", current.role);
            return Ok(());
        }
    }
    let target = if grant { named } else { Role::User };
    if roles::set_role(conn, domain.id, &Granter::CommandLine, account.id, &label, target).await? {
        println!("{label} is now {target} of {}", domain.account_host);
    } else {
        println!("{label} was already {target} of {}", domain.account_host);
    }
    Ok(())
}
