//! `kereru provider ...`: the provisioning API's keys, and purging tenants
//! deleted through it. (Helpers' `plan` and `webhook` subcommands live in
//! `provider_plan.rs` and `provider_webhook.rs`.)

use crate::cli::{ProviderCommand, ProviderKeyCommand};
use crate::config::Config;
use kereru_service::provider::{keys, purge};
use kereru_store::{Connection, provider_keys};

pub async fn run(command: ProviderCommand, conn: &mut Connection, config: &Config) -> anyhow::Result<()> {
    match command {
        ProviderCommand::Key(command) => key(command, conn, config).await,
        ProviderCommand::Webhook(command) => super::provider_webhook::run(command, conn).await,
        ProviderCommand::Plan(command) => super::provider_plan::run(command, conn).await,
        ProviderCommand::Purge => {
            let media = config.media_store()?;
            let mut total = 0;
            loop {
                let purged = purge::due(conn, Some(&media)).await?;
                for gone in &purged {
                    println!("purged {} and all of its data", gone.account_host);
                }
                total += purged.len();
                if purged.len() < usize::try_from(purge::BATCH).unwrap_or(usize::MAX) {
                    break;
                }
            }
            if total == 0 {
                println!("no deleted domain is past its grace period");
            }
            Ok(())
        }
    }
}

async fn key(command: ProviderKeyCommand, conn: &mut Connection, config: &Config) -> anyhow::Result<()> {
    match command {
        ProviderKeyCommand::Create { name, read_only } => {
            let (key, secret) = keys::create(conn, &name, read_only).await?;
            let rights = if key.read_only { "read-only" } else { "read-write" };
            println!("created {rights} provider key {}", key.name);
            println!("{secret}");
            println!("Keep it now: it is not shown again (only its hash is stored).");
            match config.provider.host() {
                Some(host) => println!("Send it as `Authorization: Bearer KEY` to {host}/api/provider/v1/"),
                None => println!("Note: [provider] host is not set, so the provisioning API is off until it is."),
            }
        }
        ProviderKeyCommand::List => {
            let all = provider_keys::list(conn).await?;
            if all.is_empty() {
                println!("no provider keys yet: make one with `kereru provider key create NAME`");
            }
            for key in all {
                let rights = if key.read_only { "read-only" } else { "read-write" };
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
                    None => "live".to_string(),
                };
                let used = key
                    .last_used_at
                    .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{rights}\t{state}\tcreated {}\tlast used {used}",
                    key.name,
                    key.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        ProviderKeyCommand::Revoke { name } => {
            let key = keys::revoke(conn, &name).await?;
            println!("revoked provider key {}: its requests get 401 from now on", key.name);
        }
    }
    Ok(())
}

/// How often `kereru serve` looks for deleted tenants past their grace period.
pub const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(300);

/// `kereru serve`'s purge task: a round at start and every [`PURGE_INTERVAL`] until `stop`.
pub async fn purge_loop(
    pool: kereru_store::Pool,
    media: kereru_media::MediaStore,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        match pool.get().await {
            Ok(mut conn) => match purge::due(&mut conn, Some(&media)).await {
                Ok(purged) => {
                    for gone in purged {
                        tracing::info!("purged {} (deleted, grace period over)", gone.account_host);
                    }
                }
                Err(error) => tracing::warn!("tenant purge: {error}"),
            },
            Err(error) => tracing::warn!("tenant purge: {error}"),
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(PURGE_INTERVAL) => {}
        }
    }
}
