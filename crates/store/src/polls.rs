//! Polls and their votes. A poll belongs to a status (local or remote, as
//! the status); who may see it is decided by reading its status through
//! [`crate::statuses::visible`] first: nothing here reads a poll for a viewer
//! without that.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, NotificationId, StatusId, next_id};
use crate::notifications::Notification;
use crate::schema::{notifications, poll_votes, polls, statuses};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = polls)]
pub struct Poll {
    pub id: i64,
    pub status_id: StatusId,
    /// The status's tenant; `None` for a poll of another server.
    pub domain_id: Option<DomainId>,
    pub account_id: AccountId,
    pub options: Vec<String>,
    /// Votes per option, in the order of `options`.
    pub tallies: Vec<i64>,
    pub multiple: bool,
    pub hide_totals: bool,
    pub votes_count: i64,
    pub voters_count: i64,
    pub expires_at: Option<DateTime<Utc>>,
    /// When the expiry was acted on (notifications sent), if it was.
    pub ended_at: Option<DateTime<Utc>>,
    /// When a local poll's new counts go out (an Update of its Question), if they changed.
    pub federate_after: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Poll {
    /// Whether voting is over at `now`.
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// What a new poll is made of.
#[derive(Debug, Clone)]
pub struct NewPoll<'a> {
    pub status_id: StatusId,
    pub domain_id: Option<DomainId>,
    pub account_id: AccountId,
    pub options: &'a [String],
    /// For a remote poll, the counts its server published; zeros otherwise.
    pub tallies: &'a [i64],
    pub multiple: bool,
    pub hide_totals: bool,
    pub voters_count: i64,
    pub expires_at: Option<DateTime<Utc>>,
    /// A remote poll that its server says is closed.
    pub closed: bool,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewPoll<'_>) -> Result<Poll, StoreError> {
    let votes: i64 = new.tallies.iter().sum();
    Ok(diesel::insert_into(polls::table)
        .values((
            polls::id.eq(next_id()),
            polls::status_id.eq(new.status_id),
            polls::domain_id.eq(new.domain_id),
            polls::account_id.eq(new.account_id),
            polls::options.eq(new.options),
            polls::tallies.eq(new.tallies),
            polls::multiple.eq(new.multiple),
            polls::hide_totals.eq(new.hide_totals),
            polls::votes_count.eq(votes),
            polls::voters_count.eq(new.voters_count),
            polls::expires_at.eq(new.expires_at),
            polls::ended_at.eq(new.closed.then(Utc::now)),
        ))
        .returning(Poll::as_returning())
        .get_result(conn)
        .await?)
}

/// A poll by id, whoever may see it: callers check its status's visibility.
pub async fn get_unchecked(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Poll>, StoreError> {
    Ok(polls::table.find(id).select(Poll::as_select()).first(conn).await.optional()?)
}

/// The poll, locked until the caller's transaction ends (votes are counted on it).
pub async fn lock(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Poll>, StoreError> {
    Ok(polls::table.find(id).select(Poll::as_select()).for_update().first(conn).await.optional()?)
}

/// The poll of a status, if it has one.
pub async fn of_status(conn: &mut AsyncPgConnection, status: StatusId) -> Result<Option<Poll>, StoreError> {
    Ok(polls::table.filter(polls::status_id.eq(status)).select(Poll::as_select()).first(conn).await.optional()?)
}

/// The polls of these statuses, by status.
pub async fn of_statuses(
    conn: &mut AsyncPgConnection,
    ids: &[StatusId],
) -> Result<HashMap<StatusId, Poll>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Poll> =
        polls::table.filter(polls::status_id.eq_any(ids)).select(Poll::as_select()).load(conn).await?;
    Ok(rows.into_iter().map(|p| (p.status_id, p)).collect())
}

/// The options `account` chose in each of these polls, in the order chosen.
pub async fn own_votes(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    poll_ids: &[i64],
) -> Result<HashMap<i64, Vec<i32>>, StoreError> {
    if poll_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i32)> = poll_votes::table
        .filter(poll_votes::account_id.eq(account))
        .filter(poll_votes::poll_id.eq_any(poll_ids))
        .order(poll_votes::id)
        .select((poll_votes::poll_id, poll_votes::choice))
        .load(conn)
        .await?;
    let mut out: HashMap<i64, Vec<i32>> = HashMap::new();
    for (poll, choice) in rows {
        out.entry(poll).or_default().push(choice);
    }
    Ok(out)
}

/// Records `account`'s votes for `choices` on a poll the caller locked
/// ([`lock`]) and counts them: the tallies, the votes and, for a first
/// vote, the voters. `uris` gives each vote's ActivityPub id, if known.
pub async fn add_votes(
    conn: &mut AsyncPgConnection,
    poll: &Poll,
    account: AccountId,
    choices: &[(i32, Option<String>)],
) -> Result<Poll, StoreError> {
    let earlier: i64 = poll_votes::table
        .filter(poll_votes::poll_id.eq(poll.id))
        .filter(poll_votes::account_id.eq(account))
        .count()
        .get_result(conn)
        .await?;
    let mut tallies = poll.tallies.clone();
    let mut added = 0;
    for (choice, uri) in choices {
        let inserted = diesel::insert_into(poll_votes::table)
            .values((
                poll_votes::id.eq(next_id()),
                poll_votes::poll_id.eq(poll.id),
                poll_votes::account_id.eq(account),
                poll_votes::choice.eq(*choice),
                poll_votes::uri.eq(uri.as_deref()),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted > 0 {
            added += 1;
            if let Some(tally) = usize::try_from(*choice).ok().and_then(|c| tallies.get_mut(c)) {
                *tally += 1;
            }
        }
    }
    let new_voter = i64::from(earlier == 0 && added > 0);
    Ok(diesel::update(polls::table.find(poll.id))
        .set((
            polls::tallies.eq(&tallies),
            polls::votes_count.eq(poll.votes_count + added),
            polls::voters_count.eq(poll.voters_count + new_voter),
            polls::updated_at.eq(Utc::now()),
        ))
        .returning(Poll::as_returning())
        .get_result(conn)
        .await?)
}

/// What a poll's server says about it now (an Update of its Question).
#[derive(Debug, Clone)]
pub struct RemoteState<'a> {
    pub options: &'a [String],
    pub tallies: &'a [i64],
    pub voters_count: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub closed: bool,
}

/// Takes the counts a remote poll's server published. Changed options
/// drop the votes cast here, as Mastodon does.
pub async fn update_remote(
    conn: &mut AsyncPgConnection,
    poll: &Poll,
    state: &RemoteState<'_>,
) -> Result<(), StoreError> {
    if state.options != poll.options.as_slice() {
        diesel::delete(poll_votes::table.filter(poll_votes::poll_id.eq(poll.id))).execute(conn).await?;
    }
    diesel::update(polls::table.find(poll.id))
        .set((
            polls::options.eq(state.options),
            polls::tallies.eq(state.tallies),
            polls::votes_count.eq(state.tallies.iter().sum::<i64>()),
            polls::voters_count.eq(state.voters_count),
            polls::expires_at.eq(state.expires_at),
            polls::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    if state.closed && poll.ended_at.is_none() && poll.expires_at.is_none() {
        // Closed without an end time: nothing is due, the poll simply ends now.
        diesel::update(polls::table.find(poll.id)).set(polls::expires_at.eq(Some(Utc::now()))).execute(conn).await?;
    }
    Ok(())
}

/// Replaces a local poll (its status was edited with a new poll): the votes go, as in Mastodon.
pub async fn replace_local(
    conn: &mut AsyncPgConnection,
    poll: &Poll,
    options: &[String],
    multiple: bool,
    hide_totals: bool,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Poll, StoreError> {
    let same = options == poll.options.as_slice() && multiple == poll.multiple;
    let (tallies, votes, voters) = if same {
        (poll.tallies.clone(), poll.votes_count, poll.voters_count)
    } else {
        diesel::delete(poll_votes::table.filter(poll_votes::poll_id.eq(poll.id))).execute(conn).await?;
        (vec![0; options.len()], 0, 0)
    };
    Ok(diesel::update(polls::table.find(poll.id))
        .set((
            polls::options.eq(options),
            polls::tallies.eq(&tallies),
            polls::votes_count.eq(votes),
            polls::voters_count.eq(voters),
            polls::multiple.eq(multiple),
            polls::hide_totals.eq(hide_totals),
            polls::expires_at.eq(expires_at),
            polls::ended_at.eq(None::<DateTime<Utc>>),
            polls::updated_at.eq(Utc::now()),
        ))
        .returning(Poll::as_returning())
        .get_result(conn)
        .await?)
}

/// Removes the poll of a status (an edit without one).
pub async fn remove(conn: &mut AsyncPgConnection, status: StatusId) -> Result<(), StoreError> {
    diesel::delete(polls::table.filter(polls::status_id.eq(status))).execute(conn).await?;
    Ok(())
}

/// Claims one poll whose end has come and was not acted on yet, locked
/// until the caller's transaction ends (other workers skip it), and marks it ended.
pub async fn claim_ended(conn: &mut AsyncPgConnection) -> Result<Option<Poll>, StoreError> {
    let due: Option<Poll> = polls::table
        .filter(polls::ended_at.is_null())
        .filter(polls::expires_at.le(diesel::dsl::now))
        .order(polls::expires_at)
        .select(Poll::as_select())
        .for_update()
        .skip_locked()
        .first(conn)
        .await
        .optional()?;
    let Some(poll) = due else { return Ok(None) };
    Ok(Some(
        diesel::update(polls::table.find(poll.id))
            .set((polls::ended_at.eq(Some(Utc::now())), polls::federate_after.eq(None::<DateTime<Utc>>)))
            .returning(Poll::as_returning())
            .get_result(conn)
            .await?,
    ))
}

/// The local accounts (on any tenant) that voted in a poll.
pub async fn local_voters(conn: &mut AsyncPgConnection, poll: i64) -> Result<Vec<AccountId>, StoreError> {
    use crate::schema::accounts;
    let mut ids: Vec<AccountId> = poll_votes::table
        .inner_join(accounts::table.on(accounts::id.eq(poll_votes::account_id)))
        .filter(poll_votes::poll_id.eq(poll))
        .filter(accounts::domain_id.is_not_null())
        .select(poll_votes::account_id)
        .load(conn)
        .await?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A poll by its status's ActivityPub id.
pub async fn by_status_uri(conn: &mut AsyncPgConnection, uri: &str) -> Result<Option<Poll>, StoreError> {
    Ok(polls::table
        .inner_join(statuses::table.on(statuses::id.eq(polls::status_id)))
        .filter(statuses::uri.eq(uri))
        .select(Poll::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The `poll` notification to a poll's own author that it ended (the one
/// notification Mastodon makes from oneself, which `notifications::notify` refuses).
pub async fn notify_author(
    conn: &mut AsyncPgConnection,
    author: AccountId,
    status: StatusId,
) -> Result<Notification, StoreError> {
    Ok(diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(NotificationId(next_id())),
            notifications::account_id.eq(author),
            notifications::from_account_id.eq(author),
            notifications::kind.eq("poll"),
            notifications::status_id.eq(Some(status)),
        ))
        .returning(Notification::as_returning())
        .get_result(conn)
        .await?)
}

/// How long a local poll's new counts wait before its Question goes out again.
pub const FEDERATE_DELAY_SECONDS: i64 = 180;

/// Notes that a local poll's counts changed: its Question goes out again
/// within [`FEDERATE_DELAY_SECONDS`] (one Update for every vote meanwhile).
pub async fn counts_changed(conn: &mut AsyncPgConnection, poll: i64) -> Result<(), StoreError> {
    let due = Utc::now() + chrono::Duration::seconds(FEDERATE_DELAY_SECONDS);
    diesel::update(
        polls::table.find(poll).filter(polls::domain_id.is_not_null()).filter(polls::federate_after.is_null()),
    )
    .set(polls::federate_after.eq(Some(due)))
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims one local poll whose new counts are due to go out, locked until
/// the caller's transaction ends, and clears its mark.
pub async fn claim_counts_due(conn: &mut AsyncPgConnection) -> Result<Option<Poll>, StoreError> {
    let due: Option<Poll> = polls::table
        .filter(polls::federate_after.le(diesel::dsl::now))
        .order(polls::federate_after)
        .select(Poll::as_select())
        .for_update()
        .skip_locked()
        .first(conn)
        .await
        .optional()?;
    let Some(poll) = due else { return Ok(None) };
    Ok(Some(
        diesel::update(polls::table.find(poll.id))
            .set(polls::federate_after.eq(None::<DateTime<Utc>>))
            .returning(Poll::as_returning())
            .get_result(conn)
            .await?,
    ))
}
