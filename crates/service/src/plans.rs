//! Plans and a tenant's plan, from the command line (`kereru provider plan`,
//! `kereru domain set-plan`) or the provider API: each change one
//! transaction with its host-wide audit row. The limits are enforced in
//! `kereru_store::quotas`.

use crate::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::DomainId;
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::plans::{self, Limits, LimitsChange, Plan, PlanError};

/// Who changes plans: the host's command line, or a provider key over the API.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    CommandLine,
    /// The key's name (audit rows say `provider key NAME`).
    ProviderKey(&'a str),
}

impl By<'_> {
    fn label(&self) -> String {
        match self {
            By::CommandLine => "command line".to_string(),
            By::ProviderKey(name) => crate::provider::key_label(name),
        }
    }
}

fn plan_error(error: PlanError) -> ServiceError {
    match error {
        PlanError::Store(e) => ServiceError::Store(e),
        other => ServiceError::Invalid(other.to_string()),
    }
}

/// The limits as the audit log shows them: `posts_per_day=10 remote_follows=unlimited ...`.
pub fn describe(limits: &Limits) -> String {
    let show = |value: Option<i64>| value.map_or_else(|| "unlimited".to_string(), |v| v.to_string());
    format!(
        "max_accounts={} media_storage_bytes={} posts_per_day={} remote_follows={} custom_emoji={}",
        show(limits.max_accounts),
        show(limits.media_storage_bytes),
        show(limits.posts_per_day),
        show(limits.remote_follows),
        show(limits.custom_emoji),
    )
}

async fn record(
    conn: &mut AsyncPgConnection,
    by: &By<'_>,
    action: &str,
    target_type: &str,
    target: (Option<i64>, &str),
    detail: &str,
) -> Result<(), ServiceError> {
    admin_actions::record(
        conn,
        &NewAdminAction {
            tenant: None,
            actor: None,
            actor_label: &by.label(),
            action,
            target_type,
            target_id: target.0,
            target_label: target.1,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Creates the plan `name`.
pub async fn create(
    conn: &mut AsyncPgConnection,
    by: By<'_>,
    name: &str,
    limits: &Limits,
) -> Result<Plan, ServiceError> {
    conn.transaction(async |conn| -> Result<Plan, ServiceError> {
        let plan = plans::create(conn, name, limits).await.map_err(plan_error)?;
        record(conn, &by, "create_plan", "plan", (Some(plan.id), &plan.name), &describe(limits)).await?;
        Ok(plan)
    })
    .await
}

/// Changes some limits of the plan `name`; its tenants are held to them from the next write on.
pub async fn update(
    conn: &mut AsyncPgConnection,
    by: By<'_>,
    name: &str,
    change: &LimitsChange,
) -> Result<Plan, ServiceError> {
    conn.transaction(async |conn| -> Result<Plan, ServiceError> {
        let current = plans::get(conn, name).await?.ok_or(ServiceError::NotFound)?;
        let mut limits = current.limits();
        change.apply(&mut limits);
        let plan = plans::update(conn, name, &limits).await.map_err(plan_error)?.ok_or(ServiceError::NotFound)?;
        record(conn, &by, "update_plan", "plan", (Some(plan.id), &plan.name), &describe(&limits)).await?;
        Ok(plan)
    })
    .await
}

/// Deletes the plan `name`; refused while a tenant has it.
pub async fn delete(conn: &mut AsyncPgConnection, by: By<'_>, name: &str) -> Result<(), ServiceError> {
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let plan = plans::get(conn, name).await?.ok_or(ServiceError::NotFound)?;
        if !plans::delete(conn, name).await.map_err(plan_error)? {
            return Err(ServiceError::NotFound);
        }
        record(conn, &by, "delete_plan", "plan", (Some(plan.id), &plan.name), "").await?;
        Ok(())
    })
    .await
}

/// Puts the tenant `domain` (named `host` in the audit row) on the plan `name`, or on none (no limits).
pub async fn assign(
    conn: &mut AsyncPgConnection,
    by: By<'_>,
    domain: DomainId,
    host: &str,
    name: Option<&str>,
) -> Result<Option<Plan>, ServiceError> {
    conn.transaction(async |conn| -> Result<Option<Plan>, ServiceError> {
        let plan = match name {
            Some(name) => Some(
                plans::get(conn, name)
                    .await?
                    .ok_or_else(|| ServiceError::Invalid(format!("there is no plan named {name}")))?,
            ),
            None => None,
        };
        plans::assign(conn, domain, plan.as_ref().map(|p| p.id)).await?;
        let detail = plan.as_ref().map_or("no plan", |p| p.name.as_str());
        record(conn, &by, "set_tenant_plan", "tenant", (Some(domain.0), host), detail).await?;
        Ok(plan)
    })
    .await
}
