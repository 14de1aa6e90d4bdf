//! A person's notification policy (Mastodon 4.3+): what becomes of a notification
//! from someone they don't follow, who doesn't follow them, a new account, a
//! private mention or an account their moderators limited — accept, filter (held
//! in a request, see [`crate::notification_requests`]) or drop. The rules follow
//! Mastodon's `NotifyService::FilterCondition`.

use crate::error::StoreError;
use crate::ids::{AccountId, StatusId};
use crate::schema::notification_policies;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The values a policy field takes.
pub const ACTIONS: &[&str] = &["accept", "filter", "drop"];

/// Notification types a policy may filter (Mastodon's `PROPERTIES[type][:filterable]`):
/// the others (`status`, `poll`, `update`) come from what the person chose to follow.
pub const FILTERABLE: &[&str] = &["mention", "reblog", "follow", "follow_request", "favourite"];

/// An account this young (Mastodon's `NEW_ACCOUNT_THRESHOLD`) is new.
const NEW_ACCOUNT_DAYS: i32 = 30;
/// A follower this recent (Mastodon's `NEW_FOLLOWER_THRESHOLD`) does not count yet.
const NEW_FOLLOWER_DAYS: i32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = notification_policies)]
pub struct Policy {
    pub for_not_following: String,
    pub for_not_followers: String,
    pub for_new_accounts: String,
    pub for_private_mentions: String,
    pub for_limited_accounts: String,
}

impl Default for Policy {
    /// Mastodon's defaults, but for limited accounts: their notifications to people who
    /// don't follow them were dropped here before policies existed, and still are until
    /// the person chooses otherwise (Mastodon filters them).
    fn default() -> Self {
        Policy {
            for_not_following: "accept".into(),
            for_not_followers: "accept".into(),
            for_new_accounts: "accept".into(),
            for_private_mentions: "filter".into(),
            for_limited_accounts: "drop".into(),
        }
    }
}

/// The person's policy (the defaults until they change it).
pub async fn get(conn: &mut AsyncPgConnection, account: AccountId) -> Result<Policy, StoreError> {
    Ok(notification_policies::table
        .filter(notification_policies::account_id.eq(account))
        .select(Policy::as_select())
        .first(conn)
        .await
        .optional()?
        .unwrap_or_default())
}

/// Stores the person's whole policy.
pub async fn save(conn: &mut AsyncPgConnection, account: AccountId, policy: &Policy) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO notification_policies (account_id, domain_id, for_not_following, for_not_followers, \
             for_new_accounts, for_private_mentions, for_limited_accounts) \
         SELECT a.id, a.domain_id, $2, $3, $4, $5, $6 FROM accounts a WHERE a.id = $1 AND a.domain_id IS NOT NULL \
         ON CONFLICT (account_id) DO UPDATE SET for_not_following = $2, for_not_followers = $3, \
             for_new_accounts = $4, for_private_mentions = $5, for_limited_accounts = $6, updated_at = now()",
    )
    .bind::<BigInt, _>(account.0)
    .bind::<Text, _>(&policy.for_not_following)
    .bind::<Text, _>(&policy.for_not_followers)
    .bind::<Text, _>(&policy.for_new_accounts)
    .bind::<Text, _>(&policy.for_private_mentions)
    .bind::<Text, _>(&policy.for_limited_accounts)
    .execute(conn)
    .await?;
    Ok(())
}

/// What becomes of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Accept,
    Filter,
    Drop,
}

impl Verdict {
    fn of(action: &str) -> Verdict {
        match action {
            "filter" => Verdict::Filter,
            "drop" => Verdict::Drop,
            _ => Verdict::Accept,
        }
    }
}

#[derive(QueryableByName)]
struct Facts {
    #[diesel(sql_type = Text)]
    for_not_following: String,
    #[diesel(sql_type = Text)]
    for_not_followers: String,
    #[diesel(sql_type = Text)]
    for_new_accounts: String,
    #[diesel(sql_type = Text)]
    for_private_mentions: String,
    #[diesel(sql_type = Text)]
    for_limited_accounts: String,
    #[diesel(sql_type = Bool)]
    permitted: bool,
    #[diesel(sql_type = Bool)]
    following: bool,
    #[diesel(sql_type = Bool)]
    follower: bool,
    #[diesel(sql_type = Bool)]
    new_account: bool,
    #[diesel(sql_type = Bool)]
    suspended: bool,
    #[diesel(sql_type = Bool)]
    private_mention: bool,
}

/// Judges a notification of `kind` from `from` to the local `recipient`.
/// `limited`: the recipient's tenant limits `from` (silenced or suspended, the
/// account or its host) and the recipient does not follow it; a suspension
/// always drops, a silence follows `for_limited_accounts`.
pub async fn judge(
    conn: &mut AsyncPgConnection,
    recipient: AccountId,
    from: AccountId,
    kind: &str,
    status: Option<StatusId>,
    limited: bool,
) -> Result<Verdict, StoreError> {
    let facts: Option<Facts> = diesel::sql_query(format!(
        "SELECT COALESCE(p.for_not_following, 'accept') AS for_not_following, \
             COALESCE(p.for_not_followers, 'accept') AS for_not_followers, \
             COALESCE(p.for_new_accounts, 'accept') AS for_new_accounts, \
             COALESCE(p.for_private_mentions, 'filter') AS for_private_mentions, \
             COALESCE(p.for_limited_accounts, 'drop') AS for_limited_accounts, \
             EXISTS (SELECT 1 FROM notification_permissions np WHERE np.account_id = r.id \
                 AND np.from_account_id = f.id AND np.domain_id = r.domain_id) AS permitted, \
             EXISTS (SELECT 1 FROM follows x WHERE x.account_id = r.id AND x.target_account_id = f.id \
                 AND x.state = 'accepted') AS following, \
             EXISTS (SELECT 1 FROM follows x WHERE x.account_id = f.id AND x.target_account_id = r.id \
                 AND x.state = 'accepted' AND x.created_at <= now() - interval '{NEW_FOLLOWER_DAYS} days') AS follower, \
             f.created_at > now() - interval '{NEW_ACCOUNT_DAYS} days' AS new_account, \
             ($4 AND (EXISTS (SELECT 1 FROM account_moderation am WHERE am.domain_id = r.domain_id \
                 AND am.account_id = f.id AND am.suspended_at IS NOT NULL) \
               OR EXISTS (SELECT 1 FROM domain_blocks db WHERE db.severity = 'suspend' \
                 AND (db.domain_id IS NULL OR db.domain_id = r.domain_id) \
                 AND (f.remote_host = db.host OR f.remote_host LIKE '%.' || db.host)))) AS suspended, \
             EXISTS (SELECT 1 FROM statuses s WHERE s.id = $3 AND s.visibility = 'direct' \
                 AND NOT EXISTS (SELECT 1 FROM statuses parent WHERE parent.id = s.in_reply_to_id \
                     AND parent.account_id = r.id)) AS private_mention \
         FROM accounts r JOIN accounts f ON f.id = $2 \
         LEFT JOIN notification_policies p ON p.account_id = r.id AND p.domain_id = r.domain_id \
         WHERE r.id = $1"
    ))
    .bind::<BigInt, _>(recipient.0)
    .bind::<BigInt, _>(from.0)
    .bind::<Nullable<BigInt>, _>(status.map(|s| s.0))
    .bind::<Bool, _>(limited)
    .get_result(conn)
    .await
    .optional()?;
    let Some(facts) = facts else { return Ok(Verdict::Drop) };
    if facts.suspended {
        return Ok(Verdict::Drop);
    }
    if !FILTERABLE.contains(&kind) || facts.permitted {
        // Not a type a policy filters, or a sender whose request the person accepted;
        // a limited account's notifications still follow the moderators' choice.
        return Ok(if limited && !FILTERABLE.contains(&kind) { Verdict::Drop } else { Verdict::Accept });
    }
    let mut verdict = Verdict::Accept;
    let mut consider = |holds: bool, action: &str| {
        if holds {
            verdict = verdict.max(Verdict::of(action));
        }
    };
    consider(limited, &facts.for_limited_accounts);
    consider(!facts.following, &facts.for_not_following);
    consider(!facts.follower, &facts.for_not_followers);
    consider(facts.new_account, &facts.for_new_accounts);
    consider(kind == "mention" && !facts.following && facts.private_mention, &facts.for_private_mentions);
    Ok(verdict)
}
