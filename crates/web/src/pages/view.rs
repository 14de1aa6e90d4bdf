//! View models: posts and people as pages show them.
//!
//! They are built from the client API's entities ([`Renderer`]), so a page
//! shows exactly what `/api/v1/...` would show the same viewer: the same
//! store reads (`store::statuses::visible` and friends), the same visibility
//! rules, the same counts and flags. Callers read statuses through the store's
//! visibility-checked reads and hand the rows here.
//!
//! Every URL that came from another server is checked to be http(s) before a
//! page may put it into `href` or `src`; HTML fields (`content`, `bio_html`,
//! field values) are the sanitized (remote) or escaped (local) HTML the store
//! holds, the only strings templates mark `| safe`.

use crate::api::render::Renderer;
use crate::error::WebError;
use crate::tenant::Tenant;
use chrono::{DateTime, Utc};
use kereru_core::activitypub::{html_to_text, is_http_url};
use kereru_store::PgConn;
use kereru_store::accounts::Account;
use kereru_store::ids::AccountId;
use kereru_store::notifications::Notification;
use kereru_store::statuses::Status;
use serde::{Deserialize, Serialize};

/// A person as a page shows them.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: String,
    pub username: String,
    /// `@name@host`, always with the host.
    pub handle: String,
    /// The display name, or the username when there is none.
    pub display_name: String,
    /// Where their profile is: `/@name` here, else the page on their own server.
    pub profile_url: String,
    /// Whether they are one of this tenant's people.
    pub local: bool,
    pub avatar: String,
    pub header: String,
    /// Whether `header` is the fallback image (pages then show a coloured band).
    pub header_missing: bool,
    /// Sanitized (remote) or escaped (local) HTML.
    pub bio_html: String,
    /// The bio as plain text (for excerpts and meta tags).
    pub bio_text: String,
    pub fields: Vec<FieldView>,
    pub followers: i64,
    pub following: i64,
    pub statuses: i64,
    pub locked: bool,
    pub bot: bool,
    pub hide_collections: bool,
    /// The month they joined: "December 2026".
    pub joined: String,
}

/// A profile field; `value_html` is linkified escaped text.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub name: String,
    pub value_html: String,
    /// The link in the value leads to a page that links back with rel=me.
    pub verified: bool,
}

/// An attachment of a post.
#[derive(Debug, Clone, Serialize)]
pub struct MediaView {
    pub url: String,
    pub preview_url: String,
    /// The alt text (empty when the author gave none).
    pub description: String,
    /// `image`, `gifv`, `video`, `audio` or `unknown`.
    pub kind: String,
}

/// Whom a reply answers, when the page can say (a mention or the author themselves).
#[derive(Debug, Clone, Serialize)]
pub struct ReplyTo {
    pub id: String,
    pub handle: String,
    pub profile_url: String,
}

/// A post as a page shows it to one viewer.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub id: String,
    /// Its page: `/@name/ID` on its tenant, or the page on its own server.
    pub url: String,
    /// Its ActivityPub id.
    pub uri: String,
    /// The author (for a boost: who boosted).
    pub account: AccountView,
    /// Sanitized (remote) or escaped (local) HTML.
    pub content: String,
    /// The content as plain text, at most ~200 characters (meta tags, notifications).
    pub excerpt: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    /// `public`, `unlisted`, `private` or `direct`, and how a person says it.
    pub visibility: String,
    pub visibility_label: String,
    pub language: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// Short, for the post's header: "5m", "3h", "2d", "4 Dec", "4 Dec 2025".
    pub created_human: String,
    /// Long, for its title: "4 December 2026, 21:05 UTC".
    pub created_full: String,
    pub edited: bool,
    pub media: Vec<MediaView>,
    /// The first image's URL (og:image).
    pub first_image: Option<String>,
    /// A boost: the boosted post (whose author is not `account`).
    pub reblog: Option<Box<StatusView>>,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to: Option<ReplyTo>,
    pub tags: Vec<String>,
    pub replies: i64,
    pub reblogs: i64,
    pub favourites: i64,
    /// The viewer's own state (all false for visitors).
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    /// Whether the viewer wrote it.
    pub mine: bool,
    /// Whether it can be boosted (public or unlisted).
    pub boostable: bool,
}

/// A notification row: who did what, and the post it is about.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub id: String,
    /// Mastodon's type: `mention`, `reblog`, `favourite`, `follow`, ...
    pub kind: String,
    /// What happened, after the person's name: "favourited your post".
    pub action: String,
    /// A short symbol for the row's icon.
    pub icon: String,
    pub account: AccountView,
    pub status: Option<StatusView>,
    pub created_at: String,
    pub created_human: String,
}

// ---------------------------------------------------------------------------
// The API entities, read back (only what pages need).

#[derive(Deserialize)]
struct AccountEntity {
    id: String,
    username: String,
    acct: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    locked: bool,
    #[serde(default)]
    bot: bool,
    #[serde(default)]
    note: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    avatar: String,
    #[serde(default)]
    header: String,
    #[serde(default)]
    followers_count: i64,
    #[serde(default)]
    following_count: i64,
    #[serde(default)]
    statuses_count: i64,
    #[serde(default)]
    hide_collections: Option<bool>,
    #[serde(default)]
    fields: Vec<FieldEntity>,
    #[serde(default)]
    created_at: String,
}

#[derive(Deserialize)]
struct FieldEntity {
    name: String,
    value: String,
    verified_at: Option<String>,
}

#[derive(Deserialize)]
struct MediaEntity {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    preview_url: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct MentionEntity {
    id: String,
    acct: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct TagEntity {
    name: String,
}

#[derive(Deserialize)]
struct FilterResultEntity {
    filter: FilterEntity,
}

#[derive(Deserialize)]
struct FilterEntity {
    title: String,
}

#[derive(Deserialize)]
struct StatusEntity {
    id: String,
    url: Option<String>,
    uri: String,
    created_at: String,
    edited_at: Option<String>,
    account: AccountEntity,
    content: String,
    visibility: String,
    sensitive: bool,
    spoiler_text: String,
    language: Option<String>,
    in_reply_to_id: Option<String>,
    in_reply_to_account_id: Option<String>,
    reblog: Option<Box<StatusEntity>>,
    replies_count: i64,
    reblogs_count: i64,
    favourites_count: i64,
    #[serde(default)]
    media_attachments: Vec<MediaEntity>,
    #[serde(default)]
    mentions: Vec<MentionEntity>,
    #[serde(default)]
    tags: Vec<TagEntity>,
    /// The viewer's "warn" filters that match: shown as a content warning.
    #[serde(default)]
    filtered: Vec<FilterResultEntity>,
    #[serde(default)]
    favourited: Option<bool>,
    #[serde(default)]
    reblogged: Option<bool>,
    #[serde(default)]
    bookmarked: Option<bool>,
    #[serde(default)]
    pinned: Option<bool>,
}

fn entity<T: for<'de> Deserialize<'de>>(value: serde_json::Value) -> Result<T, WebError> {
    serde_json::from_value(value).map_err(|e| WebError::Internal(format!("view: {e}")))
}

// ---------------------------------------------------------------------------
// Building views.

/// Builds views for one viewer on one tenant (wraps the API's [`Renderer`]).
pub struct Views<'a> {
    tenant: &'a Tenant,
    viewer: Option<AccountId>,
    renderer: Renderer<'a>,
    now: DateTime<Utc>,
    /// Put before the tenant's own paths (`/@name`): empty on its own pages.
    link_base: String,
}

impl<'a> Views<'a> {
    pub fn new(tenant: &'a Tenant, viewer: Option<AccountId>) -> Self {
        Views { tenant, viewer, renderer: Renderer::new(tenant, viewer), now: Utc::now(), link_base: String::new() }
    }

    /// For a page of another host showing this tenant's people and posts (a
    /// host admin's moderation pages): their links lead to `link_base` (the
    /// tenant's URL) instead of the page's own host. Empty changes nothing.
    pub fn linking_from(mut self, link_base: String) -> Self {
        self.link_base = link_base;
        self
    }

    /// One account (read by the caller through a tenant-scoped store read).
    pub async fn account(&mut self, conn: &mut PgConn, account: &Account) -> Result<AccountView, WebError> {
        let value = self.renderer.account(conn, account).await?;
        Ok(self.account_view(entity(value)?))
    }

    /// Applies the viewer's filters for `context` (hide drops, warn collapses under the filter's title).
    pub fn in_context(mut self, context: kereru_core::filters::Context) -> Self {
        self.renderer.set_context(context);
        self
    }

    /// [`Views::in_context`] for views in use.
    pub fn set_context(&mut self, context: kereru_core::filters::Context) {
        self.renderer.set_context(context);
    }

    /// One of this tenant's own people, without counts or fields (no reads:
    /// for lists of people, such as the front page's).
    pub fn local_account(&self, account: &Account) -> Result<AccountView, WebError> {
        let counts = crate::api::entities::AccountCounts::default();
        let value = crate::api::entities::account_as_seen(&self.tenant.urls, account, counts, true, &[]);
        Ok(self.account_view(entity(value)?))
    }

    /// Statuses the caller read through `store::statuses::visible` (or
    /// `visible_one`) for this viewer, in the given order.
    pub async fn statuses(&mut self, conn: &mut PgConn, list: Vec<Status>) -> Result<Vec<StatusView>, WebError> {
        let values = self.renderer.statuses(conn, list).await?;
        values.into_iter().map(|value| Ok(self.status_view(entity(value)?))).collect()
    }

    /// One status (see [`Views::statuses`]).
    pub async fn status(&mut self, conn: &mut PgConn, status: Status) -> Result<StatusView, WebError> {
        self.statuses(conn, vec![status]).await?.into_iter().next().ok_or_else(|| WebError::Internal("view".into()))
    }

    /// The viewer's notifications (those about posts they can no longer see are left out, as in the API).
    pub async fn notifications(
        &mut self,
        conn: &mut PgConn,
        list: Vec<Notification>,
    ) -> Result<Vec<NotificationView>, WebError> {
        let values = self.renderer.notifications(conn, list).await?;
        let mut out = Vec::with_capacity(values.len());
        for mut value in values {
            let status = match value.get_mut("status").map(serde_json::Value::take) {
                Some(status) if !status.is_null() => Some(self.status_view(entity(status)?)),
                _ => None,
            };
            let account = self.account_view(entity(value["account"].take())?);
            let kind = value["type"].as_str().unwrap_or("").to_string();
            let (action, icon) = describe(&kind);
            let (created_at, created_human, _) = self.times(value["created_at"].as_str().unwrap_or(""));
            out.push(NotificationView {
                id: value["id"].as_str().unwrap_or("").to_string(),
                kind,
                action: action.to_string(),
                icon: icon.to_string(),
                account,
                status,
                created_at,
                created_human,
            });
        }
        Ok(out)
    }

    fn account_view(&self, a: AccountEntity) -> AccountView {
        let local = !a.acct.contains('@');
        let handle = if local { self.tenant.urls.handle(&a.username) } else { format!("@{}", a.acct) };
        let profile_url = match a.url.filter(|u| is_http_url(u)) {
            // This tenant's people link to their page here, as a path.
            _ if local => format!("{}/@{}", self.link_base, a.username),
            Some(url) => url,
            // A remote profile without an http(s) page has nowhere to link to.
            None => "#".into(),
        };
        let avatar = http_or(a.avatar, || crate::api::entities::default_avatar(&self.tenant.urls));
        let header_missing = !is_http_url(&a.header) || a.header.ends_with("/headers/original/missing.png");
        let header = http_or(a.header, || crate::api::entities::default_header(&self.tenant.urls));
        AccountView {
            id: a.id,
            display_name: if a.display_name.trim().is_empty() { a.username.clone() } else { a.display_name },
            username: a.username,
            handle,
            profile_url,
            local,
            avatar,
            header,
            header_missing,
            bio_text: html_to_text(&a.note),
            bio_html: a.note,
            fields: a
                .fields
                .into_iter()
                .map(|f| FieldView { name: f.name, value_html: f.value, verified: f.verified_at.is_some() })
                .collect(),
            followers: a.followers_count,
            following: a.following_count,
            statuses: a.statuses_count,
            locked: a.locked,
            bot: a.bot,
            hide_collections: a.hide_collections.unwrap_or(false),
            joined: DateTime::parse_from_rfc3339(&a.created_at)
                .map(|at| at.format("%B %Y").to_string())
                .unwrap_or_default(),
        }
    }

    fn status_view(&self, s: StatusEntity) -> StatusView {
        let account = self.account_view(s.account);
        let reblog = s.reblog.map(|inner| Box::new(self.status_view(*inner)));
        let url = match s.url.filter(|u| is_http_url(u)) {
            Some(_) if account.local => format!("{}/{}", account.profile_url, s.id),
            Some(url) => url,
            // A boost has no page of its own: it leads to what it boosts.
            None => reblog.as_ref().map(|r| r.url.clone()).unwrap_or_else(|| "#".into()),
        };
        let in_reply_to = match (&s.in_reply_to_id, &s.in_reply_to_account_id) {
            (Some(id), Some(account_id)) if *account_id == account.id => Some(ReplyTo {
                id: id.clone(),
                handle: account.handle.clone(),
                profile_url: account.profile_url.clone(),
            }),
            (Some(id), Some(account_id)) => s.mentions.iter().find(|m| m.id == *account_id).map(|m| ReplyTo {
                id: id.clone(),
                handle: if m.acct.contains('@') { format!("@{}", m.acct) } else { self.tenant.urls.handle(&m.acct) },
                profile_url: match m.url.as_deref().filter(|u| is_http_url(u)) {
                    Some(_) if !m.acct.contains('@') => format!("{}/@{}", self.link_base, m.acct),
                    Some(url) => url.to_string(),
                    None => "#".into(),
                },
            }),
            _ => None,
        };
        let media: Vec<MediaView> = s
            .media_attachments
            .into_iter()
            .filter_map(|m| {
                let url = m.url.filter(|u| is_http_url(u))?;
                let preview_url = m.preview_url.filter(|u| is_http_url(u)).unwrap_or_else(|| url.clone());
                Some(MediaView { url, preview_url, description: m.description.unwrap_or_default(), kind: m.kind })
            })
            .collect();
        let first_image = media.iter().find(|m| m.kind == "image").map(|m| m.url.clone());
        let (created_at, created_human, created_full) = self.times(&s.created_at);
        let mine = self.viewer.is_some_and(|v| v.0.to_string() == account.id);
        // A post a "warn" filter matches folds away under the filter's title, like a content warning.
        let spoiler_text = if s.filtered.is_empty() {
            s.spoiler_text
        } else {
            let titles: Vec<&str> = s.filtered.iter().map(|f| f.filter.title.as_str()).collect();
            let mut text = format!("Filtered: {}", titles.join(", "));
            if !s.spoiler_text.is_empty() {
                text = format!("{text} · {}", s.spoiler_text);
            }
            text
        };
        StatusView {
            excerpt: excerpt(&html_to_text(&s.content), 200),
            visibility_label: visibility_label(&s.visibility).to_string(),
            boostable: matches!(s.visibility.as_str(), "public" | "unlisted"),
            id: s.id,
            url,
            uri: s.uri,
            account,
            content: s.content,
            spoiler_text,
            sensitive: s.sensitive,
            visibility: s.visibility,
            language: s.language,
            created_at,
            created_human,
            created_full,
            edited: s.edited_at.is_some(),
            media,
            first_image,
            reblog,
            in_reply_to_id: s.in_reply_to_id,
            in_reply_to,
            tags: s.tags.into_iter().map(|t| t.name).collect(),
            replies: s.replies_count,
            reblogs: s.reblogs_count,
            favourites: s.favourites_count,
            favourited: s.favourited.unwrap_or(false),
            reblogged: s.reblogged.unwrap_or(false),
            bookmarked: s.bookmarked.unwrap_or(false),
            pinned: s.pinned.unwrap_or(false),
            mine,
        }
    }

    /// (RFC 3339, short, long) forms of an API timestamp.
    fn times(&self, at: &str) -> (String, String, String) {
        match DateTime::parse_from_rfc3339(at) {
            Ok(at) => {
                let at = at.with_timezone(&Utc);
                (
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    human_time(at, self.now),
                    at.format("%-d %B %Y, %H:%M UTC").to_string(),
                )
            }
            Err(_) => (at.to_string(), String::new(), String::new()),
        }
    }
}

fn http_or(url: String, fallback: impl FnOnce() -> String) -> String {
    if is_http_url(&url) { url } else { fallback() }
}

/// How long ago, briefly, as timelines show it.
pub fn human_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let ago = now.signed_duration_since(at);
    if ago.num_seconds() < 60 {
        "now".into()
    } else if ago.num_minutes() < 60 {
        format!("{}m", ago.num_minutes())
    } else if ago.num_hours() < 24 {
        format!("{}h", ago.num_hours())
    } else if ago.num_days() < 7 {
        format!("{}d", ago.num_days())
    } else if at.format("%Y").to_string() == now.format("%Y").to_string() {
        at.format("%-d %b").to_string()
    } else {
        at.format("%-d %b %Y").to_string()
    }
}

/// At most `max` characters of `text` on one line, cut at a word with "…".
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':', ' ']))
}

fn visibility_label(visibility: &str) -> &'static str {
    match visibility {
        "public" => "Public",
        "unlisted" => "Unlisted",
        "private" => "Followers only",
        "direct" => "Mentioned people only",
        _ => "",
    }
}

/// What a notification says after the person's name, and its icon.
fn describe(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "mention" => ("mentioned you", "@"),
        "status" => ("posted", "✎"),
        "reblog" => ("boosted your post", "⟳"),
        "follow" => ("followed you", "+"),
        "follow_request" => ("asked to follow you", "?"),
        "favourite" => ("favourited your post", "★"),
        "poll" => ("had a poll end", "▤"),
        "update" => ("edited a post", "✎"),
        _ => ("did something", "•"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn excerpts_are_one_line_and_cut_at_a_word() {
        assert_eq!(excerpt("a\nb  c", 10), "a b c");
        assert_eq!(excerpt("hello wonderful world", 12), "hello…");
        assert_eq!(excerpt("ūūūūūū", 3), "ūūū…");
    }

    #[test]
    fn times_read_briefly() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        assert_eq!(human_time(now - chrono::Duration::seconds(5), now), "now");
        assert_eq!(human_time(now - chrono::Duration::minutes(5), now), "5m");
        assert_eq!(human_time(now - chrono::Duration::hours(3), now), "3h");
        assert_eq!(human_time(now - chrono::Duration::days(2), now), "2d");
        assert_eq!(human_time(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(), now), "1 Mar");
        assert_eq!(human_time(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(), now), "1 Mar 2025");
    }
}
