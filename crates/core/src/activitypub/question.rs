//! Polls as Mastodon federates them: a status with a poll is a `Question`
//! (options under `oneOf`, or `anyOf` when several may be chosen, each a
//! `Note` with its `name` and `replies.totalItems` votes; `endTime`, `closed`
//! once over, `votersCount`), and a vote is a `Note` whose `name` is the
//! option, `inReplyTo` the Question, sent to its author alone.

use serde_json::{Map, Value, json};

/// What a Question says about its poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionPoll {
    /// Each option's title and votes, in order.
    pub options: Vec<(String, i64)>,
    pub multiple: bool,
    /// RFC 3339.
    pub end_time: Option<String>,
    /// RFC 3339, when the poll is over (for a Question read: `closed` given at all).
    pub closed: Option<String>,
    pub voters_count: i64,
}

/// The Note of a status made into its Question.
pub fn question(mut note: Value, poll: &QuestionPoll) -> Value {
    let Some(object) = note.as_object_mut() else { return note };
    object.insert("type".into(), json!("Question"));
    let options: Vec<Value> = poll
        .options
        .iter()
        .map(|(name, votes)| {
            json!({ "type": "Note", "name": name, "replies": { "type": "Collection", "totalItems": votes } })
        })
        .collect();
    object.insert(if poll.multiple { "anyOf" } else { "oneOf" }.into(), Value::Array(options));
    if let Some(end) = &poll.end_time {
        object.insert("endTime".into(), json!(end));
    }
    if let Some(closed) = &poll.closed {
        object.insert("closed".into(), json!(closed));
    }
    object.insert("votersCount".into(), json!(poll.voters_count));
    note
}

/// The poll of a Question document, if it is one with at least one option.
pub fn read_question(document: &Value) -> Option<QuestionPoll> {
    let is_question = match &document["type"] {
        Value::String(kind) => kind == "Question",
        Value::Array(kinds) => kinds.iter().any(|k| k == "Question"),
        _ => false,
    };
    if !is_question {
        return None;
    }
    let (items, multiple) = match (document.get("oneOf"), document.get("anyOf")) {
        (Some(Value::Array(items)), _) => (items, false),
        (_, Some(Value::Array(items))) => (items, true),
        _ => return None,
    };
    let options: Vec<(String, i64)> = items
        .iter()
        .take(MAX_READ_OPTIONS)
        .filter_map(|item| {
            let name = item.get("name")?.as_str()?.trim();
            let votes = item.get("replies").and_then(|r| r.get("totalItems")).and_then(Value::as_i64).unwrap_or(0);
            Some((name.chars().take(500).collect::<String>(), votes.max(0)))
        })
        .collect();
    if options.is_empty() {
        return None;
    }
    let end_time = document.get("endTime").and_then(Value::as_str).map(str::to_string);
    let closed = match document.get("closed") {
        Some(Value::String(at)) => Some(at.clone()),
        Some(Value::Bool(true)) => Some(end_time.clone().unwrap_or_default()),
        _ => None,
    };
    let voters_count = document.get("votersCount").and_then(Value::as_i64).unwrap_or(0).max(0);
    Some(QuestionPoll { options, multiple, end_time, closed, voters_count })
}

/// Options kept of a remote Question at most (Mastodon allows 4; others more).
pub const MAX_READ_OPTIONS: usize = 20;

/// A vote for one option, as the Note Mastodon sends (embedded in a Create).
pub fn vote_note(id: &str, voter: &str, question: &str, question_author: &str, option: &str) -> Value {
    let mut note = Map::new();
    note.insert("id".into(), json!(id));
    note.insert("type".into(), json!("Note"));
    note.insert("name".into(), json!(option));
    note.insert("attributedTo".into(), json!(voter));
    note.insert("to".into(), json!(question_author));
    note.insert("inReplyTo".into(), json!(question));
    Value::Object(note)
}

/// A vote read from an inbound Note: the Question it answers and the option's name.
pub fn read_vote(note: &Value) -> Option<(String, String)> {
    let is_note = note["type"] == "Note";
    let name = note.get("name")?.as_str()?;
    let question = note.get("inReplyTo")?.as_str()?;
    let content_empty = note.get("content").and_then(Value::as_str).is_none_or(|c| c.trim().is_empty());
    (is_note && content_empty).then(|| (question.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_round_trips_through_its_reader() {
        let poll = QuestionPoll {
            options: vec![("tea".into(), 3), ("coffee".into(), 1)],
            multiple: false,
            end_time: Some("2026-12-05T10:00:00Z".into()),
            closed: None,
            voters_count: 4,
        };
        let document = question(json!({ "id": "https://a.test/s/1", "type": "Note", "content": "?" }), &poll);
        assert_eq!(document["type"], "Question");
        assert_eq!(document["oneOf"][1]["replies"]["totalItems"], 1);
        assert!(document.get("anyOf").is_none() && document.get("closed").is_none());
        assert_eq!(read_question(&document), Some(poll.clone()));
        let multiple = QuestionPoll { multiple: true, closed: Some("2026-12-05T10:00:00Z".into()), ..poll };
        let document = question(json!({ "type": "Note" }), &multiple);
        assert!(document["anyOf"].is_array() && document["closed"].is_string());
        assert_eq!(read_question(&document), Some(multiple));
        assert_eq!(read_question(&json!({ "type": "Note", "oneOf": [] })), None);
    }

    #[test]
    fn a_vote_is_a_named_note_without_content() {
        let note =
            vote_note("https://b.test/u#votes/1", "https://b.test/u", "https://a.test/q", "https://a.test/a", "tea");
        assert_eq!(read_vote(&note), Some(("https://a.test/q".into(), "tea".into())));
        let reply = json!({ "type": "Note", "name": "x", "inReplyTo": "https://a.test/q", "content": "<p>hi</p>" });
        assert_eq!(read_vote(&reply), None);
    }
}
