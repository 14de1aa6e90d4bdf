//! What an operator watches: whether this database is ready to serve
//! (reachable, every embedded migration applied) and the figures of the
//! queues and certificates that metrics scrapes report. Aggregates over
//! every tenant, named by nothing but state: each count reads a partial
//! index (`state = 'queued'`) or a small table.

use crate::error::StoreError;
use crate::pool::MIGRATIONS;
use diesel::QueryableByName;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The figures, read in one statement.
#[derive(Debug, Clone, Default, PartialEq, QueryableByName)]
pub struct Figures {
    /// Deliveries not finished (waiting, leased or retrying).
    #[diesel(sql_type = BigInt)]
    pub delivery_queue_depth: i64,
    /// Seconds since the oldest due delivery was due; 0 when none is due.
    #[diesel(sql_type = Double)]
    pub delivery_oldest_due_seconds: f64,
    /// Hosts the circuit breaker pauses now.
    #[diesel(sql_type = BigInt)]
    pub delivery_hosts_paused: i64,
    /// Inbound activities stored and not yet processed.
    #[diesel(sql_type = BigInt)]
    pub inbound_queue_depth: i64,
    /// Seconds since the oldest of those was received; 0 when none waits.
    #[diesel(sql_type = Double)]
    pub inbound_oldest_pending_seconds: f64,
    /// Unix time of the soonest expiry of a stored certificate.
    #[diesel(sql_type = Nullable<Double>)]
    pub soonest_certificate_expiry: Option<f64>,
}

pub async fn figures(conn: &mut AsyncPgConnection) -> Result<Figures, StoreError> {
    let figures = diesel::sql_query(
        "SELECT
           (SELECT count(*) FROM deliveries WHERE state = 'queued') AS delivery_queue_depth,
           (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)), 0)::float8
              FROM deliveries WHERE state = 'queued' AND next_attempt_at <= now()) AS delivery_oldest_due_seconds,
           (SELECT count(*) FROM delivery_hosts WHERE unavailable_until > now()) AS delivery_hosts_paused,
           (SELECT count(*) FROM inbound_activities WHERE state = 'queued') AS inbound_queue_depth,
           (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(received_at)), 0)::float8
              FROM inbound_activities WHERE state = 'queued') AS inbound_oldest_pending_seconds,
           (SELECT EXTRACT(EPOCH FROM min(not_after))::float8 FROM acme_certificates) AS soonest_certificate_expiry",
    )
    .get_result(conn)
    .await?;
    Ok(figures)
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The embedded migrations this database has not applied (their versions);
/// empty when it is ready for this binary.
pub async fn pending_migrations(conn: &mut AsyncPgConnection) -> Result<Vec<String>, StoreError> {
    let embedded = MigrationSource::<Pg>::migrations(&MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?;
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let table: Exists = diesel::sql_query("SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS exists")
        .get_result(conn)
        .await?;
    // No table yet: nothing applied (a fresh database).
    let applied: Vec<Version> = if table.exists {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn).await?
    } else {
        Vec::new()
    };
    let applied: std::collections::HashSet<String> = applied.into_iter().map(|row| row.version).collect();
    Ok(embedded
        .iter()
        .map(|migration| migration.name().version().to_string())
        .filter(|version| !applied.contains(version))
        .collect())
}
