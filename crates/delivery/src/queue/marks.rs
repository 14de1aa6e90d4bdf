//! What becomes of a claimed row once its inbox answered (or did not).

use super::hosts;
use super::{Claimed, QueueError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_store::schema::{deliveries, gone_inboxes};
use std::time::Duration;

/// The inbox answered 2xx: the row is done. If its host had been failing,
/// the host is available again and its waiting rows are due now.
/// Returns whether the host recovered.
pub async fn mark_done(conn: &mut AsyncPgConnection, row: &Claimed, status: u16) -> Result<bool, QueueError> {
    diesel::update(deliveries::table.find(row.id))
        .filter(deliveries::state.eq("queued"))
        .set((
            deliveries::state.eq("done"),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
            deliveries::finished_at.eq(Some(Utc::now())),
            deliveries::last_status.eq(Some(i32::from(status))),
        ))
        .execute(conn)
        .await?;
    Ok(hosts::record_success(conn, &row.host).await?)
}

/// Hands claimed rows back at once (a worker stopping gracefully): due
/// again for any worker without waiting out the lease, the attempt that did
/// not finish uncounted. Rows finished meanwhile or whose lease already ran
/// out (another worker may hold them) are left alone. Returns how many.
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<usize, QueueError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(deliveries::table)
        .filter(deliveries::id.eq_any(ids))
        .filter(deliveries::state.eq("queued"))
        .filter(deliveries::lease_until.gt(diesel::dsl::now))
        .set((
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
            deliveries::attempts.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("GREATEST(attempts - 1, 0)")),
        ))
        .execute(conn)
        .await?)
}

/// A final answer other than success: the row is given up with `reason`.
pub async fn mark_given_up(
    conn: &mut AsyncPgConnection,
    row: &Claimed,
    status: Option<u16>,
    reason: &str,
) -> Result<(), QueueError> {
    diesel::update(deliveries::table.find(row.id))
        .filter(deliveries::state.eq("queued"))
        .set((
            deliveries::state.eq("given_up"),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
            deliveries::finished_at.eq(Some(Utc::now())),
            deliveries::last_status.eq(status.map(i32::from)),
            deliveries::last_error.eq(Some(truncate(reason))),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// 410 Gone: the inbox is recorded as gone, and this and every other
/// queued delivery to it is given up.
pub async fn mark_gone(conn: &mut AsyncPgConnection, row: &Claimed) -> Result<(), QueueError> {
    diesel::insert_into(gone_inboxes::table)
        .values(gone_inboxes::inbox.eq(&row.inbox))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::update(deliveries::table)
        .filter(deliveries::inbox.eq(&row.inbox))
        .filter(deliveries::state.eq("queued"))
        .filter(
            deliveries::id
                .eq(row.id)
                .or(deliveries::lease_until.is_null().or(deliveries::lease_until.le(diesel::dsl::now))),
        )
        .set((
            deliveries::state.eq("given_up"),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
            deliveries::finished_at.eq(Some(Utc::now())),
            deliveries::last_status.eq(Some(410)),
            deliveries::last_error.eq(Some("inbox gone (410)")),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A failure worth retrying: the row is due again after `delay`, or given
/// up when that would pass the retry `horizon` (counted from when it was
/// queued). `host_failure` counts against the host; past
/// `host_threshold` consecutive failures the host is unavailable for
/// `host_pause`. Returns whether the row was given up.
#[allow(clippy::too_many_arguments)]
pub async fn mark_retry(
    conn: &mut AsyncPgConnection,
    row: &Claimed,
    delay: Duration,
    status: Option<u16>,
    error: &str,
    host_failure: bool,
    horizon: Duration,
    host_threshold: u32,
    host_pause: impl Fn(u32) -> Duration,
) -> Result<bool, QueueError> {
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let next = Utc::now() + chrono::Duration::milliseconds(delay_ms);
    let horizon_ms = i64::try_from(horizon.as_millis()).unwrap_or(i64::MAX);
    let give_up = next > row.created_at + chrono::Duration::milliseconds(horizon_ms);
    if give_up {
        let reason = format!("given up after {} attempts within the retry horizon; last: {error}", row.attempts);
        mark_given_up(conn, row, status, &reason).await?;
    } else {
        diesel::update(deliveries::table.find(row.id))
            .filter(deliveries::state.eq("queued"))
            .set((
                deliveries::next_attempt_at.eq(next),
                deliveries::lease_until.eq(None::<DateTime<Utc>>),
                deliveries::last_status.eq(status.map(i32::from)),
                deliveries::last_error.eq(Some(truncate(error))),
            ))
            .execute(conn)
            .await?;
    }
    if host_failure {
        hosts::record_failure(conn, &row.host, &truncate(error), host_threshold, host_pause).await?;
    }
    Ok(give_up)
}

fn truncate(text: &str) -> String {
    let mut end = text.len().min(500);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters() {
        let text = "é".repeat(400);
        let cut = truncate(&text);
        assert!(cut.len() <= 500 && cut.chars().all(|c| c == 'é'));
    }
}
