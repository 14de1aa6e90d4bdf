//! Applying a viewer's content filters to rendered statuses: in a context
//! (home, notifications, public, thread, account) each unexpired filter for
//! that context that matches a status (a keyword in its text, or the status
//! itself) either hides it or is listed in its `filtered` (Mastodon's
//! FilterResult), which clients show as a warning.

use super::render::timestamp;
use kereru_core::filters::{self, Action, Context};
use kereru_store::filters::Filter;
use serde_json::{Value, json};

/// The Filter entity (v2), with its keywords and statuses.
pub fn filter_json(filter: &Filter) -> Value {
    json!({
        "id": filter.row.id.to_string(),
        "title": filter.row.title,
        "context": filter.row.context,
        "expires_at": filter.row.expires_at.map(timestamp),
        "filter_action": filter.row.filter_action,
        "keywords": filter.keywords.iter().map(keyword_json).collect::<Vec<_>>(),
        "statuses": filter.statuses.iter().map(status_json).collect::<Vec<_>>(),
    })
}

pub fn keyword_json(keyword: &kereru_store::filters::Keyword) -> Value {
    json!({ "id": keyword.id.to_string(), "keyword": keyword.keyword, "whole_word": keyword.whole_word })
}

pub fn status_json(entry: &kereru_store::filters::FilterStatus) -> Value {
    json!({ "id": entry.id.to_string(), "status_id": entry.status_id.to_string() })
}

/// What the viewer's filters do to one rendered status.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Show,
    Hide,
    Warn(Vec<Value>),
}

/// The text of a rendered Status entity a keyword is looked for in.
fn text_of(status: &Value) -> String {
    let descriptions: Vec<&str> = status["media_attachments"]
        .as_array()
        .map(|list| list.iter().filter_map(|m| m["description"].as_str()).collect())
        .unwrap_or_default();
    filters::searchable_text(
        status["spoiler_text"].as_str().unwrap_or(""),
        status["content"].as_str().unwrap_or(""),
        &descriptions,
    )
}

/// Judges `status` (the rendered entity of the status itself, not a boost of it) by `active`,
/// the viewer's filters for `context`.
pub fn judge(active: &[Filter], context: Context, status: &Value) -> Verdict {
    if active.is_empty() {
        return Verdict::Show;
    }
    let text = text_of(status);
    let id = status["id"].as_str().unwrap_or("");
    let mut results = Vec::new();
    for filter in active.iter().filter(|f| f.row.context.iter().any(|c| c == context.as_str())) {
        let keyword_matches: Vec<&str> = filter
            .keywords
            .iter()
            .filter(|k| filters::keyword_matches(&text, &k.keyword, k.whole_word))
            .map(|k| k.keyword.as_str())
            .collect();
        let status_matches: Vec<String> =
            filter.statuses.iter().map(|s| s.status_id.to_string()).filter(|s| s == id).collect();
        if keyword_matches.is_empty() && status_matches.is_empty() {
            continue;
        }
        if Action::parse(&filter.row.filter_action) == Some(Action::Hide) {
            return Verdict::Hide;
        }
        // The whole Filter entity (Mastodon leaves out its rules here; clients' types want them).
        results.push(json!({
            "filter": filter_json(filter),
            "keyword_matches": if keyword_matches.is_empty() { Value::Null } else { json!(keyword_matches) },
            "status_matches": if status_matches.is_empty() { Value::Null } else { json!(status_matches) },
        }));
    }
    if results.is_empty() { Verdict::Show } else { Verdict::Warn(results) }
}
