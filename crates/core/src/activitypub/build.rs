//! The documents Kererū sends, in Mastodon's shapes.

use super::PUBLIC;
use crate::activitystreams::ACTOR_TYPES;
use serde_json::{Map, Value, json};

const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// `@context` of every document Kererū sends: ActivityStreams, and the terms
/// of Mastodon's extensions it uses.
pub fn context() -> Value {
    json!([
        AS_CONTEXT,
        {
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "blurhash": "toot:blurhash",
            "focalPoint": { "@container": "@list", "@id": "toot:focalPoint" },
            "votersCount": "toot:votersCount",
            // Quote posts (FEP-044f, with the older names others read) and who may quote.
            "quote": { "@id": "https://w3id.org/fep/044f#quote", "@type": "@id" },
            "quoteUri": "http://fedibird.com/ns#quoteUri",
            "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
            "gts": "https://gotosocial.org/ns#",
            "interactionPolicy": { "@id": "gts:interactionPolicy", "@type": "@id" },
            "canQuote": { "@id": "gts:canQuote", "@type": "@id" },
            "automaticApproval": { "@id": "gts:automaticApproval", "@type": "@id" },
            "manualApproval": { "@id": "gts:manualApproval", "@type": "@id" },
            // FEP-044f's approval of a quote.
            "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
            "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
            "quoteAuthorization": { "@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id" },
            "interactingObject": { "@id": "gts:interactingObject", "@type": "@id" },
            "interactionTarget": { "@id": "gts:interactionTarget", "@type": "@id" },
        }
    ])
}

/// Adds to a Note what it quotes (under the three names implementations
/// read) and who may quote it without asking: `automatic` holds the
/// audience IRIs (`as:Public`, a followers collection); empty for nobody
/// but the author.
pub fn add_quote_fields(note: &mut Value, quoted_uri: Option<&str>, automatic: &[String]) {
    if let Some(uri) = quoted_uri {
        note["quote"] = json!(uri);
        note["quoteUri"] = json!(uri);
        note["_misskey_quote"] = json!(uri);
    }
    note["interactionPolicy"] = json!({ "canQuote": { "automaticApproval": automatic, "manualApproval": [] } });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Mention,
    Hashtag,
}

/// A `tag` entry of a Note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTag {
    pub kind: TagKind,
    /// The mentioned actor's id, or the hashtag's page.
    pub href: String,
    /// `@user@host` or `#tag`.
    pub name: String,
}

/// A media `attachment` of a Note (a Mastodon `Document`).
#[derive(Debug, Clone, PartialEq)]
pub struct NoteAttachment {
    pub url: String,
    pub media_type: String,
    /// Alt text.
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Mastodon's focal point, x and y in -1.0..=1.0.
    pub focus: Option<(f64, f64)>,
}

/// What a Note is made from.
#[derive(Debug, Clone)]
pub struct NoteInput<'a> {
    pub id: &'a str,
    /// The status's HTML page.
    pub url: &'a str,
    pub attributed_to: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// RFC 3339.
    pub published: &'a str,
    /// RFC 3339, when the status was edited.
    pub updated: Option<&'a str>,
    /// The content warning, plain text; `None` (or empty) when there is none.
    pub summary: Option<&'a str>,
    pub sensitive: bool,
    pub content_html: &'a str,
    /// Adds `contentMap` with this language.
    pub language: Option<&'a str>,
    pub to: &'a [String],
    pub cc: &'a [String],
    pub tags: &'a [NoteTag],
    pub attachments: &'a [NoteAttachment],
}

/// The Note of a status, without `@context` (it is embedded in a Create or
/// Update, or served with [`context()`] added). Like Mastodon's: `summary` and
/// `inReplyTo` are `null` when absent, and a content warning makes it
/// `sensitive`.
pub fn note(input: &NoteInput<'_>) -> Value {
    let summary = input.summary.filter(|summary| !summary.is_empty());
    let mut note = Map::new();
    note.insert("id".into(), json!(input.id));
    note.insert("type".into(), json!("Note"));
    note.insert("summary".into(), json!(summary));
    note.insert("inReplyTo".into(), json!(input.in_reply_to));
    note.insert("published".into(), json!(input.published));
    if let Some(updated) = input.updated {
        note.insert("updated".into(), json!(updated));
    }
    note.insert("url".into(), json!(input.url));
    note.insert("attributedTo".into(), json!(input.attributed_to));
    note.insert("to".into(), json!(input.to));
    note.insert("cc".into(), json!(input.cc));
    note.insert("sensitive".into(), json!(input.sensitive || summary.is_some()));
    note.insert("content".into(), json!(input.content_html));
    if let Some(language) = input.language {
        let mut map = Map::new();
        map.insert(language.to_string(), json!(input.content_html));
        note.insert("contentMap".into(), Value::Object(map));
    }
    note.insert("attachment".into(), input.attachments.iter().map(attachment).collect());
    note.insert("tag".into(), input.tags.iter().map(tag).collect());
    Value::Object(note)
}

fn attachment(attachment: &NoteAttachment) -> Value {
    let mut document = Map::new();
    document.insert("type".into(), json!("Document"));
    document.insert("mediaType".into(), json!(attachment.media_type));
    document.insert("url".into(), json!(attachment.url));
    document.insert("name".into(), json!(attachment.description));
    if let Some(blurhash) = &attachment.blurhash {
        document.insert("blurhash".into(), json!(blurhash));
    }
    if let Some((x, y)) = attachment.focus {
        document.insert("focalPoint".into(), json!([x, y]));
    }
    if let Some(width) = attachment.width {
        document.insert("width".into(), json!(width));
    }
    if let Some(height) = attachment.height {
        document.insert("height".into(), json!(height));
    }
    Value::Object(document)
}

fn tag(tag: &NoteTag) -> Value {
    let kind = match tag.kind {
        TagKind::Mention => "Mention",
        TagKind::Hashtag => "Hashtag",
    };
    json!({ "type": kind, "href": tag.href, "name": tag.name })
}

/// A top-level activity being put together: its `@context` grows with the
/// term definitions of the objects embedded in it.
pub(super) struct Activity {
    context: Vec<Value>,
    fields: Map<String, Value>,
}

impl Activity {
    pub(super) fn new(kind: &str, id: &str, actor: &str) -> Self {
        let context = match context() {
            Value::Array(items) => items,
            other => vec![other],
        };
        let mut fields = Map::new();
        fields.insert("id".into(), json!(id));
        fields.insert("type".into(), json!(kind));
        fields.insert("actor".into(), json!(actor));
        Activity { context, fields }
    }

    pub(super) fn set(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.into(), value);
        self
    }

    /// Embeds `object` without its own `@context`, whose definitions move up to the activity's.
    pub(super) fn embed(mut self, key: &str, object: Value) -> Self {
        let object = self.take_context(object);
        self.set(key, object)
    }

    fn take_context(&mut self, mut object: Value) -> Value {
        if let Some(context) = object.as_object_mut().and_then(|map| map.remove("@context")) {
            merge_context(&mut self.context, context);
        }
        object
    }

    pub(super) fn finish(self) -> Value {
        let mut document = Map::new();
        document.insert("@context".into(), Value::Array(self.context));
        document.extend(self.fields);
        Value::Object(document)
    }
}

/// Adds the entries of `extra` missing from `context`: IRIs after the other
/// IRIs, term definitions last (so they apply over ours).
fn merge_context(context: &mut Vec<Value>, extra: Value) {
    let entries = match extra {
        Value::Array(entries) => entries,
        other => vec![other],
    };
    for entry in entries {
        if entry.is_null() || context.contains(&entry) {
            continue;
        }
        if entry.is_string() {
            let position = context.iter().position(|existing| !existing.is_string()).unwrap_or(context.len());
            context.insert(position, entry);
        } else {
            context.push(entry);
        }
    }
}

fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

/// Create of a status: same `to`, `cc` and `published` as the Note it wraps.
pub fn create(activity_id: &str, actor: &str, note: Value) -> Value {
    let mut activity = Activity::new("Create", activity_id, actor);
    for key in ["published", "to", "cc"] {
        if let Some(value) = field(&note, key) {
            activity = activity.set(key, value.clone());
        }
    }
    activity.embed("object", note).finish()
}

/// Update of a status (same `to` and `cc` as the Note, `published` when it
/// was edited) or of an actor (addressed to everyone, as Mastodon does).
pub fn update(activity_id: &str, actor: &str, object: Value) -> Value {
    let is_actor = field(&object, "type").and_then(Value::as_str).is_some_and(|kind| ACTOR_TYPES.contains(&kind));
    let mut activity = Activity::new("Update", activity_id, actor);
    if is_actor || field(&object, "to").is_none() {
        activity = activity.set("to", json!([PUBLIC]));
    } else {
        for key in ["to", "cc"] {
            if let Some(value) = field(&object, key) {
                activity = activity.set(key, value.clone());
            }
        }
    }
    if !is_actor && let Some(updated) = field(&object, "updated") {
        activity = activity.set("published", updated.clone());
    }
    activity.embed("object", object).finish()
}

/// Delete of a status: the object is a Tombstone with the status's id.
pub fn delete_note(activity_id: &str, actor: &str, note_id: &str, to: &[String], cc: &[String]) -> Value {
    Activity::new("Delete", activity_id, actor)
        .set("to", json!(to))
        .set("cc", json!(cc))
        .set("object", json!({ "id": note_id, "type": "Tombstone" }))
        .finish()
}

/// Mastodon's account deletion: `{actor}#delete`, the object the actor itself, to everyone.
pub fn delete_actor(actor: &str) -> Value {
    Activity::new("Delete", &format!("{actor}#delete"), actor)
        .set("to", json!([PUBLIC]))
        .set("object", json!(actor))
        .finish()
}

pub fn follow(activity_id: &str, actor: &str, object_actor: &str) -> Value {
    Activity::new("Follow", activity_id, actor).set("object", json!(object_actor)).finish()
}

/// Accept of a Follow: `follow` is the Follow as received (or rebuilt), embedded.
pub fn accept(activity_id: &str, actor: &str, follow: Value) -> Value {
    Activity::new("Accept", activity_id, actor).embed("object", follow).finish()
}

/// Reject of a Follow, embedded like [`accept`]'s.
pub fn reject(activity_id: &str, actor: &str, follow: Value) -> Value {
    Activity::new("Reject", activity_id, actor).embed("object", follow).finish()
}

/// Undo of an earlier activity (Follow, Like, Announce, Block), embedded
/// without its `@context`; an undone Announce keeps its addressing.
pub fn undo(activity_id: &str, actor: &str, inner: Value) -> Value {
    let mut activity = Activity::new("Undo", activity_id, actor);
    for key in ["to", "cc"] {
        if let Some(value) = field(&inner, key) {
            activity = activity.set(key, value.clone());
        }
    }
    activity.embed("object", inner).finish()
}

/// A favourite.
pub fn like(activity_id: &str, actor: &str, object_id: &str) -> Value {
    Activity::new("Like", activity_id, actor).set("object", json!(object_id)).finish()
}

/// A boost: the object by id only, addressed like a status.
pub fn announce(
    activity_id: &str,
    actor: &str,
    object_id: &str,
    published: &str,
    to: &[String],
    cc: &[String],
) -> Value {
    Activity::new("Announce", activity_id, actor)
        .set("published", json!(published))
        .set("to", json!(to))
        .set("cc", json!(cc))
        .set("object", json!(object_id))
        .finish()
}

pub fn block(activity_id: &str, actor: &str, object_actor: &str) -> Value {
    Activity::new("Block", activity_id, actor).set("object", json!(object_actor)).finish()
}

/// A report, as Mastodon forwards one: `actor` is the reporting server's
/// instance actor, `objects` the reported account and then its statuses.
pub fn flag(activity_id: &str, actor: &str, objects: &[String], content: &str) -> Value {
    Activity::new("Flag", activity_id, actor).set("content", json!(content)).set("object", json!(objects)).finish()
}

/// An account move: the actor moves itself to `target` (which must list
/// the actor in its `alsoKnownAs`).
pub fn move_actor(activity_id: &str, actor: &str, target: &str) -> Value {
    Activity::new("Move", activity_id, actor).set("object", json!(actor)).set("target", json!(target)).finish()
}

/// A collection served on its own (followers, outbox…), pointing at its pages.
pub fn ordered_collection(id: &str, total_items: u64, first: Option<&str>, last: Option<&str>) -> Value {
    let mut document = Map::new();
    document.insert("@context".into(), context());
    document.insert("id".into(), json!(id));
    document.insert("type".into(), json!("OrderedCollection"));
    document.insert("totalItems".into(), json!(total_items));
    if let Some(first) = first {
        document.insert("first".into(), json!(first));
    }
    if let Some(last) = last {
        document.insert("last".into(), json!(last));
    }
    Value::Object(document)
}

/// One page of a collection, served on its own (so with `@context`); the
/// items' own `@context`s are merged into it.
pub fn ordered_collection_page(
    id: &str,
    part_of: &str,
    items: Vec<Value>,
    next: Option<&str>,
    prev: Option<&str>,
) -> Value {
    let mut page = Activity { context: Vec::new(), fields: Map::new() };
    if let Value::Array(ours) = context() {
        page.context = ours;
    }
    let items: Vec<Value> = items.into_iter().map(|item| page.take_context(item)).collect();
    page = page
        .set("id", json!(id))
        .set("type", json!("OrderedCollectionPage"))
        .set("partOf", json!(part_of))
        .set("orderedItems", Value::Array(items));
    if let Some(next) = next {
        page = page.set("next", json!(next));
    }
    if let Some(prev) = prev {
        page = page.set("prev", json!(prev));
    }
    page.finish()
}
