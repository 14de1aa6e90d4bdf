//! `kereru user ...`: local accounts from the command line.

use crate::cli::UserCommand;
use crate::config::Config;
use anyhow::{Context, bail};
use kereru_core::{HostName, Username, email::parse_email};
use kereru_store::Connection;
use kereru_store::accounts::{self, NewLocalAccount};
use kereru_store::domains;
use kereru_store::roles::Role;
use std::io::{BufRead, IsTerminal};

pub async fn run(command: UserCommand, conn: &mut Connection, config: &Config) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { domain, username, email, admin } => {
            // Validate everything before reading the password or touching the database.
            let host = HostName::parse(&domain)?;
            let username = Username::parse(&username)?;
            let email = parse_email(&email)?;
            let domain = domains::find_by_host(conn, &host)
                .await?
                .with_context(|| format!("no domain {host} on this host (see `kereru domain list`)"))?;
            let password = read_password()?;
            let account = accounts::create_local(
                conn,
                domain.id,
                NewLocalAccount {
                    username,
                    email,
                    password,
                    role: if admin { Role::Admin } else { Role::User },
                    approved: true,
                    signup_reason: None,
                    locale: None,
                },
            )
            .await?;
            println!("@{}@{}", account.username, domain.account_host);
        }
        UserCommand::List { domain } => {
            let host = HostName::parse(&domain)?;
            let domain = domains::find_by_host(conn, &host)
                .await?
                .with_context(|| format!("no domain {host} on this host (see `kereru domain list`)"))?;
            for account in accounts::list_local(conn, domain.id).await? {
                println!("@{}@{}", account.username, domain.account_host);
            }
        }
        UserCommand::Approve { domain, username } => {
            let host = HostName::parse(&domain)?;
            let domain = domains::find_by_host(conn, &host)
                .await?
                .with_context(|| format!("no domain {host} on this host (see `kereru domain list`)"))?;
            let account = accounts::find_local(conn, domain.id, &username)
                .await?
                .with_context(|| format!("no account {username} on {host}"))?;
            let scheme = config.public_scheme().unwrap_or(kereru_core::Scheme::Https);
            if kereru_service::account_security::approve(conn, &domain, scheme, account.id).await? {
                println!("approved @{}@{}; a mail tells them", account.username, domain.account_host);
            } else {
                println!("@{}@{} was not waiting for approval", account.username, domain.account_host);
            }
        }
    }
    Ok(())
}

/// The password: one line of standard input (a prompt is shown on a terminal).
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new account: ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("no password given on standard input (e.g. `echo 'a long password' | kereru user create ...`)");
    }
    Ok(password.to_string())
}
