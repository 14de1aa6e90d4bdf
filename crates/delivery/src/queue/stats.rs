//! The queue's figures: totals by state and the worst hosts.

use super::QueueError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The queue's figures, as `kereru queue stats` prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct Totals {
    /// Waiting for their first attempt.
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
    /// Leased by a worker right now.
    #[diesel(sql_type = BigInt)]
    pub in_flight: i64,
    /// Tried before and waiting for another attempt.
    #[diesel(sql_type = BigInt)]
    pub retrying: i64,
    #[diesel(sql_type = BigInt)]
    pub done: i64,
    #[diesel(sql_type = BigInt)]
    pub given_up: i64,
}

/// One host's share of the queue.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct HostFigures {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub in_flight: i64,
    #[diesel(sql_type = BigInt)]
    pub retrying: i64,
    #[diesel(sql_type = BigInt)]
    pub done: i64,
    #[diesel(sql_type = BigInt)]
    pub given_up: i64,
    #[diesel(sql_type = Integer)]
    pub consecutive_failures: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub unavailable_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub totals: Totals,
    /// The worst hosts: most deliveries pending, then most given up.
    pub worst_hosts: Vec<HostFigures>,
}

const IN_FLIGHT: &str = "state = 'queued' AND lease_until > now()";
const WAITING: &str = "state = 'queued' AND (lease_until IS NULL OR lease_until <= now())";

pub async fn stats(conn: &mut AsyncPgConnection, worst: usize) -> Result<Stats, QueueError> {
    let totals = diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE {WAITING} AND attempts = 0) AS queued,
                count(*) FILTER (WHERE {IN_FLIGHT}) AS in_flight,
                count(*) FILTER (WHERE {WAITING} AND attempts > 0) AS retrying,
                count(*) FILTER (WHERE state = 'done') AS done,
                count(*) FILTER (WHERE state = 'given_up') AS given_up
         FROM deliveries"
    ))
    .get_result::<Totals>(conn)
    .await?;
    let worst_hosts = diesel::sql_query(format!(
        "SELECT d.host,
                count(*) FILTER (WHERE d.state = 'queued') AS pending,
                count(*) FILTER (WHERE d.{IN_FLIGHT}) AS in_flight,
                count(*) FILTER (WHERE d.{WAITING} AND d.attempts > 0) AS retrying,
                count(*) FILTER (WHERE d.state = 'done') AS done,
                count(*) FILTER (WHERE d.state = 'given_up') AS given_up,
                COALESCE(max(h.consecutive_failures), 0) AS consecutive_failures,
                max(h.unavailable_until) AS unavailable_until,
                max(h.last_error) AS last_error
         FROM deliveries d LEFT JOIN delivery_hosts h ON h.host = d.host
         GROUP BY d.host
         HAVING count(*) FILTER (WHERE d.state <> 'done') > 0
         ORDER BY pending DESC, given_up DESC, d.host
         LIMIT $1"
    ))
    .bind::<BigInt, _>(i64::try_from(worst).unwrap_or(i64::MAX))
    .load::<HostFigures>(conn)
    .await?;
    Ok(Stats { totals, worst_hosts })
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "queued={} in_flight={} retrying={} done={} given_up={}",
            self.queued, self.in_flight, self.retrying, self.done, self.given_up
        )
    }
}
