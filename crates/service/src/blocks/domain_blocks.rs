//! Creating, changing and lifting domain blocks, and what a block does when
//! it is made: a suspension removes the follows between the scope's people
//! and the blocked server's, both ways (delivery to it stops in
//! `federation::outbound::send`, and what is still queued for it is given
//! up; inbound is refused by `is_blocked`).

use super::{Acting, audit};
use crate::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::HostName;
use kereru_store::DomainId;
use kereru_store::domain_blocks::{self, BlockOptions, DomainBlock, Publish, Scope, Severity};

/// Mastodon's `stricter_than?`: whether `new` limits more than `existing`.
fn stricter_than(new: &BlockOptions, existing: &DomainBlock) -> bool {
    let existing_severity = existing.severity();
    new.severity == Severity::Suspend
        || (existing_severity != Severity::Suspend
            && new.severity == Severity::Silence
            && existing_severity == Severity::Noop)
        || (existing_severity != Severity::Suspend
            && ((new.reject_media && !existing.reject_media) || (new.reject_reports && !existing.reject_reports)))
}

fn detail(options: &BlockOptions) -> String {
    let mut parts = vec![options.severity.as_str().to_string()];
    if options.reject_media {
        parts.push("reject media".into());
    }
    if options.reject_reports {
        parts.push("reject reports".into());
    }
    parts.join(", ")
}

/// A valid remote host name, normalized; 422 otherwise.
pub fn parse_host(text: &str) -> Result<String, ServiceError> {
    let text = text.trim();
    let host = HostName::parse(text).map_err(|_| ServiceError::Invalid(format!("{text} is not a valid domain")))?;
    Ok(domain_blocks::normalize(host.as_str()))
}

/// Blocks `host` in `scope`. Refused (422) when the scope already blocks that
/// host, or a parent of it, at least as strictly.
pub async fn create(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    host: &str,
    options: BlockOptions,
) -> Result<DomainBlock, ServiceError> {
    let host = parse_host(host)?;
    conn.transaction(async |conn| {
        let existing = domain_blocks::covering(conn, scope, &host).await?;
        if let Some(strongest) = existing.first()
            && (existing.iter().any(|b| b.host == host) || !stricter_than(&options, strongest))
        {
            return Err(ServiceError::Invalid(format!(
                "You have already imposed stricter limits on {}.",
                strongest.host
            )));
        }
        let block = domain_blocks::create(conn, scope, &host, &options)
            .await?
            .ok_or_else(|| ServiceError::Invalid(format!("{host} is already blocked")))?;
        let severed = apply(conn, scope, &block).await?;
        let detail = match severed {
            0 => detail(&options),
            n => format!("{}; {n} follows removed", detail(&options)),
        };
        audit(conn, acting, scope, "create_domain_block", ("domain_block", block.id, &block.host), &detail).await?;
        Ok(block)
    })
    .await
}

/// A block's effects on what exists: a suspension severs follows.
async fn apply(conn: &mut AsyncPgConnection, scope: Scope, block: &DomainBlock) -> Result<usize, ServiceError> {
    match block.severity() {
        Severity::Suspend => {
            kereru_delivery::queue::give_up_blocked(conn, &block.host, scope).await.map_err(|e| match e {
                kereru_delivery::queue::QueueError::Database(db) => ServiceError::from(db),
                other => ServiceError::Invalid(other.to_string()),
            })?;
            Ok(domain_blocks::sever_follows(conn, scope, &block.host).await?)
        }
        Severity::Silence | Severity::Noop => Ok(0),
    }
}

/// Changes block `id` of `scope` (made stricter, it takes effect as a new one would).
pub async fn update(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    id: i64,
    options: BlockOptions,
) -> Result<DomainBlock, ServiceError> {
    conn.transaction(async |conn| {
        let block = domain_blocks::update(conn, scope, id, &options).await?.ok_or(ServiceError::NotFound)?;
        apply(conn, scope, &block).await?;
        audit(conn, acting, scope, "update_domain_block", ("domain_block", block.id, &block.host), &detail(&options))
            .await?;
        Ok(block)
    })
    .await
}

/// Lifts block `id` of `scope`. Severed follows stay severed, as Mastodon.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    id: i64,
) -> Result<DomainBlock, ServiceError> {
    conn.transaction(async |conn| {
        let block = domain_blocks::delete(conn, scope, id).await?.ok_or(ServiceError::NotFound)?;
        audit(conn, acting, scope, "destroy_domain_block", ("domain_block", block.id, &block.host), "").await?;
        Ok(block)
    })
    .await
}

/// Lifts the block of exactly `host` in `scope` (the command line names hosts, not ids).
pub async fn delete_host(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    scope: Scope,
    host: &str,
) -> Result<DomainBlock, ServiceError> {
    let host = parse_host(host)?;
    let found = domain_blocks::covering(conn, scope, &host).await?.into_iter().find(|b| b.host == host);
    let block = found.ok_or_else(|| ServiceError::Invalid(format!("{host} is not blocked there")))?;
    delete(conn, acting, scope, block.id).await
}

/// Who sees `tenant`'s blocks at `/api/v1/instance/domain_blocks`.
pub async fn set_publish(
    conn: &mut AsyncPgConnection,
    acting: &Acting,
    tenant: DomainId,
    publish: Publish,
) -> Result<(), ServiceError> {
    conn.transaction(async |conn| {
        domain_blocks::set_publish(conn, tenant, publish).await?;
        audit(conn, acting, Some(tenant), "update_show_domain_blocks", ("tenant", tenant.0, ""), publish.as_str()).await
    })
    .await
}
