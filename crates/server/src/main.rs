//! `kereru`: the binary. Parses the command line, loads the configuration,
//! opens the database and runs one command.

mod cli;
mod commands;
mod config;
mod database;
mod node;

use clap::Parser;
use cli::{Cli, Command};
use config::{Config, FlagOverrides};
use database::Database;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, human: the causes joined, as `a: b: c`.
            eprintln!("kereru: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let flags = FlagOverrides {
        data_dir: cli.data_dir.clone(),
        http_listen: match &cli.command {
            Command::Serve(args) => args.http.clone(),
            _ => None,
        },
    };
    let config = Config::load(cli.config.as_deref(), &flags)?;
    init_logging(&config, matches!(cli.command, Command::Serve(_) | Command::Deliver));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(_) => commands::serve::run(config).await,
            Command::Migrate => {
                let database = Database::open(&config).await?;
                println!("migrations applied");
                database.close().await
            }
            Command::Domain(command) => {
                let database = Database::open(&config).await?;
                let result = async {
                    let mut conn = database.pool.get().await?;
                    commands::domain::run(command, &mut conn, &config).await
                }
                .await;
                close_after(database, result).await
            }
            Command::Deliver => commands::deliver::run(config).await,
            Command::CheckConfig => commands::check_config::run(&config),
            Command::Queue(command) => {
                let database = Database::open(&config).await?;
                let result = async {
                    let mut conn = database.pool.get().await?;
                    commands::queue::run(command, &mut conn).await
                }
                .await;
                close_after(database, result).await
            }
            Command::Block(command) => {
                let database = Database::open(&config).await?;
                let result = async {
                    let mut conn = database.pool.get().await?;
                    commands::block::run(command, &mut conn).await
                }
                .await;
                close_after(database, result).await
            }
            Command::User(command) => {
                let database = Database::open(&config).await?;
                let result = async {
                    let mut conn = database.pool.get().await?;
                    commands::user::run(command, &mut conn, &config).await
                }
                .await;
                close_after(database, result).await
            }
            Command::Admin(command) => {
                let database = Database::open(&config).await?;
                let result = async {
                    let mut conn = database.pool.get().await?;
                    commands::admin::run(command, &mut conn).await
                }
                .await;
                close_after(database, result).await
            }
            Command::Provider(command) => {
                let database = Database::open(&config).await?;
                let result = async {
                    let mut conn = database.pool.get().await?;
                    commands::provider::run(command, &mut conn, &config).await
                }
                .await;
                close_after(database, result).await
            }
        }
    })
}

/// Closes the database (stopping the private cluster if no one else uses
/// it) whatever the command's result was; the command's error wins.
async fn close_after(database: Database, result: anyhow::Result<()>) -> anyhow::Result<()> {
    let closed = database.close().await;
    result.and(closed)
}

fn init_logging(config: &Config, serving: bool) {
    use tracing_subscriber::EnvFilter;
    // Commands print their results on stdout; only problems go to stderr.
    let default = if serving { config.log.filter.clone() } else { "warn".to_string() };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&default))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    if config.log.json() {
        // One object a line; a request's lines carry its span (host, request_id) in "span" and "spans".
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .init();
        return;
    }
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
}
