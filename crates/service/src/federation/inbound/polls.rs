//! Polls from other servers: a Question is stored with its poll (and its
//! counts taken again from each Update), and a vote — a Note named after an
//! option, answering one of our Questions, with no content — is counted on
//! our poll instead of being stored as a status, as Mastodon does.

use super::{Incoming, ProcessError, Processed, done, ignored};
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use kereru_core::activitypub::{self as ap, QuestionPoll};
use kereru_core::activitystreams::{Object, OneOrMany};
use kereru_store::polls::{self, RemoteState};
use kereru_store::statuses::Status;
use serde_json::Value;

fn parse_time(value: Option<&str>) -> Option<chrono::DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(value?).ok().map(|t| t.with_timezone(&Utc))
}

/// The poll of a Question object, if it is one.
pub fn question_of(object: &Object) -> Option<QuestionPoll> {
    if !object.kind.iter().any(|kind| kind == "Question") {
        return None;
    }
    let mut document = object.extra.clone();
    document.insert("type".into(), Value::from("Question"));
    ap::read_question(&Value::Object(document))
}

fn split(poll: &QuestionPoll) -> (Vec<String>, Vec<i64>) {
    poll.options.iter().cloned().unzip()
}

/// Stores or refreshes the poll of a remote status from its Question.
pub async fn remember(conn: &mut AsyncPgConnection, status: &Status, object: &Object) -> Result<(), ProcessError> {
    let Some(question) = question_of(object) else { return Ok(()) };
    if status.is_local() {
        return Ok(());
    }
    let (options, tallies) = split(&question);
    let expires_at = parse_time(question.end_time.as_deref()).or_else(|| parse_time(question.closed.as_deref()));
    match polls::of_status(conn, status.id).await? {
        None => {
            polls::insert(
                conn,
                &polls::NewPoll {
                    status_id: status.id,
                    domain_id: None,
                    account_id: status.account_id,
                    options: &options,
                    tallies: &tallies,
                    multiple: question.multiple,
                    hide_totals: false,
                    voters_count: question.voters_count,
                    expires_at,
                    closed: false,
                },
            )
            .await?;
        }
        Some(poll) => {
            let state = RemoteState {
                options: &options,
                tallies: &tallies,
                voters_count: question.voters_count,
                expires_at,
                closed: question.closed.is_some(),
            };
            polls::update_remote(conn, &poll, &state).await?;
        }
    }
    Ok(())
}

/// Counts a remote vote on one of our polls; `None` when the object is not a vote.
pub async fn vote(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    object: &Object,
) -> Result<Option<Processed>, ProcessError> {
    if !object.kind.iter().any(|kind| kind == "Note") {
        return Ok(None);
    }
    let name = Object::text(&object.name).map(str::trim).filter(|n| !n.is_empty());
    let content = object.content_html().filter(|c| !c.trim().is_empty());
    let question = object.in_reply_to.as_ref().and_then(OneOrMany::first).and_then(|r| r.id());
    let (Some(name), None, Some(question)) = (name, content, question) else { return Ok(None) };
    let Some(poll) = polls::by_status_uri(conn, question).await? else { return Ok(None) };
    if poll.domain_id.is_none() {
        return Ok(None);
    }
    let attributed = object.attributed_to.as_ref().and_then(OneOrMany::first).and_then(|r| r.id());
    if attributed != Some(incoming.actor_uri) {
        return ignored("a vote attributed to another actor").map(Some);
    }
    let Some(poll) = polls::lock(conn, poll.id).await? else { return Ok(None) };
    if poll.expired_at(Utc::now()) || poll.ended_at.is_some() {
        return ignored("a vote in a poll that has ended").map(Some);
    }
    let Some(choice) = poll.options.iter().position(|o| o == name).and_then(|c| i32::try_from(c).ok()) else {
        return ignored("a vote for no option of the poll").map(Some);
    };
    let earlier = polls::own_votes(conn, incoming.actor.id, &[poll.id]).await?.remove(&poll.id).unwrap_or_default();
    if earlier.contains(&choice) || (!poll.multiple && !earlier.is_empty()) {
        return ignored("voted already").map(Some);
    }
    polls::add_votes(conn, &poll, incoming.actor.id, &[(choice, object.id.clone())]).await?;
    polls::counts_changed(conn, poll.id).await?;
    done(format!("vote counted in poll {}", poll.id), Vec::new()).map(Some)
}
