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

/// The person's notifications in group `key` as lists show them, newest first.
fn in_group<'a>(
    recipient: AccountId,
    key: &Key,
) -> Option<
    n::BoxedQuery<'a, diesel::pg::Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Notification, diesel::pg::Pg>>>,
> {
    let mut query = notifications::browsing(recipient, &Browse::default());
    match key {
        Key::Ungrouped(id) => query = query.filter(n::id.eq(*id)),
        Key::Grouped { kind, status, bucket } => {
            let start = DateTime::<Utc>::from_timestamp(bucket.checked_mul(BUCKET_SECONDS)?, 0)?;
            let end = DateTime::<Utc>::from_timestamp(bucket.checked_add(1)?.checked_mul(BUCKET_SECONDS)?, 0)?;
            query =
                query.filter(n::kind.eq(kind.clone())).filter(n::created_at.ge(start)).filter(n::created_at.lt(end));
            query = match status {
                Some(status) => query.filter(n::status_id.eq(*status)),
                None => query.filter(n::status_id.is_null()),
            };
        }
    }
    Some(query)
}

/// A page of the person's notifications in group `key`.
pub async fn members(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    key: &Key,
    page: Page,
) -> Result<Vec<Notification>, StoreError> {
    let Some(query) = in_group(recipient, key) else { return Ok(Vec::new()) };
    let query = crate::relationships::page_filter!(query, n::id, page);
    let mut rows: Vec<Notification> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// Deletes the person's notifications in group `key`; how many went.
pub async fn dismiss(conn: &mut AsyncPgConnection, recipient: AccountId, key: &Key) -> Result<usize, StoreError> {
    let Some(query) = in_group(recipient, key) else { return Ok(0) };
    let ids: Vec<NotificationId> = query.load::<Notification>(conn).await?.iter().map(|m| m.id).collect();
    let gone =
        diesel::delete(n::table.filter(n::account_id.eq(recipient)).filter(n::id.eq_any(ids))).execute(conn).await?;
    Ok(gone)
}

/// A group as shown: its newest notification (up to the page's top), a sample of
/// who triggered it, how many it holds up to there, and its oldest id within the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub newest: Notification,
    /// Up to [`SAMPLE_ACCOUNTS`] distinct accounts, most recent first.
    pub sample_accounts: Vec<AccountId>,
    pub count: i64,
    pub page_min_id: NotificationId,
}

/// The group `key` whose newest notification is `newest`: count and sample from the group up to it.
async fn describe(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    key: String,
    newest: Notification,
    page_min_id: NotificationId,
) -> Result<Group, StoreError> {
    let Some(parsed) = parse(&key).filter(|k| matches!(k, Key::Grouped { .. })) else {
        let sample_accounts = vec![newest.from_account_id];
        return Ok(Group { key, newest, sample_accounts, count: 1, page_min_id });
    };
    let up_to = Page { max_id: Some(newest.id.0.saturating_add(1)), since_id: None, min_id: None, limit: 200 };
    let recent = members(conn, recipient, &parsed, up_to).await?;
    let mut sample_accounts: Vec<AccountId> = Vec::new();
    for n in &recent {
        if !sample_accounts.contains(&n.from_account_id) && sample_accounts.len() < SAMPLE_ACCOUNTS {
            sample_accounts.push(n.from_account_id);
        }
    }
    let count: i64 = match in_group(recipient, &parsed) {
        Some(query) => query.filter(n::id.le(newest.id.0)).count().get_result(conn).await?,
        None => 0,
    };
    Ok(Group { key, newest, sample_accounts, count, page_min_id })
}

/// The whole group `key` (as `GET /api/v2/notifications/{key}` shows it), if the person has it.
pub async fn whole(conn: &mut AsyncPgConnection, recipient: AccountId, key: &str) -> Result<Option<Group>, StoreError> {
    let Some(parsed) = parse(key) else { return Ok(None) };
    let newest = members(conn, recipient, &parsed, Page { limit: 1, ..Page::default() }).await?;
    let Some(newest) = newest.into_iter().next() else { return Ok(None) };
    let oldest = newest.id;
    Ok(Some(describe(conn, recipient, key.to_string(), newest, oldest).await?))
}

/// A page of groups (Mastodon's `paginate_groups`): walking the notifications
/// from the page's start, each group is met at its first notification until
/// `page.limit` groups are found. A group is shown by its newest notification on
/// the page, counted and sampled up to it; `page_min_id` is its oldest on the page.
/// Groups come newest first; `paging` (newest, oldest) are the ids for the Link header.
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
    let mut groups = Vec::with_capacity(order.len());
    for key in order {
        let mut list = by_key.remove(&key).unwrap_or_default();
        // Only what lies within the page's range (up to the last group met) is on the page.
        if let Some(boundary) = boundary {
            list.retain(|n| if ascending { n.id.0 <= boundary } else { n.id.0 >= boundary });
        }
        list.sort_by_key(|n| std::cmp::Reverse(n.id));
        let (Some(newest), Some(oldest)) = (list.as_slice().first().cloned(), list.last().map(|n| n.id)) else {
            continue;
        };
        groups.push(describe(conn, recipient, key, newest, oldest).await?);
    }
    if ascending {
        groups.reverse();
    }
    let newest = groups.iter().map(|g| g.newest.id.0).max();
    let oldest = groups.iter().map(|g| g.page_min_id.0).min();
    let paging = newest.zip(oldest);
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
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = after;
    loop {
        let batch_page = Page { max_id: None, since_id: None, min_id: Some(cursor.unwrap_or(0)), limit: BATCH };
        let batch = notifications::list_browsing(conn, recipient, browse, batch_page).await?;
        let fetched = batch.len();
        for notification in batch.iter().rev() {
            cursor = Some(notification.id.0);
            let key = key_among(notification, grouped);
            if !keys.contains(&key) {
                keys.push(key);
                if keys.len() as i64 >= limit {
                    return Ok(limit);
                }
            }
        }
        if fetched < BATCH as usize {
            return Ok(keys.len() as i64);
        }
    }
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
