//! `kereru queue stats`.

use crate::cli::QueueCommand;
use kereru_store::Connection;

pub async fn run(command: QueueCommand, conn: &mut Connection) -> anyhow::Result<()> {
    match command {
        QueueCommand::Stats { hosts } => {
            let stats = kereru_delivery::queue::stats(conn, hosts).await?;
            let t = &stats.totals;
            println!("queued     {}", t.queued);
            println!("in flight  {}", t.in_flight);
            println!("retrying   {}", t.retrying);
            println!("done       {}", t.done);
            println!("given up   {}", t.given_up);
            if !stats.worst_hosts.is_empty() {
                println!();
                println!(
                    "{:<40} {:>8} {:>9} {:>8} {:>8} {:>8}  state",
                    "host", "pending", "in flight", "retrying", "given up", "failures"
                );
                for h in &stats.worst_hosts {
                    let state = match h.unavailable_until {
                        Some(until) if until > chrono::Utc::now() => {
                            format!("unavailable until {}", until.format("%Y-%m-%d %H:%M:%S UTC"))
                        }
                        _ => "available".to_string(),
                    };
                    println!(
                        "{:<40} {:>8} {:>9} {:>8} {:>8} {:>8}  {state}",
                        h.host, h.pending, h.in_flight, h.retrying, h.given_up, h.consecutive_failures
                    );
                    if let Some(error) = &h.last_error {
                        println!("{:<40} last error: {error}", "");
                    }
                }
            }
            // One line for scripts.
            println!("queue {t}");
            Ok(())
        }
    }
}
