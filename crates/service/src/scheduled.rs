//! Scheduled statuses: `scheduled_at` on a post keeps it, with its media
//! reserved, until its time; the scheduler ([`run`], beside the other workers
//! of `kereru serve`) then publishes it. Publishing is durable and happens
//! once: a due row is claimed `FOR UPDATE SKIP LOCKED` and deleted in the
//! very transaction that creates the status, so two nodes never publish it
//! twice and a crash before the commit leaves it to be published again.
//! Mastodon's rules: at least five minutes ahead (a time already past posts
//! at once), at most 300 scheduled in all and 25 on one day; a scheduled
//! post that can no longer be made (its reply target gone...) is dropped.

use crate::Actor;
use crate::error::ServiceError;
use crate::events::Event;
use crate::polls::NewPoll;
use crate::statuses::{self, NewPost};
use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::Scheme;
use kereru_store::ids::{MediaId, StatusId};
use kereru_store::scheduled::{self as store, ReserveError, ScheduledStatus};
use kereru_store::statuses::Visibility;
use kereru_store::{Pool, StoreError, accounts, domains};
use std::future::Future;

/// How far ahead a post must be scheduled at least.
pub const MIN_OFFSET: Duration = Duration::minutes(5);
pub const MAX_TOTAL: i64 = 300;
pub const MAX_PER_DAY: i64 = 25;

/// A scheduled post's parameters, stored as JSON in the shape of Mastodon's
/// ScheduledStatus `params` (ids as strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScheduledParams {
    pub text: String,
    pub spoiler_text: Option<String>,
    pub sensitive: Option<bool>,
    pub visibility: Option<String>,
    pub language: Option<String>,
    pub in_reply_to_id: Option<String>,
    pub media_ids: Option<Vec<String>>,
    pub poll: Option<NewPoll>,
    pub application_id: Option<i64>,
    /// The status to quote (Mastodon 4.5's `quoted_status_id`), decided when it is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_status_id: Option<String>,
    /// Who may quote the post (`public`, `followers`, `nobody`); absent: the person's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_approval_policy: Option<String>,
}

impl ScheduledParams {
    fn of(new: &NewPost) -> Self {
        ScheduledParams {
            text: new.text.clone(),
            spoiler_text: Some(new.spoiler_text.clone()).filter(|s| !s.is_empty()),
            sensitive: new.sensitive.then_some(true),
            visibility: new.visibility.map(|v| v.as_str().to_string()),
            language: new.language.clone(),
            in_reply_to_id: new.in_reply_to.map(|id| id.to_string()),
            media_ids: Some(new.media_ids.iter().map(ToString::to_string).collect::<Vec<_>>())
                .filter(|m| !m.is_empty()),
            poll: new.poll.clone(),
            application_id: new.application_id,
            quoted_status_id: new.quoted_status_id.map(|id| id.to_string()),
            quote_approval_policy: new.quote_policy.map(|p| p.as_str().to_string()),
        }
    }

    /// The post these parameters make, with the media reserved for it.
    fn into_post(self, media_ids: Vec<MediaId>) -> NewPost {
        NewPost {
            text: self.text,
            spoiler_text: self.spoiler_text.unwrap_or_default(),
            sensitive: self.sensitive.unwrap_or(false),
            visibility: self.visibility.and_then(|v| v.parse::<Visibility>().ok()),
            language: self.language,
            in_reply_to: self.in_reply_to_id.and_then(|id| id.parse().ok()).map(StatusId),
            media_ids,
            idempotency_key: None,
            application_id: self.application_id,
            poll: self.poll,
            quoted_status_id: self.quoted_status_id.and_then(|id| id.parse().ok()).map(StatusId),
            quote_policy: self.quote_approval_policy.as_deref().and_then(kereru_store::quotes::QuotePolicy::parse),
        }
    }

    /// The parameters stored with a scheduled status.
    pub fn read(row: &ScheduledStatus) -> Result<Self, ServiceError> {
        serde_json::from_str(&row.params)
            .map_err(|e| ServiceError::Store(StoreError::Corrupt(format!("scheduled status {}: {e}", row.id))))
    }
}

fn too_soon(at: DateTime<Utc>) -> Result<(), ServiceError> {
    if at <= Utc::now() + MIN_OFFSET {
        return Err(ServiceError::Invalid(
            "Validation failed: Scheduled at The scheduled date must be in the future".into(),
        ));
    }
    Ok(())
}

/// Schedules `new` for `at` (checked as a post would be, and its reply
/// target must be visible now), reserving its media; one transaction.
pub async fn schedule(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    new: NewPost,
    at: DateTime<Utc>,
) -> Result<ScheduledStatus, ServiceError> {
    statuses::check(&new)?;
    too_soon(at)?;
    if let Some(parent) = new.in_reply_to {
        statuses::visible(conn, actor, parent).await?;
    }
    // What it quotes must be there now; whether the quote is allowed is decided when it is published.
    if let Some(quoted) = new.quoted_status_id {
        statuses::visible(conn, actor, quoted).await?;
    }
    let params = serde_json::to_string(&ScheduledParams::of(&new))
        .map_err(|e| ServiceError::Invalid(format!("cannot keep these parameters: {e}")))?;
    let (tenant, account) = (actor.tenant.id, actor.account.id);
    conn.transaction(async |conn| -> Result<ScheduledStatus, ServiceError> {
        let (total, on_day) = store::counts(conn, account, at).await?;
        if total >= MAX_TOTAL {
            return Err(ServiceError::Invalid(format!(
                "Validation failed: You have exceeded the limit of {MAX_TOTAL} scheduled posts"
            )));
        }
        if on_day >= MAX_PER_DAY {
            return Err(ServiceError::Invalid(format!(
                "Validation failed: You have exceeded the limit of {MAX_PER_DAY} scheduled posts for that day"
            )));
        }
        store::insert(conn, tenant, account, at, &params, &new.media_ids).await.map_err(|e| match e {
            ReserveError::Unavailable(id) => {
                ServiceError::Invalid(format!("Media {id} not found or already attached to another post"))
            }
            ReserveError::Store(store) => ServiceError::Store(store),
        })
    })
    .await
}

/// Moves the actor's scheduled status to `at` (at least five minutes ahead).
pub async fn reschedule(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    at: DateTime<Utc>,
) -> Result<ScheduledStatus, ServiceError> {
    store::get(conn, actor.tenant.id, actor.account.id, id).await?.ok_or(ServiceError::NotFound)?;
    too_soon(at)?;
    store::reschedule(conn, actor.tenant.id, actor.account.id, id, at).await?.ok_or(ServiceError::NotFound)
}

/// Cancels the actor's scheduled status; its media are free again.
pub async fn cancel(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    if store::delete(conn, actor.tenant.id, actor.account.id, id).await? { Ok(()) } else { Err(ServiceError::NotFound) }
}

/// Publishes one due scheduled status, if any, in one transaction (claim,
/// delete, post). Returns the events to publish after the commit, `None`
/// when nothing was due. A post that can no longer be made is dropped
/// (logged); a failure of the database leaves the row for the next round.
pub async fn publish_one(conn: &mut AsyncPgConnection, scheme: Scheme) -> Result<Option<Vec<Event>>, ServiceError> {
    conn.transaction(async |conn| -> Result<Option<Vec<Event>>, ServiceError> {
        let Some(row) = store::claim_due(conn).await? else { return Ok(None) };
        let media = store::take(conn, &row).await?;
        let params = match ScheduledParams::read(&row) {
            Ok(params) => params,
            Err(error) => {
                tracing::warn!(id = row.id, "scheduled status dropped: {error}");
                return Ok(Some(Vec::new()));
            }
        };
        let tenant = domains::get(conn, row.domain_id).await.map_err(|e| match e {
            domains::DomainError::Store(store) => ServiceError::Store(store),
            other => ServiceError::Invalid(other.to_string()),
        })?;
        let Some(account) = accounts::get_unchecked(conn, row.account_id).await? else {
            return Ok(Some(Vec::new()));
        };
        let actor = Actor { tenant: &tenant, account: &account, scheme };
        match statuses::post(conn, &actor, params.into_post(media)).await {
            Ok((_, events)) => Ok(Some(events)),
            Err(error @ (ServiceError::Invalid(_) | ServiceError::NotFound | ServiceError::Forbidden(_))) => {
                tracing::warn!(id = row.id, "scheduled status dropped: {error}");
                Ok(Some(Vec::new()))
            }
            Err(error) if error.quota().is_some() => {
                tracing::warn!(id = row.id, "scheduled status dropped: {error}");
                Ok(Some(Vec::new()))
            }
            Err(error) => Err(error),
        }
    })
    .await
}

/// Publishes every scheduled status that is due now; returns how many rows were taken.
pub async fn publish_due(pool: &Pool, scheme: Scheme) -> Result<usize, ServiceError> {
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    let mut taken = 0;
    while let Some(events) = publish_one(&mut conn, scheme).await? {
        crate::events::publish(&mut conn, &events).await;
        taken += 1;
    }
    Ok(taken)
}

/// How often [`run`] looks for due scheduled statuses (Mastodon's scheduler runs every 5 minutes, jobs at their time).
pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The scheduler (`kereru serve` runs one; any number of nodes may).
pub async fn run(pool: Pool, scheme: Scheme, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(error) = publish_due(&pool, scheme).await {
            tracing::warn!("scheduled statuses: {error}");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}
