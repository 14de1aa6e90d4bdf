//! The ACME tables (migration `2026-11-25-000020_acme`): account,
//! certificates, pending challenges, per-host issuance state, order log.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bytea, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

pub type DbResult<T> = Result<T, diesel::result::Error>;

#[derive(Debug, Clone, QueryableByName)]
pub struct StoredCert {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = Text)]
    pub chain_pem: String,
    #[diesel(sql_type = Bytea)]
    pub key_pkcs8: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    pub not_before: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub not_after: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub issued_at: DateTime<Utc>,
    /// The renewal time picked from the CA's ARI window, if it suggested one.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub ari_renew_at: Option<DateTime<Utc>>,
}

const CERT_COLUMNS: &str = "host, chain_pem, key_pkcs8, not_before, not_after, issued_at, ari_renew_at";

/// Certificates issued at or after `since` (all of them for `None`).
pub async fn certificates_since(
    conn: &mut AsyncPgConnection,
    since: Option<DateTime<Utc>>,
) -> DbResult<Vec<StoredCert>> {
    match since {
        Some(since) => {
            diesel::sql_query(format!(
                "SELECT {CERT_COLUMNS} FROM acme_certificates WHERE issued_at >= $1 ORDER BY issued_at"
            ))
            .bind::<Timestamptz, _>(since)
            .load(conn)
            .await
        }
        None => {
            diesel::sql_query(format!("SELECT {CERT_COLUMNS} FROM acme_certificates ORDER BY issued_at"))
                .load(conn)
                .await
        }
    }
}

pub async fn certificate(conn: &mut AsyncPgConnection, host: &str) -> DbResult<Option<StoredCert>> {
    let mut rows: Vec<StoredCert> =
        diesel::sql_query(format!("SELECT {CERT_COLUMNS} FROM acme_certificates WHERE host = $1"))
            .bind::<Text, _>(host)
            .load(conn)
            .await?;
    Ok(rows.pop())
}

/// Stores (or replaces) `host`'s certificate and announces it on
/// [`crate::notify::CHANNEL`] in the same transaction, so listeners hear of
/// it exactly when it is visible. `issued_at` is the database's clock, so
/// every node's "since" comparisons use one clock.
pub async fn save_certificate(
    conn: &mut AsyncPgConnection,
    host: &str,
    chain_pem: &str,
    key_pkcs8: &[u8],
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> DbResult<()> {
    use diesel_async::AsyncConnection;
    let (host, chain_pem, key_pkcs8) = (host.to_string(), chain_pem.to_string(), key_pkcs8.to_vec());
    conn.transaction(async |conn| {
        let renewal = certificate(conn, &host).await?.is_some();
        insert_certificate(conn, &host, &chain_pem, &key_pkcs8, not_before, not_after).await?;
        // The provider's `tenant.certificate_issued`, committed with the certificate.
        kereru_store::webhooks::events::certificate_issued(conn, &host, not_after, renewal)
            .await
            .map_err(store_error)?;
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(crate::notify::CHANNEL)
            .bind::<Text, _>(&host)
            .execute(conn)
            .await
            .map(drop)
    })
    .await
}

/// A store function's error as this module's.
fn store_error(error: kereru_store::StoreError) -> diesel::result::Error {
    match error {
        kereru_store::StoreError::Database(error) => error,
        other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
    }
}

async fn insert_certificate(
    conn: &mut AsyncPgConnection,
    host: &str,
    chain_pem: &str,
    key_pkcs8: &[u8],
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> DbResult<()> {
    diesel::sql_query(
        "INSERT INTO acme_certificates (host, chain_pem, key_pkcs8, not_before, not_after, issued_at)
         VALUES ($1, $2, $3, $4, $5, clock_timestamp())
         ON CONFLICT (host) DO UPDATE SET chain_pem = EXCLUDED.chain_pem, key_pkcs8 = EXCLUDED.key_pkcs8,
           not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after, issued_at = EXCLUDED.issued_at,
           ari_renew_at = NULL, ari_next_check = NULL",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(chain_pem)
    .bind::<Bytea, _>(key_pkcs8)
    .bind::<Timestamptz, _>(not_before)
    .bind::<Timestamptz, _>(not_after)
    .execute(conn)
    .await
    .map(drop)
}

#[derive(Debug, QueryableByName)]
struct HostRow {
    #[diesel(sql_type = Text)]
    host: String,
}

/// Every host name of every active tenant: the only names certificates are ever ordered for.
pub async fn active_hosts(conn: &mut AsyncPgConnection) -> DbResult<Vec<String>> {
    let rows: Vec<HostRow> = diesel::sql_query(
        "SELECT h.host FROM domain_hosts h JOIN domains d ON d.id = h.domain_id WHERE d.state = 'active' ORDER BY h.host",
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.host).collect())
}

/// An active host with what the issuer needs to decide whether it is due.
#[derive(Debug, Clone, QueryableByName)]
pub struct HostStatus {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub not_before: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub not_after: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub ari_renew_at: Option<DateTime<Utc>>,
}

pub async fn active_host_status(conn: &mut AsyncPgConnection) -> DbResult<Vec<HostStatus>> {
    diesel::sql_query(
        "SELECT h.host, c.not_before, c.not_after, i.next_attempt_at, c.ari_renew_at
         FROM domain_hosts h JOIN domains d ON d.id = h.domain_id
         LEFT JOIN acme_certificates c ON c.host = h.host
         LEFT JOIN acme_issuance i ON i.host = h.host
         WHERE d.state = 'active' ORDER BY h.host",
    )
    .load(conn)
    .await
}

/// [`HostStatus`] of hosts that are not tenants' (the provider host).
pub async fn host_status(conn: &mut AsyncPgConnection, hosts: &[String]) -> DbResult<Vec<HostStatus>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT h.host, c.not_before, c.not_after, i.next_attempt_at, c.ari_renew_at
         FROM unnest($1::text[]) AS h(host)
         LEFT JOIN acme_certificates c ON c.host = h.host
         LEFT JOIN acme_issuance i ON i.host = h.host
         ORDER BY h.host",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(hosts)
    .load(conn)
    .await
}

/// A stored certificate whose renewal information is to be asked for.
#[derive(Debug, Clone, QueryableByName)]
pub struct AriCheck {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = Text)]
    pub chain_pem: String,
    #[diesel(sql_type = Timestamptz)]
    pub issued_at: DateTime<Utc>,
}

/// Up to `limit` certificates of active hosts due for an ARI check, each
/// claimed for `claim_seconds` (so that issuing nodes do not all ask at once,
/// and a failed check is retried after that).
pub async fn claim_ari_checks(conn: &mut AsyncPgConnection, limit: i64, claim_seconds: i64) -> DbResult<Vec<AriCheck>> {
    diesel::sql_query(
        "UPDATE acme_certificates SET ari_next_check = now() + make_interval(secs => $2)
         WHERE host IN (
           SELECT c.host FROM acme_certificates c
           JOIN domain_hosts h ON h.host = c.host JOIN domains d ON d.id = h.domain_id
           WHERE d.state = 'active' AND (c.ari_next_check IS NULL OR c.ari_next_check <= now())
           ORDER BY c.ari_next_check NULLS FIRST, c.host LIMIT $1
           FOR UPDATE OF c SKIP LOCKED)
         RETURNING host, chain_pem, issued_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(claim_seconds)
    .load(conn)
    .await
}

/// Records what the CA said about the certificate of `host` issued at
/// `issued_at` (nothing happens if it was replaced meanwhile): the renewal
/// time picked from its window (`None`: no suggestion) and when to ask again.
pub async fn set_ari(
    conn: &mut AsyncPgConnection,
    host: &str,
    issued_at: DateTime<Utc>,
    renew_at: Option<DateTime<Utc>>,
    next_check_seconds: i64,
) -> DbResult<()> {
    diesel::sql_query(
        "UPDATE acme_certificates SET ari_renew_at = $3, ari_next_check = now() + make_interval(secs => $4)
         WHERE host = $1 AND issued_at = $2",
    )
    .bind::<Text, _>(host)
    .bind::<Timestamptz, _>(issued_at)
    .bind::<Nullable<Timestamptz>, _>(renew_at)
    .bind::<BigInt, _>(next_check_seconds)
    .execute(conn)
    .await
    .map(drop)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Challenge {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = Text)]
    pub token: String,
    #[diesel(sql_type = Text)]
    pub key_authorization: String,
}

/// Unexpired challenges of one kind (`http-01` or `tls-alpn-01`).
pub async fn challenges(conn: &mut AsyncPgConnection, kind: &str) -> DbResult<Vec<Challenge>> {
    diesel::sql_query(
        "SELECT host, token, key_authorization FROM acme_challenges WHERE kind = $1 AND expires_at > now() ORDER BY id",
    )
    .bind::<Text, _>(kind)
    .load(conn)
    .await
}

/// The key authorization answering HTTP-01 `token` for `host`, while pending.
pub async fn http_challenge(conn: &mut AsyncPgConnection, host: &str, token: &str) -> DbResult<Option<String>> {
    let mut rows: Vec<Challenge> = diesel::sql_query(
        "SELECT host, token, key_authorization FROM acme_challenges
         WHERE kind = 'http-01' AND token = $1 AND host = $2 AND expires_at > now()",
    )
    .bind::<Text, _>(token)
    .bind::<Text, _>(host)
    .load(conn)
    .await?;
    Ok(rows.pop().map(|c| c.key_authorization))
}

pub async fn put_challenge(
    conn: &mut AsyncPgConnection,
    host: &str,
    kind: &str,
    token: &str,
    key_authorization: &str,
    ttl_seconds: i64,
) -> DbResult<()> {
    diesel::sql_query(
        "INSERT INTO acme_challenges (host, kind, token, key_authorization, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (token) DO UPDATE SET key_authorization = EXCLUDED.key_authorization, expires_at = EXCLUDED.expires_at",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(token)
    .bind::<Text, _>(key_authorization)
    .bind::<BigInt, _>(ttl_seconds)
    .execute(conn)
    .await
    .map(drop)
}

/// Removes `host`'s challenges, and any expired ones.
pub async fn delete_challenges(conn: &mut AsyncPgConnection, host: &str) -> DbResult<()> {
    diesel::sql_query("DELETE FROM acme_challenges WHERE host = $1 OR expires_at < now()")
        .bind::<Text, _>(host)
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Debug, QueryableByName)]
struct CredentialsRow {
    #[diesel(sql_type = Text)]
    credentials: String,
}

pub async fn account(conn: &mut AsyncPgConnection, directory: &str) -> DbResult<Option<String>> {
    let mut rows: Vec<CredentialsRow> = diesel::sql_query("SELECT credentials FROM acme_accounts WHERE directory = $1")
        .bind::<Text, _>(directory)
        .load(conn)
        .await?;
    Ok(rows.pop().map(|r| r.credentials))
}

/// Stores the account unless another node stored one first; returns the one stored.
pub async fn put_account(conn: &mut AsyncPgConnection, directory: &str, credentials: &str) -> DbResult<String> {
    diesel::sql_query(
        "INSERT INTO acme_accounts (directory, credentials) VALUES ($1, $2) ON CONFLICT (directory) DO NOTHING",
    )
    .bind::<Text, _>(directory)
    .bind::<Text, _>(credentials)
    .execute(conn)
    .await?;
    Ok(account(conn, directory).await?.unwrap_or_else(|| credentials.to_string()))
}

/// Takes the issuing lease on `host` for `ttl_seconds`, if no other node
/// holds a live one and its back-off has passed. True when taken.
pub async fn try_lease(conn: &mut AsyncPgConnection, host: &str, node: &str, ttl_seconds: i64) -> DbResult<bool> {
    diesel::sql_query("INSERT INTO acme_issuance (host) VALUES ($1) ON CONFLICT (host) DO NOTHING")
        .bind::<Text, _>(host)
        .execute(conn)
        .await?;
    let taken = diesel::sql_query(
        "UPDATE acme_issuance SET lease_owner = $2, lease_until = now() + make_interval(secs => $3), last_attempt_at = now()
         WHERE host = $1 AND (lease_until IS NULL OR lease_until < now())
           AND (next_attempt_at IS NULL OR next_attempt_at <= now())",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(node)
    .bind::<BigInt, _>(ttl_seconds)
    .execute(conn)
    .await?;
    Ok(taken == 1)
}

/// Gives the lease back after success: failures forgotten.
pub async fn release_success(conn: &mut AsyncPgConnection, host: &str, node: &str) -> DbResult<()> {
    diesel::sql_query(
        "UPDATE acme_issuance SET lease_owner = NULL, lease_until = NULL, failures = 0, next_attempt_at = NULL, last_error = NULL
         WHERE host = $1 AND lease_owner = $2",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(node)
    .execute(conn)
    .await
    .map(drop)
}

/// Gives the lease back without trying (the certificate was fine after all).
pub async fn release_unused(conn: &mut AsyncPgConnection, host: &str, node: &str) -> DbResult<()> {
    diesel::sql_query(
        "UPDATE acme_issuance SET lease_owner = NULL, lease_until = NULL WHERE host = $1 AND lease_owner = $2",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(node)
    .execute(conn)
    .await
    .map(drop)
}

/// Gives the lease back after a failure: one more failure, the next attempt
/// after the back-off it earns, the reason in words.
pub async fn release_failure(conn: &mut AsyncPgConnection, host: &str, node: &str, error: &str) -> DbResult<()> {
    let failures = failures(conn, host).await? + 1;
    let wait = crate::settings::backoff(failures).as_secs() as i64;
    let error: String = error.chars().take(2000).collect();
    diesel::sql_query(
        "UPDATE acme_issuance SET lease_owner = NULL, lease_until = NULL, failures = $3,
           next_attempt_at = now() + make_interval(secs => $4), last_error = $5
         WHERE host = $1 AND lease_owner = $2",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(node)
    .bind::<Integer, _>(failures)
    .bind::<BigInt, _>(wait)
    .bind::<Text, _>(error)
    .execute(conn)
    .await
    .map(drop)
}

/// Records a problem found outside an order (a corrupt stored certificate).
pub async fn note_problem(conn: &mut AsyncPgConnection, host: &str, problem: &str) -> DbResult<()> {
    diesel::sql_query(
        "INSERT INTO acme_issuance (host, last_error) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM domain_hosts WHERE host = $1)
         ON CONFLICT (host) DO UPDATE SET last_error = EXCLUDED.last_error",
    )
    .bind::<Text, _>(host)
    .bind::<Text, _>(problem)
    .execute(conn)
    .await
    .map(drop)
}

#[derive(Debug, QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn failures(conn: &mut AsyncPgConnection, host: &str) -> DbResult<i32> {
    let rows: Vec<CountRow> = diesel::sql_query("SELECT failures::bigint AS n FROM acme_issuance WHERE host = $1")
        .bind::<Text, _>(host)
        .load(conn)
        .await?;
    Ok(rows.as_slice().first().map(|r| r.n as i32).unwrap_or(0))
}

/// Records an order placed by `node`; the global rate limit counts these.
pub async fn record_order(conn: &mut AsyncPgConnection, host: &str, node: &str) -> DbResult<i64> {
    let rows: Vec<CountRow> =
        diesel::sql_query("INSERT INTO acme_orders (host, node) VALUES ($1, $2) RETURNING id AS n")
            .bind::<Text, _>(host)
            .bind::<Text, _>(node)
            .load(conn)
            .await?;
    Ok(rows.as_slice().first().map(|r| r.n).unwrap_or(0))
}

/// Records an order for `host` unless all nodes together placed `limit`
/// in the last hour; the id, or `None` at the limit. Count and insert run
/// under one transaction-scoped advisory lock, so nodes never overshoot.
pub async fn reserve_order(conn: &mut AsyncPgConnection, host: &str, node: &str, limit: u32) -> DbResult<Option<i64>> {
    use diesel_async::AsyncConnection;
    let host = host.to_string();
    let node = node.to_string();
    conn.transaction(async |conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('kereru-acme-orders'))").execute(conn).await?;
        if orders_last_hour(conn).await? >= i64::from(limit) {
            return Ok(None);
        }
        record_order(conn, &host, &node).await.map(Some)
    })
    .await
}

/// How an order ended, in words (`issued by http-01`, or the error).
pub async fn finish_order(conn: &mut AsyncPgConnection, id: i64, outcome: &str) -> DbResult<()> {
    let outcome: String = outcome.chars().take(2000).collect();
    diesel::sql_query("UPDATE acme_orders SET outcome = $2 WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(outcome)
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct OrderRecord {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = Text)]
    pub node: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
}

/// Every order placed, oldest first.
pub async fn orders(conn: &mut AsyncPgConnection) -> DbResult<Vec<OrderRecord>> {
    diesel::sql_query("SELECT host, node, outcome FROM acme_orders ORDER BY id").load(conn).await
}

/// Orders placed by all nodes in the last hour.
pub async fn orders_last_hour(conn: &mut AsyncPgConnection) -> DbResult<i64> {
    let rows: Vec<CountRow> =
        diesel::sql_query("SELECT count(*) AS n FROM acme_orders WHERE placed_at > now() - interval '1 hour'")
            .load(conn)
            .await?;
    Ok(rows.as_slice().first().map(|r| r.n).unwrap_or(0))
}

/// Orders ever placed for `host` (tests and `domain show`).
pub async fn orders_for(conn: &mut AsyncPgConnection, host: &str) -> DbResult<i64> {
    let rows: Vec<CountRow> = diesel::sql_query("SELECT count(*) AS n FROM acme_orders WHERE host = $1")
        .bind::<Text, _>(host)
        .load(conn)
        .await?;
    Ok(rows.as_slice().first().map(|r| r.n).unwrap_or(0))
}

pub async fn orders_total(conn: &mut AsyncPgConnection) -> DbResult<i64> {
    let rows: Vec<CountRow> = diesel::sql_query("SELECT count(*) AS n FROM acme_orders").load(conn).await?;
    Ok(rows.as_slice().first().map(|r| r.n).unwrap_or(0))
}

/// What `kereru domain show` says about a host's certificate.
#[derive(Debug, Clone, QueryableByName)]
pub struct IssuanceReport {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub not_after: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub issued_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub failures: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lease_owner: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub ari_renew_at: Option<DateTime<Utc>>,
}

pub async fn report(conn: &mut AsyncPgConnection, host: &str) -> DbResult<IssuanceReport> {
    let mut rows: Vec<IssuanceReport> = diesel::sql_query(
        "SELECT c.not_after, c.issued_at, i.failures, i.next_attempt_at, i.last_error,
                CASE WHEN i.lease_until > now() THEN i.lease_owner END AS lease_owner, c.ari_renew_at
         FROM (SELECT $1::text AS host) q
         LEFT JOIN acme_certificates c ON c.host = q.host
         LEFT JOIN acme_issuance i ON i.host = q.host",
    )
    .bind::<Text, _>(host)
    .load(conn)
    .await?;
    Ok(rows.pop().unwrap_or(IssuanceReport {
        not_after: None,
        issued_at: None,
        failures: None,
        next_attempt_at: None,
        last_error: None,
        lease_owner: None,
        ari_renew_at: None,
    }))
}
