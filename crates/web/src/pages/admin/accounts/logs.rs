//! `/admin/action_logs`: the audit log, newest first. A tenant's moderators
//! and admins read that tenant's acts; host admins read every tenant's and
//! the host-wide ones.

use super::when;
use crate::pages::admin::StaffPage;
use crate::pages::{Page, PageError};
use crate::staff::Moderate;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::admin_actions::{self, LogScope};
use serde::{Deserialize, Serialize};

const PAGE: i64 = 50;

#[derive(Serialize)]
struct Entry {
    when: String,
    actor: String,
    action: String,
    target: String,
    target_url: Option<String>,
    detail: String,
    /// For host admins: the tenant's host, or "host-wide".
    tenant: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Before {
    before: Option<i64>,
}

/// `GET /admin/action_logs`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    staff: StaffPage<Moderate>,
    query: web::Query<Before>,
) -> Result<HttpResponse, PageError> {
    let everything = staff.staff.host_admin;
    let scope = if everything { LogScope::Everything } else { LogScope::Tenant(tenant.id) };
    let mut conn = state.pool.get().await?;
    let acts = admin_actions::list(&mut conn, scope, query.before, PAGE).await?;
    let mut hosts = std::collections::HashMap::new();
    let mut entries = Vec::with_capacity(acts.len());
    for act in &acts {
        let host = match act.domain_id {
            None => "host-wide".to_string(),
            Some(id) if id == tenant.id.0 => tenant.domain.account_host.to_string(),
            Some(id) => match hosts.get(&id) {
                Some(host) => String::clone(host),
                None => {
                    let host = kereru_store::domains::get(&mut conn, kereru_store::DomainId(id))
                        .await
                        .map(|d| d.account_host.to_string())
                        .unwrap_or_else(|_| "a removed tenant".into());
                    hosts.insert(id, host.clone());
                    host
                }
            },
        };
        // Accounts of this tenant link to their page here.
        let target_url = (act.target_type == "account" && act.domain_id == Some(tenant.id.0))
            .then(|| act.target_id.map(|id| format!("/admin/accounts/{id}")))
            .flatten();
        entries.push(Entry {
            when: when(act.created_at),
            actor: act.actor_label.clone(),
            action: act.action.replace('_', " "),
            target: if act.target_label.is_empty() {
                act.target_type.replace('_', " ")
            } else {
                act.target_label.clone()
            },
            target_url,
            detail: act.detail.clone(),
            tenant: everything.then_some(host),
        });
    }
    let older = (acts.len() as i64 == PAGE)
        .then(|| acts.last().map(|a| format!("/admin/action_logs?before={}", a.id)))
        .flatten();
    Page::new("admin/action_logs.html", &tenant, &staff.me.viewer)
        .insert("section", "action_logs")
        .insert("staff", &staff.nav())
        .insert("entries", &entries)
        .insert("everything", &everything)
        .insert("older", &older)
        .render(&state)
}
