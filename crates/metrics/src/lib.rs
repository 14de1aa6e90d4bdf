//! Prometheus metrics for the whole process: one registry, the families
//! every crate records into, and the text a scrape answers.
//!
//! A leaf crate (only `prometheus` below it) so that web, service, delivery
//! and acme all record through the same functions. Counters and histograms
//! are moved where things happen (`http_request`, `delivery`, `inbound`,
//! ...); gauges that describe the database (queue depth, oldest due row,
//! paused hosts, certificate expiry, pool use) are set by the scrape handler
//! just before it renders (`Snapshot`, `render`). Label values come from
//! fixed sets or route patterns: never a host, a user or a tenant.

mod families;

use families::Families;
use std::sync::LazyLock;
use std::time::Duration;

pub use families::Snapshot;

/// Built on first use; `None` only if a family could not be registered,
/// which the unit tests rule out (then metrics are off, nothing fails).
static FAMILIES: LazyLock<Option<Families>> = LazyLock::new(|| match Families::new() {
    Ok(families) => Some(families),
    Err(error) => {
        eprintln!("kereru: metrics are off: {error}");
        None
    }
});

fn families() -> Option<&'static Families> {
    FAMILIES.as_ref()
}

/// One HTTP request answered: `route` is the matched pattern (e.g.
/// `/api/v1/statuses/{id}`), `None` when no route matched.
pub fn http_request(method: &str, route: Option<&str>, status: u16, elapsed: Duration) {
    let Some(families) = families() else { return };
    let method = bounded_method(method);
    let route = route.unwrap_or("unmatched");
    let status = status.to_string();
    families.http_requests.with_label_values(&[method, route, status.as_str()]).inc();
    families.http_duration.with_label_values(&[method, route, status.as_str()]).observe(elapsed.as_secs_f64());
}

/// What came of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The inbox took it (2xx).
    Delivered,
    /// Failed; tried again later.
    Retried,
    /// Failed for good (4xx, refused, past the retry horizon).
    GivenUp,
    /// The inbox is gone (410).
    Gone,
}

impl DeliveryOutcome {
    fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retried => "retried",
            DeliveryOutcome::GivenUp => "given_up",
            DeliveryOutcome::Gone => "gone",
        }
    }
}

/// One delivery attempt recorded in the queue.
pub fn delivery(outcome: DeliveryOutcome) {
    if let Some(families) = families() {
        families.deliveries.with_label_values(&[outcome.label()]).inc();
    }
}

/// An inbox POST answered: `accepted` (stored, duplicate or ignored) or
/// refused, with a reason from a fixed set (`unsigned`, `bad_signature`, ...).
pub fn inbound(accepted: bool, reason: &'static str) {
    if let Some(families) = families() {
        let outcome = if accepted { "accepted" } else { "refused" };
        families.inbound.with_label_values(&[outcome, reason]).inc();
    }
}

/// An inbound activity processed, `lag` after its inbox received it.
pub fn inbound_processed(lag: Duration) {
    if let Some(families) = families() {
        families.inbound_lag.observe(lag.as_secs_f64());
    }
}

/// An ACME order finished: `issued` or `failed`.
pub fn acme_order(issued: bool) {
    if let Some(families) = families() {
        families.acme_orders.with_label_values(&[if issued { "issued" } else { "failed" }]).inc();
    }
}

/// An open streaming connection (server-sent events or WebSocket); counted
/// until the guard is dropped.
#[must_use = "the connection is counted until the guard is dropped"]
pub struct StreamingConnection(());

impl StreamingConnection {
    pub fn open() -> StreamingConnection {
        if let Some(families) = families() {
            families.streaming.inc();
        }
        StreamingConnection(())
    }
}

impl Drop for StreamingConnection {
    fn drop(&mut self) {
        if let Some(families) = families() {
            families.streaming.dec();
        }
    }
}

/// The text of a scrape (Prometheus text format 0.0.4), with the gauges of
/// `snapshot` set first.
pub fn render(snapshot: &Snapshot) -> String {
    match families() {
        Some(families) => families.render(snapshot),
        None => String::new(),
    }
}

/// The Content-Type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Methods outside this list are counted as `OTHER`: a client picks the method.
fn bounded_method(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|known| *known == method).unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_registers_and_renders() {
        assert!(families().is_some());
        http_request("GET", Some("/api/v1/statuses/{id}"), 200, Duration::from_millis(12));
        http_request("BREW", None, 404, Duration::from_millis(1));
        delivery(DeliveryOutcome::Delivered);
        inbound(false, "bad_signature");
        inbound_processed(Duration::from_secs(2));
        acme_order(true);
        let stream = StreamingConnection::open();
        let text = render(&Snapshot {
            delivery_queue_depth: 3,
            soonest_certificate_expiry: Some(1.0e9),
            ..Snapshot::default()
        });
        drop(stream);
        for line in [
            r#"kereru_http_requests_total{method="GET",route="/api/v1/statuses/{id}",status="200"} 1"#,
            r#"kereru_http_requests_total{method="OTHER",route="unmatched",status="404"} 1"#,
            r#"kereru_deliveries_total{outcome="delivered"} 1"#,
            r#"kereru_inbound_activities_total{outcome="refused",reason="bad_signature"} 1"#,
            "kereru_inbound_processing_lag_seconds_count 1",
            r#"kereru_acme_orders_total{result="issued"} 1"#,
            "kereru_streaming_connections 1",
            "kereru_delivery_queue_depth 3",
            "kereru_certificate_expiry_soonest_timestamp_seconds 1000000000",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }
}
