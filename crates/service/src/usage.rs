//! A tenant's usage and how it stands against its plan: what `kereru domain
//! show` prints and the provider API's `GET .../tenants/{host}/usage` returns.

use crate::ServiceError;
use diesel_async::AsyncPgConnection;
use kereru_store::DomainId;
use kereru_store::plans::{self, Plan};
use kereru_store::quotas::Quota;

pub use kereru_store::usage::Usage;

/// The usage of `tenant` (see [`Usage`] for what each figure counts).
pub async fn of(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Usage, ServiceError> {
    Ok(kereru_store::usage::of(conn, tenant).await?)
}

/// A quota's limit beside what it measures now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub quota: Quota,
    /// `None`: unlimited.
    pub limit: Option<i64>,
    /// `None`: nothing counts it yet (custom emoji do not exist).
    pub used: Option<i64>,
}

/// Usage, the plan, and each quota's standing.
#[derive(Debug, Clone)]
pub struct Report {
    pub usage: Usage,
    pub plan: Option<Plan>,
    pub quotas: Vec<Standing>,
}

/// The usage of `tenant` with its plan's limits.
pub async fn report(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<Report, ServiceError> {
    let usage = of(conn, tenant).await?;
    let plan = plans::of(conn, tenant).await?;
    let limits = plan.as_ref().map(Plan::limits).unwrap_or_default();
    let quotas = Quota::ALL
        .into_iter()
        .map(|quota| {
            let (limit, used) = match quota {
                Quota::Accounts => (limits.max_accounts, Some(usage.accounts)),
                Quota::MediaStorageBytes => (limits.media_storage_bytes, Some(usage.storage_bytes)),
                Quota::PostsPerDay => (limits.posts_per_day, Some(usage.posts_today)),
                Quota::RemoteFollows => (limits.remote_follows, Some(usage.remote_follows)),
                Quota::CustomEmoji => (limits.custom_emoji, None),
            };
            Standing { quota, limit, used }
        })
        .collect();
    Ok(Report { usage, plan, quotas })
}
