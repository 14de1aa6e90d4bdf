//! A tenant's verdicts on accounts (`account_moderation`: suspended,
//! silenced, marked sensitive — local or remote accounts, each tenant its
//! own row), its logins' `disabled` flag, and the admin's view of accounts
//! (Mastodon's Admin::Account: the account, its login, the verdict).

use crate::accounts::Account;
use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::page::Page;
use crate::roles::Role;
use crate::schema::{account_moderation, accounts, domains, known_accounts, reports, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One tenant's verdict on one account; absent means none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable)]
pub struct Verdict {
    pub suspended_at: Option<DateTime<Utc>>,
    pub silenced_at: Option<DateTime<Utc>>,
    pub sensitized_at: Option<DateTime<Utc>>,
    pub note: String,
}

/// What a verdict can say about an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Suspended,
    Silenced,
    Sensitized,
}

impl Flag {
    fn column(self) -> &'static str {
        match self {
            Flag::Suspended => "suspended_at",
            Flag::Silenced => "silenced_at",
            Flag::Sensitized => "sensitized_at",
        }
    }
}

/// `tenant`'s verdict on `account` (the default when it has none).
pub async fn verdict(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<Verdict, StoreError> {
    Ok(account_moderation::table
        .filter(account_moderation::domain_id.eq(tenant.0))
        .filter(account_moderation::account_id.eq(account.0))
        .select((
            account_moderation::suspended_at,
            account_moderation::silenced_at,
            account_moderation::sensitized_at,
            account_moderation::note,
        ))
        .first(conn)
        .await
        .optional()?
        .unwrap_or_default())
}

/// Sets or clears `flag` in `tenant`'s verdict on `account` (an earlier
/// time is kept when set again); whether it was set before.
pub async fn set_flag(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    flag: Flag,
    on: bool,
) -> Result<bool, StoreError> {
    let before = verdict(conn, tenant, account).await?;
    let was = match flag {
        Flag::Suspended => before.suspended_at.is_some(),
        Flag::Silenced => before.silenced_at.is_some(),
        Flag::Sensitized => before.sensitized_at.is_some(),
    };
    // The column comes from a closed set above, never from input.
    let column = flag.column();
    let sql = format!(
        "INSERT INTO account_moderation (domain_id, account_id, {column}) \
         VALUES ($1, $2, CASE WHEN $3 THEN now() END) \
         ON CONFLICT (domain_id, account_id) DO UPDATE \
         SET {column} = CASE WHEN $3 THEN coalesce(account_moderation.{column}, now()) END, updated_at = now()"
    );
    diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(account.0)
        .bind::<Bool, _>(on)
        .execute(conn)
        .await?;
    Ok(was)
}

/// Whether `tenant` has suspended `account`.
pub async fn is_suspended(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<bool, StoreError> {
    Ok(verdict(conn, tenant, account).await?.suspended_at.is_some())
}

/// Turns `account`'s login on `tenant` off or on; false when it has none.
pub async fn set_disabled(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    disabled: bool,
) -> Result<bool, StoreError> {
    let changed = diesel::update(users::table)
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::account_id.eq(account.0))
        .set(users::disabled.eq(disabled))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// Deletes a sign-up that still waits for approval (its account, login and
/// everything of it); false when `account` is not such a sign-up of `tenant`.
pub async fn delete_pending(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<bool, StoreError> {
    let pending =
        users::table.filter(users::domain_id.eq(tenant.0)).filter(users::approved.eq(false)).select(users::account_id);
    let deleted = diesel::delete(accounts::table)
        .filter(accounts::domain_id.eq(tenant.0))
        .filter(accounts::id.eq(account.0))
        .filter(accounts::id.eq_any(pending))
        .execute(conn)
        .await?;
    Ok(deleted > 0)
}

/// Deletes a local account of `tenant` with everything of it; false when it is not one.
pub async fn delete_local(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(accounts::table)
        .filter(accounts::domain_id.eq(tenant.0))
        .filter(accounts::id.eq(account.0))
        .execute(conn)
        .await?;
    Ok(deleted > 0)
}

/// Marks a report of `tenant` as acted upon (an account action named it); false when it is not the tenant's.
pub async fn mark_report_acted(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    report: i64,
    by: AccountId,
    action: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(reports::table)
        .filter(reports::domain_id.eq(tenant.0))
        .filter(reports::id.eq(report))
        .set((
            reports::action_taken_at.eq(diesel::dsl::now),
            reports::action_taken_by_account_id.eq(by.0),
            reports::action_taken.eq(action),
            reports::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// The login side of an admin's view of a local account.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct LoginFacts {
    pub email: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub approved: bool,
    pub disabled: bool,
    pub role: Role,
    pub host_admin: bool,
    pub locale: Option<String>,
    pub signup_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_active_at: Option<DateTime<Utc>>,
}

/// An account as its tenant's staff sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAccount {
    pub account: Account,
    /// Its login on the viewing tenant (`None`: remote, or another tenant's).
    pub login: Option<LoginFacts>,
    pub verdict: Verdict,
    /// The account host of a local account's tenant (for another tenant's account).
    pub tenant_host: Option<String>,
}

impl AdminAccount {
    pub fn is_local(&self) -> bool {
        self.login.is_some()
    }

    pub fn pending(&self) -> bool {
        self.login.as_ref().is_some_and(|l| !l.approved)
    }

    pub fn disabled(&self) -> bool {
        self.login.as_ref().is_some_and(|l| l.disabled)
    }

    /// The host of the handle, `None` for the tenant's own accounts.
    pub fn domain(&self) -> Option<String> {
        if self.is_local() { None } else { self.account.remote_host.clone().or_else(|| self.tenant_host.clone()) }
    }
}

/// Where the listed accounts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Local,
    Remote,
}

/// Mastodon's account states for the admin lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Active,
    Pending,
    Disabled,
    Silenced,
    Suspended,
    Sensitized,
}

/// The admin list's filters (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub origin: Option<Origin>,
    pub state: Option<State>,
    /// Only these roles (local accounts).
    pub roles: Vec<Role>,
    /// Username prefix, case-insensitive.
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub by_domain: Option<String>,
    pub email: Option<String>,
}

fn like_anywhere(text: &str) -> String {
    crate::statuses::contains_pattern(text.trim())
}

type Row = (
    Account,
    Option<LoginFacts>,
    Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, String)>,
    Option<String>,
);

/// The accounts `tenant` knows (its own and those it has come to know),
/// filtered, paged by id, newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    filter: &AccountFilter,
    page: Page,
) -> Result<Vec<AdminAccount>, StoreError> {
    let known = known_accounts::table.filter(known_accounts::domain_id.eq(tenant.0)).select(known_accounts::account_id);
    let mut query = accounts::table
        .left_join(users::table.on(users::account_id.eq(accounts::id).and(users::domain_id.eq(tenant.0))))
        .left_join(
            account_moderation::table
                .on(account_moderation::account_id.eq(accounts::id).and(account_moderation::domain_id.eq(tenant.0))),
        )
        .left_join(domains::table.on(accounts::domain_id.eq(domains::id.nullable())))
        .filter(accounts::domain_id.eq(tenant.0).or(accounts::id.eq_any(known)))
        // Not the instance actor, nor a deleted account's tombstone (local rows without a login).
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "(accounts.domain_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.account_id = accounts.id))",
        ))
        .select((
            Account::as_select(),
            (
                users::email,
                users::confirmed_at,
                users::approved,
                users::disabled,
                users::role,
                users::host_admin,
                users::locale,
                users::signup_reason,
                users::created_at,
                users::last_active_at,
            )
                .nullable(),
            (
                account_moderation::suspended_at,
                account_moderation::silenced_at,
                account_moderation::sensitized_at,
                account_moderation::note,
            )
                .nullable(),
            domains::account_host.nullable(),
        ))
        .into_boxed();
    match filter.origin {
        Some(Origin::Local) => query = query.filter(accounts::domain_id.eq(tenant.0)),
        Some(Origin::Remote) => query = query.filter(accounts::domain_id.is_distinct_from(tenant.0)),
        None => {}
    }
    match filter.state {
        Some(State::Active) => query = query.filter(account_moderation::suspended_at.is_null()),
        Some(State::Pending) => query = query.filter(users::approved.eq(false)),
        Some(State::Disabled) => query = query.filter(users::disabled.eq(true)),
        Some(State::Silenced) => query = query.filter(account_moderation::silenced_at.is_not_null()),
        Some(State::Suspended) => query = query.filter(account_moderation::suspended_at.is_not_null()),
        Some(State::Sensitized) => query = query.filter(account_moderation::sensitized_at.is_not_null()),
        None => {}
    }
    if !filter.roles.is_empty() {
        query = query.filter(users::role.eq_any(filter.roles.clone()));
    }
    if let Some(name) = filter.username.as_deref().filter(|n| !n.trim().is_empty()) {
        let prefix = format!("{}%", like_anywhere(name).trim_start_matches('%').trim_end_matches('%'));
        query = query.filter(accounts::username.ilike(prefix));
    }
    if let Some(name) = filter.display_name.as_deref().filter(|n| !n.trim().is_empty()) {
        query = query.filter(accounts::display_name.ilike(like_anywhere(name)));
    }
    if let Some(host) = filter.by_domain.as_deref().filter(|n| !n.trim().is_empty()) {
        let pattern = like_anywhere(host);
        query = query.filter(accounts::remote_host.ilike(pattern.clone()).or(domains::account_host.ilike(pattern)));
    }
    if let Some(email) = filter.email.as_deref().filter(|n| !n.trim().is_empty()) {
        query = query.filter(users::email.ilike(like_anywhere(email)));
    }
    if let Some(max) = page.max_id {
        query = query.filter(accounts::id.lt(max));
    }
    if let Some(since) = page.since_id {
        query = query.filter(accounts::id.gt(since));
    }
    if let Some(min) = page.min_id {
        query = query.filter(accounts::id.gt(min));
    }
    query = if page.ascending() { query.order(accounts::id.asc()) } else { query.order(accounts::id.desc()) };
    let rows: Vec<Row> = query.limit(page.limit.max(1)).load(conn).await?;
    let mut out: Vec<AdminAccount> = rows
        .into_iter()
        .map(|(account, login, verdict, host)| {
            let verdict = verdict
                .map(|(suspended_at, silenced_at, sensitized_at, note)| Verdict {
                    suspended_at,
                    silenced_at,
                    sensitized_at,
                    note,
                })
                .unwrap_or_default();
            AdminAccount { account, login, verdict, tenant_host: host }
        })
        .collect();
    if page.ascending() {
        out.reverse();
    }
    Ok(out)
}

/// One account `tenant` knows, as its staff sees it.
pub async fn get(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
) -> Result<Option<AdminAccount>, StoreError> {
    // The id as both bounds of a one-row page.
    let page = Page {
        max_id: Some(account.0.saturating_add(1)),
        since_id: Some(account.0.saturating_sub(1)),
        min_id: None,
        limit: 1,
    };
    Ok(list(conn, tenant, &AccountFilter::default(), page).await?.into_iter().next())
}

/// How many sign-ups of `tenant` wait for approval.
pub async fn pending_count(conn: &mut AsyncPgConnection, tenant: DomainId) -> Result<i64, StoreError> {
    Ok(users::table
        .filter(users::domain_id.eq(tenant.0))
        .filter(users::approved.eq(false))
        .count()
        .get_result(conn)
        .await?)
}

/// The SQL condition "account `col` is not suspended by tenant `tenant_param`", for feeds.
pub fn not_suspended_sql(col: &str, tenant_param: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM account_moderation am WHERE am.domain_id = {tenant_param} \
         AND am.account_id = {col} AND am.suspended_at IS NOT NULL)"
    )
}

/// The SQL condition "account `col` is not silenced by tenant `tenant_param`, or viewer `viewer_param` follows it".
pub fn not_silenced_sql(col: &str, tenant_param: &str, viewer_param: &str) -> String {
    format!(
        "(NOT EXISTS (SELECT 1 FROM account_moderation am WHERE am.domain_id = {tenant_param} \
         AND am.account_id = {col} AND am.silenced_at IS NOT NULL) \
         OR {col} = {viewer_param} \
         OR EXISTS (SELECT 1 FROM follows fs WHERE fs.account_id = {viewer_param} \
             AND fs.target_account_id = {col} AND fs.state = 'accepted'))"
    )
}

/// Whether a notification from `from` to `recipient` is dropped: the
/// recipient's tenant suspended `from`, or silenced it and the recipient does not follow it.
pub async fn drops_notification(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
) -> Result<bool, StoreError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        dropped: bool,
    }
    let found: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM accounts r JOIN account_moderation am \
             ON am.domain_id = r.domain_id AND am.account_id = $2 \
           WHERE r.id = $1 AND (am.suspended_at IS NOT NULL OR (am.silenced_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1 \
                 AND f.target_account_id = $2 AND f.state = 'accepted')))) AS dropped",
    )
    .bind::<BigInt, _>(recipient.0)
    .bind::<BigInt, _>(from.0)
    .get_result(conn)
    .await?;
    Ok(found.dropped)
}
