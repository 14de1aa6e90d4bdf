//! `kereru provider webhook add|list|remove|test`: the provider's webhooks
//! from the command line (the twins of `/api/provider/v1/webhooks`), through
//! `kereru_service::webhooks` like the API, audited as "command line".

use clap::Subcommand;
use kereru_store::Connection;
use kereru_store::webhooks::{self, queue};

/// The audit log's name for acts from the command line.
const BY: &str = "command line";

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register a URL to receive signed events; prints its id and secret (shown only now).
    Add {
        /// Where events are POSTed (http or https).
        url: String,
        /// An event to send (repeatable): tenant.dns_ready, tenant.certificate_issued,
        /// tenant.suspended, quota.exceeded, report.created. None: every event.
        #[arg(long = "event", value_name = "EVENT")]
        events: Vec<String>,
        /// A note for the provider.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// The registered webhooks, with the outcome of their latest deliveries.
    List,
    /// Remove a webhook and its queued deliveries.
    Remove { id: i64 },
    /// Queue a `webhook.test` event to one webhook.
    Test { id: i64 },
}

pub async fn run(command: WebhookCommand, conn: &mut Connection) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Add { url, events, description } => {
            let input = kereru_service::webhooks::WebhookInput { url, events, description };
            let registered = kereru_service::webhooks::create(conn, BY, &input).await?;
            println!("webhook {} -> {}", registered.webhook.id, registered.webhook.url);
            println!("events: {}", events_label(&registered.webhook.events));
            println!("secret: {}", registered.secret);
            println!("(the secret is shown only now: it keys the HMAC-SHA256 of Kereru-Webhook-Signature)");
        }
        WebhookCommand::List => {
            let all = webhooks::list(conn).await?;
            if all.is_empty() {
                println!("no webhooks (add one with `kereru provider webhook add URL`)");
            }
            for webhook in all {
                let state = if webhook.enabled { "enabled" } else { "disabled" };
                println!("{}  {state}  {}  [{}]", webhook.id, webhook.url, events_label(&webhook.events));
                for delivery in queue::recent(conn, webhook.id, 5).await? {
                    let status = delivery.last_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                    let error = delivery.last_error.unwrap_or_default();
                    println!(
                        "    event {} {}: {} after {} attempt(s), last status {status} {error}",
                        delivery.event_id, delivery.event_type, delivery.state, delivery.attempts
                    );
                }
            }
        }
        WebhookCommand::Remove { id } => {
            let removed = kereru_service::webhooks::remove(conn, BY, id).await.map_err(not_found(id))?;
            println!("webhook {} ({}) removed", removed.id, removed.url);
        }
        WebhookCommand::Test { id } => {
            let event = kereru_service::webhooks::test(conn, id).await.map_err(not_found(id))?;
            println!("test event {event} queued for webhook {id}");
        }
    }
    Ok(())
}

fn events_label(events: &[String]) -> String {
    if events.is_empty() { "every event".to_string() } else { events.join(", ") }
}

fn not_found(id: i64) -> impl Fn(kereru_service::ServiceError) -> anyhow::Error {
    move |error| match error {
        kereru_service::ServiceError::NotFound => {
            anyhow::anyhow!("no webhook {id} (see `kereru provider webhook list`)")
        }
        other => other.into(),
    }
}
