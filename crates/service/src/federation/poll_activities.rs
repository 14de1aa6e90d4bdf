//! Polls over ActivityPub: a local status with a poll is served and sent as
//! a Question (`as_question`, applied by `outbound::note_of`), and a vote in
//! a remote poll goes to its author as Mastodon sends it (`voted`).

use super::outbound::{self, ActorIds};
use crate::error::ServiceError;
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use kereru_core::Scheme;
use kereru_core::activitypub::{self as ap, QuestionPoll};
use kereru_store::accounts::{self, Account};
use kereru_store::polls::{self, Poll};
use kereru_store::statuses::Status;
use serde_json::Value;

const RFC3339: chrono::SecondsFormat = chrono::SecondsFormat::Secs;

/// The account's actor id.
pub async fn actor_id(conn: &mut AsyncPgConnection, scheme: Scheme, account: &Account) -> Result<String, ServiceError> {
    ActorIds::new(scheme).actor(conn, account).await
}

/// What the Question of `poll` says.
pub fn question_poll(poll: &Poll) -> QuestionPoll {
    let now = Utc::now();
    let options = poll.options.iter().cloned().zip(poll.tallies.iter().copied().chain(std::iter::repeat(0))).collect();
    QuestionPoll {
        options,
        multiple: poll.multiple,
        end_time: poll.expires_at.map(|at| at.to_rfc3339_opts(RFC3339, true)),
        closed: poll.expires_at.filter(|at| *at <= now).map(|at| at.to_rfc3339_opts(RFC3339, true)),
        voters_count: poll.voters_count,
    }
}

/// The Note of `status` as a Question when it has a poll; unchanged otherwise.
pub async fn as_question(conn: &mut AsyncPgConnection, status: &Status, note: Value) -> Result<Value, ServiceError> {
    Ok(match polls::of_status(conn, status.id).await? {
        Some(poll) => ap::question(note, &question_poll(&poll)),
        None => note,
    })
}

/// `voter`'s votes (option index, vote id) in a remote poll, each a Create
/// of a Note to the poll's author, queued in the caller's transaction.
pub async fn voted(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    voter: &Account,
    poll: &Poll,
    status: &Status,
    votes: &[(i32, Option<String>)],
) -> Result<(), ServiceError> {
    let author = accounts::get_unchecked(conn, poll.account_id).await?.ok_or(ServiceError::NotFound)?;
    let Some(inbox) = outbound::personal_inbox_of(&author) else { return Ok(()) };
    let Some(author_id) = author.uri.clone() else { return Ok(()) };
    let actor = actor_id(conn, scheme, voter).await?;
    for (choice, id) in votes {
        let (Some(id), Some(option)) = (id, usize::try_from(*choice).ok().and_then(|c| poll.options.get(c))) else {
            continue;
        };
        let note = ap::vote_note(id, &actor, &status.uri, &author_id, option);
        let activity = ap::create(&format!("{id}/activity"), &actor, note);
        outbound::send(conn, voter.id, &activity, std::slice::from_ref(&inbox)).await?;
    }
    Ok(())
}

/// A local poll's Question with its counts now, as an Update to those who
/// received the status (Mastodon's poll refresh), queued in the caller's transaction.
pub async fn counts_updated(conn: &mut AsyncPgConnection, scheme: Scheme, status: &Status) -> Result<(), ServiceError> {
    let (note, mentioned) = outbound::note_of(conn, scheme, status).await?;
    let inboxes = outbound::status_inboxes(conn, status, &mentioned).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    let id = format!("{}#updates/poll-{}", status.uri, kereru_store::ids::next_id());
    let activity = ap::update(&id, &actor, note);
    outbound::send(conn, status.account_id, &activity, &inboxes).await
}
