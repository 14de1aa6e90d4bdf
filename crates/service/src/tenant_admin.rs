//! A tenant's admins running their server: its name, description,
//! registration mode and who may invite (`/admin/settings`), its rules
//! (`/admin/rules`), its terms of service (`/admin/terms`) and every invite
//! (`/admin/invites`). Each act checks the
//! admin's reach and records its audit row in the act's transaction.

use crate::ServiceError;
use crate::staff::{self, Need};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::domains::{self, Registrations};
use kereru_store::{AccountId, DomainId, about, invites, terms_of_service};

/// The admin acting on their tenant; `label` names them in the audit log (`@name@host`).
#[derive(Debug, Clone, Copy)]
pub struct Admin<'a> {
    pub tenant: DomainId,
    pub account: AccountId,
    pub label: &'a str,
}

impl Admin<'_> {
    pub(crate) async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        action: &str,
        target_type: &str,
        target_id: Option<i64>,
        target_label: &str,
        detail: &str,
    ) -> Result<(), ServiceError> {
        let act = NewAdminAction {
            tenant: Some(self.tenant),
            actor: Some(self.account),
            actor_label: self.label,
            action,
            target_type,
            target_id,
            target_label,
            detail,
        };
        admin_actions::record(conn, &act).await?;
        Ok(())
    }

    pub(crate) async fn authorize(&self, conn: &mut AsyncPgConnection) -> Result<(), ServiceError> {
        staff::authorize(conn, self.tenant, self.account, Need::Administer).await?;
        Ok(())
    }
}

pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 2000;
pub const MAX_RULE: usize = 500;

/// What `/admin/settings` edits.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub description: String,
    pub registrations: Registrations,
    pub invites_by_users: bool,
}

/// Why settings were refused, by field (`name`, `description`).
pub fn check_settings(settings: &Settings) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let name = settings.name.trim();
    if name.is_empty() {
        problems.push(("name", "Give the server a name.".to_string()));
    } else if name.chars().count() > MAX_NAME {
        problems.push(("name", format!("The name must be at most {MAX_NAME} characters.")));
    }
    if settings.description.trim().chars().count() > MAX_DESCRIPTION {
        problems.push(("description", format!("The description must be at most {MAX_DESCRIPTION} characters.")));
    }
    problems
}

pub async fn update_settings(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    settings: Settings,
) -> Result<(), ServiceError> {
    if let Some((_, problem)) = check_settings(&settings).into_iter().next() {
        return Err(ServiceError::Invalid(problem));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        let name = settings.name.trim();
        about::update(conn, admin.tenant, Some(name), Some(settings.description.trim())).await?;
        domains::set_registrations(conn, admin.tenant, settings.registrations).await?;
        invites::set_users_may_invite(conn, admin.tenant, settings.invites_by_users).await?;
        let detail = format!(
            "registrations {}, invites by {}",
            settings.registrations,
            if settings.invites_by_users { "everyone" } else { "staff" }
        );
        admin.record(conn, "update_settings", "tenant", Some(admin.tenant.0), name, &detail).await
    })
    .await
}

fn rule_text(text: &str) -> Result<&str, ServiceError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_RULE {
        return Err(ServiceError::Invalid(format!("A rule must be 1 to {MAX_RULE} characters.")));
    }
    Ok(text)
}

pub async fn add_rule(conn: &mut AsyncPgConnection, admin: Admin<'_>, text: &str) -> Result<about::Rule, ServiceError> {
    let text = rule_text(text)?;
    conn.transaction(async |conn| -> Result<about::Rule, ServiceError> {
        admin.authorize(conn).await?;
        let rule = about::add_rule(conn, admin.tenant, text).await?;
        admin.record(conn, "create_rule", "rule", Some(rule.id), text, "").await?;
        Ok(rule)
    })
    .await
}

pub async fn edit_rule(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    id: i64,
    text: &str,
) -> Result<(), ServiceError> {
    let text = rule_text(text)?;
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        if !about::edit_rule(conn, admin.tenant, id, text).await? {
            return Err(ServiceError::NotFound);
        }
        admin.record(conn, "update_rule", "rule", Some(id), text, "").await
    })
    .await
}

pub async fn remove_rule(conn: &mut AsyncPgConnection, admin: Admin<'_>, id: i64) -> Result<(), ServiceError> {
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        let text = about::rules(conn, admin.tenant).await?.into_iter().find(|r| r.id == id).map(|r| r.text);
        let Some(text) = text else { return Err(ServiceError::NotFound) };
        about::remove_rule(conn, admin.tenant, id).await?;
        admin.record(conn, "remove_rule", "rule", Some(id), &text, "").await
    })
    .await
}

/// Moves a rule one place up or down the list.
pub async fn move_rule(conn: &mut AsyncPgConnection, admin: Admin<'_>, id: i64, up: bool) -> Result<(), ServiceError> {
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        if !about::move_rule(conn, admin.tenant, id, up).await? {
            return Err(ServiceError::NotFound);
        }
        admin.record(conn, "move_rule", "rule", Some(id), "", if up { "up" } else { "down" }).await
    })
    .await
}

/// Ends anyone's invite on the tenant now.
pub async fn revoke_invite(conn: &mut AsyncPgConnection, admin: Admin<'_>, id: i64) -> Result<(), ServiceError> {
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        let invite = invites::revoke(conn, admin.tenant, id).await?.ok_or(ServiceError::NotFound)?;
        admin.record(conn, "revoke_invite", "invite", Some(invite.id), &invite.code, "").await
    })
    .await
}

/// The longest terms of service text, in characters.
pub const MAX_TERMS: usize = 100_000;

/// Publishes `text` as the terms of service in effect from `effective_date`
/// (replacing that date's version); shown by `/api/v1/instance/terms_of_service`.
pub async fn set_terms(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    effective_date: chrono::NaiveDate,
    text: &str,
) -> Result<(), ServiceError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TERMS {
        return Err(ServiceError::Invalid(format!("The terms must be 1 to {MAX_TERMS} characters.")));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        terms_of_service::set(conn, admin.tenant, effective_date, text).await?;
        let date = effective_date.format("%Y-%m-%d").to_string();
        admin.record(conn, "update_terms_of_service", "terms_of_service", None, &date, "").await
    })
    .await
}

/// Withdraws the version of the terms in effect from `effective_date`.
pub async fn remove_terms(
    conn: &mut AsyncPgConnection,
    admin: Admin<'_>,
    effective_date: chrono::NaiveDate,
) -> Result<(), ServiceError> {
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        admin.authorize(conn).await?;
        if !terms_of_service::remove(conn, admin.tenant, effective_date).await? {
            return Err(ServiceError::NotFound);
        }
        let date = effective_date.format("%Y-%m-%d").to_string();
        admin.record(conn, "destroy_terms_of_service", "terms_of_service", None, &date, "").await
    })
    .await
}
