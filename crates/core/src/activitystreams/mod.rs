//! ActivityStreams 2.0 as real servers send it: a property may be one value
//! or an array, a link a string or an object, `@context` any JSON-LD form,
//! and anything unknown is kept, not refused. [`classify`] sorts an incoming
//! document into what Kererū handles and what it ignores, with the reason.

mod object;
mod one_or_many;
mod sanitize;

pub use object::{Object, Reference};
pub use one_or_many::OneOrMany;
pub use sanitize::sanitize_html;

use serde_json::Value;

/// Why a document could not be read at all (as opposed to being ignored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("the document has no type")]
    NoType,
    #[error("the document is malformed: {0}")]
    Malformed(String),
}

/// Activities Kererū acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Create,
    Update,
    Delete,
    Follow,
    Accept,
    Reject,
    Undo,
    Announce,
    Like,
    Block,
    Flag,
    Move,
    /// FEP-044f: asking the quoted author's server to approve a quote.
    QuoteRequest,
}

impl ActivityKind {
    fn from_type(name: &str) -> Option<Self> {
        Some(match name {
            "Create" => ActivityKind::Create,
            "Update" => ActivityKind::Update,
            "Delete" => ActivityKind::Delete,
            "Follow" => ActivityKind::Follow,
            "Accept" => ActivityKind::Accept,
            "Reject" => ActivityKind::Reject,
            "Undo" => ActivityKind::Undo,
            "Announce" => ActivityKind::Announce,
            "Like" => ActivityKind::Like,
            "Block" => ActivityKind::Block,
            "Flag" => ActivityKind::Flag,
            "Move" => ActivityKind::Move,
            "QuoteRequest" => ActivityKind::QuoteRequest,
            _ => return None,
        })
    }
}

/// Objects shown as statuses: Notes directly; the others as a Note with a link and attachments.
pub const STATUS_TYPES: &[&str] =
    &["Note", "Article", "Page", "Question", "Video", "Event", "Audio", "Image", "ChatMessage"];
/// Actor types.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

/// What a document is to Kererū.
#[derive(Debug, Clone, PartialEq)]
pub enum Classified {
    Activity {
        kind: ActivityKind,
        activity: Object,
    },
    /// A status-like object (fetched, or embedded in an activity).
    Status(Object),
    Actor(Object),
    Collection(Object),
    Tombstone(Object),
    /// Understood, and deliberately not acted on (with the reason, for the log).
    Ignored {
        type_name: String,
        reason: &'static str,
    },
}

/// Reads a document and says what it is. Errors only for what is not an
/// ActivityStreams document at all; unknown types are `Ignored`.
pub fn classify(document: &Value) -> Result<Classified, ParseError> {
    if !document.is_object() {
        return Err(ParseError::NotAnObject);
    }
    let object: Object = serde_json::from_value(document.clone()).map_err(|e| ParseError::Malformed(e.to_string()))?;
    let Some(type_name) = object.primary_type().map(str::to_string) else {
        return Err(ParseError::NoType);
    };
    if let Some(kind) = ActivityKind::from_type(&type_name) {
        if object.actor.is_none() {
            return Err(ParseError::Malformed(format!("a {type_name} without an actor")));
        }
        return Ok(Classified::Activity { kind, activity: object });
    }
    let name = type_name.as_str();
    Ok(if STATUS_TYPES.contains(&name) {
        Classified::Status(object)
    } else if ACTOR_TYPES.contains(&name) {
        Classified::Actor(object)
    } else if matches!(name, "Collection" | "OrderedCollection" | "CollectionPage" | "OrderedCollectionPage") {
        Classified::Collection(object)
    } else if name == "Tombstone" {
        Classified::Tombstone(object)
    } else {
        Classified::Ignored { type_name, reason: "Kererū does not handle this type" }
    })
}

#[cfg(test)]
pub(crate) mod tests;
