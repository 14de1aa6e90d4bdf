//! The per-host circuit breaker in `delivery_hosts`: consecutive failures
//! are counted; past a threshold the host is unavailable for a while and
//! its rows wait; the first success resets it and makes them due at once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_store::schema::{deliveries, delivery_hosts};
use std::time::Duration;

/// A delivery to `host` succeeded: if it had been failing, it is available
/// again and its waiting rows are due now. Returns whether it recovered.
pub(super) async fn record_success(conn: &mut AsyncPgConnection, host: &str) -> Result<bool, diesel::result::Error> {
    let recovered = diesel::update(delivery_hosts::table.find(host))
        .filter(delivery_hosts::consecutive_failures.gt(0).or(delivery_hosts::unavailable_until.is_not_null()))
        .set((
            delivery_hosts::consecutive_failures.eq(0),
            delivery_hosts::unavailable_until.eq(None::<DateTime<Utc>>),
            delivery_hosts::last_success_at.eq(Some(Utc::now())),
            delivery_hosts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?
        > 0;
    if recovered {
        diesel::update(deliveries::table)
            .filter(deliveries::host.eq(host))
            .filter(deliveries::state.eq("queued"))
            .filter(deliveries::next_attempt_at.gt(diesel::dsl::now))
            .set(deliveries::next_attempt_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
    }
    Ok(recovered)
}

/// A delivery to `host` failed with `error` (already truncated): one more
/// consecutive failure; from `threshold` on, the host is unavailable for
/// `pause(failures - threshold)`.
pub(super) async fn record_failure(
    conn: &mut AsyncPgConnection,
    host: &str,
    error: &str,
    threshold: u32,
    pause: impl Fn(u32) -> Duration,
) -> Result<(), diesel::result::Error> {
    let failures: i32 = diesel::insert_into(delivery_hosts::table)
        .values((
            delivery_hosts::host.eq(host),
            delivery_hosts::consecutive_failures.eq(1),
            delivery_hosts::last_error.eq(Some(error)),
        ))
        .on_conflict(delivery_hosts::host)
        .do_update()
        .set((
            delivery_hosts::consecutive_failures.eq(delivery_hosts::consecutive_failures + 1),
            delivery_hosts::last_error.eq(Some(error)),
            delivery_hosts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(delivery_hosts::consecutive_failures)
        .get_result(conn)
        .await?;
    let failures = u32::try_from(failures).unwrap_or(0);
    if failures >= threshold {
        let pause_ms = i64::try_from(pause(failures - threshold).as_millis()).unwrap_or(i64::MAX);
        let until = Utc::now() + chrono::Duration::milliseconds(pause_ms);
        diesel::update(delivery_hosts::table.find(host))
            .set(delivery_hosts::unavailable_until.eq(Some(until)))
            .execute(conn)
            .await?;
        tracing::warn!(host = %host, failures, until = %until, "host marked unavailable; its deliveries wait");
    }
    Ok(())
}
