//! ActivityPub as Kererū speaks it: builders for the activities it sends,
//! shaped exactly like Mastodon's (so that Mastodon, GoToSocial, Pleroma,
//! Misskey and the rest accept them), and readers that turn whatever a remote
//! server sent (already parsed leniently by [`crate::activitystreams`]) into
//! a status Kererū can store and show.
//!
//! Outbound: every top-level document carries [`context()`]; objects embedded
//! in it do not (an embedded object's own `@context` is moved up and merged).
//! Ids given in are used as they are.
//!
//! Inbound: [`read_note`] checks ids and URLs are http(s) and sanitizes the
//! HTML; whether a document may speak for an id (same origin, signatures) is
//! the caller's to check, with [`same_origin`].

mod build;
mod origin;
mod question;
pub mod quotes;
mod read;

pub use build::{
    NoteAttachment, NoteInput, NoteTag, TagKind, accept, add_quote_fields, announce, block, context, create,
    delete_actor, delete_note, flag, follow, like, move_actor, note, ordered_collection, ordered_collection_page,
    reject, undo, update,
};
pub use origin::{is_http_url, same_origin};
pub use question::{QuestionPoll, question, read_question, read_vote, vote_note};
pub use read::{ReadError, RemoteAttachment, RemoteNote, html_to_text, read_note, read_note_json};

/// The special collection addressing everyone.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The compact forms of [`PUBLIC`] that servers also send.
const PUBLIC_ALIASES: &[&str] = &[PUBLIC, "as:Public", "Public"];

/// Who may see a status: Mastodon's four visibilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Everyone, and listed on public timelines.
    Public,
    /// Everyone, but not on public timelines.
    Unlisted,
    /// The author's followers (and whoever is mentioned).
    FollowersOnly,
    /// Only whoever is mentioned.
    Direct,
}

impl Audience {
    pub const ALL: [Audience; 4] = [Audience::Public, Audience::Unlisted, Audience::FollowersOnly, Audience::Direct];
}

/// `to` and `cc` for a status, as Mastodon addresses them:
///
/// | audience      | to          | cc                    |
/// |---------------|-------------|-----------------------|
/// | Public        | [PUBLIC]    | [followers, mentions…]|
/// | Unlisted      | [followers] | [PUBLIC, mentions…]   |
/// | FollowersOnly | [followers] | [mentions…]           |
/// | Direct        | [mentions…] | []                    |
///
/// Mentions are kept in order, without duplicates (nor the public collection
/// or the followers collection, should they be among them).
pub fn addressing(
    audience: Audience,
    followers_url: &str,
    mentioned_actor_ids: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut mentions: Vec<String> = Vec::new();
    for id in mentioned_actor_ids {
        if id != followers_url && !PUBLIC_ALIASES.contains(&id.as_str()) && !mentions.contains(id) {
            mentions.push(id.clone());
        }
    }
    let followers = followers_url.to_string();
    let public = PUBLIC.to_string();
    match audience {
        Audience::Public => (vec![public], [vec![followers], mentions].concat()),
        Audience::Unlisted => (vec![followers], [vec![public], mentions].concat()),
        Audience::FollowersOnly => (vec![followers], mentions),
        Audience::Direct => (mentions, Vec::new()),
    }
}

/// A status's audience from its addressing, by Mastodon's rule: the public
/// collection (also as `as:Public` or `Public`) in `to` makes it Public, in
/// `cc` Unlisted; else the author's followers collection in `to` or `cc`
/// makes it FollowersOnly; anything else is Direct.
pub fn audience_of(to: &[String], cc: &[String], author_followers_url: Option<&str>) -> Audience {
    let is_public = |id: &String| PUBLIC_ALIASES.contains(&id.as_str());
    if to.iter().any(is_public) {
        Audience::Public
    } else if cc.iter().any(is_public) {
        Audience::Unlisted
    } else if author_followers_url.is_some_and(|followers| to.iter().chain(cc).any(|id| id == followers)) {
        Audience::FollowersOnly
    } else {
        Audience::Direct
    }
}

#[cfg(test)]
mod tests;
