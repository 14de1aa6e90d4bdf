//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kereru",
    version,
    about = "Kererū: a multi-tenant fediverse host. One deployment serves many people on many custom domains.",
    long_about = None,
)]
pub struct Cli {
    /// A TOML file overlaying config/default.toml (environment variables
    /// KERERU_<SECTION>__<KEY> overlay both).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where this node keeps its state, including the private PostgreSQL
    /// cluster when no database URL is configured [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: applies migrations, then serves every active domain.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Provision and manage tenant domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Manage local accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Run a delivery worker only (no HTTP): drains the outbound queue
    /// with `[delivery]` settings until SIGINT/SIGTERM.
    Deliver,
    /// Check the configuration (file, environment, flags) as `serve` reads it and
    /// say what this node would do; exits 1 with the reason when a value is wrong.
    /// Reaches nothing: no database, no bucket.
    CheckConfig,
    /// Inspect the outbound delivery queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Refuse remote servers: their signed requests get 403, nothing of theirs is processed.
    #[command(subcommand)]
    Block(BlockCommand),
    /// Grant and revoke roles: a domain's moderators and admins, and the host's admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The provisioning API for hosting providers: its keys, plans (quotas), and purging deleted domains.
    #[command(subcommand)]
    Provider(ProviderCommand),
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Plans and their quotas: `kereru provider plan create|update|list|delete`.
    #[command(subcommand)]
    Plan(crate::commands::provider_plan::PlanCommand),
    /// API keys for /api/provider/v1/ (sent as `Authorization: Bearer KEY`).
    #[command(subcommand)]
    Key(ProviderKeyCommand),
    /// Remove now the domains deleted through the API whose grace period is over
    /// (`kereru serve` does it on its own every few minutes).
    Purge,
    /// Webhooks: URLs that receive signed events (tenant.dns_ready, tenant.certificate_issued,
    /// tenant.suspended, quota.exceeded, report.created).
    #[command(subcommand)]
    Webhook(crate::commands::provider_webhook::WebhookCommand),
}

#[derive(Debug, Subcommand)]
pub enum ProviderKeyCommand {
    /// Make a key and print it, once: only its hash is kept.
    Create {
        /// A name for the key (letters, digits, '-', '_', '.'), e.g. the system that uses it.
        name: String,
        /// The key may only read: writes get 403.
        #[arg(long)]
        read_only: bool,
    },
    /// Every key with its name, rights and last use (never the key itself).
    List,
    /// Revoke a key: its requests get 401 from now on.
    Revoke { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make someone a moderator or admin of their domain (or, with --host-admin, of this whole host).
    Grant(RoleArgs),
    /// Make a moderator or admin a plain user again (or, with --host-admin, no longer a host admin).
    /// A domain's last admin stays admin.
    Revoke(RoleArgs),
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// moderator or admin (not with --host-admin).
    #[arg(value_enum, required_unless_present = "host_admin", conflicts_with = "host_admin")]
    pub role: Option<RoleArg>,
    /// The deployment-wide admin role instead of a domain's role.
    #[arg(long)]
    pub host_admin: bool,
    /// The domain (account or service host) the account belongs to.
    #[arg(long, value_name = "HOST")]
    pub domain: String,
    #[arg(long)]
    pub username: String,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Moderator,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum BlockCommand {
    /// Block a remote host (and its subdomains), for one tenant or, without --domain, for all.
    Add {
        host: String,
        /// The tenant that blocks it; unset: the whole host.
        #[arg(long)]
        domain: Option<String>,
        /// suspend (refuse everything, remove follows), silence (out of public
        /// timelines and strangers' notifications) or noop (only the options).
        #[arg(long, default_value = "suspend", value_parser = ["suspend", "silence", "limit", "noop"])]
        severity: String,
        /// Do not fetch or store the host's media.
        #[arg(long)]
        reject_media: bool,
        /// Drop the host's reports.
        #[arg(long)]
        reject_reports: bool,
        /// The reason shown at /api/v1/instance/domain_blocks.
        #[arg(long, default_value = "")]
        public_comment: String,
        /// A note for the admins only.
        #[arg(long, default_value = "")]
        private_comment: String,
    },
    /// Lift a block.
    Remove {
        host: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// The blocked hosts of one tenant, or the host-wide ones.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// E-mail domains refused at sign-up: `kereru block email add|remove|list`.
    #[command(subcommand)]
    Email(EmailBlockCommand),
    /// Address ranges refused: `kereru block ip add|remove|list`.
    #[command(subcommand)]
    Ip(IpBlockCommand),
}

#[derive(Debug, Subcommand)]
pub enum EmailBlockCommand {
    /// Refuse sign-ups with addresses at this domain (and its subdomains), for
    /// one tenant or, without --domain, for all.
    Add {
        email_domain: String,
        /// The tenant that refuses them; unset: the whole host.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Take a blocked e-mail domain off the list.
    Remove {
        email_domain: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// The blocked e-mail domains of one tenant, or the host-wide ones.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IpBlockCommand {
    /// Block an address or CIDR range (192.0.2.0/24, 2001:db8::/32), for one
    /// tenant or, without --domain, for all.
    Add {
        range: String,
        /// no_access (no sign-in, no API), sign_up_block, or
        /// sign_up_requires_approval.
        #[arg(long, value_parser = ["no_access", "sign_up_block", "sign_up_requires_approval"])]
        severity: String,
        /// A note for the admins.
        #[arg(long, default_value = "")]
        comment: String,
        /// The tenant that blocks it; unset: the whole host.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Lift the block of this range.
    Remove {
        range: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// The blocked ranges of one tenant, or the host-wide ones.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Queued, in flight, retrying, done and given-up deliveries, and the worst hosts.
    Stats {
        /// How many hosts to list.
        #[arg(long, default_value_t = 10)]
        hosts: usize,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The plain-HTTP listen address [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Provision a domain: accounts become @name@HOST. It is active at once.
    Add {
        /// The account host: the part after @ in handles (IDNs are stored in ASCII form).
        host: String,
        /// Serve actors and the web interface on this host instead (e.g.
        /// social.example.com), keeping handles on HOST.
        #[arg(long, value_name = "HOST")]
        service_host: Option<String>,
        /// The owner's e-mail address.
        #[arg(long, value_name = "EMAIL")]
        owner: Option<String>,
        /// Who may sign up.
        #[arg(long, value_enum, default_value_t = RegistrationsArg::Closed)]
        registrations: RegistrationsArg,
        /// The site's name, shown to visitors and other servers [default: HOST].
        #[arg(long)]
        name: Option<String>,
    },
    /// List every domain with its state.
    List,
    /// Show a domain and the DNS records its owner must set.
    Show { host: String },
    /// Stop serving a domain (everything answers 404); its data is kept.
    Suspend { host: String },
    /// Serve a suspended or pending domain again.
    Activate { host: String },
    /// Delete a domain with all of its accounts and data. Cannot be undone.
    Remove { host: String },
    /// Change a domain's name or description (its front page, about page and instance API show them).
    Update {
        host: String,
        /// The site's name.
        #[arg(long)]
        name: Option<String>,
        /// A short description of the site, in plain text.
        #[arg(long)]
        description: Option<String>,
        /// Limited federation: only domains on the allow list federate (true|false).
        #[arg(long, value_name = "BOOL")]
        limited_federation: Option<bool>,
    },
    /// The rules a domain's people agree to, in order.
    #[command(subcommand)]
    Rule(RuleCommand),
    /// Put a domain on a plan (see `kereru provider plan list`), or with --none on no plan (no limits).
    SetPlan {
        host: String,
        #[arg(required_unless_present = "none", conflicts_with = "none")]
        plan: Option<String>,
        /// Take the domain off its plan.
        #[arg(long)]
        none: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Add a rule at the end of the list.
    Add { host: String, text: String },
    /// List the rules with their ids.
    List { host: String },
    /// Remove a rule by its id (see `rule list`).
    Remove { host: String, id: i64 },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RegistrationsArg {
    Open,
    Approval,
    Closed,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        /// The domain (account or service host) the account belongs to.
        #[arg(long, value_name = "HOST")]
        domain: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Make the account an admin of its domain.
        #[arg(long)]
        admin: bool,
    },
    /// List the accounts of a domain.
    List {
        #[arg(long, value_name = "HOST")]
        domain: String,
    },
    /// Approve a sign-up that waits for approval (registrations by approval); mails its owner.
    Approve {
        #[arg(long, value_name = "HOST")]
        domain: String,
        #[arg(long)]
        username: String,
    },
}
