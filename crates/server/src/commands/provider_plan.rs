//! `kereru provider plan ...` (plans and their limits) and `kereru domain
//! set-plan HOST PLAN`: the command-line twins of the provider API's
//! `/api/provider/v1/plans` and a tenant's `plan`.

use clap::{Args, Subcommand};
use kereru_service::plans::{self, By};
use kereru_store::Connection;
use kereru_store::plans::{Limits, LimitsChange, Plan};

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Create a plan. A limit left out is unlimited.
    Create {
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Change some limits of a plan (`unlimited` lifts one); its tenants are held to them at once.
    Update {
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// List the plans with their limits and how many tenants each has.
    List,
    /// Delete a plan no tenant has.
    Delete { name: String },
}

/// Each limit: a whole number, or `unlimited`.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Accounts (logins) on the tenant.
    #[arg(long, value_name = "N|unlimited", value_parser = parse_limit)]
    pub max_accounts: Option<Limit>,
    /// Bytes of stored media (uploads).
    #[arg(long, value_name = "BYTES|unlimited", value_parser = parse_limit)]
    pub media_storage_bytes: Option<Limit>,
    /// Local posts per UTC day, the whole tenant together.
    #[arg(long, value_name = "N|unlimited", value_parser = parse_limit)]
    pub posts_per_day: Option<Limit>,
    /// Accounts on other servers the tenant's people follow (or asked to).
    #[arg(long, value_name = "N|unlimited", value_parser = parse_limit)]
    pub remote_follows: Option<Limit>,
    /// Custom emoji (kept with the plan; Kererū has no custom emoji yet).
    #[arg(long, value_name = "N|unlimited", value_parser = parse_limit)]
    pub custom_emoji: Option<Limit>,
}

/// A limit as given: `None` is unlimited.
#[derive(Debug, Clone, Copy)]
pub struct Limit(pub Option<i64>);

fn parse_limit(text: &str) -> Result<Limit, String> {
    if text.eq_ignore_ascii_case("unlimited") {
        return Ok(Limit(None));
    }
    match text.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Limit(Some(n))),
        _ => Err(format!("`{text}` is not a whole number of at least 0 or `unlimited`")),
    }
}

impl LimitArgs {
    fn change(&self) -> LimitsChange {
        LimitsChange {
            max_accounts: self.max_accounts.map(|l| l.0),
            media_storage_bytes: self.media_storage_bytes.map(|l| l.0),
            posts_per_day: self.posts_per_day.map(|l| l.0),
            remote_follows: self.remote_follows.map(|l| l.0),
            custom_emoji: self.custom_emoji.map(|l| l.0),
        }
    }
}

fn show(value: Option<i64>) -> String {
    value.map_or_else(|| "unlimited".to_string(), |v| v.to_string())
}

fn line(plan: &Plan, tenants: i64) -> String {
    format!(
        "{}\tmax_accounts={}\tmedia_storage_bytes={}\tposts_per_day={}\tremote_follows={}\tcustom_emoji={}\ttenants={tenants}",
        plan.name,
        show(plan.max_accounts),
        show(plan.media_storage_bytes),
        show(plan.posts_per_day),
        show(plan.remote_follows),
        show(plan.custom_emoji),
    )
}

pub async fn run(command: PlanCommand, conn: &mut Connection) -> anyhow::Result<()> {
    match command {
        PlanCommand::Create { name, limits } => {
            let mut all = Limits::default();
            limits.change().apply(&mut all);
            let plan = plans::create(conn, By::CommandLine, &name, &all).await?;
            println!("created plan {}", line(&plan, 0));
        }
        PlanCommand::Update { name, limits } => {
            let plan =
                plans::update(conn, By::CommandLine, &name, &limits.change()).await.map_err(|e| not_found(e, &name))?;
            let tenants = kereru_store::plans::tenants_on(conn, plan.id).await?;
            println!("updated plan {}", line(&plan, tenants));
        }
        PlanCommand::List => {
            let all = kereru_store::plans::list(conn).await?;
            if all.is_empty() {
                println!("no plans yet: create one with `kereru provider plan create NAME --posts-per-day N ...`");
            }
            for plan in all {
                let tenants = kereru_store::plans::tenants_on(conn, plan.id).await?;
                println!("{}", line(&plan, tenants));
            }
        }
        PlanCommand::Delete { name } => {
            plans::delete(conn, By::CommandLine, &name).await.map_err(|e| not_found(e, &name))?;
            println!("deleted plan {name}");
        }
    }
    Ok(())
}

/// `kereru domain set-plan HOST PLAN|--none`.
pub async fn set_plan(conn: &mut Connection, host: &str, plan: Option<&str>) -> anyhow::Result<()> {
    let domain = super::domain::find(conn, host).await?;
    let plan = plans::assign(conn, By::CommandLine, domain.id, domain.account_host.as_str(), plan).await?;
    match plan {
        Some(plan) => println!("{} is on plan {}", domain.account_host, plan.name),
        None => println!("{} has no plan (no limits)", domain.account_host),
    }
    Ok(())
}

fn not_found(error: kereru_service::ServiceError, name: &str) -> anyhow::Error {
    match error {
        kereru_service::ServiceError::NotFound => anyhow::anyhow!("no plan {name} (see `kereru provider plan list`)"),
        other => other.into(),
    }
}

/// The plan, quotas and usage lines of `kereru domain show`.
pub async fn usage_lines(conn: &mut Connection, domain: kereru_store::DomainId) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let report = kereru_service::usage::report(conn, domain).await?;
    let mut out = String::new();
    let plan = report.plan.as_ref().map_or("(none: no limits)", |p| p.name.as_str());
    writeln!(out, "  plan:           {plan}")?;
    for standing in &report.quotas {
        let used = standing.used.map_or_else(|| "not counted".to_string(), |u| u.to_string());
        writeln!(out, "    {:<20} {used} of {}", standing.quota.as_str(), show(standing.limit))?;
    }
    let u = &report.usage;
    writeln!(
        out,
        "  usage:          {} accounts, {} active in 30 days, {} statuses",
        u.accounts, u.monthly_active_users, u.statuses
    )?;
    writeln!(out, "                  {} bytes of media, {} posts today", u.storage_bytes, u.posts_today)?;
    writeln!(out, "                  deliveries sent {} (24 h) {} (30 d)", u.deliveries_24h, u.deliveries_30d)?;
    writeln!(out, "                  inbound activities {} (24 h) {} (30 d)", u.inbound_24h, u.inbound_30d)?;
    Ok(out)
}
