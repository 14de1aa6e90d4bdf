//! What a tenant uses: the figures a provider meters and bills by, read
//! from the tables and from counters kept cheaply where the work happens
//! (`tenant_storage`, `tenant_post_counts`, `tenant_traffic`).

use crate::error::StoreError;
use crate::ids::DomainId;
use diesel::sql_types::{Array, BigInt};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One tenant's usage now. Traffic windows are whole hours: "24 h" is the
/// current hour and the 23 before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Local accounts with a login.
    pub accounts: i64,
    /// Signed in (or signed up) in the last 30 days.
    pub monthly_active_users: i64,
    /// Local statuses, boosts not counted.
    pub statuses: i64,
    /// Local posts today (UTC), as the posts_per_day quota counts them.
    pub posts_today: i64,
    /// Bytes of stored media (attachments), as the media_storage_bytes quota counts them.
    pub storage_bytes: i64,
    /// Accounts on other servers followed (or asked to be).
    pub remote_follows: i64,
    pub deliveries_24h: i64,
    pub deliveries_30d: i64,
    pub inbound_24h: i64,
    pub inbound_30d: i64,
}

#[derive(diesel::QueryableByName)]
struct Figures {
    #[diesel(sql_type = BigInt)]
    posts_today: i64,
    #[diesel(sql_type = BigInt)]
    storage_bytes: i64,
    #[diesel(sql_type = BigInt)]
    deliveries_24h: i64,
    #[diesel(sql_type = BigInt)]
    deliveries_30d: i64,
    #[diesel(sql_type = BigInt)]
    inbound_24h: i64,
    #[diesel(sql_type = BigInt)]
    inbound_30d: i64,
}

/// The usage of `domain`.
pub async fn of(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Usage, StoreError> {
    let people = crate::accounts::usage(conn, domain).await?;
    let remote_follows = crate::quotas::remote_follows(conn, domain).await?;
    let figures: Figures = diesel::sql_query(
        "SELECT
           coalesce((SELECT posts FROM tenant_post_counts
                     WHERE domain_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date), 0)::bigint AS posts_today,
           coalesce((SELECT bytes FROM tenant_storage WHERE domain_id = $1), 0)::bigint AS storage_bytes,
           coalesce(sum(deliveries) FILTER (WHERE hour > now() - interval '24 hours'), 0)::bigint AS deliveries_24h,
           coalesce(sum(deliveries), 0)::bigint AS deliveries_30d,
           coalesce(sum(inbound) FILTER (WHERE hour > now() - interval '24 hours'), 0)::bigint AS inbound_24h,
           coalesce(sum(inbound), 0)::bigint AS inbound_30d
         FROM tenant_traffic WHERE domain_id = $1 AND hour > now() - interval '30 days'",
    )
    .bind::<BigInt, _>(domain.0)
    .get_result(conn)
    .await?;
    Ok(Usage {
        accounts: people.users_total,
        monthly_active_users: people.active_month,
        statuses: people.local_posts,
        posts_today: figures.posts_today,
        storage_bytes: figures.storage_bytes,
        remote_follows,
        deliveries_24h: figures.deliveries_24h,
        deliveries_30d: figures.deliveries_30d,
        inbound_24h: figures.inbound_24h,
        inbound_30d: figures.inbound_30d,
    })
}

/// Counts one delivery attempt per claimed row, for the tenant of each
/// row's sender: one statement per claim (`activities` holds each claimed
/// row's activity id, repeated as often as claimed).
pub async fn count_deliveries(conn: &mut AsyncPgConnection, activities: &[i64]) -> Result<(), StoreError> {
    if activities.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO tenant_traffic (domain_id, hour, deliveries)
         SELECT a.domain_id, date_trunc('hour', now()), count(*)
         FROM unnest($1::bigint[]) AS c (activity_id)
         JOIN delivery_activities da ON da.id = c.activity_id
         JOIN accounts a ON a.id = da.account_id
         WHERE a.domain_id IS NOT NULL
         GROUP BY a.domain_id ORDER BY a.domain_id
         ON CONFLICT (domain_id, hour) DO UPDATE SET deliveries = tenant_traffic.deliveries + EXCLUDED.deliveries",
    )
    .bind::<Array<BigInt>, _>(activities)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes traffic counters older than 31 days and post counters older than
/// two days (nothing reads them), a bounded batch each.
pub async fn prune(conn: &mut AsyncPgConnection) -> Result<usize, StoreError> {
    let traffic = diesel::sql_query(
        "DELETE FROM tenant_traffic WHERE (domain_id, hour) IN
           (SELECT domain_id, hour FROM tenant_traffic WHERE hour < now() - interval '31 days' LIMIT 1000)",
    )
    .execute(conn)
    .await?;
    let posts = diesel::sql_query(
        "DELETE FROM tenant_post_counts WHERE (domain_id, day) IN
           (SELECT domain_id, day FROM tenant_post_counts
            WHERE day < (now() AT TIME ZONE 'UTC')::date - 2 LIMIT 1000)",
    )
    .execute(conn)
    .await?;
    Ok(traffic + posts)
}
