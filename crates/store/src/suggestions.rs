//! Follow suggestions (`/api/v1/suggestions`, `/api/v2/suggestions`): accounts
//! the person's follows follow, then the tenant's active local accounts; never
//! someone already followed, blocked or muted either way, or dismissed.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::suggestion_dismissals;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Why an account is suggested (Mastodon's `sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Followed by accounts the person follows.
    FriendsOfFriends,
    /// An active local account with followers here.
    MostFollowed,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::FriendsOfFriends => "friends_of_friends",
            Source::MostFollowed => "most_followed",
        }
    }

    /// Mastodon's deprecated single `source` for it.
    pub fn legacy(self) -> &'static str {
        match self {
            Source::FriendsOfFriends => "past_interactions",
            Source::MostFollowed => "global",
        }
    }
}

/// An account `$2`'s tenant sees that `$1` may be suggested: discoverable, a
/// person, not suspended here, not `$1` nor anyone `$1` follows, blocks, mutes,
/// is blocked by or dismissed. `alias` names the `accounts` row.
fn suggestible(alias: &str) -> String {
    format!(
        "{alias}.discoverable AND {alias}.id <> $1 AND {alias}.moved_to_uri IS NULL \
         AND ({alias}.domain_id = $2 OR {alias}.id IN (SELECT k.account_id FROM known_accounts k WHERE k.domain_id = $2)) \
         AND ({alias}.domain_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.account_id = {alias}.id \
              AND u.approved AND NOT u.disabled)) \
         AND NOT EXISTS (SELECT 1 FROM account_moderation m WHERE m.domain_id = $2 AND m.account_id = {alias}.id \
              AND m.suspended_at IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_account_id = {alias}.id) \
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $1 AND b.target_account_id = {alias}.id) \
              OR (b.account_id = {alias}.id AND b.target_account_id = $1)) \
         AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = $1 AND mu.target_account_id = {alias}.id) \
         AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals d WHERE d.account_id = $1 AND d.target_account_id = {alias}.id)"
    )
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    source: String,
}

/// Up to `limit` suggestions for `account` on `tenant`, best first, each with its sources.
pub async fn for_account(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    limit: i64,
) -> Result<Vec<(AccountId, Vec<Source>)>, StoreError> {
    let sql = format!(
        "(SELECT a.id, 'friends_of_friends' AS source, count(*) AS weight, 0 AS kind \
           FROM follows f1 \
           JOIN follows f2 ON f2.account_id = f1.target_account_id AND f2.state = 'accepted' \
           JOIN accounts a ON a.id = f2.target_account_id \
          WHERE f1.account_id = $1 AND f1.state = 'accepted' AND {} \
          GROUP BY a.id ORDER BY weight DESC, a.id DESC LIMIT $3) \
         UNION ALL \
         (SELECT a.id, 'most_followed' AS source, \
                 (SELECT count(*) FROM follows f WHERE f.target_account_id = a.id AND f.state = 'accepted') AS weight, \
                 1 AS kind \
           FROM accounts a \
          WHERE a.domain_id = $2 AND {} \
          ORDER BY weight DESC, \
                (SELECT max(s.created_at) FROM statuses s WHERE s.account_id = a.id) DESC NULLS LAST, a.id DESC \
          LIMIT $3) \
         ORDER BY kind, weight DESC",
        suggestible("a"),
        suggestible("a")
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<BigInt, _>(account.0)
        .bind::<BigInt, _>(tenant.0)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
    let mut out: Vec<(AccountId, Vec<Source>)> = Vec::new();
    for row in rows {
        let source = if row.source == "friends_of_friends" { Source::FriendsOfFriends } else { Source::MostFollowed };
        match out.iter_mut().find(|(id, _)| id.0 == row.id) {
            Some((_, sources)) => sources.push(source),
            None => out.push((AccountId(row.id), vec![source])),
        }
    }
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

/// `account` no longer wants `target` suggested.
pub async fn dismiss(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    account: AccountId,
    target: AccountId,
) -> Result<(), StoreError> {
    diesel::insert_into(suggestion_dismissals::table)
        .values((
            suggestion_dismissals::domain_id.eq(tenant.0),
            suggestion_dismissals::account_id.eq(account.0),
            suggestion_dismissals::target_account_id.eq(target.0),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}
