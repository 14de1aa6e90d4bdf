//! The provider's `quota.exceeded` webhook event. A write refused by a quota
//! rolls its transaction back, so the notice cannot ride in it: it is queued
//! afterwards on the same connection, in a transaction of its own (at most one
//! a day per tenant and quota, `kereru_store::webhooks::events::quota_exceeded`).
//! Failing to queue it never changes the answer the person gets.

use crate::accounts::RegisterError;
use crate::compose::ComposeError;
use crate::error::ServiceError;
use crate::media::MediaActionError;
use diesel_async::AsyncPgConnection;
use kereru_store::DomainId;
use kereru_store::quotas::QuotaExceeded;

/// An error that may be a quota's refusal.
pub trait MaybeQuota {
    fn exceeded(&self) -> Option<&QuotaExceeded>;
}

impl MaybeQuota for ServiceError {
    fn exceeded(&self) -> Option<&QuotaExceeded> {
        self.quota()
    }
}

impl MaybeQuota for ComposeError {
    fn exceeded(&self) -> Option<&QuotaExceeded> {
        self.quota()
    }
}

impl MaybeQuota for RegisterError {
    fn exceeded(&self) -> Option<&QuotaExceeded> {
        self.quota()
    }
}

impl MaybeQuota for MediaActionError {
    fn exceeded(&self) -> Option<&QuotaExceeded> {
        self.quota()
    }
}

/// Passes `result` through, queueing `quota.exceeded` for `tenant` first when it is a quota's refusal.
pub async fn after<T, E: MaybeQuota>(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    result: Result<T, E>,
) -> Result<T, E> {
    if let Err(error) = &result
        && let Some(exceeded) = error.exceeded()
        && let Err(failure) =
            kereru_store::webhooks::events::quota_exceeded(conn, tenant, exceeded.quota.as_str(), exceeded.limit).await
    {
        tracing::warn!(tenant = tenant.0, "queueing quota.exceeded: {failure}");
    }
    result
}
