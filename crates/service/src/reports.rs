//! Reports: a person reports an account (and some of its posts) to their
//! tenant's moderators, from an app or the web; a report about a remote
//! account may be forwarded to its server as a `Flag` from the tenant's
//! instance actor (never naming who reported); moderators assign, resolve
//! (recording what was done) and reopen. Remote `Flag`s land in the same
//! queue (`federation::inbound::interactions::flag`, through [`receive`]).

use crate::Actor;
use crate::error::ServiceError;
use crate::federation::{instance_actor, outbound};
use crate::staff::{self, Need};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::activitypub as ap;
use kereru_store::accounts::{self, Account};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::ids::{AccountId, DomainId, StatusId};
use kereru_store::reports::{self, CATEGORIES, NewReport, Report};
use kereru_store::webhooks::events as webhook_events;
use kereru_store::{about, statuses};

/// Mastodon's limit on a report's comment.
pub const COMMENT_LIMIT: usize = 1000;
/// What a moderator may write about the action taken.
pub const ACTION_LIMIT: usize = 500;

/// What a person asks to report.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub target: AccountId,
    pub status_ids: Vec<i64>,
    pub comment: String,
    pub forward: bool,
    /// `None`: `violation` when rules are named, else `other` (as Mastodon).
    pub category: Option<String>,
    pub rule_ids: Vec<i64>,
    /// Mastodon 4.2's `forward_to_domains`: with `forward`, also the servers
    /// of accounts the reported posts reply to or mention (others: `Invalid`).
    pub forward_to_domains: Vec<String>,
}

/// Files the actor's report with their tenant's moderators, forwarding it
/// to the reported account's server when asked and the account is remote
/// (and to the `forward_to_domains` the reported posts reply to or mention).
pub async fn file(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    input: &ReportInput,
) -> Result<Report, ServiceError> {
    let tenant = actor.tenant.id;
    let target = accounts::get_visible(conn, tenant, input.target).await?.ok_or(ServiceError::NotFound)?;
    if input.comment.chars().count() > COMMENT_LIMIT {
        return Err(ServiceError::Invalid(format!("Comment is too long (maximum is {COMMENT_LIMIT} characters)")));
    }
    let category = match input.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if CATEGORIES.contains(&c) => c.to_string(),
        Some(other) => return Err(ServiceError::Invalid(format!("Category `{other}` is not a report category"))),
        None if !input.rule_ids.is_empty() => "violation".to_string(),
        None => "other".to_string(),
    };
    let mut rule_ids = input.rule_ids.clone();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    if !rule_ids.is_empty() {
        let rules: Vec<i64> = about::rules(conn, tenant).await?.into_iter().map(|r| r.id).collect();
        if rule_ids.iter().any(|id| !rules.contains(id)) {
            return Err(ServiceError::Invalid("Rule ids must name this server's rules".into()));
        }
    }
    // Only posts of the reported account that the reporter may see.
    let mut reported = Vec::new();
    for id in dedup(&input.status_ids) {
        let status = statuses::visible_one(conn, tenant, Some(actor.account.id), StatusId(id))
            .await?
            .filter(|s| s.account_id == target.id)
            .ok_or(ServiceError::NotFound)?;
        reported.push(status);
    }
    let forward = input.forward && !target.is_local();
    let target_inbox = outbound::inbox_of(&target);
    let also =
        crate::moderation::reports::forward_inboxes(conn, &reported, &input.forward_to_domains, target_inbox.as_ref())
            .await?;
    // The key pair is made before the transaction (it takes a while).
    let sender = if forward { Some(instance_actor::get(conn, actor.tenant).await?) } else { None };
    let status_ids: Vec<i64> = reported.iter().map(|s| s.id.0).collect();
    let new = NewReport {
        tenant,
        reporter: actor.account.id,
        target: target.id,
        status_ids: &status_ids,
        comment: input.comment.trim(),
        uri: None,
        category: &category,
        rule_ids: &rule_ids,
        forward,
    };
    let urls = actor.urls();
    conn.transaction(async |conn| -> Result<Report, ServiceError> {
        let report = reports::insert(conn, &new).await?.ok_or(ServiceError::NotFound)?;
        webhook_events::report_created(conn, tenant, report.id, &report.category, false).await?;
        let (Some(sender), Some(inbox)) = (sender, target_inbox) else { return Ok(report) };
        let Some(target_uri) = target.uri.clone() else { return Ok(report) };
        let mut objects = vec![target_uri];
        objects.extend(reported.iter().map(|s| s.uri.clone()));
        let id = format!("{}#reports/{}", instance_actor::id(&urls), report.id);
        let flag = ap::flag(&id, &instance_actor::id(&urls), &objects, &report.comment);
        let mut inboxes = vec![inbox];
        inboxes.extend(also);
        outbound::send(conn, sender.id, &flag, &inboxes).await?;
        reports::mark_forwarded(conn, report.id).await?;
        Ok(reports::get(conn, tenant, report.id).await?.unwrap_or(report))
    })
    .await
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// A `Flag` from another server about `target` (one of this tenant's
/// accounts), filed by the sending actor. Its category is read from the
/// comment when it starts with one (`spam: ...`), else `other`. `None` when
/// this `Flag` was already filed.
pub async fn receive(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    reporter: AccountId,
    target: AccountId,
    status_ids: &[StatusId],
    comment: &str,
    uri: &str,
) -> Result<Option<Report>, ServiceError> {
    let comment: String = comment.chars().take(COMMENT_LIMIT).collect();
    let category = category_of(&comment);
    let ids: Vec<i64> = status_ids.iter().map(|s| s.0).collect();
    let new = NewReport {
        tenant,
        reporter,
        target,
        status_ids: &ids,
        comment: &comment,
        uri: Some(uri),
        category,
        rule_ids: &[],
        forward: false,
    };
    let report = reports::insert(conn, &new).await?;
    if let Some(report) = &report {
        webhook_events::report_created(conn, tenant, report.id, &report.category, true).await?;
    }
    Ok(report)
}

/// `spam`, `legal` or `violation` when the comment's first word names it; `other` otherwise.
pub fn category_of(comment: &str) -> &'static str {
    let first = comment.split(|c: char| !c.is_alphanumeric()).find(|w| !w.is_empty()).unwrap_or("");
    let first = first.to_lowercase();
    CATEGORIES.iter().copied().find(|c| *c == first).unwrap_or("other")
}

/// What a moderator does to a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    AssignToSelf,
    Unassign,
    /// Resolve, saying what was done.
    Resolve(String),
    Reopen,
}

impl Step {
    fn verb(&self) -> &'static str {
        match self {
            Step::AssignToSelf => "assign_report",
            Step::Unassign => "unassign_report",
            Step::Resolve(_) => "resolve_report",
            Step::Reopen => "reopen_report",
        }
    }
}

/// A moderator of the actor's tenant moves report `id` on: one transaction
/// with its audit row. Another tenant's report is not found.
pub async fn act(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64, step: Step) -> Result<Report, ServiceError> {
    act_on(conn, actor, actor.tenant.id, id, step).await
}

/// The staff member `actor` (signed in on their own tenant) moves report `id`
/// of `tenant` on: the actor's tenant for its moderators, any tenant for a host
/// admin ([`staff::authorize_on`]). The audit row names the actor and the
/// tenant acted on; a report of another tenant than `tenant` is not found.
pub async fn act_on(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    tenant: DomainId,
    id: i64,
    step: Step,
) -> Result<Report, ServiceError> {
    let moderator = actor.account.id;
    staff::authorize_on(conn, actor.tenant.id, moderator, tenant, Need::Moderate).await?;
    let step = match step {
        Step::Resolve(text) => {
            let text = text.trim().to_string();
            if text.chars().count() > ACTION_LIMIT {
                return Err(ServiceError::Invalid(format!(
                    "The action taken is too long (maximum is {ACTION_LIMIT} characters)"
                )));
            }
            Step::Resolve(if text.is_empty() { "Resolved with no action".into() } else { text })
        }
        other => other,
    };
    let actor_label = format!("@{}@{}", actor.account.username, actor.tenant.account_host);
    conn.transaction(async |conn| -> Result<Report, ServiceError> {
        let changed = match &step {
            Step::AssignToSelf => reports::assign(conn, tenant, id, Some(moderator)).await?,
            Step::Unassign => reports::assign(conn, tenant, id, None).await?,
            Step::Resolve(text) => reports::resolve(conn, tenant, id, moderator, text).await?,
            Step::Reopen => reports::reopen(conn, tenant, id).await?,
        };
        let report = changed.ok_or(ServiceError::NotFound)?;
        let target_label = match accounts::get_unchecked(conn, AccountId(report.target_account_id)).await? {
            Some(target) => handle(conn, &target).await?,
            None => String::new(),
        };
        let detail = match &step {
            Step::Resolve(text) => text.clone(),
            _ => String::new(),
        };
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: Some(tenant),
                actor: Some(moderator),
                actor_label: &actor_label,
                action: step.verb(),
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

/// `@name@host` for any account.
pub async fn handle(conn: &mut AsyncPgConnection, account: &Account) -> Result<String, ServiceError> {
    match account.domain_id {
        Some(tenant) => {
            let domain =
                kereru_store::domains::get(conn, tenant).await.map_err(|e| ServiceError::Invalid(e.to_string()))?;
            Ok(format!("@{}@{}", account.username, domain.account_host))
        }
        None => Ok(format!("@{}@{}", account.username, account.remote_host.as_deref().unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flags_category_comes_from_its_first_word() {
        assert_eq!(category_of("Spam: buy now"), "spam");
        assert_eq!(category_of("  legal notice"), "legal");
        assert_eq!(category_of("violation of rule 2"), "violation");
        assert_eq!(category_of("spammy"), "other");
        assert_eq!(category_of(""), "other");
    }
}
