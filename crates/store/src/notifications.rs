//! Notifications of local accounts.

use crate::error::StoreError;
use crate::ids::{AccountId, NotificationId, StatusId, next_id};
use crate::notification_policy::Verdict;
use crate::page::Page;
use crate::relationships::page_filter;
use crate::schema::{mutes, notifications};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

pub const TYPES: &[&str] = &["mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update"];

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: NotificationId,
    pub account_id: AccountId,
    pub from_account_id: AccountId,
    pub kind: String,
    pub status_id: Option<StatusId>,
    pub created_at: DateTime<Utc>,
}

/// Notifies `recipient` unless they mute `from` with notifications hidden, or their
/// tenant's staff suspended `from` (or silenced it, and `recipient` does not follow it).
/// Returns the new notification, if one was made.
pub async fn notify(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
    kind: &'static str,
    status: Option<StatusId>,
) -> Result<Option<Notification>, StoreError> {
    if recipient == from {
        return Ok(None);
    }
    let muted: i64 = mutes::table
        .filter(mutes::account_id.eq(recipient))
        .filter(mutes::target_account_id.eq(from))
        .filter(mutes::hide_notifications.eq(true))
        .filter(mutes::expires_at.is_null().or(mutes::expires_at.gt(diesel::dsl::now)))
        .count()
        .get_result(conn)
        .await?;
    if muted > 0 || from_blocked_domain(conn, recipient, from).await? || muted_thread(conn, recipient, status).await? {
        return Ok(None);
    }
    // Limited (suspended or silenced, and not followed): the recipient's policy decides, a suspension drops.
    let limited = crate::moderation::drops_notification(conn, recipient, from).await?
        || crate::domain_blocks::silences_notification(conn, recipient, from).await?;
    let verdict = crate::notification_policy::judge(conn, recipient, from, kind, status, limited).await?;
    if verdict == Verdict::Drop {
        return Ok(None);
    }
    let notification = diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(NotificationId(next_id())),
            notifications::account_id.eq(recipient),
            notifications::from_account_id.eq(from),
            notifications::kind.eq(kind),
            notifications::status_id.eq(status),
        ))
        .returning(Notification::as_returning())
        .get_result(conn)
        .await?;
    if verdict == Verdict::Filter {
        // Held in a request for its sender: not listed, counted nor streamed until accepted.
        crate::notification_requests::hold(conn, recipient, from, notification.id).await?;
        return Ok(None);
    }
    // Its Web Pushes, in the same transaction: they exist exactly when it is shown.
    crate::push::queue::enqueue(conn, &notification).await?;
    Ok(Some(notification))
}

/// Whether `status` is in a thread `recipient` muted: nothing from it is notified.
async fn muted_thread(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    status: Option<StatusId>,
) -> Result<bool, StoreError> {
    match status {
        Some(status) => crate::thread_mutes::is_muted(conn, recipient, status).await,
        None => Ok(false),
    }
}

/// Removes notifications an undone action made (unfavourite, unfollow, ...).
pub async fn withdraw(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
    kind: &'static str,
    status: Option<StatusId>,
) -> Result<(), StoreError> {
    let mut query = diesel::delete(notifications::table)
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::kind.eq(kind))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(notifications::status_id.eq(status));
    }
    query.execute(conn).await?;
    Ok(())
}

/// Notifications from hosts the recipient blocked stay hidden (the block may be newer than they are).
fn not_from_blocked_domain() -> String {
    crate::account_domain_blocks::account_not_blocked_sql("notifications.from_account_id", "notifications.account_id")
}

/// Whether `recipient` blocked the host `from` is on.
async fn from_blocked_domain(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
) -> Result<bool, StoreError> {
    use diesel::sql_types::{BigInt, Bool};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bool)]
        allowed: bool,
    }
    let sql = format!("SELECT {} AS allowed", crate::account_domain_blocks::account_not_blocked_sql("$2", "$1"));
    let row: Row =
        diesel::sql_query(sql).bind::<BigInt, _>(recipient.0).bind::<BigInt, _>(from.0).get_result(conn).await?;
    Ok(!row.allowed)
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    types: &[String],
    exclude_types: &[String],
    from_account: Option<AccountId>,
    page: Page,
) -> Result<Vec<Notification>, StoreError> {
    let types = if types.is_empty() { None } else { Some(types.to_vec()) };
    let browse = Browse { types, exclude_types: exclude_types.to_vec(), from_account, include_filtered: false };
    list_browsing(conn, recipient, &browse, page).await
}

/// Which notifications a list shows (Mastodon's `Notification.browserable`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Browse {
    /// Only these types (`Some(empty)`: none at all); `None`: every type.
    pub types: Option<Vec<String>>,
    pub exclude_types: Vec<String>,
    pub from_account: Option<AccountId>,
    /// Also those held in requests (they are, too, when asking for one sender's).
    pub include_filtered: bool,
}

/// The browsing conditions of `browse`, on `notifications` of `recipient`.
pub(crate) fn browsing<'a>(
    recipient: AccountId,
    browse: &Browse,
) -> notifications::BoxedQuery<
    'a,
    diesel::pg::Pg,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Notification, diesel::pg::Pg>>,
> {
    let mut query = notifications::table
        .filter(notifications::account_id.eq(recipient))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&not_from_blocked_domain()))
        .select(Notification::as_select())
        .into_boxed();
    if let Some(types) = &browse.types {
        query = query.filter(notifications::kind.eq_any(types.clone()));
    }
    if !browse.exclude_types.is_empty() {
        query = query.filter(notifications::kind.ne_all(browse.exclude_types.clone()));
    }
    if let Some(from) = browse.from_account {
        query = query.filter(notifications::from_account_id.eq(from));
    }
    if !browse.include_filtered && browse.from_account.is_none() {
        let held = crate::notification_requests::held_sql("notifications.id");
        query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("NOT {held}")));
    }
    query
}

/// A page of `recipient`'s notifications as `browse` asks.
pub async fn list_browsing(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    browse: &Browse,
    page: Page,
) -> Result<Vec<Notification>, StoreError> {
    let query = browsing(recipient, browse);
    let query = page_filter!(query, notifications::id, page);
    let mut rows: Vec<Notification> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// How many of `recipient`'s notifications `browse` shows are newer than `after`, counting up to `limit`.
pub async fn count_newer(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    browse: &Browse,
    after: Option<i64>,
    limit: i64,
) -> Result<i64, StoreError> {
    let mut query = browsing(recipient, browse);
    if let Some(after) = after {
        query = query.filter(notifications::id.gt(after));
    }
    let ids: Vec<Notification> = query.order(notifications::id.asc()).limit(limit).load(conn).await?;
    Ok(ids.len() as i64)
}

pub async fn get(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    id: NotificationId,
) -> Result<Option<Notification>, StoreError> {
    Ok(notifications::table
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::id.eq(id))
        .select(Notification::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Dismisses one notification of `recipient`; whether it existed.
pub async fn dismiss(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    id: NotificationId,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        notifications::table.filter(notifications::account_id.eq(recipient)).filter(notifications::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

pub async fn clear(conn: &mut AsyncPgConnection, recipient: AccountId) -> Result<(), StoreError> {
    diesel::delete(notifications::table.filter(notifications::account_id.eq(recipient))).execute(conn).await?;
    Ok(())
}
