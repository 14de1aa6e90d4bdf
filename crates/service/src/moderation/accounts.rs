//! What a tenant's moderators do to accounts: approve or reject sign-ups,
//! suspend, silence (limit), mark sensitive, disable the login, send a
//! password reset or a new confirmation link — and undo each. One function,
//! one transaction, one audit row (`store::admin_actions`) in it.
//!
//! Reach: the staff member's role must reach this tenant
//! ([`crate::staff::meets`]) and, for a person with a login here, be above
//! theirs (a moderator cannot act on an admin, nobody on themselves), as
//! Mastodon's roles override one another. Host admins reach everyone but
//! themselves, on every tenant: `tenant` is the tenant acted on, `by` the
//! staff member as signed in on theirs ([`crate::staff::reaches`]).

use crate::error::ServiceError;
use crate::staff::{self, NOT_ALLOWED, Need};
use crate::{account_mails, account_security};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::Scheme;
use kereru_store::account_security as logins;
use kereru_store::admin_actions::{self, NewAdminAction};
use kereru_store::domains::Domain;
use kereru_store::moderation::{self, AdminAccount, Flag};
use kereru_store::roles::Staff;
use kereru_store::{AccountId, accounts as store_accounts};

/// An act on an account. The `Un…` ones and `Enable` undo the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Approve,
    Reject,
    Suspend,
    Unsuspend,
    Silence,
    Unsilence,
    Sensitive,
    Unsensitive,
    Disable,
    Enable,
    ResetPassword,
    ResendConfirmation,
    /// Deletes a suspended local account for good.
    Delete,
}

impl AccountAction {
    /// The audit log's verb.
    pub fn verb(self) -> &'static str {
        match self {
            AccountAction::Approve => "approve",
            AccountAction::Reject => "reject",
            AccountAction::Suspend => "suspend",
            AccountAction::Unsuspend => "unsuspend",
            AccountAction::Silence => "silence",
            AccountAction::Unsilence => "unsilence",
            AccountAction::Sensitive => "sensitive",
            AccountAction::Unsensitive => "unsensitive",
            AccountAction::Disable => "disable",
            AccountAction::Enable => "enable",
            AccountAction::ResetPassword => "reset_password",
            AccountAction::ResendConfirmation => "resend_confirmation",
            AccountAction::Delete => "delete",
        }
    }

    /// Parses a verb (the pages' forms send these).
    pub fn parse(verb: &str) -> Option<Self> {
        use AccountAction::*;
        [
            Approve,
            Reject,
            Suspend,
            Unsuspend,
            Silence,
            Unsilence,
            Sensitive,
            Unsensitive,
            Disable,
            Enable,
            ResetPassword,
            ResendConfirmation,
            Delete,
        ]
        .into_iter()
        .find(|a| a.verb() == verb)
    }

    /// Needs a login on this tenant (sign-ups, logins, mails).
    fn needs_login(self) -> bool {
        use AccountAction::*;
        matches!(self, Approve | Reject | Disable | Enable | ResetPassword | ResendConfirmation | Delete)
    }
}

/// Who acts, and how the audit log names them.
#[derive(Debug, Clone)]
pub struct Moderator {
    pub staff: Staff,
    pub label: String,
}

impl Moderator {
    /// The staff member `staff` (already authorized), labelled `@name@host`
    /// with the host of the tenant they are a login of.
    pub async fn of(conn: &mut AsyncPgConnection, tenant: &Domain, staff: Staff) -> Result<Self, ServiceError> {
        let account = store_accounts::get_unchecked(conn, staff.account).await?.ok_or(ServiceError::NotFound)?;
        // A host admin acting on another tenant is still named by their own.
        let host = if tenant.id == staff.tenant {
            tenant.account_host.to_string()
        } else {
            let home = kereru_store::domains::get(conn, staff.tenant).await.map_err(|_| ServiceError::NotFound)?;
            home.account_host.to_string()
        };
        Ok(Moderator { staff, label: format!("@{}@{host}", account.username) })
    }
}

/// How the audit log names an account: `@name` here, `@name@host` elsewhere.
pub fn account_label(target: &AdminAccount) -> String {
    match target.domain() {
        None => format!("@{}", target.account.username),
        Some(host) => format!("@{}@{host}", target.account.username),
    }
}

/// Extra facts for an act: Mastodon's `text` (a note kept in the log),
/// `report_id`, and `send_email_notification` (the person is told by mail:
/// suspend, silence, sensitive, disable and warnings, for this tenant's own accounts).
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub text: String,
    pub report: Option<i64>,
    pub notify: bool,
}

/// What the warning mail says was done; `None` for acts that send no warning.
fn warning_sentence(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "suspend" => "Your account was suspended: you cannot log in, and your profile and posts are hidden.",
        "silence" => "Your account was limited: your posts no longer appear in the public timelines.",
        "sensitive" => "Your account's media are now always marked sensitive.",
        "disable" => "Your login was disabled: you cannot log in for now.",
        "warn" => "The moderators sent you a warning.",
        _ => return None,
    })
}

/// Mails the warning for `verb` to `target` when asked and it has a login here.
async fn tell(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    target: &AdminAccount,
    verb: &str,
    details: &Details,
) -> Result<(), ServiceError> {
    let (Some(login), Some(what), true) = (&target.login, warning_sentence(verb), details.notify) else {
        return Ok(());
    };
    let base_url = tenant.urls(scheme).base();
    let site = account_mails::Site { name: &tenant.name, base_url: &base_url };
    let mail = account_mails::moderation(site, &target.account.username, what, &details.text);
    account_mails::send(conn, tenant.id, &login.email, &mail).await
}

/// The account as the staff of `tenant` sees it; `NotFound` for one it does not know.
pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    account: AccountId,
) -> Result<AdminAccount, ServiceError> {
    moderation::get(conn, tenant.id, account).await?.ok_or(ServiceError::NotFound)
}

/// Whether `by` may act on `target` at all.
fn reaches(by: &Staff, target: &AdminAccount) -> bool {
    if by.account == target.account.id {
        return false;
    }
    match &target.login {
        Some(login) if by.host_admin => !login.host_admin,
        Some(login) => by.role > login.role && !login.host_admin,
        None => true,
    }
}

/// Takes `action` on `target` for the staff of `tenant`. `Forbidden` when
/// the role does not reach (or the act makes no sense now: approving an
/// approved account), `Invalid` for login acts on an account without a login here.
pub async fn act(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    by: &Moderator,
    target: AccountId,
    action: AccountAction,
    details: &Details,
) -> Result<(), ServiceError> {
    let need = if action == AccountAction::Delete { Need::Administer } else { Need::Moderate };
    if !staff::reaches(&by.staff, tenant.id, need) {
        return Err(ServiceError::Forbidden(NOT_ALLOWED.into()));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let found = find(conn, tenant, target).await?;
        if !reaches(&by.staff, &found) {
            return Err(ServiceError::Forbidden(NOT_ALLOWED.into()));
        }
        if action.needs_login() && !found.is_local() {
            return Err(ServiceError::Invalid("This action is only for this server's own accounts".into()));
        }
        apply(conn, tenant, scheme, &found, action).await?;
        tell(conn, tenant, scheme, &found, action.verb(), details).await?;
        if let Some(report) = details.report
            && !moderation::mark_report_acted(conn, tenant.id, report, by.staff.account, action.verb()).await?
        {
            return Err(ServiceError::NotFound);
        }
        let label = account_label(&found);
        let detail = match details.report {
            Some(report) if details.text.is_empty() => format!("report {report}"),
            Some(report) => format!("report {report}: {}", details.text),
            None => details.text.clone(),
        };
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: Some(tenant.id),
                actor: Some(by.staff.account),
                actor_label: &by.label,
                action: action.verb(),
                target_type: "account",
                target_id: Some(target.0),
                target_label: &label,
                detail: &detail,
            },
        )
        .await?;
        Ok(())
    })
    .await
}

async fn apply(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    target: &AdminAccount,
    action: AccountAction,
) -> Result<(), ServiceError> {
    let id = target.account.id;
    let not_now = || ServiceError::Forbidden(NOT_ALLOWED.into());
    match action {
        AccountAction::Approve => {
            if !account_security::approve(conn, tenant, scheme, id).await? {
                return Err(not_now());
            }
        }
        AccountAction::Reject => {
            if !moderation::delete_pending(conn, tenant.id, id).await? {
                return Err(not_now());
            }
        }
        AccountAction::Suspend => {
            moderation::set_flag(conn, tenant.id, id, Flag::Suspended, true).await?;
            if target.is_local() {
                // Browser sessions end; OAuth tokens stay, refused while suspended (Mastodon's 403).
                logins::end_sessions(conn, tenant.id, id, None, false).await?;
            }
        }
        AccountAction::Unsuspend => {
            moderation::set_flag(conn, tenant.id, id, Flag::Suspended, false).await?;
        }
        AccountAction::Silence => {
            moderation::set_flag(conn, tenant.id, id, Flag::Silenced, true).await?;
        }
        AccountAction::Unsilence => {
            moderation::set_flag(conn, tenant.id, id, Flag::Silenced, false).await?;
        }
        AccountAction::Sensitive => {
            moderation::set_flag(conn, tenant.id, id, Flag::Sensitized, true).await?;
        }
        AccountAction::Unsensitive => {
            moderation::set_flag(conn, tenant.id, id, Flag::Sensitized, false).await?;
        }
        AccountAction::Disable => {
            moderation::set_disabled(conn, tenant.id, id, true).await?;
            logins::end_sessions(conn, tenant.id, id, None, false).await?;
        }
        AccountAction::Enable => {
            moderation::set_disabled(conn, tenant.id, id, false).await?;
        }
        AccountAction::ResetPassword => {
            let email = target.login.as_ref().map(|l| l.email.clone()).unwrap_or_default();
            account_security::request_password_reset(conn, tenant, scheme, &email).await?;
        }
        AccountAction::ResendConfirmation => {
            if target.login.as_ref().is_some_and(|l| l.confirmed_at.is_some()) {
                return Err(ServiceError::Invalid("This account's address is already confirmed".into()));
            }
            let email = target.login.as_ref().map(|l| l.email.clone()).unwrap_or_default();
            account_security::resend_confirmation(conn, tenant, scheme, &email).await?;
        }
        AccountAction::Delete => {
            if target.verdict.suspended_at.is_none() {
                return Err(ServiceError::Invalid("Only a suspended account can be deleted".into()));
            }
            // Leaves a tombstone and federates the Delete of the actor (modfed).
            super::deletion::delete_local(conn, tenant, scheme, &target.account).await?;
        }
    }
    Ok(())
}

/// Mastodon's `POST /api/v1/admin/accounts/:id/action` types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    None,
    Sensitive,
    Disable,
    Silence,
    Suspend,
}

impl Warning {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "none" => Warning::None,
            "sensitive" => Warning::Sensitive,
            "disable" => Warning::Disable,
            "silence" => Warning::Silence,
            "suspend" => Warning::Suspend,
            _ => return None,
        })
    }
}

/// Mastodon's "perform an action against an account": `none` only records
/// (a warning, with its text), the others take that action.
pub async fn perform(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    by: &Moderator,
    target: AccountId,
    warning: Warning,
    details: &Details,
) -> Result<(), ServiceError> {
    let action = match warning {
        Warning::None => return warn(conn, tenant, scheme, by, target, details).await,
        Warning::Sensitive => AccountAction::Sensitive,
        Warning::Disable => AccountAction::Disable,
        Warning::Silence => AccountAction::Silence,
        Warning::Suspend => AccountAction::Suspend,
    };
    act(conn, tenant, scheme, by, target, action, details).await
}

async fn warn(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    scheme: Scheme,
    by: &Moderator,
    target: AccountId,
    details: &Details,
) -> Result<(), ServiceError> {
    if !staff::reaches(&by.staff, tenant.id, Need::Moderate) {
        return Err(ServiceError::Forbidden(NOT_ALLOWED.into()));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let found = find(conn, tenant, target).await?;
        if !reaches(&by.staff, &found) {
            return Err(ServiceError::Forbidden(NOT_ALLOWED.into()));
        }
        if let Some(report) = details.report
            && !moderation::mark_report_acted(conn, tenant.id, report, by.staff.account, "none").await?
        {
            return Err(ServiceError::NotFound);
        }
        tell(conn, tenant, scheme, &found, "warn", details).await?;
        let label = account_label(&found);
        admin_actions::record(
            conn,
            &NewAdminAction {
                tenant: Some(tenant.id),
                actor: Some(by.staff.account),
                actor_label: &by.label,
                action: "warn",
                target_type: "account",
                target_id: Some(target.0),
                target_label: &label,
                detail: &details.text,
            },
        )
        .await?;
        Ok(())
    })
    .await
}
