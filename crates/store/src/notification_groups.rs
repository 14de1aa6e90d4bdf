//! Grouped notifications (Mastodon 4.3+, `/api/v2/notifications`). A group key
//! is computed from the notification, never stored: favourites and boosts of one
//! status, and follows, within one hour (Mastodon's key format,
//! `favourite-<status>-<hour>`, `follow-<hour>`); anything else is
//! `ungrouped-<id>`. Mastodon also stretches a group over up to 12 hours while it
//! keeps growing; here a group is one clock hour.

use crate::error::StoreError;
use crate::ids::{AccountId, NotificationId, StatusId};
use crate::notifications::{self, Browse, Notification};
use crate::page::Page;
use crate::schema::notifications as n;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

/// Types that group (Mastodon's `GROUPABLE_NOTIFICATION_TYPES` we have).
pub const GROUPABLE: &[&str] = &["favourite", "reblog", "follow"];
const BUCKET_SECONDS: i64 = 3600;
/// How many accounts a group names (Mastodon's `SAMPLE_ACCOUNTS_SIZE`).
pub const SAMPLE_ACCOUNTS: usize = 8;
/// How many notifications one page may look through to find its groups.
const SCAN_LIMIT: usize = 4000;
const BATCH: i64 = 400;

/// The notification's group key, grouping the types in `grouped` (Mastodon's default: all groupable).
pub fn key_among(notification: &Notification, grouped: &[String]) -> String {
    let kind = notification.kind.as_str();
    if !GROUPABLE.contains(&kind) || !grouped.iter().any(|g| g == kind) {
        return format!("ungrouped-{}", notification.id);
    }
    let bucket = notification.created_at.timestamp().div_euclid(BUCKET_SECONDS);
    match notification.status_id {
        Some(status) if kind != "follow" => format!("{kind}-{status}-{bucket}"),
        _ => format!("{kind}-{bucket}"),
    }
}

/// The key the v1 Notification entity shows (every groupable type grouped).
pub fn key(notification: &Notification) -> String {
    let all: Vec<String> = GROUPABLE.iter().map(|t| t.to_string()).collect();
    key_among(notification, &all)
}

/// A group key taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Ungrouped(NotificationId),
    Grouped { kind: String, status: Option<StatusId>, bucket: i64 },
}

/// Reads a group key; `None` for anything this server never hands out.
pub fn parse(key: &str) -> Option<Key> {
    if let Some(id) = key.strip_prefix("ungrouped-") {
        return id.parse().ok().map(|id| Key::Ungrouped(NotificationId(id)));
    }
    let mut parts = key.split('-');
    let kind = parts.next()?;
    if !GROUPABLE.contains(&kind) {
        return None;
    }
    let numbers: Vec<i64> = parts.map(|p| p.parse().ok()).collect::<Option<Vec<_>>>()?;
    match (kind, numbers.as_slice()) {
        ("follow", [bucket]) => Some(Key::Grouped { kind: kind.into(), status: None, bucket: *bucket }),
        (_, [status, bucket]) if kind != "follow" => {
            Some(Key::Grouped { kind: kind.into(), status: Some(StatusId(*status)), bucket: *bucket })
        }
        _ => None,
    }
}

/// The person's notifications in group `key` (none held in requests), newest first, paged by id.
pub async fn members(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    key: &Key,
    page: Page,
) -> Result<Vec<Notification>, StoreError> {
    let held = crate::notification_requests::held_sql("notifications.id");
    let mut query = n::table
        .filter(n::account_id.eq(recipient))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("NOT {held}")))
        .select(Notification::as_select())
        .into_boxed();
    match key {
        Key::Ungrouped(id) => query = query.filter(n::id.eq(*id)),
        Key::Grouped { kind, status, bucket } => {
            let start = DateTime::<Utc>::from_timestamp(bucket.saturating_mul(BUCKET_SECONDS), 0);
            let end = DateTime::<Utc>::from_timestamp(bucket.saturating_add(1).saturating_mul(BUCKET_SECONDS), 0);
            let (Some(start), Some(end)) = (start, end) else { return Ok(Vec::new()) };
            query =
                query.filter(n::kind.eq(kind.clone())).filter(n::created_at.ge(start)).filter(n::created_at.lt(end));
            query = match status {
                Some(status) => query.filter(n::status_id.eq(*status)),
                None => query.filter(n::status_id.is_null()),
            };
        }
    }
    let query = crate::relationships::page_filter!(query, n::id, page);
    let mut rows: Vec<Notification> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Deletes the person's notifications in group `key`; how many went.
pub async fn dismiss(conn: &mut AsyncPgConnection, recipient: AccountId, key: &Key) -> Result<usize, StoreError> {
    let ids: Vec<NotificationId> = members(conn, recipient, key, Page::new(None, None, None, Some(i64::MAX), i64::MAX))
        .await?
        .iter()
        .map(|m| m.id)
        .collect();
    let gone =
        diesel::delete(n::table.filter(n::account_id.eq(recipient)).filter(n::id.eq_any(ids))).execute(conn).await?;
    Ok(gone)
}

/// One group of a page: its key and its notifications within the page's range, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub notifications: Vec<Notification>,
}

impl Group {
    pub fn newest(&self) -> Option<&Notification> {
        self.notifications.iter().next()
    }

    /// Up to [`SAMPLE_ACCOUNTS`] distinct accounts, most recent first.
    pub fn sample_accounts(&self) -> Vec<AccountId> {
        let mut out: Vec<AccountId> = Vec::new();
        for n in &self.notifications {
            if !out.contains(&n.from_account_id) && out.len() < SAMPLE_ACCOUNTS {
                out.push(n.from_account_id);
            }
        }
        out
    }
}

/// A page of groups (Mastodon's `paginate_groups`): walking the notifications
/// from the page's start, each group is met at its first notification until
/// `page.limit` groups are found; the page's range runs from the first to the last
/// group met, and each group holds its notifications within that range. Groups
/// come newest first; `paging` (newest, oldest) are the ids for the Link header.
pub async fn page(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    browse: &Browse,
    grouped: &[String],
    page: Page,
) -> Result<(Vec<Group>, Option<(i64, i64)>), StoreError> {
    let limit = usize::try_from(page.limit).unwrap_or(1).max(1);
    let ascending = page.ascending();
    let mut order: Vec<String> = Vec::new();
    let mut by_key: HashMap<String, Vec<Notification>> = HashMap::new();
    let mut boundary: Option<i64> = None;
    let mut cursor = if ascending { page.min_id } else { page.max_id };
    let mut scanned = 0;
    'scan: while scanned < SCAN_LIMIT {
        let batch_page = if ascending {
            Page { max_id: page.max_id, since_id: None, min_id: cursor, limit: BATCH }
        } else {
            Page { max_id: cursor, since_id: page.since_id, min_id: None, limit: BATCH }
        };
        let mut batch = notifications::list_browsing(conn, recipient, browse, batch_page).await?;
        if ascending {
            batch.reverse();
        }
        let fetched = batch.len();
        for notification in batch {
            scanned += 1;
            cursor = Some(notification.id.0);
            let key = key_among(&notification, grouped);
            if !by_key.contains_key(&key) {
                if order.len() == limit {
                    break 'scan;
                }
                order.push(key.clone());
                boundary = Some(notification.id.0);
            }
            by_key.entry(key).or_default().push(notification);
        }
        if fetched < BATCH as usize {
            break;
        }
    }
    // Only what lies within the range (up to the last group met) belongs to the page.
    let mut groups: Vec<Group> = order
        .into_iter()
        .map(|key| {
            let mut list = by_key.remove(&key).unwrap_or_default();
            if let Some(boundary) = boundary {
                list.retain(|n| if ascending { n.id.0 <= boundary } else { n.id.0 >= boundary });
            }
            list.sort_by(|a, b| b.id.cmp(&a.id));
            Group { key, notifications: list }
        })
        .collect();
    if ascending {
        groups.reverse();
    }
    let ids: Vec<i64> = groups.iter().filter_map(|g| g.newest()).map(|n| n.id.0).collect();
    let paging = match (ids.iter().max(), groups.iter().filter_map(|g| g.notifications.last()).map(|n| n.id.0).min()) {
        (Some(newest), Some(oldest)) => Some((*newest, oldest)),
        _ => None,
    };
    Ok((groups, paging))
}

/// How many groups of the person's notifications `browse` shows are newer than `after`, up to `limit`.
pub async fn count_newer(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    browse: &Browse,
    grouped: &[String],
    after: Option<i64>,
    limit: i64,
) -> Result<i64, StoreError> {
    let (groups, _) =
        page(conn, recipient, browse, grouped, Page { max_id: None, since_id: None, min_id: after, limit }).await?;
    Ok(groups.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(id: i64, kind: &str, status: Option<i64>, at: i64) -> Notification {
        Notification {
            id: NotificationId(id),
            account_id: AccountId(1),
            from_account_id: AccountId(2),
            kind: kind.into(),
            status_id: status.map(StatusId),
            created_at: DateTime::<Utc>::from_timestamp(at, 0).unwrap(),
        }
    }

    #[test]
    fn keys_group_favourites_boosts_and_follows_by_the_hour_and_read_back() {
        let all: Vec<String> = GROUPABLE.iter().map(|t| t.to_string()).collect();
        assert_eq!(key_among(&note(5, "favourite", Some(9), 7200), &all), "favourite-9-2");
        assert_eq!(key_among(&note(5, "follow", None, 3599), &all), "follow-0");
        assert_eq!(key_among(&note(5, "mention", Some(9), 7200), &all), "ungrouped-5");
        assert_eq!(key_among(&note(5, "favourite", Some(9), 7200), &["reblog".to_string()]), "ungrouped-5");
        assert_eq!(
            parse("favourite-9-2"),
            Some(Key::Grouped { kind: "favourite".into(), status: Some(StatusId(9)), bucket: 2 })
        );
        assert_eq!(parse("follow-0"), Some(Key::Grouped { kind: "follow".into(), status: None, bucket: 0 }));
        assert_eq!(parse("ungrouped-5"), Some(Key::Ungrouped(NotificationId(5))));
        for bad in ["mention-1-2", "follow-1-2", "favourite-2", "ungrouped-x", "", "favourite-a-b"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
