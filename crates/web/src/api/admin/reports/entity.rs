//! Mastodon's Report (what the reporter gets back), Admin::Report and the
//! Admin::Account it carries, for one tenant's moderators.

use crate::api::entities;
use crate::api::render::{Renderer, timestamp};
use crate::error::WebError;
use crate::tenant::Tenant;
use kereru_store::PgConn;
use kereru_store::about;
use kereru_store::accounts::{self, Account};
use kereru_store::ids::{AccountId, StatusId};
use kereru_store::report_accounts;
use kereru_store::reports::Report;
use kereru_store::roles::Role;
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

/// Admin::Account of `account` as this tenant's moderators see it.
pub async fn admin_account(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: AccountId,
    account: &Account,
) -> Result<Value, WebError> {
    let rendered = Renderer::new(tenant, Some(viewer)).account(conn, account).await?;
    let login = report_accounts::login(conn, tenant.id, account.id).await?;
    let verdict = report_accounts::verdict(conn, tenant.id, account.id).await?;
    let domain = match account.domain_id {
        Some(id) if id == tenant.id => Value::Null,
        Some(_) => json!(rendered["acct"].as_str().and_then(|acct| acct.split_once('@')).map(|(_, host)| host)),
        None => json!(account.remote_host),
    };
    Ok(json!({
        "id": account.id.0.to_string(),
        "username": account.username,
        "domain": domain,
        "created_at": timestamp(login.as_ref().map_or(account.created_at, |l| l.created_at)),
        "email": login.as_ref().map_or("", |l| l.email.as_str()),
        "ip": null,
        "ips": [],
        "role": entities::role(login.as_ref().map_or(Role::User, |l| l.role)),
        "confirmed": login.as_ref().is_none_or(|l| l.confirmed),
        "suspended": verdict.suspended,
        "silenced": verdict.silenced,
        "sensitized": verdict.sensitized,
        "disabled": login.as_ref().is_some_and(|l| l.disabled),
        "approved": login.as_ref().is_none_or(|l| l.approved),
        "locale": login.as_ref().and_then(|l| l.locale.clone()).unwrap_or_default(),
        "invite_request": null,
        "account": rendered,
    }))
}

async fn admin_account_by_id(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: AccountId,
    id: Option<i64>,
) -> Result<Value, WebError> {
    let Some(id) = id else { return Ok(Value::Null) };
    match accounts::get_unchecked(conn, AccountId(id)).await? {
        Some(account) => admin_account(conn, tenant, viewer, &account).await,
        None => Ok(Value::Null),
    }
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
