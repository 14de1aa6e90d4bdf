use super::one_or_many::OneOrMany;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A link to another object: its id as a string, or the object embedded.
/// An embedded object is *not* to be trusted unless it comes from its id's
/// origin; [`Reference::id`] is what to fetch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Reference {
    Id(String),
    Object(Box<Object>),
}

impl Reference {
    /// The referenced id (`href` for Link objects, as some servers send links that way).
    pub fn id(&self) -> Option<&str> {
        match self {
            Reference::Id(id) => Some(id),
            Reference::Object(object) => object.id.as_deref().or(object.href.as_deref()),
        }
    }

    pub fn object(&self) -> Option<&Object> {
        match self {
            Reference::Object(object) => Some(object),
            Reference::Id(_) => None,
        }
    }
}

/// The properties Kererū reads, on any object, activity or actor; every
/// other property is kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Object {
    #[serde(rename = "@context")]
    pub context: Option<Value>,
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: OneOrMany<String>,
    pub href: Option<String>,
    pub actor: Option<OneOrMany<Reference>>,
    pub object: Option<OneOrMany<Reference>>,
    pub target: Option<OneOrMany<Reference>>,
    pub attributed_to: Option<OneOrMany<Reference>>,
    pub to: OneOrMany<Reference>,
    pub cc: OneOrMany<Reference>,
    pub bto: OneOrMany<Reference>,
    pub bcc: OneOrMany<Reference>,
    pub audience: OneOrMany<Reference>,
    pub in_reply_to: Option<OneOrMany<Reference>>,
    pub name: Option<Value>,
    pub summary: Option<Value>,
    pub content: Option<Value>,
    pub content_map: Option<Map<String, Value>>,
    pub media_type: Option<String>,
    pub url: Option<OneOrMany<Reference>>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub sensitive: Option<bool>,
    pub tag: OneOrMany<Value>,
    pub attachment: OneOrMany<Value>,
    pub preferred_username: Option<String>,
    pub inbox: Option<String>,
    pub outbox: Option<String>,
    pub followers: Option<Value>,
    pub following: Option<Value>,
    pub endpoints: Option<Value>,
    pub public_key: Option<Value>,
    pub manually_approves_followers: Option<bool>,
    pub total_items: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Object {
    /// The first `type` (documents may list several, e.g. `["Note", "schema:X"]`).
    pub fn primary_type(&self) -> Option<&str> {
        self.kind.first().map(String::as_str)
    }

    /// The first actor's id.
    pub fn actor_id(&self) -> Option<&str> {
        self.actor.as_ref()?.first()?.id()
    }

    /// The first object referenced.
    pub fn object_ref(&self) -> Option<&Reference> {
        self.object.as_ref()?.first()
    }

    /// A text property that servers send as a string (or, rarely, a language map).
    pub fn text(value: &Option<Value>) -> Option<&str> {
        match value.as_ref()? {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The HTML content, from `content` or else the first entry of `contentMap`.
    pub fn content_html(&self) -> Option<&str> {
        Self::text(&self.content).or_else(|| self.content_map.as_ref()?.values().find_map(Value::as_str))
    }

    /// Every addressee id in to, cc, bto, bcc and audience.
    pub fn addressees(&self) -> Vec<&str> {
        [&self.to, &self.cc, &self.bto, &self.bcc, &self.audience]
            .into_iter()
            .flat_map(|list| list.iter())
            .filter_map(Reference::id)
            .collect()
    }
}
