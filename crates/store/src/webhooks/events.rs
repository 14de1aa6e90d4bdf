//! The events Kererū emits to provider webhooks, each a function that builds
//! its `data` and calls [`super::enqueue`] on the caller's connection (inside
//! the caller's transaction where there is one). Every tenant event names the
//! tenant by its account host (`tenant`, as the provider API's paths do) and
//! id (`tenant_id`, a string).

use super::{Enqueued, enqueue};
use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::domains;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

pub const TENANT_SUSPENDED: &str = "tenant.suspended";
pub const TENANT_DNS_READY: &str = "tenant.dns_ready";
pub const TENANT_CERTIFICATE_ISSUED: &str = "tenant.certificate_issued";
pub const REPORT_CREATED: &str = "report.created";
pub const QUOTA_EXCEEDED: &str = "quota.exceeded";

/// The account host of tenant `id`, if it exists.
async fn account_host(conn: &mut AsyncPgConnection, id: DomainId) -> Result<Option<String>, StoreError> {
    Ok(domains::table.find(id.0).select(domains::account_host).first(conn).await.optional()?)
}

#[derive(QueryableByName)]
struct HostTenant {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    account_host: String,
}

/// The tenant (id, account host) that answers on `host`.
async fn tenant_of_host(conn: &mut AsyncPgConnection, host: &str) -> Result<Option<(i64, String)>, StoreError> {
    let mut rows: Vec<HostTenant> = diesel::sql_query(
        "SELECT d.id, d.account_host FROM domain_hosts h JOIN domains d ON d.id = h.domain_id WHERE h.host = $1",
    )
    .bind::<Text, _>(host)
    .load(conn)
    .await?;
    Ok(rows.pop().map(|r| (r.id, r.account_host)))
}

/// `tenant.suspended`: tenant `id` was suspended (by the command line, a host
/// admin's page or the provider API, a deletion through the API included).
/// `reason` is `suspend` (room for finer reasons later).
pub async fn tenant_suspended(
    conn: &mut AsyncPgConnection,
    id: DomainId,
    reason: &str,
) -> Result<Enqueued, StoreError> {
    let Some(host) = account_host(conn, id).await? else { return Ok(Enqueued { event: None, deliveries: 0 }) };
    enqueue(conn, TENANT_SUSPENDED, &json!({ "tenant": host, "tenant_id": id.0.to_string(), "reason": reason })).await
}

/// `report.created`: report `report_id` was filed with tenant `tenant`, by one
/// of its people or (`remote`) by another server. Who reported and what they
/// wrote stay with the tenant's moderators.
pub async fn report_created(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    report_id: i64,
    category: &str,
    remote: bool,
) -> Result<Enqueued, StoreError> {
    let Some(host) = account_host(conn, tenant).await? else { return Ok(Enqueued { event: None, deliveries: 0 }) };
    let data = json!({
        "tenant": host,
        "tenant_id": tenant.0.to_string(),
        "report_id": report_id.to_string(),
        "category": category,
        "origin": if remote { "remote" } else { "local" },
    });
    enqueue(conn, REPORT_CREATED, &data).await
}

/// `tenant.dns_ready`: the DNS check for `host` (one of a tenant's hosts)
/// passed. Fires once per host: the first pass is recorded in
/// `tenant_dns_ready` in the same transaction as the event. `addresses` are
/// what the records name (empty and `checked` false when this host has no
/// `[acme] public_addresses` to compare with). True when it fired now.
pub async fn dns_ready(
    conn: &mut AsyncPgConnection,
    host: &str,
    addresses: &[String],
    checked: bool,
) -> Result<bool, StoreError> {
    let (host, addresses) = (host.to_string(), addresses.to_vec());
    conn.transaction(async |conn| {
        let Some((tenant_id, tenant)) = tenant_of_host(conn, &host).await? else { return Ok(false) };
        let inserted = diesel::sql_query("INSERT INTO tenant_dns_ready (host) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind::<Text, _>(&host)
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Ok(false);
        }
        let data = json!({
            "tenant": tenant,
            "tenant_id": tenant_id.to_string(),
            "host": host,
            "addresses": addresses,
            "checked": checked,
        });
        enqueue(conn, TENANT_DNS_READY, &data).await?;
        Ok(true)
    })
    .await
}

/// `tenant.certificate_issued`: a new certificate for `host` was stored
/// (`renewal` when it replaced one). Called in the transaction that stores it.
pub async fn certificate_issued(
    conn: &mut AsyncPgConnection,
    host: &str,
    not_after: DateTime<Utc>,
    renewal: bool,
) -> Result<Enqueued, StoreError> {
    let Some((tenant_id, tenant)) = tenant_of_host(conn, host).await? else {
        return Ok(Enqueued { event: None, deliveries: 0 });
    };
    let data = json!({
        "tenant": tenant,
        "tenant_id": tenant_id.to_string(),
        "host": host,
        "not_after": not_after.to_rfc3339_opts(SecondsFormat::Secs, true),
        "renewal": renewal,
    });
    enqueue(conn, TENANT_CERTIFICATE_ISSUED, &data).await
}

/// `quota.exceeded`: tenant `tenant` was refused something past its `quota`
/// (`posts_per_day`, `max_accounts`, ...) of `limit`. At most once a day per
/// tenant and quota (recorded in `quota_exceeded_notices`). Call it on a
/// connection outside the refused action's transaction, which rolls back
/// (this opens its own). True when it fired now.
pub async fn quota_exceeded(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    quota: &str,
    limit: i64,
) -> Result<bool, StoreError> {
    let quota = quota.to_string();
    conn.transaction(async |conn| {
        let Some(host) = account_host(conn, tenant).await? else { return Ok(false) };
        let today = Utc::now().date_naive();
        let inserted = diesel::sql_query(
            "INSERT INTO quota_exceeded_notices (domain_id, quota, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind::<diesel::sql_types::BigInt, _>(tenant.0)
        .bind::<Text, _>(&quota)
        .bind::<Date, _>(today)
        .execute(conn)
        .await?;
        if inserted == 0 {
            return Ok(false);
        }
        let data = json!({
            "tenant": host,
            "tenant_id": tenant.0.to_string(),
            "quota": quota,
            "limit": limit,
        });
        enqueue(conn, QUOTA_EXCEEDED, &data).await?;
        Ok(true)
    })
    .await
}
