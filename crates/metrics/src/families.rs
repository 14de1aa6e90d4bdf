//! The metric families, registered once in a registry of our own (not the
//! `prometheus` crate's global default, which other libraries may fill).

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// What the database and the pool look like at a scrape, read by the
/// scrape handler (web) just before rendering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Deliveries waiting for an attempt (due or not, leased or not).
    pub delivery_queue_depth: i64,
    /// Seconds since the oldest due delivery was due (0 when none is).
    pub delivery_oldest_due_seconds: f64,
    /// Hosts whose deliveries the breaker pauses right now.
    pub delivery_hosts_paused: i64,
    /// Inbound activities stored and not yet processed.
    pub inbound_queue_depth: i64,
    /// Seconds since the oldest unprocessed inbound activity was received.
    pub inbound_oldest_pending_seconds: f64,
    /// Unix time of the soonest `not_after` among stored certificates.
    pub soonest_certificate_expiry: Option<f64>,
    /// This process's database pool: connections open, idle, and the maximum.
    pub pool_size: i64,
    pub pool_idle: i64,
    pub pool_max: i64,
}

pub(crate) struct Families {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub deliveries: IntCounterVec,
    pub inbound: IntCounterVec,
    pub inbound_lag: Histogram,
    pub acme_orders: IntCounterVec,
    pub streaming: IntGauge,
    delivery_depth: IntGauge,
    delivery_oldest: Gauge,
    delivery_paused: IntGauge,
    inbound_depth: IntGauge,
    inbound_oldest: Gauge,
    certificate_expiry: GaugeVec,
    pool: IntGaugeVec,
    pool_max: IntGauge,
}

const HTTP_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const LAG_BUCKETS: [f64; 12] = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

impl Families {
    pub fn new() -> Result<Families, prometheus::Error> {
        let registry = Registry::new_custom(Some("kereru".into()), None)?;
        let families = Families {
            http_requests: IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests answered, by method, route pattern and status."),
                &["method", "route", "status"],
            )?,
            http_duration: HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time from a request's arrival to its response, by method, route pattern and status.",
                )
                .buckets(HTTP_BUCKETS.to_vec()),
                &["method", "route", "status"],
            )?,
            deliveries: IntCounterVec::new(
                Opts::new("deliveries_total", "Outbound delivery attempts, by outcome."),
                &["outcome"],
            )?,
            inbound: IntCounterVec::new(
                Opts::new("inbound_activities_total", "Inbox POSTs, accepted or refused, by reason."),
                &["outcome", "reason"],
            )?,
            inbound_lag: Histogram::with_opts(
                HistogramOpts::new(
                    "inbound_processing_lag_seconds",
                    "Time from an inbox storing an activity to its processing.",
                )
                .buckets(LAG_BUCKETS.to_vec()),
            )?,
            acme_orders: IntCounterVec::new(
                Opts::new("acme_orders_total", "ACME certificate orders finished, by result."),
                &["result"],
            )?,
            streaming: IntGauge::new("streaming_connections", "Streaming connections open on this process.")?,
            delivery_depth: IntGauge::new("delivery_queue_depth", "Deliveries waiting for an attempt.")?,
            delivery_oldest: Gauge::new(
                "delivery_queue_oldest_due_seconds",
                "How long the oldest due delivery has been due.",
            )?,
            delivery_paused: IntGauge::new(
                "delivery_hosts_paused",
                "Remote hosts whose deliveries are paused after repeated failures.",
            )?,
            inbound_depth: IntGauge::new("inbound_queue_depth", "Inbound activities stored and not yet processed.")?,
            inbound_oldest: Gauge::new(
                "inbound_lag_seconds",
                "How long the oldest unprocessed inbound activity has waited (the processing lag now).",
            )?,
            certificate_expiry: GaugeVec::new(
                Opts::new(
                    "certificate_expiry_soonest_timestamp_seconds",
                    "Unix time at which the first stored TLS certificate expires.",
                ),
                &[],
            )?,
            pool: IntGaugeVec::new(
                Opts::new("db_pool_connections", "This process's database connections, by state."),
                &["state"],
            )?,
            pool_max: IntGauge::new("db_pool_max_connections", "The most connections this process's pool opens.")?,
            registry,
        };
        families.register()?;
        Ok(families)
    }

    fn register(&self) -> Result<(), prometheus::Error> {
        let registry = &self.registry;
        registry.register(Box::new(self.http_requests.clone()))?;
        registry.register(Box::new(self.http_duration.clone()))?;
        registry.register(Box::new(self.deliveries.clone()))?;
        registry.register(Box::new(self.inbound.clone()))?;
        registry.register(Box::new(self.inbound_lag.clone()))?;
        registry.register(Box::new(self.acme_orders.clone()))?;
        registry.register(Box::new(self.streaming.clone()))?;
        registry.register(Box::new(self.delivery_depth.clone()))?;
        registry.register(Box::new(self.delivery_oldest.clone()))?;
        registry.register(Box::new(self.delivery_paused.clone()))?;
        registry.register(Box::new(self.inbound_depth.clone()))?;
        registry.register(Box::new(self.inbound_oldest.clone()))?;
        registry.register(Box::new(self.certificate_expiry.clone()))?;
        registry.register(Box::new(self.pool.clone()))?;
        registry.register(Box::new(self.pool_max.clone()))?;
        Ok(())
    }

    pub fn render(&self, snapshot: &Snapshot) -> String {
        self.delivery_depth.set(snapshot.delivery_queue_depth);
        self.delivery_oldest.set(snapshot.delivery_oldest_due_seconds);
        self.delivery_paused.set(snapshot.delivery_hosts_paused);
        self.inbound_depth.set(snapshot.inbound_queue_depth);
        self.inbound_oldest.set(snapshot.inbound_oldest_pending_seconds);
        // No certificate, no sample (a 0 would read as "expired in 1970").
        match snapshot.soonest_certificate_expiry {
            Some(expiry) => self.certificate_expiry.with_label_values(&[] as &[&str]).set(expiry),
            None => self.certificate_expiry.reset(),
        }
        self.pool.with_label_values(&["idle"]).set(snapshot.pool_idle);
        self.pool.with_label_values(&["in_use"]).set((snapshot.pool_size - snapshot.pool_idle).max(0));
        self.pool_max.set(snapshot.pool_max);
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            // Only a writer's error, which a Vec does not have.
            return format!("# encoding failed: {error}\n");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}
