//! Announcements: a tenant's admins write, publish, withdraw and delete them
//! (each act audited in its transaction); people dismiss them and react with
//! emoji. Acts return the streaming events Mastodon sends for them, to publish
//! after the commit.

use crate::Actor;
use crate::error::ServiceError;
use crate::events::Event;
use crate::tenant_admin::Admin;
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::announcements::{self, Announcement, AnnouncementFields, MAX_REACTION_NAMES};

/// Longest announcement text accepted.
pub const MAX_TEXT: usize = 5000;

/// What the admin page submits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub text: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub all_day: bool,
}

/// Why a draft is refused, by field (`text`, `ends_at`), as the form shows them.
pub fn check(draft: &Draft) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let text = draft.text.trim();
    if text.is_empty() {
        problems.push(("text", "Write the announcement.".to_string()));
    } else if text.chars().count() > MAX_TEXT {
        problems.push(("text", format!("An announcement must be at most {MAX_TEXT} characters.")));
    }
    match (draft.starts_at, draft.ends_at) {
        (Some(start), Some(end)) if end < start => {
            problems.push(("ends_at", "The end must not be before the start.".to_string()));
        }
        (None, Some(_)) | (Some(_), None) => {
            problems.push(("ends_at", "Give both a start and an end, or neither.".to_string()));
        }
        _ => {}
    }
    problems
}

fn fields_of(draft: &Draft) -> Result<AnnouncementFields, ServiceError> {
    if let Some((_, problem)) = check(draft).into_iter().next() {
        return Err(ServiceError::Invalid(problem));
    }
    Ok(AnnouncementFields {
        text: draft.text.trim().to_string(),
        starts_at: draft.starts_at,
        ends_at: draft.ends_at,
        all_day: draft.all_day,
    })
}

/// The audit log's label for an announcement: its first words.
fn label_of(text: &str) -> String {
    let mut label: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        label.push('…');
    }
    label
}

fn shown(announcement: &Announcement) -> Event {
    Event::Announcement { tenant: announcement.domain_id, announcement_id: announcement.id }
}

fn gone(announcement: &Announcement) -> Event {
    Event::AnnouncementDeleted { tenant: announcement.domain_id, announcement_id: announcement.id }
}

/// A new announcement, unpublished (published at once when `publish`).
pub async fn create(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    draft: &Draft,
    publish: bool,
) -> Result<(Announcement, Vec<Event>), ServiceError> {
    let fields = fields_of(draft)?;
    conn.transaction(async |conn| -> Result<(Announcement, Vec<Event>), ServiceError> {
        admin.authorize(conn).await?;
        let mut made = announcements::create(conn, admin.tenant, &fields).await?;
        admin.record(conn, "create_announcement", "announcement", Some(made.id), &label_of(&made.text), "").await?;
        let mut events = Vec::new();
        if publish {
            made =
                announcements::set_published(conn, admin.tenant, made.id, true).await?.ok_or(ServiceError::NotFound)?;
            admin
                .record(conn, "publish_announcement", "announcement", Some(made.id), &label_of(&made.text), "")
                .await?;
            events.push(shown(&made));
        }
        Ok((made, events))
    })
    .await
}

/// New text and times; a published announcement is sent again to streams.
pub async fn update(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    id: i64,
    draft: &Draft,
) -> Result<(Announcement, Vec<Event>), ServiceError> {
    let fields = fields_of(draft)?;
    conn.transaction(async |conn| -> Result<(Announcement, Vec<Event>), ServiceError> {
        admin.authorize(conn).await?;
        let saved = announcements::update(conn, admin.tenant, id, &fields).await?.ok_or(ServiceError::NotFound)?;
        admin.record(conn, "update_announcement", "announcement", Some(id), &label_of(&saved.text), "").await?;
        let events = if saved.published { vec![shown(&saved)] } else { Vec::new() };
        Ok((saved, events))
    })
    .await
}

/// Publishes (`true`) or withdraws (`false`); streams hear `announcement` or `announcement.delete`.
pub async fn set_published(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    id: i64,
    publish: bool,
) -> Result<Vec<Event>, ServiceError> {
    conn.transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
        admin.authorize(conn).await?;
        let before = announcements::get(conn, admin.tenant, id).await?.ok_or(ServiceError::NotFound)?;
        if before.published == publish {
            return Ok(Vec::new());
        }
        let after =
            announcements::set_published(conn, admin.tenant, id, publish).await?.ok_or(ServiceError::NotFound)?;
        let action = if publish { "publish_announcement" } else { "unpublish_announcement" };
        admin.record(conn, action, "announcement", Some(id), &label_of(&after.text), "").await?;
        Ok(vec![if publish { shown(&after) } else { gone(&after) }])
    })
    .await
}

/// Deletes an announcement, its dismissals and reactions.
pub async fn delete(conn: &mut AsyncPgConnection, admin: Admin<'_>, id: i64) -> Result<Vec<Event>, ServiceError> {
    conn.transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
        admin.authorize(conn).await?;
        let removed = announcements::delete(conn, admin.tenant, id).await?.ok_or(ServiceError::NotFound)?;
        admin.record(conn, "destroy_announcement", "announcement", Some(id), &label_of(&removed.text), "").await?;
        Ok(if removed.published { vec![gone(&removed)] } else { Vec::new() })
    })
    .await
}

/// The actor dismissed (read) a published announcement of their tenant.
pub async fn dismiss(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    let tenant = actor.tenant.id;
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        announcements::get_published(conn, tenant, id).await?.ok_or(ServiceError::NotFound)?;
        announcements::dismiss(conn, tenant, actor.account.id, id).await?;
        Ok(())
    })
    .await
}

/// A unicode emoji, as Mastodon's reaction validator accepts (this server has no custom emoji).
pub fn is_reaction_name(name: &str) -> bool {
    emojis::get(name).is_some()
}

/// The actor reacts `name` to a published announcement; at most
/// [`MAX_REACTION_NAMES`] distinct names per announcement. Again is fine.
pub async fn react(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    name: &str,
) -> Result<Vec<Event>, ServiceError> {
    let tenant = actor.tenant.id;
    conn.transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
        announcements::get_published(conn, tenant, id).await?.ok_or(ServiceError::NotFound)?;
        if !is_reaction_name(name) {
            return Err(ServiceError::Invalid("Validation failed: Name is not a recognized emoji".into()));
        }
        let names = announcements::reaction_names(conn, tenant, id).await?;
        if !names.iter().any(|n| n == name) && names.len() >= MAX_REACTION_NAMES {
            return Err(ServiceError::Invalid(
                "Validation failed: Maximum number of different reactions reached".into(),
            ));
        }
        if !announcements::react(conn, tenant, actor.account.id, id, name).await? {
            return Ok(Vec::new());
        }
        let count = announcements::reaction_count(conn, tenant, id, name).await?;
        Ok(vec![Event::AnnouncementReaction { tenant: tenant.0, announcement_id: id, name: name.to_string(), count }])
    })
    .await
}

/// The actor takes back a reaction: 404 when they had none of that name.
pub async fn unreact(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    name: &str,
) -> Result<Vec<Event>, ServiceError> {
    let tenant = actor.tenant.id;
    conn.transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
        announcements::get_published(conn, tenant, id).await?.ok_or(ServiceError::NotFound)?;
        if !announcements::unreact(conn, tenant, actor.account.id, id, name).await? {
            return Err(ServiceError::NotFound);
        }
        let count = announcements::reaction_count(conn, tenant, id, name).await?;
        Ok(vec![Event::AnnouncementReaction { tenant: tenant.0, announcement_id: id, name: name.to_string(), count }])
    })
    .await
}

/// Turns the tenant's trends on or off (audited).
pub async fn set_trends(conn: &mut AsyncPgConnection, admin: Admin<'_>, enabled: bool) -> Result<(), ServiceError> {
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        kereru_store::trends::set_enabled(conn, admin.tenant, enabled).await?;
        let detail = if enabled { "on" } else { "off" };
        admin.record(conn, "update_trends", "tenant", Some(admin.tenant.0), "trends", detail).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_are_unicode_emoji_only() {
        for ok in ["👍", "🎉", "❤️", "👍🏽"] {
            assert!(is_reaction_name(ok), "{ok}");
        }
        for bad in ["", "a", ":blobcat:", "👍👍", "<b>"] {
            assert!(!is_reaction_name(bad), "{bad}");
        }
    }

    #[test]
    fn drafts_need_text_and_both_times_in_order() {
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|d| d.and_hms_opt(h, 0, 0)).map(|t| t.and_utc())
        };
        assert!(check(&Draft { text: "Hello".into(), ..Draft::default() }).is_empty());
        assert_eq!(check(&Draft { text: "  ".into(), ..Draft::default() })[0].0, "text");
        let reversed = Draft { text: "x".into(), starts_at: at(5), ends_at: at(4), all_day: false };
        assert_eq!(check(&reversed)[0].0, "ends_at");
        let half = Draft { text: "x".into(), starts_at: at(5), ends_at: None, all_day: false };
        assert_eq!(check(&half)[0].0, "ends_at");
    }
}
