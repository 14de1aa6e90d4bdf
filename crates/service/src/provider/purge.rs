//! Removing tenants whose deletion grace period is over: their `domains` row
//! goes and with it everything of theirs (the schema cascades), then their
//! media files. One tenant per transaction, each with its host-wide audit
//! row; rows are claimed `FOR UPDATE SKIP LOCKED`, so several nodes purging
//! at once never remove one tenant twice.

use crate::ServiceError;
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_media::MediaStore;
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::{DomainId, domains, provisioning};

/// How many tenants one call removes at most (the rest wait for the next round).
pub const BATCH: i64 = 20;

/// A tenant that was purged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    pub id: DomainId,
    pub account_host: String,
}

/// Removes up to [`BATCH`] tenants past their grace period, and every file
/// under each one's prefix in `media` (the attachments' files are also
/// queued for removal by the database as their rows go: see `crate::media_files`).
pub async fn due(conn: &mut AsyncPgConnection, media: Option<&MediaStore>) -> Result<Vec<Purged>, ServiceError> {
    let mut purged = Vec::new();
    for _ in 0..BATCH {
        let Some(gone) = one(conn).await? else { break };
        if let Some(store) = media
            && let Err(error) = store.delete_tenant(gone.id.0).await
        {
            tracing::warn!("purged {}: cannot remove its media files: {error}", gone.account_host);
        }
        purged.push(gone);
    }
    Ok(purged)
}

/// Removes the first tenant due, if any, in one transaction.
async fn one(conn: &mut AsyncPgConnection) -> Result<Option<Purged>, ServiceError> {
    conn.transaction(async |conn| -> Result<Option<Purged>, ServiceError> {
        let Some(id) = provisioning::due_for_purge(conn, Utc::now(), 1).await?.into_iter().next() else {
            return Ok(None);
        };
        let domain = match domains::get(conn, id).await {
            Ok(domain) => domain,
            Err(domains::DomainError::NotFound(_)) => return Ok(None),
            Err(domains::DomainError::Store(e)) => return Err(e.into()),
            Err(other) => return Err(ServiceError::Invalid(other.to_string())),
        };
        let label = domain.account_host.to_string();
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: None,
                actor: None,
                actor_label: "deletion grace period",
                action: "purge_tenant",
                target_type: "tenant",
                target_id: Some(id.0),
                target_label: &label,
                detail: "",
            },
        )
        .await?;
        domains::remove(conn, id).await.map_err(|e| match e {
            domains::DomainError::Store(e) => ServiceError::Store(e),
            other => ServiceError::Invalid(other.to_string()),
        })?;
        Ok(Some(Purged { id, account_host: label }))
    })
    .await
}
