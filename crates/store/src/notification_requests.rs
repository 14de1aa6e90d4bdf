//! Notification requests: the notifications a person's policy filtered, held
//! per sender until the person accepts (they join the others, and the sender
//! is let through from then on) or dismisses them (they go).

use crate::error::StoreError;
use crate::ids::{AccountId, NotificationId, StatusId, next_id};
use crate::page::Page;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// `pending_requests_count` is capped (Mastodon's `MAX_PENDING_REQUESTS`).
pub const MAX_PENDING_REQUESTS: i64 = 100;

/// SQL: notification `n` is held in a request (filtered out of lists, counts and streams).
pub fn held_sql(column: &str) -> String {
    format!("EXISTS (SELECT 1 FROM filtered_notifications fn WHERE fn.notification_id = {column})")
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Request {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub from_account_id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    /// How many notifications it holds.
    #[diesel(sql_type = BigInt)]
    pub notifications_count: i64,
    /// The newest status among them.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub last_status_id: Option<i64>,
}

/// Holds the new notification `id` from `from` in `recipient`'s request for that sender.
pub async fn hold(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
    id: NotificationId,
) -> Result<(), StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let request: Row = diesel::sql_query(
        "INSERT INTO notification_requests (id, domain_id, account_id, from_account_id) \
         SELECT $3, a.domain_id, a.id, $2 FROM accounts a WHERE a.id = $1 AND a.domain_id IS NOT NULL \
         ON CONFLICT (account_id, from_account_id) DO UPDATE SET updated_at = now() RETURNING id",
    )
    .bind::<BigInt, _>(recipient.0)
    .bind::<BigInt, _>(from.0)
    .bind::<BigInt, _>(next_id())
    .get_result(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO filtered_notifications (notification_id, domain_id, request_id) \
         SELECT $1, r.domain_id, r.id FROM notification_requests r WHERE r.id = $2",
    )
    .bind::<BigInt, _>(id.0)
    .bind::<BigInt, _>(request.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The columns of a [`Request`], for `notification_requests r` of the person `$1` on tenant `$2`;
/// only requests still holding something.
const SELECT: &str = "SELECT r.id, r.from_account_id, r.created_at, r.updated_at, \
         (SELECT count(*) FROM filtered_notifications fn WHERE fn.request_id = r.id) AS notifications_count, \
         (SELECT n.status_id FROM filtered_notifications fn JOIN notifications n ON n.id = fn.notification_id \
             WHERE fn.request_id = r.id AND n.status_id IS NOT NULL ORDER BY n.id DESC LIMIT 1) AS last_status_id \
     FROM notification_requests r \
     WHERE r.account_id = $1 AND r.domain_id = $2 \
       AND EXISTS (SELECT 1 FROM filtered_notifications fn WHERE fn.request_id = r.id)";

/// The person's requests, newest first, paged by id.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: crate::ids::DomainId,
    recipient: AccountId,
    page: Page,
) -> Result<Vec<Request>, StoreError> {
    let (conditions, order, params) = page.sql("r.id", 3);
    let mut sql = SELECT.to_string();
    for condition in conditions {
        sql.push_str(" AND ");
        sql.push_str(&condition);
    }
    sql.push_str(&format!(" ORDER BY r.id {order} LIMIT {}", page.limit));
    let mut query = diesel::sql_query(sql).into_boxed().bind::<BigInt, _>(recipient.0).bind::<BigInt, _>(tenant.0);
    for param in params {
        query = query.bind::<BigInt, _>(param);
    }
    let mut rows: Vec<Request> = query.load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// One of the person's requests.
pub async fn get(
    conn: &mut AsyncPgConnection,
    tenant: crate::ids::DomainId,
    recipient: AccountId,
    id: i64,
) -> Result<Option<Request>, StoreError> {
    Ok(diesel::sql_query(format!("{SELECT} AND r.id = $3"))
        .bind::<BigInt, _>(recipient.0)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .await
        .optional()?)
}

/// Which of `ids` are the person's requests (others' and unknown ids are left out).
pub async fn own(
    conn: &mut AsyncPgConnection,
    tenant: crate::ids::DomainId,
    recipient: AccountId,
    ids: &[i64],
) -> Result<Vec<Request>, StoreError> {
    Ok(diesel::sql_query(format!("{SELECT} AND r.id = ANY($3)"))
        .bind::<BigInt, _>(recipient.0)
        .bind::<BigInt, _>(tenant.0)
        .bind::<Array<BigInt>, _>(ids)
        .load(conn)
        .await?)
}

/// Accepts a request: its notifications join the others and its sender is let through from now on.
pub async fn accept(conn: &mut AsyncPgConnection, recipient: AccountId, request: &Request) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO notification_permissions (account_id, from_account_id, domain_id) \
         SELECT r.account_id, r.from_account_id, r.domain_id FROM notification_requests r \
         WHERE r.id = $1 AND r.account_id = $2 ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(request.id)
    .bind::<BigInt, _>(recipient.0)
    .execute(conn)
    .await?;
    // The marks go with the request (ON DELETE CASCADE); the notifications stay.
    delete_request(conn, recipient, request.id).await
}

/// Dismisses a request: it goes, and the notifications it held with it.
pub async fn dismiss(conn: &mut AsyncPgConnection, recipient: AccountId, request: &Request) -> Result<(), StoreError> {
    diesel::sql_query(
        "DELETE FROM notifications n USING filtered_notifications fn, notification_requests r \
         WHERE fn.notification_id = n.id AND fn.request_id = r.id AND r.id = $1 AND r.account_id = $2 \
           AND n.account_id = $2",
    )
    .bind::<BigInt, _>(request.id)
    .bind::<BigInt, _>(recipient.0)
    .execute(conn)
    .await?;
    delete_request(conn, recipient, request.id).await
}

async fn delete_request(conn: &mut AsyncPgConnection, recipient: AccountId, id: i64) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM notification_requests WHERE id = $1 AND account_id = $2")
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(recipient.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// `summary` of a policy: senders with held notifications (capped) and how many are held.
pub async fn summary(
    conn: &mut AsyncPgConnection,
    tenant: crate::ids::DomainId,
    recipient: AccountId,
) -> Result<(i64, i64), StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        requests: i64,
        #[diesel(sql_type = BigInt)]
        notifications: i64,
    }
    let row: Row = diesel::sql_query(
        "SELECT count(DISTINCT fn.request_id) AS requests, count(*) AS notifications \
         FROM filtered_notifications fn JOIN notification_requests r ON r.id = fn.request_id \
         WHERE r.account_id = $1 AND r.domain_id = $2 AND fn.domain_id = $2",
    )
    .bind::<BigInt, _>(recipient.0)
    .bind::<BigInt, _>(tenant.0)
    .get_result(conn)
    .await?;
    Ok((row.requests.min(MAX_PENDING_REQUESTS), row.notifications))
}

/// The status ids of the requests' newest statuses, for rendering.
pub fn last_statuses(requests: &[Request]) -> Vec<StatusId> {
    requests.iter().filter_map(|r| r.last_status_id).map(StatusId).collect()
}
