//! Moderators correct a report: its category and the rules it names
//! (Mastodon 4's `PUT /api/v1/admin/reports/:id`, and the report page's form).
//! One transaction with its audit row, like `crate::reports::act`.

use crate::Actor;
use crate::error::ServiceError;
use crate::staff::{self, Need};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::about;
use kereru_store::accounts;
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::ids::{AccountId, DomainId};
use kereru_store::reports::{self, CATEGORIES, Report};

/// What to change; `None` keeps the current value. Rules stay only on a
/// `violation` report (as a report names rules only for that category).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub category: Option<String>,
    pub rule_ids: Option<Vec<i64>>,
}

/// A moderator of the actor's tenant changes report `id`. Another tenant's
/// report is not found; an unknown category or a rule id that is not one of
/// this tenant's rules is `Invalid` (nothing changes).
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    changes: &Changes,
) -> Result<Report, ServiceError> {
    update_on(conn, actor, actor.tenant.id, id, changes).await
}

/// [`update`] of a report of `tenant`, which a host admin may name for any
/// tenant (the audit row is `tenant`'s and names the acting account).
pub async fn update_on(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    tenant: DomainId,
    id: i64,
    changes: &Changes,
) -> Result<Report, ServiceError> {
    let moderator = actor.account.id;
    staff::authorize_on(conn, actor.tenant.id, moderator, tenant, Need::Moderate).await?;
    let current = reports::get(conn, tenant, id).await?.ok_or(ServiceError::NotFound)?;
    let category = match changes.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if CATEGORIES.contains(&c) => c.to_string(),
        Some(other) => return Err(ServiceError::Invalid(format!("Category `{other}` is not a report category"))),
        None => current.category.clone(),
    };
    let mut rule_ids = changes.rule_ids.clone().unwrap_or_else(|| current.rule_ids.clone());
    rule_ids.sort_unstable();
    rule_ids.dedup();
    if category != "violation" {
        rule_ids.clear();
    }
    if !rule_ids.is_empty() {
        let rules: Vec<i64> = about::rules(conn, tenant).await?.into_iter().map(|r| r.id).collect();
        if rule_ids.iter().any(|id| !rules.contains(id)) {
            return Err(ServiceError::Invalid("Rule ids must name this server's rules".into()));
        }
    }
    let actor_label = format!("@{}@{}", actor.account.username, actor.tenant.account_host);
    conn.transaction(async |conn| -> Result<Report, ServiceError> {
        let report = reports::update(conn, tenant, id, &category, &rule_ids).await?.ok_or(ServiceError::NotFound)?;
        let target_label = match accounts::get_unchecked(conn, AccountId(report.target_account_id)).await? {
            Some(target) => crate::reports::handle(conn, &target).await?,
            None => String::new(),
        };
        let rules: Vec<String> = rule_ids.iter().map(i64::to_string).collect();
        let detail = if rules.is_empty() {
            format!("category {category}")
        } else {
            format!("category {category}, rules {}", rules.join(", "))
        };
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: Some(tenant),
                actor: Some(moderator),
                actor_label: &actor_label,
                action: "update_report",
                target_type: "report",
                target_id: Some(report.id),
                target_label: &format!("report {} about {target_label}", report.id),
                detail: &detail,
            },
        )
        .await?;
        Ok(report)
    })
    .await
}

/// Where a forwarded report also goes when the reporter asks for
/// `forward_to_domains` (Mastodon 4.2): the servers of the accounts the
/// reported posts reply to or mention. A domain that is not among them is
/// `Invalid` (422) naming it; the inboxes returned (shared ones preferred)
/// leave out `already` (the reported account's own).
pub async fn forward_inboxes(
    conn: &mut AsyncPgConnection,
    reported: &[kereru_store::statuses::Status],
    domains: &[String],
    already: Option<&kereru_delivery::http::Url>,
) -> Result<Vec<kereru_delivery::http::Url>, ServiceError> {
    let mut wanted: Vec<String> =
        domains.iter().map(|d| kereru_store::domain_blocks::normalize(d)).filter(|d| !d.is_empty()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<kereru_store::StatusId> = reported.iter().map(|s| s.id).collect();
    let mut involved: Vec<AccountId> =
        kereru_store::statuses::mentioned_accounts(conn, &ids).await?.into_iter().map(|(_, a)| a).collect();
    involved.extend(reported.iter().filter_map(|s| s.in_reply_to_account_id));
    let raw: Vec<i64> = involved.iter().map(|a| a.0).collect();
    let accounts = accounts::many_unchecked(conn, &raw).await?;
    let on = |account: &accounts::Account, domain: &str| {
        !account.is_local()
            && account.remote_host.as_deref().map(kereru_store::domain_blocks::normalize).as_deref() == Some(domain)
    };
    let mut inboxes = Vec::new();
    for domain in &wanted {
        let found: Vec<_> =
            accounts.iter().filter(|a| on(a, domain)).filter_map(crate::federation::outbound::inbox_of).collect();
        if found.is_empty() {
            return Err(ServiceError::Invalid(format!(
                "{domain} is not the server of an account the reported posts reply to or mention"
            )));
        }
        inboxes.extend(found.into_iter().filter(|inbox| Some(inbox) != already));
    }
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}
