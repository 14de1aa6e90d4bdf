//! FEP-044f quote approval, as Mastodon 4.5 federates it: a QuoteRequest
//! asks the quoted author's server, an Accept whose `result` is a
//! QuoteAuthorization (or a Reject) answers, a Delete of the authorization
//! revokes it; and the names under which Notes carry what they quote.

use super::build::Activity;
use crate::activitystreams::{Object, Reference};
use serde_json::{Value, json};

/// QuoteRequest from `actor` for its Note `instrument` (embedded) to quote `quoted`.
pub fn quote_request(id: &str, actor: &str, quoted: &str, quoted_author: &str, instrument: Value) -> Value {
    Activity::new("QuoteRequest", id, actor)
        .set("to", json!([quoted_author]))
        .set("object", json!(quoted))
        .embed("instrument", instrument)
        .finish()
}

/// The QuoteRequest as an Accept or Reject embeds it (no context, the instrument by id).
pub fn quote_request_ref(id: &str, actor: &str, quoted: &str, instrument: &str) -> Value {
    json!({ "id": id, "type": "QuoteRequest", "actor": actor, "object": quoted, "instrument": instrument })
}

/// Accept of a QuoteRequest: `result` is the QuoteAuthorization's id.
pub fn accept_quote(id: &str, actor: &str, to: &str, request: Value, authorization: &str) -> Value {
    Activity::new("Accept", id, actor)
        .set("to", json!([to]))
        .set("object", request)
        .set("result", json!(authorization))
        .finish()
}

/// Reject of a QuoteRequest.
pub fn reject_quote(id: &str, actor: &str, to: &str, request: Value) -> Value {
    Activity::new("Reject", id, actor).set("to", json!([to])).set("object", request).finish()
}

/// The QuoteAuthorization document: `attributed_to` lets `interacting` (the
/// quoting Note) quote `target` (their own status).
pub fn quote_authorization(id: &str, attributed_to: &str, interacting: &str, target: &str) -> Value {
    json!({
        "@context": super::context(),
        "id": id,
        "type": "QuoteAuthorization",
        "attributedTo": attributed_to,
        "interactingObject": interacting,
        "interactionTarget": target,
    })
}

/// Delete of a QuoteAuthorization (the approval is taken back).
pub fn delete_authorization(id: &str, actor: &str, to: &[String], authorization: &str) -> Value {
    Activity::new("Delete", id, actor).set("to", json!(to)).set("object", json!(authorization)).finish()
}

/// What a Note quotes, under any of the names servers use (FEP-044f's
/// `quote`, Misskey's `_misskey_quote`, Fedibird's `quoteUri`, `quoteUrl`).
pub fn quoted_uri(note: &Object) -> Option<String> {
    ["quote", "quoteUrl", "quoteUri", "_misskey_quote"]
        .into_iter()
        .find_map(|key| link_id(note.extra.get(key)?))
        .filter(|uri| super::is_http_url(uri))
}

/// The QuoteAuthorization a Note names, if any.
pub fn authorization_uri(note: &Object) -> Option<String> {
    link_id(note.extra.get("quoteAuthorization")?).filter(|uri| super::is_http_url(uri))
}

fn link_id(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(map) => map.get("id").or_else(|| map.get("href")).and_then(Value::as_str).map(str::to_string),
        Value::Array(list) => list.first().and_then(link_id),
        _ => None,
    }
}

/// A QuoteAuthorization, read: who granted it, for which quote of what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub id: String,
    pub attributed_to: String,
    pub interacting_object: String,
    pub interaction_target: String,
}

/// Reads a QuoteAuthorization document; None when it is not one, or lacks a part.
pub fn read_authorization(object: &Object) -> Option<Authorization> {
    if object.primary_type() != Some("QuoteAuthorization") {
        return None;
    }
    let attributed_to = object.attributed_to.as_ref()?.first().and_then(Reference::id)?.to_string();
    Some(Authorization {
        id: object.id.clone()?,
        attributed_to,
        interacting_object: link_id(object.extra.get("interactingObject")?)?,
        interaction_target: link_id(object.extra.get("interactionTarget")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Object {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn notes_name_what_they_quote_under_any_of_the_four_names() {
        for key in ["quote", "quoteUrl", "quoteUri", "_misskey_quote"] {
            let note = object(json!({"type": "Note", key: "https://b.example/notes/1"}));
            assert_eq!(quoted_uri(&note).as_deref(), Some("https://b.example/notes/1"), "{key}");
        }
        assert_eq!(quoted_uri(&object(json!({"type": "Note", "quote": "javascript:alert(1)"}))), None);
        let note = object(json!({"type": "Note", "quoteAuthorization": {"id": "https://b.example/auth/1"}}));
        assert_eq!(authorization_uri(&note).as_deref(), Some("https://b.example/auth/1"));
    }

    #[test]
    fn an_authorization_reads_back_and_activities_carry_what_fep_044f_asks() {
        let document = quote_authorization(
            "https://b.example/a/1",
            "https://b.example/u/bob",
            "https://a.example/n/2",
            "https://b.example/n/1",
        );
        assert!(document.get("actor").is_none());
        let read = read_authorization(&object(document)).expect("an authorization");
        assert_eq!(read.attributed_to, "https://b.example/u/bob");
        assert_eq!(read.interacting_object, "https://a.example/n/2");
        assert_eq!(read.interaction_target, "https://b.example/n/1");
        assert_eq!(read_authorization(&object(json!({"type": "Note", "id": "x"}))), None);
        let request = quote_request(
            "https://a.example/r/1",
            "https://a.example/u/al",
            "https://b.example/n/1",
            "https://b.example/u/bob",
            json!({"id": "https://a.example/n/2", "type": "Note"}),
        );
        assert_eq!(request["type"], "QuoteRequest");
        assert_eq!(request["instrument"]["id"], "https://a.example/n/2");
        let accept = accept_quote(
            "https://b.example/x",
            "https://b.example/u/bob",
            "https://a.example/u/al",
            quote_request_ref(
                "https://a.example/r/1",
                "https://a.example/u/al",
                "https://b.example/n/1",
                "https://a.example/n/2",
            ),
            "https://b.example/a/1",
        );
        assert_eq!(accept["result"], "https://b.example/a/1");
        assert_eq!(accept["object"]["type"], "QuoteRequest");
    }
}
