//! Remote hosts a tenant (or, with no tenant, the whole host) limits, with
//! Mastodon's severities: `suspend` refuses everything from and to the host
//! ([`is_blocked`] means exactly that), `silence` keeps its people out of
//! public timelines and notifications from strangers, `noop` only the
//! options (reject media, reject reports). A block covers the host's
//! subdomains too, as Mastodon's domain blocks do. The effects of a new
//! block (removing follows) are the service's.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, next_id};
use crate::schema::{domain_blocks, domains};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// How hard a block is; ordered weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Noop,
    Silence,
    Suspend,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Noop => "noop",
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
        }
    }

    /// Mastodon's names; `limit` is the web's word for `silence`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "noop" => Some(Severity::Noop),
            "silence" | "limit" => Some(Severity::Silence),
            "suspend" => Some(Severity::Suspend),
            _ => None,
        }
    }
}

/// Who a block belongs to: one tenant, or the whole host.
pub type Scope = Option<DomainId>;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = domain_blocks)]
pub struct DomainBlock {
    pub id: i64,
    pub domain_id: Option<i64>,
    pub host: String,
    pub created_at: DateTime<Utc>,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    pub obfuscate: bool,
}

impl DomainBlock {
    pub fn severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::Suspend)
    }
}

/// What a block does and says; the host is given apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOptions {
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    pub obfuscate: bool,
}

impl Default for BlockOptions {
    fn default() -> Self {
        BlockOptions {
            severity: Severity::Suspend,
            reject_media: false,
            reject_reports: false,
            private_comment: String::new(),
            public_comment: String::new(),
            obfuscate: false,
        }
    }
}

/// The strongest treatment of a host on a tenant, its own blocks and the
/// host-wide ones together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
}

impl Policy {
    pub fn suspended(&self) -> bool {
        self.severity == Severity::Suspend
    }
    pub fn silenced(&self) -> bool {
        self.severity >= Severity::Silence
    }
    /// A suspended host's media is never fetched either.
    pub fn rejects_media(&self) -> bool {
        self.reject_media || self.suspended()
    }
    /// Nor are its reports (Flags) kept.
    pub fn rejects_reports(&self) -> bool {
        self.reject_reports || self.suspended()
    }
}

/// The host as stored: lower case, no trailing dot.
pub fn normalize(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `host` and every parent domain of it: `a.b.example` → `a.b.example`, `b.example`, `example`.
pub(crate) fn with_parents(host: &str) -> Vec<String> {
    let host = normalize(host);
    let mut names = vec![host.clone()];
    let mut rest = host.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        names.push(parent.to_string());
        rest = parent;
    }
    names
}

/// Whether `host` is one of `blocked` or a subdomain of one.
pub fn covered_by(host: &str, blocked: &[String]) -> bool {
    with_parents(host).iter().any(|name| blocked.contains(name))
}

/// The blocks that apply on `tenant`: its own and the host-wide ones.
type Applicable =
    diesel::dsl::Or<diesel::dsl::IsNull<domain_blocks::domain_id>, diesel::dsl::Eq<domain_blocks::domain_id, i64>>;

fn applicable(tenant: DomainId) -> Applicable {
    domain_blocks::domain_id.is_null().or(domain_blocks::domain_id.eq(tenant.0))
}

/// Whether `host` is refused (suspended) for `tenant` (by the tenant or host-wide).
pub async fn is_blocked(conn: &mut AsyncPgConnection, tenant: DomainId, host: &str) -> Result<bool, StoreError> {
    any_blocked(conn, tenant, &[host]).await
}

/// Whether any of `hosts` is refused (suspended) for `tenant`, in one query;
/// in limited federation mode, also any host not on the allow list.
pub async fn any_blocked(conn: &mut AsyncPgConnection, tenant: DomainId, hosts: &[&str]) -> Result<bool, StoreError> {
    if crate::limited_federation::refused_among(conn, tenant, hosts).await? {
        return Ok(true);
    }
    let names: Vec<String> = hosts.iter().flat_map(|host| with_parents(host)).collect();
    let found: i64 = domain_blocks::table
        .filter(domain_blocks::host.eq_any(&names))
        .filter(applicable(tenant))
        .filter(domain_blocks::severity.eq(Severity::Suspend.as_str()))
        .count()
        .get_result(conn)
        .await?;
    Ok(found > 0)
}

/// The strongest block of `host` on `tenant` (its own and host-wide ones,
/// the host's parents included), or `None` when nothing limits it.
pub async fn policy(conn: &mut AsyncPgConnection, tenant: DomainId, host: &str) -> Result<Option<Policy>, StoreError> {
    let rows: Vec<(String, bool, bool)> = domain_blocks::table
        .filter(domain_blocks::host.eq_any(with_parents(host)))
        .filter(applicable(tenant))
        .select((domain_blocks::severity, domain_blocks::reject_media, domain_blocks::reject_reports))
        .load(conn)
        .await?;
    Ok(rows.into_iter().fold(None, |strongest: Option<Policy>, (severity, media, reports)| {
        let severity = Severity::parse(&severity).unwrap_or(Severity::Suspend);
        Some(match strongest {
            None => Policy { severity, reject_media: media, reject_reports: reports },
            Some(p) => Policy {
                severity: p.severity.max(severity),
                reject_media: p.reject_media || media,
                reject_reports: p.reject_reports || reports,
            },
        })
    }))
}

/// Every host suspended for `tenant` (its own and host-wide), for checking
/// many recipients at once with [`covered_by`].
pub async fn suspended_hosts(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Vec<String>, StoreError> {
    Ok(domain_blocks::table
        .filter(applicable(tenant))
        .filter(domain_blocks::severity.eq(Severity::Suspend.as_str()))
        .select(domain_blocks::host)
        .load(conn)
        .await?)
}

/// The SQL condition "the author of status `{s}` is not on a host silenced or
/// suspended for tenant `{tenant}`, or `{viewer}` follows them" (Mastodon
/// shows a limited server's people to their followers only).
pub fn not_silenced_sql(s: &str, tenant: &str, viewer: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM accounts sa JOIN domain_blocks sdb \
             ON (sa.remote_host = sdb.host OR sa.remote_host LIKE '%.' || sdb.host) \
           WHERE sa.id = {s}.account_id AND sdb.severity IN ('silence', 'suspend') \
             AND (sdb.domain_id IS NULL OR sdb.domain_id = {tenant}) \
             AND NOT EXISTS (SELECT 1 FROM follows sf WHERE sf.account_id = {viewer} \
                 AND sf.target_account_id = {s}.account_id AND sf.state = 'accepted'))"
    )
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    flag: bool,
}

/// Whether a notification from `from` to the local `recipient` is held back:
/// `from` is on a host silenced (or suspended) for the recipient's tenant and
/// the recipient does not follow them.
pub async fn silences_notification(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
) -> Result<bool, StoreError> {
    use diesel::sql_types::BigInt;
    let row: Flag = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM accounts r, accounts f JOIN domain_blocks db \
             ON (f.remote_host = db.host OR f.remote_host LIKE '%.' || db.host) \
           WHERE r.id = $1 AND f.id = $2 AND db.severity IN ('silence', 'suspend') \
             AND (db.domain_id IS NULL OR db.domain_id = r.domain_id) \
             AND NOT EXISTS (SELECT 1 FROM follows x WHERE x.account_id = $1 AND x.target_account_id = $2 \
                 AND x.state = 'accepted')) AS flag",
    )
    .bind::<BigInt, _>(recipient.0)
    .bind::<BigInt, _>(from.0)
    .get_result(conn)
    .await?;
    Ok(row.flag)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Which of the remote statuses `ids` are by people of a host whose media
/// `tenant` rejects (`reject_media`, or suspended): their attachments are
/// not shown there.
pub async fn media_rejected(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    ids: &[crate::ids::StatusId],
) -> Result<Vec<crate::ids::StatusId>, StoreError> {
    use diesel::sql_types::{Array, BigInt};
    let rows: Vec<IdRow> = diesel::sql_query(
        "SELECT DISTINCT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id JOIN domain_blocks db \
             ON (a.remote_host = db.host OR a.remote_host LIKE '%.' || db.host) \
           WHERE s.id = ANY($2) AND (db.domain_id IS NULL OR db.domain_id = $1) \
             AND (db.reject_media OR db.severity = 'suspend')",
    )
    .bind::<BigInt, _>(tenant.0)
    .bind::<Array<BigInt>, _>(ids.iter().map(|id| id.0).collect::<Vec<i64>>())
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| crate::ids::StatusId(r.id)).collect())
}

/// Removes the follows (and follow requests) between `scope`'s local people
/// (every tenant's with `None`) and the people of `host` and its subdomains,
/// both ways, as a suspension does. Returns how many were removed.
pub async fn sever_follows(conn: &mut AsyncPgConnection, scope: Scope, host: &str) -> Result<usize, StoreError> {
    use diesel::sql_types::{BigInt, Nullable, Text};
    Ok(diesel::sql_query(
        "DELETE FROM follows f USING accounts a, accounts b \
         WHERE f.account_id = a.id AND f.target_account_id = b.id AND ( \
           (a.domain_id IS NULL AND (a.remote_host = $1 OR a.remote_host LIKE '%.' || $1) \
             AND b.domain_id IS NOT NULL AND ($2::bigint IS NULL OR b.domain_id = $2)) \
           OR (b.domain_id IS NULL AND (b.remote_host = $1 OR b.remote_host LIKE '%.' || $1) \
             AND a.domain_id IS NOT NULL AND ($2::bigint IS NULL OR a.domain_id = $2)))",
    )
    .bind::<Text, _>(normalize(host))
    .bind::<Nullable<BigInt>, _>(scope.map(|t| t.0))
    .execute(conn)
    .await?)
}

/// Blocks `host` for `tenant`, or host-wide with `None`, as a suspension with
/// no comments. Idempotent. (The service's `create` also applies the effects.)
pub async fn add(conn: &mut AsyncPgConnection, tenant: Scope, host: &str) -> Result<(), StoreError> {
    diesel::insert_into(domain_blocks::table)
        .values((
            domain_blocks::id.eq(next_id()),
            domain_blocks::domain_id.eq(tenant.map(|t| t.0)),
            domain_blocks::host.eq(normalize(host)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// A new block of `host` in `scope`; `None` when that scope already has a block of that exact host.
pub async fn create(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    host: &str,
    options: &BlockOptions,
) -> Result<Option<DomainBlock>, StoreError> {
    Ok(diesel::insert_into(domain_blocks::table)
        .values((
            domain_blocks::id.eq(next_id()),
            domain_blocks::domain_id.eq(scope.map(|t| t.0)),
            domain_blocks::host.eq(normalize(host)),
            domain_blocks::severity.eq(options.severity.as_str()),
            domain_blocks::reject_media.eq(options.reject_media),
            domain_blocks::reject_reports.eq(options.reject_reports),
            domain_blocks::private_comment.eq(&options.private_comment),
            domain_blocks::public_comment.eq(&options.public_comment),
            domain_blocks::obfuscate.eq(options.obfuscate),
        ))
        .on_conflict_do_nothing()
        .returning(DomainBlock::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Changes block `id` of `scope`; `None` when `scope` has no such block.
pub async fn update(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    id: i64,
    options: &BlockOptions,
) -> Result<Option<DomainBlock>, StoreError> {
    let target = domain_blocks::table.filter(domain_blocks::id.eq(id));
    let changes = (
        domain_blocks::severity.eq(options.severity.as_str()),
        domain_blocks::reject_media.eq(options.reject_media),
        domain_blocks::reject_reports.eq(options.reject_reports),
        domain_blocks::private_comment.eq(&options.private_comment),
        domain_blocks::public_comment.eq(&options.public_comment),
        domain_blocks::obfuscate.eq(options.obfuscate),
    );
    let updated = match scope {
        Some(t) => {
            diesel::update(target.filter(domain_blocks::domain_id.eq(t.0)))
                .set(changes)
                .returning(DomainBlock::as_returning())
                .get_result(conn)
                .await
        }
        None => {
            diesel::update(target.filter(domain_blocks::domain_id.is_null()))
                .set(changes)
                .returning(DomainBlock::as_returning())
                .get_result(conn)
                .await
        }
    };
    Ok(updated.optional()?)
}

/// Block `id` if it belongs to `scope`.
pub async fn get(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<DomainBlock>, StoreError> {
    let query = domain_blocks::table.filter(domain_blocks::id.eq(id)).select(DomainBlock::as_select()).into_boxed();
    let query = match scope {
        Some(t) => query.filter(domain_blocks::domain_id.eq(t.0)),
        None => query.filter(domain_blocks::domain_id.is_null()),
    };
    Ok(query.first(conn).await.optional()?)
}

/// The block in `scope` of `host` or of one of its parents (the one a new
/// block of `host` would duplicate), strongest first.
pub async fn covering(conn: &mut AsyncPgConnection, scope: Scope, host: &str) -> Result<Vec<DomainBlock>, StoreError> {
    let query = domain_blocks::table
        .filter(domain_blocks::host.eq_any(with_parents(host)))
        .select(DomainBlock::as_select())
        .into_boxed();
    let query = match scope {
        Some(t) => query.filter(domain_blocks::domain_id.eq(t.0)),
        None => query.filter(domain_blocks::domain_id.is_null()),
    };
    let mut rows: Vec<DomainBlock> = query.load(conn).await?;
    rows.sort_by_key(|b| std::cmp::Reverse(b.severity()));
    Ok(rows)
}

/// Removes block `id` of `scope`; the removed block, if there was one.
pub async fn delete(conn: &mut AsyncPgConnection, scope: Scope, id: i64) -> Result<Option<DomainBlock>, StoreError> {
    let target = domain_blocks::table.filter(domain_blocks::id.eq(id));
    let removed = match scope {
        Some(t) => {
            diesel::delete(target.filter(domain_blocks::domain_id.eq(t.0)))
                .returning(DomainBlock::as_returning())
                .get_result(conn)
                .await
        }
        None => {
            diesel::delete(target.filter(domain_blocks::domain_id.is_null()))
                .returning(DomainBlock::as_returning())
                .get_result(conn)
                .await
        }
    };
    Ok(removed.optional()?)
}

pub async fn remove(conn: &mut AsyncPgConnection, tenant: Scope, host: &str) -> Result<bool, StoreError> {
    let query = diesel::delete(domain_blocks::table).filter(domain_blocks::host.eq(normalize(host)));
    let removed = match tenant {
        Some(tenant) => query.filter(domain_blocks::domain_id.eq(tenant.0)).execute(conn).await?,
        None => query.filter(domain_blocks::domain_id.is_null()).execute(conn).await?,
    };
    Ok(removed > 0)
}

/// The blocked hosts of `scope`, by name.
pub async fn list(conn: &mut AsyncPgConnection, tenant: Scope) -> Result<Vec<String>, StoreError> {
    Ok(list_blocks(conn, tenant).await?.into_iter().map(|b| b.host).collect())
}

/// The blocks of `scope`, by host.
pub async fn list_blocks(conn: &mut AsyncPgConnection, scope: Scope) -> Result<Vec<DomainBlock>, StoreError> {
    let query = domain_blocks::table.select(DomainBlock::as_select()).order(domain_blocks::host).into_boxed();
    let query = match scope {
        Some(tenant) => query.filter(domain_blocks::domain_id.eq(tenant.0)),
        None => query.filter(domain_blocks::domain_id.is_null()),
    };
    Ok(query.load(conn).await?)
}

/// The blocks that apply on `tenant`: its own and the host-wide ones, by host.
pub async fn applicable_blocks(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Vec<DomainBlock>, StoreError> {
    Ok(domain_blocks::table
        .filter(applicable(tenant))
        .select(DomainBlock::as_select())
        .order((domain_blocks::host, domain_blocks::id))
        .load(conn)
        .await?)
}

/// Who sees `tenant`'s blocks at `/api/v1/instance/domain_blocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    Disabled,
    Users,
    All,
}

impl Publish {
    pub fn as_str(self) -> &'static str {
        match self {
            Publish::Disabled => "disabled",
            Publish::Users => "users",
            Publish::All => "all",
        }
    }
    pub fn parse(text: &str) -> Option<Publish> {
        match text {
            "disabled" => Some(Publish::Disabled),
            "users" => Some(Publish::Users),
            "all" => Some(Publish::All),
            _ => None,
        }
    }
}

pub async fn publish(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Publish, StoreError> {
    let value: String =
        domains::table.filter(domains::id.eq(tenant.0)).select(domains::show_domain_blocks).first(conn).await?;
    Ok(Publish::parse(&value).unwrap_or(Publish::Disabled))
}

pub async fn set_publish(conn: &mut AsyncPgConnection, tenant: DomainId, publish: Publish) -> Result<(), StoreError> {
    diesel::update(domains::table.filter(domains::id.eq(tenant.0)))
        .set(domains::show_domain_blocks.eq(publish.as_str()))
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_covered_by_its_parent_domains() {
        assert_eq!(with_parents("A.b.Example."), vec!["a.b.example", "b.example", "example"]);
        assert!(covered_by("media.Bad.example", &["bad.example".to_string()]));
        assert!(!covered_by("notbad.example", &["bad.example".to_string()]));
    }

    #[test]
    fn severities_are_ordered_and_parsed() {
        assert!(Severity::Noop < Severity::Silence && Severity::Silence < Severity::Suspend);
        assert_eq!(Severity::parse("limit"), Some(Severity::Silence));
        assert_eq!(Severity::parse("nuke"), None);
    }
}
