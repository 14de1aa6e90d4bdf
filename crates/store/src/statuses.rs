//! Statuses, and every way of reading them as one tenant and one viewer may.
//!
//! All reads go through [`visible`]: it joins `status_receipts` on the tenant
//! (a status another tenant never received does not exist here) and applies
//! Mastodon's visibility rules for the viewer, so no caller can forget either.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, StatusId};
use crate::page::Page;
use crate::schema::{mentions, status_receipts, status_tags, statuses};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Who may see a status; stored as its Mastodon name in a text column
/// (`statuses.visibility`, `users.default_visibility`), read and written as this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Visibility::Public),
            "unlisted" => Ok(Visibility::Unlisted),
            "private" => Ok(Visibility::Private),
            "direct" => Ok(Visibility::Direct),
            other => Err(format!("`{other}` is not one of: public, unlisted, private, direct")),
        }
    }
}

impl diesel::serialize::ToSql<Text, diesel::pg::Pg> for Visibility {
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
    }
}

impl diesel::deserialize::FromSql<Text, diesel::pg::Pg> for Visibility {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = <String as diesel::deserialize::FromSql<Text, diesel::pg::Pg>>::from_sql(bytes)?;
        Ok(text.parse()?)
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = statuses)]
pub struct Status {
    pub id: StatusId,
    /// The author's tenant; `None` for a status of another server.
    pub domain_id: Option<DomainId>,
    pub account_id: AccountId,
    pub uri: String,
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub in_reply_to_id: Option<StatusId>,
    pub in_reply_to_account_id: Option<AccountId>,
    pub reblog_of_id: Option<StatusId>,
    pub application_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// The HTML page of a remote status.
    pub url: Option<String>,
}

impl Status {
    pub fn is_local(&self) -> bool {
        self.domain_id.is_some()
    }

    pub fn visibility(&self) -> Visibility {
        self.visibility
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = statuses)]
pub struct NewStatus {
    pub id: StatusId,
    pub domain_id: Option<DomainId>,
    pub account_id: AccountId,
    pub uri: String,
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub in_reply_to_id: Option<StatusId>,
    pub in_reply_to_account_id: Option<AccountId>,
    pub reblog_of_id: Option<StatusId>,
    pub application_id: Option<i64>,
    pub url: Option<String>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewStatus) -> Result<Status, StoreError> {
    Ok(diesel::insert_into(statuses::table).values(new).returning(Status::as_returning()).get_result(conn).await?)
}

/// Marks a status as received by these tenants (idempotent).
pub async fn add_receipts(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    domains: &[DomainId],
) -> Result<(), StoreError> {
    let rows: Vec<_> =
        domains.iter().map(|d| (status_receipts::domain_id.eq(d), status_receipts::status_id.eq(status))).collect();
    diesel::insert_into(status_receipts::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

pub async fn add_mentions(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    accounts: &[AccountId],
) -> Result<(), StoreError> {
    let rows: Vec<_> = accounts.iter().map(|a| (mentions::status_id.eq(status), mentions::account_id.eq(a))).collect();
    diesel::insert_into(mentions::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

pub async fn add_tags(conn: &mut AsyncPgConnection, status: StatusId, tags: &[String]) -> Result<(), StoreError> {
    let rows: Vec<_> = tags.iter().map(|t| (status_tags::status_id.eq(status), status_tags::name.eq(t))).collect();
    diesel::insert_into(status_tags::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

/// A status by id with no visibility check: for the service layer's own bookkeeping only.
pub async fn get_unchecked(conn: &mut AsyncPgConnection, id: StatusId) -> Result<Option<Status>, StoreError> {
    Ok(statuses::table.find(id).select(Status::as_select()).first(conn).await.optional()?)
}

pub async fn mentioned_accounts(
    conn: &mut AsyncPgConnection,
    status_ids: &[StatusId],
) -> Result<Vec<(StatusId, AccountId)>, StoreError> {
    Ok(mentions::table
        .filter(mentions::status_id.eq_any(status_ids))
        .select((mentions::status_id, mentions::account_id))
        .load(conn)
        .await?)
}

pub async fn tags_of(
    conn: &mut AsyncPgConnection,
    status_ids: &[StatusId],
) -> Result<Vec<(StatusId, String)>, StoreError> {
    Ok(status_tags::table
        .filter(status_tags::status_id.eq_any(status_ids))
        .select((status_tags::status_id, status_tags::name))
        .order(status_tags::name.asc())
        .load(conn)
        .await?)
}

/// Which statuses a query selects, before visibility and paging.
#[derive(Debug, Clone)]
pub enum Feed {
    Ids(Vec<StatusId>),
    Account {
        account: AccountId,
        exclude_replies: bool,
        exclude_reblogs: bool,
        pinned: bool,
        tagged: Option<String>,
        only_media: bool,
    },
    /// The viewer's home: their own statuses and those of accounts they follow
    /// (but members of their exclusive lists), and public posts with tags they follow.
    Home,
    /// One of the viewer's lists: its members' statuses, its replies policy applied.
    List(i64),
    Public {
        local: bool,
        remote: bool,
    },
    Tag {
        name: String,
        local: bool,
        remote: bool,
    },
    /// Direct replies to a status (the context walks them).
    RepliesTo(StatusId),
    /// Boosts of a status (who boosted it).
    ReblogsOf(StatusId),
    /// This tenant's own statuses whose text contains the words (no boosts).
    Search(String),
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The SQL condition "viewer ($2) may see status `s`" (receipt for tenant $1 checked separately).
fn visibility_sql(s: &str) -> String {
    format!(
        "({s}.visibility IN ('public', 'unlisted') \
         OR {s}.account_id = $2 \
         OR ({s}.visibility = 'private' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $2 \
             AND f.target_account_id = {s}.account_id AND f.state = 'accepted')) \
         OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = {s}.id AND m.account_id = $2)) \
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = {s}.account_id AND b.target_account_id = $2) \
             OR (b.account_id = $2 AND b.target_account_id = {s}.account_id))"
    )
}

/// Statuses of `feed` that `viewer` (or an anonymous visitor) may see on `tenant`, paged, newest first.
pub async fn visible(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    viewer: Option<AccountId>,
    feed: &Feed,
    page: Page,
) -> Result<Vec<Status>, StoreError> {
    let mut conditions = vec![
        "EXISTS (SELECT 1 FROM status_receipts r WHERE r.domain_id = $1 AND r.status_id = s.id)".to_string(),
        visibility_sql("s"),
        // A boost is visible only with the status it boosts.
        format!(
            "(s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {} AND {}))",
            visibility_sql("o"),
            crate::moderation::not_suspended_sql("o.account_id", "$1")
        ),
        // Accounts this tenant's staff suspended are gone from its views.
        crate::moderation::not_suspended_sql("s.account_id", "$1"),
    ];
    // $3 is the feed's one value, bound as both a bigint and text; unused ones are NULL.
    let mut feed_id: Option<i64> = None;
    let mut feed_text: Option<String> = None;
    let mut ids: Vec<StatusId> = Vec::new();
    match feed {
        Feed::Ids(list) => {
            ids = list.clone();
            conditions.push("s.id = ANY($5)".into());
        }
        Feed::Account { account, exclude_replies, exclude_reblogs, pinned, tagged, only_media } => {
            feed_id = Some(account.0);
            conditions.push("s.account_id = $3".into());
            if *exclude_replies {
                conditions.push("(s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)".into());
            }
            if *exclude_reblogs {
                conditions.push("s.reblog_of_id IS NULL".into());
            }
            if *only_media {
                conditions.push("EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)".into());
            }
            if *pinned {
                conditions
                    .push("EXISTS (SELECT 1 FROM status_pins p WHERE p.account_id = $3 AND p.status_id = s.id)".into());
            }
            if let Some(tag) = tagged {
                feed_text = Some(tag.clone());
                conditions.push("EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id AND t.name = $4)".into());
            }
        }
        Feed::Home => {
            // Replies show when they answer the viewer, themselves, or someone the viewer follows.
            conditions.push(format!(
                "((s.account_id = $2 OR EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $2 \
                   AND f.target_account_id = s.account_id AND f.state = 'accepted' \
                   AND (s.reblog_of_id IS NULL OR f.show_reblogs))) \
                 AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = $2 \
                   OR s.in_reply_to_account_id = s.account_id \
                   OR EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = $2 \
                       AND f2.target_account_id = s.in_reply_to_account_id AND f2.state = 'accepted')) \
                 OR {})",
                followed_tag_sql()
            ));
            conditions.push(crate::lists::not_in_exclusive_list_sql("s.account_id", "$2"));
            conditions.push(not_muted_sql());
        }
        Feed::List(list) => {
            feed_id = Some(*list);
            conditions.push(crate::lists::list_feed_sql("$1", "$2", "$3"));
            conditions.push(not_muted_sql());
        }
        Feed::Public { local, remote } => {
            conditions.push("s.visibility = 'public' AND s.reblog_of_id IS NULL".into());
            // Silenced (limited) accounts stay out of public timelines but for their followers.
            conditions.push(crate::moderation::not_silenced_sql("s.account_id", "$1", "$2"));
            conditions.push(crate::domain_blocks::not_silenced_sql("s", "$1", "$2"));
            push_origin(&mut conditions, *local, *remote);
        }
        Feed::Tag { name, local, remote } => {
            feed_text = Some(name.clone());
            conditions.push("s.visibility = 'public' AND s.reblog_of_id IS NULL".into());
            conditions.push(crate::moderation::not_silenced_sql("s.account_id", "$1", "$2"));
            conditions.push("EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id AND t.name = $4)".into());
            conditions.push(crate::domain_blocks::not_silenced_sql("s", "$1", "$2"));
            push_origin(&mut conditions, *local, *remote);
        }
        Feed::RepliesTo(parent) => {
            feed_id = Some(parent.0);
            conditions.push("s.in_reply_to_id = $3".into());
        }
        Feed::ReblogsOf(original) => {
            feed_id = Some(original.0);
            conditions.push("s.reblog_of_id = $3".into());
        }
        Feed::Search(words) => {
            feed_text = Some(contains_pattern(words));
            conditions.push("s.domain_id = $1 AND s.reblog_of_id IS NULL AND s.text ILIKE $4".into());
        }
    }
    // A person's own domain blocks and (unexpired) mutes hide those posts, and boosts of them,
    // from every feed, as Mastodon; a status asked for by id or on its author's profile still shows.
    if !matches!(feed, Feed::Ids(_) | Feed::Account { .. }) {
        let hidden_author = |alias: &str| {
            format!(
                "(NOT {} OR EXISTS (SELECT 1 FROM mutes mh WHERE mh.account_id = $2 \
                   AND mh.target_account_id = {alias}.account_id AND (mh.expires_at IS NULL OR mh.expires_at > now())))",
                crate::account_domain_blocks::not_blocked_sql(alias, "$2")
            )
        };
        conditions.push(format!("NOT {}", hidden_author("s")));
        conditions.push(format!(
            "(s.reblog_of_id IS NULL OR NOT EXISTS (SELECT 1 FROM statuses ob WHERE ob.id = s.reblog_of_id AND {}))",
            hidden_author("ob")
        ));
    }
    let (page_conditions, order, page_params) = page.sql("s.id", 6);
    conditions.extend(page_conditions);
    let limit = page.limit.max(1);
    let sql =
        format!("SELECT s.* FROM statuses s WHERE {} ORDER BY s.id {order} LIMIT {limit}", conditions.join(" AND "));
    let mut query = diesel::sql_query(sql)
        .into_boxed::<diesel::pg::Pg>()
        .bind::<BigInt, _>(tenant.0)
        .bind::<Nullable<BigInt>, _>(viewer.map(|v| v.0))
        .bind::<Nullable<BigInt>, _>(feed_id)
        .bind::<Nullable<Text>, _>(feed_text)
        .bind::<Array<BigInt>, _>(ids);
    for value in page_params {
        query = query.bind::<BigInt, _>(value);
    }
    let mut rows: Vec<Status> = query.load(conn).await?;
    if page.ascending() {
        rows.reverse();
    }
    Ok(rows)
}

/// "The viewer ($2) has not muted the author (an unexpired mute)".
fn not_muted_sql() -> String {
    "NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = $2 AND mu.target_account_id = s.account_id \
       AND (mu.expires_at IS NULL OR mu.expires_at > now()))"
        .into()
}

/// "Status `s` is a public post (no boost) with a tag the viewer ($2) follows on tenant $1",
/// as Mastodon brings followed tags into home; silenced authors stay out, as in public timelines.
fn followed_tag_sql() -> String {
    format!(
        "(s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.account_id IS DISTINCT FROM $2 \
          AND EXISTS (SELECT 1 FROM tag_follows tf JOIN tags tg ON tg.id = tf.tag_id \
                JOIN status_tags stg ON stg.name = tg.name \
              WHERE tf.account_id = $2 AND tf.domain_id = $1 AND stg.status_id = s.id) \
          AND {})",
        crate::moderation::not_silenced_sql("s.account_id", "$1", "$2")
    )
}

fn push_origin(conditions: &mut Vec<String>, local: bool, remote: bool) {
    match (local, remote) {
        (true, false) => conditions.push("s.domain_id = $1".into()),
        (false, true) => conditions.push("s.domain_id IS DISTINCT FROM $1".into()),
        _ => {}
    }
}

/// One status if `viewer` may see it on `tenant`.
pub async fn visible_one(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    viewer: Option<AccountId>,
    id: StatusId,
) -> Result<Option<Status>, StoreError> {
    let page = Page { limit: 1, ..Page::default() };
    Ok(visible(conn, tenant, viewer, &Feed::Ids(vec![id]), page).await?.into_iter().next())
}

/// Status `id` if it belongs to `feed` as `viewer` sees it on `tenant`:
/// the same rules as a page of that feed, for one status (streaming asks
/// this of every new status before sending it).
pub async fn visible_in_feed(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    viewer: Option<AccountId>,
    feed: &Feed,
    id: StatusId,
) -> Result<Option<Status>, StoreError> {
    let page =
        Page { max_id: Some(id.0.saturating_add(1)), since_id: Some(id.0.saturating_sub(1)), min_id: None, limit: 1 };
    Ok(visible(conn, tenant, viewer, feed, page).await?.into_iter().next())
}

/// Hashtags starting with `prefix` (lower case) used in statuses `viewer`
/// may see on `tenant` (the rules of [`visible`]), by name, for search.
pub async fn search_tags(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    viewer: Option<AccountId>,
    prefix: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    #[derive(QueryableByName)]
    struct Tag {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let sql = format!(
        "SELECT DISTINCT t.name FROM status_tags t JOIN statuses s ON s.id = t.status_id \
         WHERE t.name LIKE $3 \
           AND EXISTS (SELECT 1 FROM status_receipts r WHERE r.domain_id = $1 AND r.status_id = s.id) \
           AND {} \
         ORDER BY t.name ASC OFFSET $4 LIMIT $5",
        visibility_sql("s")
    );
    let pattern = format!("{}%", contains_pattern(prefix).trim_matches('%'));
    let rows: Vec<Tag> = diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.0)
        .bind::<Nullable<BigInt>, _>(viewer.map(|v| v.0))
        .bind::<Text, _>(pattern)
        .bind::<BigInt, _>(offset)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|t| t.name).collect())
}

/// A status's earlier versions (and its current one), oldest first, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Edit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: DateTime<Utc>,
}

/// The recorded versions of status `id`; the caller checked that the viewer may see it.
pub async fn edits(conn: &mut AsyncPgConnection, id: StatusId) -> Result<Vec<Edit>, StoreError> {
    use crate::schema::status_edits;
    Ok(status_edits::table
        .filter(status_edits::status_id.eq(id))
        .order(status_edits::id.asc())
        .select((status_edits::content, status_edits::spoiler_text, status_edits::sensitive, status_edits::created_at))
        .load(conn)
        .await?)
}

/// Public and unlisted statuses (boosts included) of an account: the size of its outbox.
pub async fn outbox_count(conn: &mut AsyncPgConnection, account: AccountId) -> Result<i64, StoreError> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account))
        .filter(statuses::visibility.eq_any([Visibility::Public, Visibility::Unlisted]))
        .count()
        .get_result(conn)
        .await?)
}

/// Counts shown on a status.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct Counts {
    #[diesel(sql_type = BigInt)]
    pub id: StatusId,
    #[diesel(sql_type = BigInt)]
    pub replies: i64,
    #[diesel(sql_type = BigInt)]
    pub reblogs: i64,
    #[diesel(sql_type = BigInt)]
    pub favourites: i64,
}

pub async fn counts(conn: &mut AsyncPgConnection, ids: &[StatusId]) -> Result<HashMap<StatusId, Counts>, StoreError> {
    let rows: Vec<Counts> = diesel::sql_query(
        "SELECT s.id, \
           (SELECT count(*) FROM statuses r WHERE r.in_reply_to_id = s.id) AS replies, \
           (SELECT count(*) FROM statuses b WHERE b.reblog_of_id = s.id) AS reblogs, \
           (SELECT count(*) FROM favourites f WHERE f.status_id = s.id) AS favourites \
         FROM statuses s WHERE s.id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|c| (c.id, c)).collect())
}

/// What the viewer has done to each status.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct ViewerFlags {
    #[diesel(sql_type = BigInt)]
    pub id: StatusId,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub favourited: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub reblogged: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub bookmarked: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub pinned: bool,
}

pub async fn viewer_flags(
    conn: &mut AsyncPgConnection,
    viewer: AccountId,
    ids: &[StatusId],
) -> Result<HashMap<StatusId, ViewerFlags>, StoreError> {
    let rows: Vec<ViewerFlags> = diesel::sql_query(
        "SELECT s.id, \
           EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = s.id AND f.account_id = $1) AS favourited, \
           EXISTS (SELECT 1 FROM statuses b WHERE b.reblog_of_id = s.id AND b.account_id = $1) AS reblogged, \
           EXISTS (SELECT 1 FROM bookmarks k WHERE k.status_id = s.id AND k.account_id = $1) AS bookmarked, \
           EXISTS (SELECT 1 FROM status_pins p WHERE p.status_id = s.id AND p.account_id = $1) AS pinned \
         FROM statuses s WHERE s.id = ANY($2)",
    )
    .bind::<BigInt, _>(viewer)
    .bind::<Array<BigInt>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|f| (f.id, f)).collect())
}

/// An attachment of a remote status: a link to the file on its server.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::remote_attachments)]
pub struct RemoteAttachment {
    pub status_id: StatusId,
    pub position: i16,
    pub id: i64,
    pub url: String,
    pub media_type: Option<String>,
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

pub async fn remote_attachments(
    conn: &mut AsyncPgConnection,
    status_ids: &[StatusId],
) -> Result<Vec<RemoteAttachment>, StoreError> {
    use crate::schema::remote_attachments;
    Ok(remote_attachments::table
        .filter(remote_attachments::status_id.eq_any(status_ids))
        .order((remote_attachments::status_id, remote_attachments::position))
        .select(RemoteAttachment::as_select())
        .load(conn)
        .await?)
}
