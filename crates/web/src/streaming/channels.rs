//! Mastodon's streams, who may open which, and what an event means on each
//! for one viewer on one tenant.
//!
//! Every status is checked again before it is sent, with the same query a
//! timeline page uses (`statuses::visible_in_feed`): a status this tenant
//! never received, or one the viewer may not see, is never sent, whatever
//! the event says.

use crate::api::render::Renderer;
use crate::auth::Auth;
use crate::error::WebError;
use crate::extract::Scope;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use kereru_core::filters::Context;
use kereru_service::Event;
use kereru_store::lists;
use kereru_store::notifications;
use kereru_store::statuses::{self, Feed, Status, Visibility};
use kereru_store::{AccountId, NotificationId, PgConn, StatusId};
use std::collections::HashMap;

/// One of Mastodon's streams, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// The home timeline and, with `read:notifications`, notifications.
    User,
    UserNotification,
    /// Public statuses this tenant received: all, its own, or others'.
    /// `only_media`: none yet, as no status has media.
    Public {
        local: bool,
        remote: bool,
        only_media: bool,
    },
    Hashtag {
        tag: String,
        local: bool,
    },
    /// One of the viewer's lists (its owner only: [`Channel::check_owner`]).
    List {
        list: String,
    },
    /// Direct statuses the viewer wrote or is mentioned in.
    Direct,
}

impl Channel {
    /// A stream by Mastodon's name (`public:local`, `hashtag`, ...) and parameters.
    pub fn parse(name: &str, params: &Params) -> Result<Channel, WebError> {
        let only_media = params.bool("only_media").unwrap_or(false);
        let public = |local: bool, remote: bool, only_media: bool| Channel::Public { local, remote, only_media };
        let tag = || {
            let tag = params.str("tag").unwrap_or("").trim().trim_start_matches('#').to_lowercase();
            if tag.is_empty() { Err(WebError::BadRequest("Missing tag name parameter".into())) } else { Ok(tag) }
        };
        Ok(match name {
            "user" => Channel::User,
            "user:notification" => Channel::UserNotification,
            "public" => public(true, true, only_media),
            "public:media" => public(true, true, true),
            "public:local" => public(true, false, only_media),
            "public:local:media" => public(true, false, true),
            "public:remote" => public(false, true, only_media),
            "public:remote:media" => public(false, true, true),
            "hashtag" => Channel::Hashtag { tag: tag()?, local: false },
            "hashtag:local" => Channel::Hashtag { tag: tag()?, local: true },
            "list" => match params.str("list").map(str::trim).filter(|l| !l.is_empty()) {
                Some(list) => Channel::List { list: list.to_string() },
                None => return Err(WebError::BadRequest("Missing list name parameter".into())),
            },
            "direct" => Channel::Direct,
            _ => return Err(WebError::BadRequest("Unknown stream type".into())),
        })
    }

    /// The stream's name as messages carry it: `["public:local"]`, `["hashtag", "tag"]`.
    pub fn names(&self) -> Vec<String> {
        match self {
            Channel::User => vec!["user".into()],
            Channel::UserNotification => vec!["user:notification".into()],
            Channel::Public { local, remote, only_media } => {
                let mut name = String::from("public");
                if !*remote {
                    name.push_str(":local");
                } else if !*local {
                    name.push_str(":remote");
                }
                if *only_media {
                    name.push_str(":media");
                }
                vec![name]
            }
            Channel::Hashtag { tag, local } => {
                vec![if *local { "hashtag:local" } else { "hashtag" }.into(), tag.clone()]
            }
            Channel::List { list } => vec!["list".into(), list.clone()],
            Channel::Direct => vec!["direct".into()],
        }
    }

    /// Whether `auth` may open this stream: public ones with any valid token
    /// (as Mastodon 4.3), the others with a user's token and the scope. A
    /// refusal is 401, as Mastodon's streaming server answers.
    pub fn authorize(&self, auth: &Auth) -> Result<(), WebError> {
        let scope = match self {
            Channel::Public { .. } | Channel::Hashtag { .. } => return Ok(()),
            Channel::UserNotification => Scope::ReadNotifications,
            Channel::User | Channel::Direct => Scope::ReadStatuses,
            // As Mastodon's streaming server: a list's stream needs `read:lists`.
            Channel::List { .. } => Scope::ReadLists,
        };
        if auth.account.is_none() {
            return Err(WebError::Unauthorized("This stream requires a user's access token".into()));
        }
        if !auth.grant.scopes.grants(scope) {
            return Err(WebError::Unauthorized("Access token does not have the required scopes".into()));
        }
        Ok(())
    }

    /// A list's stream is its owner's only, as Mastodon's streaming server checks
    /// when it is opened (the timeline query checks again for every status).
    pub async fn check_owner(&self, state: &AppState, tenant: &Tenant, auth: &Auth) -> Result<(), WebError> {
        let Channel::List { list } = self else { return Ok(()) };
        let refused = || WebError::Unauthorized("List not found".into());
        let id: i64 = list.parse().map_err(|_| refused())?;
        let account = auth.account.as_ref().ok_or_else(refused)?;
        let mut conn = state.pool.get().await?;
        lists::get(&mut conn, tenant.id, account.id, id).await?.map(|_| ()).ok_or_else(refused)
    }
}

/// Who is listening: the tenant the stream was opened on and the token's account.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub tenant: Tenant,
    pub account: Option<AccountId>,
    /// The `user` stream carries notifications only with `read:notifications`.
    pub notifications: bool,
}

/// One message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub stream: Vec<String>,
    pub event: &'static str,
    /// The entity as JSON text, or a status id for `delete`.
    pub payload: String,
}

/// What must hold, in the database, for an event to be sent on a channel.
#[derive(Debug)]
enum Check {
    /// The status is in this feed as the viewer sees it here.
    InFeed(Feed),
    /// The status is direct and the viewer may see it.
    Direct,
    /// The viewer's notification exists and shows nothing they may not see.
    Notification(i64),
    /// The viewer's conversation exists.
    Conversation(i64),
    /// Nothing: the payload is the id of a status that is gone.
    Deleted,
    /// The tenant's announcement is still published.
    Announcement(i64),
    /// Nothing: the payload is made from the event alone.
    Fixed(String),
}

impl Subscriber {
    pub fn new(tenant: Tenant, auth: &Auth) -> Subscriber {
        let account = auth.account.as_ref().map(|a| a.id);
        let notifications = account.is_some() && auth.grant.scopes.grants(Scope::ReadNotifications);
        Subscriber { tenant, account, notifications }
    }

    fn is(&self, account: i64) -> bool {
        self.account.is_some_and(|me| me.0 == account)
    }

    fn among(&self, accounts: &[i64]) -> bool {
        self.account.is_some_and(|me| accounts.contains(&me.0))
    }

    /// What `event` could be on `channel`, from the event alone (no query).
    fn candidate(&self, channel: &Channel, event: &Event) -> Option<(&'static str, Check)> {
        let here = |tenants: &[i64]| tenants.contains(&self.tenant.id.0);
        match event {
            Event::StatusCreated { tenants, home_of, public, home_of_all, .. } if here(tenants) => match channel {
                Channel::User if self.among(home_of) || (*home_of_all && self.account.is_some()) => {
                    Some(("update", Check::InFeed(Feed::Home)))
                }
                // A list's members are accounts its owner follows: the owner is in `home_of`.
                Channel::List { list } if self.among(home_of) || (*home_of_all && self.account.is_some()) => {
                    list_feed(list).map(|feed| ("update", Check::InFeed(feed)))
                }
                Channel::Public { .. } | Channel::Hashtag { .. } if *public => {
                    public_feed(channel).map(|feed| ("update", Check::InFeed(feed)))
                }
                _ => None,
            },
            Event::StatusUpdated { tenants, .. } if here(tenants) => match channel {
                Channel::User if self.account.is_some() => Some(("status.update", Check::InFeed(Feed::Home))),
                Channel::Direct if self.account.is_some() => Some(("status.update", Check::Direct)),
                Channel::List { list } if self.account.is_some() => {
                    list_feed(list).map(|feed| ("status.update", Check::InFeed(feed)))
                }
                Channel::Public { .. } | Channel::Hashtag { .. } => {
                    public_feed(channel).map(|feed| ("status.update", Check::InFeed(feed)))
                }
                _ => None,
            },
            // With `home_of_all`, a delete goes to every user stream on the tenant: it names
            // only an id that is gone, which is all a too-long audience list can cost.
            Event::StatusDeleted { tenants, public, home_of, home_of_all, .. } if here(tenants) => match channel {
                Channel::User | Channel::Direct | Channel::List { .. }
                    if self.among(home_of) || (*home_of_all && self.account.is_some()) =>
                {
                    Some(("delete", Check::Deleted))
                }
                Channel::Public { .. } | Channel::Hashtag { .. } if *public => Some(("delete", Check::Deleted)),
                _ => None,
            },
            // Direct messages reach the `direct` stream as their conversation, as Mastodon sends them.
            Event::Conversation { account_id, conversation_id } if self.is(*account_id) => match channel {
                Channel::Direct => Some(("conversation", Check::Conversation(*conversation_id))),
                _ => None,
            },
            // Announcements go to every user stream of their tenant, as Mastodon sends them to each timeline.
            Event::Announcement { tenant, announcement_id } if *tenant == self.tenant.id.0 => match channel {
                Channel::User if self.account.is_some() => {
                    Some(("announcement", Check::Announcement(*announcement_id)))
                }
                _ => None,
            },
            Event::AnnouncementReaction { tenant, announcement_id, name, count } if *tenant == self.tenant.id.0 => {
                match channel {
                    Channel::User if self.account.is_some() => {
                        let payload = serde_json::json!({
                            "name": name,
                            "count": count,
                            "announcement_id": announcement_id.to_string(),
                        });
                        Some(("announcement.reaction", Check::Fixed(payload.to_string())))
                    }
                    _ => None,
                }
            }
            Event::AnnouncementDeleted { tenant, announcement_id } if *tenant == self.tenant.id.0 => match channel {
                Channel::User if self.account.is_some() => {
                    Some(("announcement.delete", Check::Fixed(announcement_id.to_string())))
                }
                _ => None,
            },
            Event::Notification { account_id, notification_id } if self.is(*account_id) => match channel {
                Channel::User if self.notifications => Some(("notification", Check::Notification(*notification_id))),
                Channel::UserNotification => Some(("notification", Check::Notification(*notification_id))),
                _ => None,
            },
            _ => None,
        }
    }

    /// The messages `event` makes on these channels, each checked and
    /// rendered for this viewer on this tenant; none for most events.
    pub async fn messages(
        &self,
        state: &AppState,
        channels: &[Channel],
        event: &Event,
    ) -> Result<Vec<Outgoing>, WebError> {
        let candidates: Vec<(&Channel, &'static str, Check)> = channels
            .iter()
            .filter_map(|channel| self.candidate(channel, event).map(|(name, check)| (channel, name, check)))
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let status_id = match event {
            Event::StatusCreated { status_id, .. }
            | Event::StatusUpdated { status_id, .. }
            | Event::StatusDeleted { status_id, .. } => Some(*status_id),
            _ => None,
        };
        let mut conn = state.pool.get().await?;
        // Rendered once per event and filter context, however many channels it goes to.
        let mut rendered: HashMap<Option<Context>, Option<String>> = HashMap::new();
        let mut out = Vec::new();
        for (channel, name, check) in candidates {
            let payload = match (check, status_id) {
                (Check::Deleted, Some(id)) => Some(id.to_string()),
                (Check::InFeed(feed), Some(id)) => {
                    match statuses::visible_in_feed(&mut conn, self.tenant.id, self.account, &feed, StatusId(id))
                        .await?
                    {
                        Some(status) => {
                            let context = if matches!(feed, Feed::Home | Feed::List(_)) {
                                Context::Home
                            } else {
                                Context::Public
                            };
                            self.render_status(&mut conn, &mut rendered, Some(context), status).await?
                        }
                        None => None,
                    }
                }
                (Check::Direct, Some(id)) => {
                    match statuses::visible_one(&mut conn, self.tenant.id, self.account, StatusId(id)).await? {
                        Some(status) if status.visibility() == Visibility::Direct => {
                            self.render_status(&mut conn, &mut rendered, None, status).await?
                        }
                        _ => None,
                    }
                }
                (Check::Notification(id), _) => self.render_notification(&mut conn, id).await?,
                (Check::Conversation(id), _) => self.render_conversation(&mut conn, id).await?,
                (Check::Announcement(id), _) => self.render_announcement(&mut conn, id).await?,
                (Check::Fixed(payload), _) => Some(payload),
                _ => None,
            };
            if let Some(payload) = payload {
                out.push(Outgoing { stream: channel.names(), event: name, payload });
            }
        }
        Ok(out)
    }

    /// The status as JSON for a stream in `context` (the viewer's filters for it
    /// apply: none when one hides it), rendered once per context.
    async fn render_status(
        &self,
        conn: &mut PgConn,
        rendered: &mut HashMap<Option<Context>, Option<String>>,
        context: Option<Context>,
        status: Status,
    ) -> Result<Option<String>, WebError> {
        if let Some(done) = rendered.get(&context) {
            return Ok(done.clone());
        }
        let mut renderer = Renderer::new(&self.tenant, self.account);
        if let Some(context) = context {
            renderer = renderer.in_context(context);
        }
        let text = match renderer.status_unless_hidden(conn, status).await? {
            Some(value) => Some(
                serde_json::to_string(&value).map_err(|e| WebError::Internal(format!("rendering a status: {e}")))?,
            ),
            None => None,
        };
        rendered.insert(context, text.clone());
        Ok(text)
    }

    async fn render_conversation(&self, conn: &mut PgConn, id: i64) -> Result<Option<String>, WebError> {
        let Some(me) = self.account else { return Ok(None) };
        let Some(conversation) = kereru_store::conversations::get(conn, self.tenant.id, me, id).await? else {
            return Ok(None);
        };
        let value = crate::api::social::conversations::conversation_json(conn, &self.tenant, me, &conversation).await?;
        Ok(Some(
            serde_json::to_string(&value).map_err(|e| WebError::Internal(format!("rendering a conversation: {e}")))?,
        ))
    }

    /// A published announcement as Mastodon streams it (no viewer: no `read`, no `me`).
    async fn render_announcement(&self, conn: &mut PgConn, id: i64) -> Result<Option<String>, WebError> {
        let Some(found) = kereru_store::announcements::get_published(conn, self.tenant.id, id).await? else {
            return Ok(None);
        };
        let list = crate::api::announcements::announcements_json(conn, &self.tenant, None, &[found]).await?;
        match list.into_iter().next() {
            Some(value) => Ok(Some(
                serde_json::to_string(&value)
                    .map_err(|e| WebError::Internal(format!("rendering an announcement: {e}")))?,
            )),
            None => Ok(None),
        }
    }

    async fn render_notification(&self, conn: &mut PgConn, id: i64) -> Result<Option<String>, WebError> {
        let Some(me) = self.account else { return Ok(None) };
        let Some(notification) = notifications::get(conn, me, NotificationId(id)).await? else { return Ok(None) };
        // The renderer leaves out a notification whose status the viewer can't see.
        let rendered = Renderer::new(&self.tenant, Some(me))
            .in_context(Context::Notifications)
            .notifications(conn, vec![notification])
            .await?;
        match rendered.into_iter().next() {
            Some(value) => Ok(Some(
                serde_json::to_string(&value)
                    .map_err(|e| WebError::Internal(format!("rendering a notification: {e}")))?,
            )),
            None => Ok(None),
        }
    }
}

/// The timeline a list stream mirrors.
fn list_feed(list: &str) -> Option<Feed> {
    list.parse().ok().map(Feed::List)
}

/// The timeline a public or hashtag stream mirrors.
fn public_feed(channel: &Channel) -> Option<Feed> {
    match channel {
        // No status has media yet, so media streams stay silent.
        Channel::Public { only_media: true, .. } => None,
        Channel::Public { local, remote, .. } => Some(Feed::Public { local: *local, remote: *remote }),
        Channel::Hashtag { tag, local } => Some(Feed::Tag { name: tag.clone(), local: true, remote: !*local }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn streams_parse_by_mastodon_name_and_keep_their_names() {
        let none = params(&[]);
        for name in [
            "user",
            "user:notification",
            "public",
            "public:local",
            "public:remote",
            "public:media",
            "public:local:media",
            "direct",
        ] {
            let channel = Channel::parse(name, &none).map_err(|e| e.to_string());
            assert_eq!(channel.map(|c| c.names()), Ok(vec![name.to_string()]), "{name}");
        }
        let tagged = Channel::parse("hashtag:local", &params(&[("tag", "#Kereru")])).map_err(|e| e.to_string());
        assert_eq!(tagged, Ok(Channel::Hashtag { tag: "kereru".into(), local: true }));
        assert_eq!(
            Channel::parse("public", &params(&[("only_media", "true")])).map(|c| c.names()).map_err(|e| e.to_string()),
            Ok(vec!["public:media".to_string()])
        );
        assert_eq!(
            Channel::parse("list", &params(&[("list", "12")])).map(|c| c.names()).map_err(|e| e.to_string()),
            Ok(vec!["list".to_string(), "12".to_string()])
        );
        for (name, pairs, error) in [
            ("hashtag", vec![], "Missing tag name parameter"),
            ("hashtag", vec![("tag", " # ")], "Missing tag name parameter"),
            ("list", vec![], "Missing list name parameter"),
            ("firehose", vec![], "Unknown stream type"),
        ] {
            let refused = Channel::parse(name, &params(&pairs));
            assert!(matches!(&refused, Err(WebError::BadRequest(m)) if m == error), "{name}: {refused:?}");
        }
    }
}
