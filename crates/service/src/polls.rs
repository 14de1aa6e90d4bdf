//! Polls: made with a status, voted in, and ended. Mastodon's rules and
//! limits (`/api/v1/instance` announces the same numbers): 2 to 4 options of
//! at most 50 characters, open for 5 minutes to a month; one vote per person
//! (a multiple-choice poll takes one per option), never in one's own poll,
//! never after the end. The end is acted on by [`run`]: a `poll`
//! notification to the author and every local voter. [`run`] also sends a
//! local poll's new counts to the servers that have it, a few minutes after
//! votes changed them (one Update for all of them, as Mastodon).

use crate::Actor;
use crate::error::ServiceError;
use crate::events::Event;
use crate::federation::poll_activities;
use chrono::{Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::Scheme;
use kereru_store::ids::{AccountId, next_id};
use kereru_store::polls::{self, Poll};
use kereru_store::statuses::{self, Status};
use kereru_store::{Pool, StoreError, accounts};
use std::future::Future;

pub const MAX_OPTIONS: usize = 4;
pub const MAX_OPTION_CHARACTERS: usize = 50;
pub const MIN_EXPIRATION: i64 = 300;
pub const MAX_EXPIRATION: i64 = 2_629_746;

/// A poll as a person asks for it with a status.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NewPoll {
    pub options: Vec<String>,
    /// Seconds from posting until the poll ends.
    pub expires_in: i64,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub hide_totals: bool,
}

impl NewPoll {
    /// Mastodon's validations of a poll, with its messages.
    pub fn check(&self) -> Result<(), ServiceError> {
        let invalid = |why: String| Err(ServiceError::Invalid(format!("Validation failed: {why}")));
        if self.options.len() < 2 {
            return invalid("Poll options must have more than one item".into());
        }
        if self.options.len() > MAX_OPTIONS {
            return invalid(format!("Poll options can't contain more than {MAX_OPTIONS} items"));
        }
        if self.options.iter().any(|o| o.trim().is_empty()) {
            return invalid("Poll options can't be blank".into());
        }
        if self.options.iter().any(|o| o.chars().count() > MAX_OPTION_CHARACTERS) {
            return invalid(format!("Poll options cannot be longer than {MAX_OPTION_CHARACTERS} characters each"));
        }
        let mut seen: Vec<&str> = Vec::new();
        for option in &self.options {
            if seen.contains(&option.trim()) {
                return invalid("Poll options contain duplicate items".into());
            }
            seen.push(option.trim());
        }
        if self.expires_in < MIN_EXPIRATION {
            return invalid("Poll expires at is too soon".into());
        }
        if self.expires_in > MAX_EXPIRATION {
            return invalid("Poll expires at is too far into the future".into());
        }
        Ok(())
    }

    fn trimmed_options(&self) -> Vec<String> {
        self.options.iter().map(|o| o.trim().to_string()).collect()
    }
}

/// Attaches `poll` to a local status being posted, in the post's transaction.
pub async fn create(conn: &mut AsyncPgConnection, status: &Status, poll: &NewPoll) -> Result<Poll, ServiceError> {
    let options = poll.trimmed_options();
    let tallies = vec![0; options.len()];
    Ok(polls::insert(
        conn,
        &polls::NewPoll {
            status_id: status.id,
            domain_id: status.domain_id,
            account_id: status.account_id,
            options: &options,
            tallies: &tallies,
            multiple: poll.multiple,
            hide_totals: poll.hide_totals,
            voters_count: 0,
            expires_at: Some(Utc::now() + Duration::seconds(poll.expires_in)),
            closed: false,
        },
    )
    .await?)
}

/// An edit's poll, in the edit's transaction: a new or changed poll replaces
/// the old one (its votes go when the options change), none removes it.
pub async fn edit(conn: &mut AsyncPgConnection, status: &Status, poll: Option<&NewPoll>) -> Result<(), ServiceError> {
    let existing = polls::of_status(conn, status.id).await?;
    match (existing, poll) {
        (None, None) => {}
        (Some(_), None) => polls::remove(conn, status.id).await?,
        (None, Some(poll)) => {
            create(conn, status, poll).await?;
        }
        (Some(old), Some(poll)) => {
            let expires_at = Some(Utc::now() + Duration::seconds(poll.expires_in));
            polls::replace_local(conn, &old, &poll.trimmed_options(), poll.multiple, poll.hide_totals, expires_at)
                .await?;
        }
    }
    Ok(())
}

/// A poll and its status, if the actor may see the status on their tenant.
pub async fn visible(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(Poll, Status), ServiceError> {
    let poll = polls::get_unchecked(conn, id).await?.ok_or(ServiceError::NotFound)?;
    let status = statuses::visible_one(conn, actor.tenant.id, Some(actor.account.id), poll.status_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((poll, status))
}

/// Votes for `choices` (indexes into the options) in poll `id`, one
/// transaction: the votes, the counts and, for a poll of another server, a
/// vote activity to its author. Mastodon's refusals, in its order: ended,
/// no such option, one's own poll, voted already.
pub async fn vote(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    choices: &[i64],
) -> Result<(Poll, Status), ServiceError> {
    let (_, status) = visible(conn, actor, id).await?;
    let voter = actor.account.id;
    let scheme = actor.scheme;
    let poll = conn
        .transaction(async |conn| -> Result<Poll, ServiceError> {
            let poll = polls::lock(conn, id).await?.ok_or(ServiceError::NotFound)?;
            let refuse = |why: &str| Err(ServiceError::Invalid(format!("Validation failed: {why}")));
            if poll.expired_at(Utc::now()) || poll.ended_at.is_some() {
                return refuse("The poll has already ended");
            }
            let mut wanted: Vec<i32> = Vec::new();
            for choice in choices {
                let valid = usize::try_from(*choice).ok().is_some_and(|c| c < poll.options.len());
                let Ok(choice) = i32::try_from(*choice) else { return refuse("The chosen vote option does not exist") };
                if !valid {
                    return refuse("The chosen vote option does not exist");
                }
                if !wanted.contains(&choice) {
                    wanted.push(choice);
                }
            }
            if wanted.is_empty() {
                return refuse("The chosen vote option does not exist");
            }
            if poll.account_id == voter {
                return refuse("You cannot vote in your own polls");
            }
            let earlier = polls::own_votes(conn, voter, &[poll.id]).await?.remove(&poll.id).unwrap_or_default();
            let again = if poll.multiple { wanted.iter().any(|c| earlier.contains(c)) } else { !earlier.is_empty() };
            if again || (!poll.multiple && wanted.len() > 1) {
                return refuse("You have already voted on this poll");
            }
            let voter_actor = poll_activities::actor_id(conn, scheme, actor.account).await?;
            let votes: Vec<(i32, Option<String>)> =
                wanted.iter().map(|c| (*c, Some(format!("{voter_actor}#votes/{}", next_id())))).collect();
            let poll = polls::add_votes(conn, &poll, voter, &votes).await?;
            if poll.domain_id.is_none() {
                poll_activities::voted(conn, scheme, actor.account, &poll, &status, &votes).await?;
            } else {
                polls::counts_changed(conn, poll.id).await?;
            }
            Ok(poll)
        })
        .await?;
    Ok((poll, status))
}

/// A `poll` notification of `status`'s end to `recipient`. The author hears
/// of their own poll too (the one notification from oneself Mastodon makes).
async fn notify_ended(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    status: &Status,
) -> Result<Option<Event>, ServiceError> {
    let made = if recipient == status.account_id {
        Some(polls::notify_author(conn, recipient, status.id).await?)
    } else {
        kereru_store::notifications::notify(conn, recipient, status.account_id, "poll", Some(status.id)).await?
    };
    Ok(made.map(|n| Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 }))
}

/// Acts on one poll whose end has come, if any (one transaction: the poll
/// marked ended, the notifications, and for a local poll the closed
/// Question sent). Returns the events to publish, `None` when none was due.
pub async fn end_one(conn: &mut AsyncPgConnection, scheme: Scheme) -> Result<Option<Vec<Event>>, ServiceError> {
    conn.transaction(async |conn| -> Result<Option<Vec<Event>>, ServiceError> {
        let Some(poll) = polls::claim_ended(conn).await? else { return Ok(None) };
        let Some(status) = statuses::get_unchecked(conn, poll.status_id).await? else { return Ok(Some(Vec::new())) };
        let mut events = Vec::new();
        let author_is_local =
            accounts::get_unchecked(conn, poll.account_id).await?.is_some_and(|a| a.domain_id.is_some());
        if author_is_local {
            events.extend(notify_ended(conn, poll.account_id, &status).await?);
        }
        for voter in polls::local_voters(conn, poll.id).await? {
            events.extend(notify_ended(conn, voter, &status).await?);
        }
        if status.is_local() {
            crate::federation::outbound::updated(conn, scheme, &status).await?;
        }
        Ok(Some(events))
    })
    .await
}

/// Ends every poll that is due now; returns how many.
pub async fn end_due(pool: &Pool, scheme: Scheme) -> Result<usize, ServiceError> {
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    let mut ended = 0;
    while let Some(events) = end_one(&mut conn, scheme).await? {
        crate::events::publish(&mut conn, &events).await;
        ended += 1;
    }
    Ok(ended)
}

/// Sends the new counts of one local poll whose votes changed a while ago,
/// if any (one transaction: claimed and its Update queued); whether one was.
pub async fn federate_one(conn: &mut AsyncPgConnection, scheme: Scheme) -> Result<bool, ServiceError> {
    conn.transaction(async |conn| -> Result<bool, ServiceError> {
        let Some(poll) = polls::claim_counts_due(conn).await? else { return Ok(false) };
        if let Some(status) = statuses::get_unchecked(conn, poll.status_id).await? {
            poll_activities::counts_updated(conn, scheme, &status).await?;
        }
        Ok(true)
    })
    .await
}

/// Sends every local poll's new counts that are due; returns how many polls.
pub async fn federate_due(pool: &Pool, scheme: Scheme) -> Result<usize, ServiceError> {
    let mut conn = pool.get().await.map_err(StoreError::from)?;
    let mut sent = 0;
    while federate_one(&mut conn, scheme).await? {
        sent += 1;
    }
    Ok(sent)
}

/// How often [`run`] looks for polls that ended.
pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// The expiry worker (`kereru serve` runs one; any number of nodes may).
pub async fn run(pool: Pool, scheme: Scheme, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(error) = end_due(&pool, scheme).await {
            tracing::warn!("poll expiry: {error}");
        }
        if let Err(error) = federate_due(&pool, scheme).await {
            tracing::warn!("poll counts: {error}");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}
