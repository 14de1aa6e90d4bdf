//! Mastodon's Report (what the reporter gets back), Admin::Report and the
//! Admin::Account it carries, for one tenant's moderators.

use crate::api::admin::accounts::admin_account;
use crate::api::render::{Renderer, timestamp};
use crate::error::WebError;
use crate::tenant::Tenant;
use kereru_store::PgConn;
use kereru_store::about;
use kereru_store::accounts;
use kereru_store::ids::{AccountId, StatusId};
use kereru_store::moderation;
use kereru_store::reports::Report;
use kereru_store::statuses;
use serde_json::{Value, json};

fn ids(list: &[i64]) -> Vec<String> {
    list.iter().map(i64::to_string).collect()
}

/// The Report entity: what was reported, never naming the reporter.
pub async fn report(conn: &mut PgConn, tenant: &Tenant, viewer: AccountId, report: &Report) -> Result<Value, WebError> {
    let target = accounts::get_unchecked(conn, AccountId(report.target_account_id)).await?;
    let target = match target {
        Some(account) => Renderer::new(tenant, Some(viewer)).account(conn, &account).await?,
        None => Value::Null,
    };
    Ok(json!({
        "id": report.id.to_string(),
        "action_taken": report.resolved(),
        "action_taken_at": report.action_taken_at.map(timestamp),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded_at.is_some(),
        "created_at": timestamp(report.created_at),
        "status_ids": ids(&report.status_ids),
        "rule_ids": ids(&report.rule_ids),
        "target_account": target,
    }))
}

/// Admin::Account of the account `id`, as the admin accounts API renders it
/// (null when there is none). A remote reporter that only ever sent the
/// `Flag` is not among the accounts the tenant knows: it is shown with the
/// tenant's verdict and no login all the same.
async fn admin_account_by_id(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: AccountId,
    id: Option<i64>,
) -> Result<Value, WebError> {
    let Some(id) = id else { return Ok(Value::Null) };
    let found = match moderation::get(conn, tenant.id, AccountId(id)).await? {
        Some(found) => found,
        None => match accounts::get_unchecked(conn, AccountId(id)).await? {
            Some(account) if account.domain_id.is_none() => {
                let verdict = moderation::verdict(conn, tenant.id, account.id).await?;
                moderation::AdminAccount { account, login: None, verdict, tenant_host: None }
            }
            _ => return Ok(Value::Null),
        },
    };
    admin_account(conn, &mut Renderer::new(tenant, Some(viewer)), &found).await
}

/// Admin::Report: the report with its accounts, posts and rules.
pub async fn admin_report(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: AccountId,
    report: &Report,
) -> Result<Value, WebError> {
    let mut list = Vec::new();
    for id in &report.status_ids {
        if let Some(status) = statuses::get_unchecked(conn, StatusId(*id)).await? {
            list.push(status);
        }
    }
    let statuses = Renderer::new(tenant, Some(viewer)).statuses(conn, list).await?;
    let rules: Vec<Value> = about::rules(conn, tenant.id)
        .await?
        .into_iter()
        .filter(|rule| report.rule_ids.contains(&rule.id))
        .map(|rule| json!({ "id": rule.id.to_string(), "text": rule.text, "hint": "" }))
        .collect();
    Ok(json!({
        "id": report.id.to_string(),
        "action_taken": report.resolved(),
        "action_taken_at": report.action_taken_at.map(timestamp),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded_at.is_some(),
        "created_at": timestamp(report.created_at),
        "updated_at": timestamp(report.updated_at),
        "account": admin_account_by_id(conn, tenant, viewer, Some(report.account_id)).await?,
        "target_account": admin_account_by_id(conn, tenant, viewer, Some(report.target_account_id)).await?,
        "assigned_account": admin_account_by_id(conn, tenant, viewer, report.assigned_account_id).await?,
        "action_taken_by_account": admin_account_by_id(conn, tenant, viewer, report.action_taken_by_account_id).await?,
        "statuses": statuses,
        "rules": rules,
        "status_ids": ids(&report.status_ids),
        "rule_ids": ids(&report.rule_ids),
    }))
}
