//! Posting, editing and deleting statuses; favourites, boosts, bookmarks, pins.

use crate::Actor;
use crate::deliver;
use crate::error::ServiceError;
use crate::events::Event;
use crate::federation::outbound;
use crate::resolve;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use kereru_core::text;
use kereru_store::ids::{AccountId, DomainId, MediaId, StatusId, next_id};
use kereru_store::schema::{idempotency_keys, status_edits, statuses as statuses_table};
use kereru_store::statuses::{self, NewStatus, Status, Visibility};
use kereru_store::{domains, interactions, media, notifications, relationships};

pub const MAX_CHARACTERS: usize = 500;
pub const MAX_PINS: i64 = 5;
pub const MAX_MEDIA: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct NewPost {
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Option<Visibility>,
    pub language: Option<String>,
    pub in_reply_to: Option<StatusId>,
    pub media_ids: Vec<MediaId>,
    pub idempotency_key: Option<String>,
    pub application_id: Option<i64>,
    /// The status this one quotes (Mastodon 4.5's `quoted_status_id`).
    pub quoted_status_id: Option<StatusId>,
    /// Who may quote this one; None: the default (`public`).
    pub quote_policy: Option<kereru_store::quotes::QuotePolicy>,
    /// A poll to attach (`poll[options][]` and the rest).
    pub poll: Option<crate::polls::NewPoll>,
}

/// Text length as Mastodon counts it: characters, with every URL as 23.
fn counted_length(text: &str) -> usize {
    let mut length = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let bare = word.trim_end();
        if bare.starts_with("https://") || bare.starts_with("http://") {
            length += 23 + (word.chars().count() - bare.chars().count());
        } else {
            length += word.chars().count();
        }
    }
    length
}

/// Resolved mentions: (account, tenant, profile URL).
async fn resolve_mentions(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    text: &str,
) -> Result<Vec<(kereru_store::accounts::Account, String, text::MentionRef)>, ServiceError> {
    let mut found = Vec::new();
    for mention in text::mentions(text) {
        let local = resolve::local_handle(conn, actor.tenant, &mention.username, mention.host.as_deref()).await?;
        // An account of another server is mentioned if this tenant knows it (a search or a follow found it).
        let account = match (local, mention.host.as_deref().map(kereru_core::HostName::parse)) {
            (Some(account), _) => account,
            (None, Some(Ok(host))) => {
                match resolve::known_remote(conn, actor.tenant, &mention.username, &host).await? {
                    Some(account) => account,
                    None => continue,
                }
            }
            (None, _) => continue,
        };
        let Some(tenant) = account.domain_id else {
            let url = account.url.clone().or_else(|| account.uri.clone()).unwrap_or_default();
            found.push((account, url, mention));
            continue;
        };
        let domain = domains::get(conn, tenant).await.map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let url = domain.urls(actor.scheme).profile_page(&account.username);
        found.push((account, url, mention));
    }
    Ok(found)
}

/// Refuses a post Mastodon would refuse before looking at anything else
/// (scheduling checks the same when the post is scheduled).
pub fn check(new: &NewPost) -> Result<(), ServiceError> {
    let text = new.text.trim_end();
    if text.trim().is_empty() && new.media_ids.is_empty() {
        return Err(ServiceError::Invalid("Validation failed: Text can't be blank".into()));
    }
    if counted_length(text) + new.spoiler_text.chars().count() > MAX_CHARACTERS {
        return Err(ServiceError::Invalid(format!(
            "Validation failed: Text character limit of {MAX_CHARACTERS} exceeded"
        )));
    }
    if new.media_ids.len() > MAX_MEDIA {
        return Err(ServiceError::Invalid(format!(
            "Validation failed: You can attach at most {MAX_MEDIA} media files"
        )));
    }
    if new.poll.is_some() && !new.media_ids.is_empty() {
        return Err(ServiceError::Invalid("Validation failed: A post with a poll cannot have media attached".into()));
    }
    if new.language.as_ref().is_some_and(|l| l.len() > 16 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(ServiceError::Invalid("Validation failed: Language is not a language code".into()));
    }
    if let Some(poll) = &new.poll {
        poll.check()?;
    }
    Ok(())
}

/// Posts a status (or returns the one an earlier request with the same
/// `Idempotency-Key` posted). Returns it with the events to publish.
pub async fn post(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    new: NewPost,
) -> Result<(Status, Vec<Event>), ServiceError> {
    if let Some(key) = &new.idempotency_key {
        if key.len() > 255 {
            return Err(ServiceError::Invalid("Idempotency-Key is too long".into()));
        }
        let earlier: Option<StatusId> = idempotency_keys::table
            .filter(idempotency_keys::account_id.eq(actor.account.id.0))
            .filter(idempotency_keys::key.eq(key))
            .select(idempotency_keys::status_id)
            .first(conn)
            .await
            .optional()?;
        if let Some(id) = earlier
            && let Some(status) = statuses::get_unchecked(conn, id).await?
        {
            return Ok((status, Vec::new()));
        }
    }
    check(&new)?;
    let text = new.text.trim_end().to_string();
    let urls = actor.urls();
    let actor_tenant = actor.tenant.id;
    let author = actor.account.id;
    let result = conn
        .transaction(async |conn| -> Result<(Status, Vec<Event>), ServiceError> {
            // Today's posts of the tenant, counted (or refused past the plan's
            // posts_per_day) in this transaction: no extra round trip.
            kereru_store::quotas::count_post(conn, actor_tenant).await?;
            let parent = match new.in_reply_to {
                Some(id) => Some(
                    statuses::visible_one(conn, actor_tenant, Some(author), id).await?.ok_or(ServiceError::NotFound)?,
                ),
                None => None,
            };
            let quote = match new.quoted_status_id {
                Some(id) => Some(crate::quotes::decide(conn, actor_tenant, author, id).await?),
                None => None,
            };
            let mentions = resolve_mentions(conn, actor, &text).await?;
            let content = text::to_html(
                &text,
                |m| {
                    mentions
                        .iter()
                        .find(|(_, _, r)| r == m)
                        .map(|(_, url, _)| text::ResolvedMention { profile_url: url.clone() })
                },
                |tag| format!("{}/tags/{tag}", urls.base()),
            );
            let id = StatusId(next_id());
            let visibility = new.visibility.unwrap_or(Visibility::Public);
            let status = statuses::insert(
                conn,
                &NewStatus {
                    id,
                    domain_id: Some(actor_tenant),
                    account_id: author,
                    uri: format!("{}/statuses/{id}", urls.actor(&actor.account.username)),
                    text: text.clone(),
                    content,
                    spoiler_text: new.spoiler_text.trim().to_string(),
                    sensitive: new.sensitive || !new.spoiler_text.trim().is_empty(),
                    visibility,
                    language: new.language.clone(),
                    in_reply_to_id: parent.as_ref().map(|p| p.id),
                    in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
                    reblog_of_id: None,
                    application_id: new.application_id,
                    url: None,
                },
            )
            .await?;
            let mentioned: Vec<(AccountId, DomainId)> = mentions
                .iter()
                .filter(|(a, _, _)| a.id != author)
                .filter_map(|(a, _, _)| Some((a.id, a.domain_id?)))
                .collect();
            let mention_ids: Vec<AccountId> = mentions.iter().map(|(a, _, _)| a.id).collect();
            statuses::add_mentions(conn, status.id, &mention_ids).await?;
            statuses::add_tags(conn, status.id, &text::hashtags(&text)).await?;
            // Its link preview is fetched after it is posted (as Mastodon's).
            crate::cards::enqueue(conn, status.id, &status.content).await?;
            if !new.media_ids.is_empty() {
                media::attach_to_status(conn, actor_tenant, author, status.id, &new.media_ids).await.map_err(|e| {
                    match e {
                        media::MediaError::Store(s) => ServiceError::Store(s),
                        media::MediaError::NotFound(id) | media::MediaError::AlreadyAttached(id) => {
                            ServiceError::Invalid(format!("Media {id} not found or already attached to another post"))
                        }
                        other => ServiceError::Invalid(other.to_string()),
                    }
                })?;
                // Media a scheduled status reserves is not free to take.
                if let Some(id) = kereru_store::scheduled::first_reserved(conn, &new.media_ids).await? {
                    return Err(ServiceError::Invalid(format!(
                        "Media {id} not found or already attached to another post"
                    )));
                }
            }
            if let Some(poll) = &new.poll {
                crate::polls::create(conn, &status, poll).await?;
            }
            if let Some(key) = &new.idempotency_key {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::account_id.eq(author.0),
                        idempotency_keys::key.eq(key),
                        idempotency_keys::status_id.eq(status.id),
                    ))
                    .execute(conn)
                    .await?;
            }
            // Who may quote it: as asked, else the person's default (`source[quote_policy]`).
            let policy = match new.quote_policy {
                Some(policy) => policy,
                None => {
                    let default = kereru_store::account_settings::get(conn, author).await?.quote_policy;
                    kereru_store::quotes::QuotePolicy::parse(&default)
                        .unwrap_or(kereru_store::quotes::QuotePolicy::Public)
                }
            };
            if policy != kereru_store::quotes::QuotePolicy::Public {
                kereru_store::quotes::set_policy(conn, status.id, policy).await?;
            }
            let mut events = deliver::status(conn, &status, &mentioned).await?;
            if let Some((quoted, state)) = &quote {
                events.extend(crate::quotes::record(conn, &status, quoted, *state).await?);
            }
            outbound::created(conn, actor.scheme, &status).await?;
            // Another server's post: its server is asked (FEP-044f), the quote pending until it answers.
            if let Some((quoted, kereru_store::quotes::QuoteState::Pending)) = &quote
                && !quoted.is_local()
            {
                crate::federation::quote_activities::request(conn, actor.scheme, &status, quoted).await?;
            }
            Ok((status, events))
        })
        .await;
    let result = crate::quota_notice::after(conn, actor_tenant, result).await;
    match result {
        // Two requests with one key racing: the primary key decides; return the winner's status.
        Err(ServiceError::Store(e)) if e.unique_violation() == Some("idempotency_keys_pkey") => {
            let key = new.idempotency_key.unwrap_or_default();
            let id: StatusId = idempotency_keys::table
                .filter(idempotency_keys::account_id.eq(author.0))
                .filter(idempotency_keys::key.eq(&key))
                .select(idempotency_keys::status_id)
                .first(conn)
                .await?;
            let status = statuses::get_unchecked(conn, id).await?.ok_or(ServiceError::NotFound)?;
            Ok((status, Vec::new()))
        }
        other => other,
    }
}

/// The actor's own status, or NotFound (others' statuses can't be changed: 404 as in Mastodon).
async fn own(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: StatusId) -> Result<Status, ServiceError> {
    match statuses::get_unchecked(conn, id).await? {
        Some(status) if status.account_id == actor.account.id && status.reblog_of_id.is_none() => Ok(status),
        _ => Err(ServiceError::NotFound),
    }
}

/// A status the actor may see on their tenant.
pub async fn visible(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: StatusId) -> Result<Status, ServiceError> {
    statuses::visible_one(conn, actor.tenant.id, Some(actor.account.id), id).await?.ok_or(ServiceError::NotFound)
}

/// Deletes the actor's status (its boosts and replies' links go with it).
pub async fn delete(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    keep_media: bool,
) -> Result<Vec<Event>, ServiceError> {
    // One's own boost, by its id, is undone as `unreblog` undoes it (Mastodon allows both).
    if let Some(boost) = statuses::get_unchecked(conn, id).await?
        && boost.account_id == actor.account.id
        && let Some(original) = boost.reblog_of_id
    {
        let original_author = statuses::get_unchecked(conn, original).await?.map(|o| o.account_id);
        return conn
            .transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
                Ok(vec![remove_boost(conn, actor, &boost, original_author).await?])
            })
            .await;
    }
    let status = own(conn, actor, id).await?;
    conn.transaction(async |conn| -> Result<Vec<Event>, ServiceError> {
        let event = deliver::deleted(conn, &status).await?;
        outbound::deleting(conn, actor.scheme, &status).await?;
        if keep_media {
            // Delete-and-redraft: the files stay, unattached, for the new post.
            media::detach_from_status(conn, actor.tenant.id, actor.account.id, status.id).await?;
        }
        crate::social::conversations::deleted(conn, &status).await?;
        diesel::delete(statuses_table::table.find(status.id)).execute(conn).await?;
        Ok(vec![event])
    })
    .await
}

/// Removes the actor's `boost` (federating its undoing) and the boost
/// notification it gave the original's author; inside the caller's transaction.
async fn remove_boost(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    boost: &Status,
    original_author: Option<AccountId>,
) -> Result<Event, ServiceError> {
    let event = deliver::deleted(conn, boost).await?;
    outbound::deleting(conn, actor.scheme, boost).await?;
    diesel::delete(statuses_table::table.find(boost.id)).execute(conn).await?;
    if let (Some(author), Some(original)) = (original_author, boost.reblog_of_id) {
        notifications::withdraw(conn, author, actor.account.id, "reblog", Some(original)).await?;
    }
    Ok(event)
}

/// Edits the actor's status, keeping the earlier version in its history (its poll stays as it is).
pub async fn edit(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    new_text: String,
    spoiler_text: String,
    sensitive: bool,
) -> Result<(Status, Vec<Event>), ServiceError> {
    edit_with_poll(conn, actor, id, new_text, spoiler_text, sensitive, None).await
}

/// [`edit`], and with `poll` given, the status's poll set to it (`Some(None)`
/// removes it), as Mastodon's edit does.
pub async fn edit_with_poll(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    new_text: String,
    spoiler_text: String,
    sensitive: bool,
    poll: Option<Option<crate::polls::NewPoll>>,
) -> Result<(Status, Vec<Event>), ServiceError> {
    if let Some(Some(poll)) = &poll {
        poll.check()?;
    }
    let status = own(conn, actor, id).await?;
    let new_text = new_text.trim_end().to_string();
    if new_text.trim().is_empty() {
        return Err(ServiceError::Invalid("Validation failed: Text can't be blank".into()));
    }
    if counted_length(&new_text) + spoiler_text.chars().count() > MAX_CHARACTERS {
        return Err(ServiceError::Invalid(format!(
            "Validation failed: Text character limit of {MAX_CHARACTERS} exceeded"
        )));
    }
    let urls = actor.urls();
    let mentions = resolve_mentions(conn, actor, &new_text).await?;
    let content = text::to_html(
        &new_text,
        |m| {
            mentions
                .iter()
                .find(|(_, _, r)| r == m)
                .map(|(_, url, _)| text::ResolvedMention { profile_url: url.clone() })
        },
        |tag| format!("{}/tags/{tag}", urls.base()),
    );
    let updated = conn
        .transaction(async |conn| -> Result<Status, ServiceError> {
            // The history starts with the original version.
            let versions: i64 =
                status_edits::table.filter(status_edits::status_id.eq(status.id)).count().get_result(conn).await?;
            if versions == 0 {
                save_version(conn, &status, status.created_at).await?;
            }
            let updated: Status = diesel::update(statuses_table::table.find(status.id))
                .set((
                    statuses_table::text.eq(&new_text),
                    statuses_table::content.eq(&content),
                    statuses_table::spoiler_text.eq(spoiler_text.trim()),
                    statuses_table::sensitive.eq(sensitive || !spoiler_text.trim().is_empty()),
                    statuses_table::edited_at.eq(diesel::dsl::now),
                ))
                .returning(Status::as_returning())
                .get_result(conn)
                .await?;
            save_version(conn, &updated, updated.edited_at.unwrap_or(updated.created_at)).await?;
            let mention_ids: Vec<AccountId> = mentions.iter().map(|(a, _, _)| a.id).collect();
            statuses::add_mentions(conn, status.id, &mention_ids).await?;
            statuses::add_tags(conn, status.id, &text::hashtags(&new_text)).await?;
            if let Some(poll) = &poll {
                crate::polls::edit(conn, &updated, poll.as_ref()).await?;
            }
            outbound::updated(conn, actor.scheme, &updated).await?;
            Ok(updated)
        })
        .await?;
    let tenants = deliver::holders(conn, status.id).await?;
    let mut events = vec![Event::StatusUpdated { status_id: status.id.0, tenants }];
    // Those who boosted it hear of the change, as in Mastodon.
    let boosters: Vec<i64> = statuses_table::table
        .filter(statuses_table::reblog_of_id.eq(status.id))
        .select(statuses_table::account_id)
        .load(conn)
        .await?;
    for booster in boosters {
        if let Some(n) =
            notifications::notify(conn, AccountId(booster), actor.account.id, "update", Some(status.id)).await?
        {
            events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
        }
    }
    Ok((updated, events))
}

async fn save_version(
    conn: &mut AsyncPgConnection,
    status: &Status,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    diesel::insert_into(status_edits::table)
        .values((
            status_edits::id.eq(next_id()),
            status_edits::status_id.eq(status.id),
            status_edits::text.eq(&status.text),
            status_edits::content.eq(&status.content),
            status_edits::spoiler_text.eq(&status.spoiler_text),
            status_edits::sensitive.eq(status.sensitive),
            status_edits::created_at.eq(at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn favourite(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
) -> Result<(Status, Vec<Event>), ServiceError> {
    let status = visible(conn, actor, id).await?;
    let status = original_of(conn, status).await?;
    // The author's tenant receives the Like, and so learns who liked.
    if let Some(tenant) = status.domain_id {
        relationships::make_known(conn, tenant, &[actor.account.id]).await?;
    }
    let mut events = Vec::new();
    let added = interactions::favourite(conn, actor.account.id, status.id).await?;
    if added && !status.is_local() {
        outbound::liked(conn, actor.scheme, actor.account, &status, true).await?;
    }
    if added
        && let Some(n) =
            notifications::notify(conn, status.account_id, actor.account.id, "favourite", Some(status.id)).await?
    {
        events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
    }
    Ok((status, events))
}

pub async fn unfavourite(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
) -> Result<Status, ServiceError> {
    let seen = visible(conn, actor, id).await?;
    let status = original_of(conn, seen).await?;
    if interactions::unfavourite(conn, actor.account.id, status.id).await? {
        if !status.is_local() {
            outbound::liked(conn, actor.scheme, actor.account, &status, false).await?;
        }
        notifications::withdraw(conn, status.account_id, actor.account.id, "favourite", Some(status.id)).await?;
    }
    Ok(status)
}

/// Acting on a boost acts on the status it boosts, as in Mastodon.
async fn original_of(conn: &mut AsyncPgConnection, status: Status) -> Result<Status, ServiceError> {
    match status.reblog_of_id {
        Some(id) => statuses::get_unchecked(conn, id).await?.ok_or(ServiceError::NotFound),
        None => Ok(status),
    }
}

/// Boosts a status; returns the boost (an existing one if already boosted).
pub async fn reblog(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    visibility: Option<Visibility>,
) -> Result<(Status, Vec<Event>), ServiceError> {
    let seen = visible(conn, actor, id).await?;
    let original = original_of(conn, seen).await?;
    let allowed = match original.visibility() {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => original.account_id == actor.account.id,
        Visibility::Direct => false,
    };
    if !allowed {
        return Err(ServiceError::Forbidden("This action is not allowed".into()));
    }
    let existing: Option<Status> = statuses_table::table
        .filter(statuses_table::account_id.eq(actor.account.id.0))
        .filter(statuses_table::reblog_of_id.eq(original.id))
        .select(Status::as_select())
        .first(conn)
        .await
        .optional()?;
    if let Some(boost) = existing {
        return Ok((boost, Vec::new()));
    }
    // A boost is never more visible than what it boosts.
    let visibility = match (visibility.unwrap_or(Visibility::Public), original.visibility()) {
        (_, Visibility::Private) | (Visibility::Private, _) => Visibility::Private,
        (Visibility::Unlisted, _) | (_, Visibility::Unlisted) => Visibility::Unlisted,
        _ => Visibility::Public,
    };
    let urls = actor.urls();
    let boost_id = StatusId(next_id());
    conn.transaction(async |conn| -> Result<(Status, Vec<Event>), ServiceError> {
        let boost = statuses::insert(
            conn,
            &NewStatus {
                id: boost_id,
                domain_id: Some(actor.tenant.id),
                account_id: actor.account.id,
                uri: format!("{}/statuses/{boost_id}/activity", urls.actor(&actor.account.username)),
                text: String::new(),
                content: String::new(),
                spoiler_text: String::new(),
                sensitive: false,
                visibility,
                language: None,
                in_reply_to_id: None,
                in_reply_to_account_id: None,
                reblog_of_id: Some(original.id),
                application_id: None,
                url: None,
            },
        )
        .await?;
        let events = deliver::status(conn, &boost, &[]).await?;
        outbound::created(conn, actor.scheme, &boost).await?;
        Ok((boost, events))
    })
    .await
}

/// Undoes the actor's boost; returns the status that was boosted.
pub async fn unreblog(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
) -> Result<(Status, Vec<Event>), ServiceError> {
    let seen = visible(conn, actor, id).await?;
    let original = original_of(conn, seen).await?;
    let boost: Option<Status> = statuses_table::table
        .filter(statuses_table::account_id.eq(actor.account.id.0))
        .filter(statuses_table::reblog_of_id.eq(original.id))
        .select(Status::as_select())
        .first(conn)
        .await
        .optional()?;
    let mut events = Vec::new();
    if let Some(boost) = boost {
        events.push(remove_boost(conn, actor, &boost, Some(original.account_id)).await?);
    }
    Ok((original, events))
}

pub async fn bookmark(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    on: bool,
) -> Result<Status, ServiceError> {
    let seen = visible(conn, actor, id).await?;
    let status = original_of(conn, seen).await?;
    if on {
        interactions::bookmark(conn, actor.account.id, status.id).await?;
    } else {
        interactions::unbookmark(conn, actor.account.id, status.id).await?;
    }
    Ok(status)
}

pub async fn pin(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    on: bool,
) -> Result<Status, ServiceError> {
    let status = own(conn, actor, id).await?;
    if on {
        if !matches!(status.visibility(), Visibility::Public | Visibility::Unlisted) {
            return Err(ServiceError::Invalid(
                "Validation failed: Only public and unlisted posts can be pinned".into(),
            ));
        }
        if interactions::pin_count(conn, actor.account.id).await? >= MAX_PINS {
            return Err(ServiceError::Invalid(format!("Validation failed: You can pin at most {MAX_PINS} posts")));
        }
        interactions::pin(conn, actor.account.id, status.id).await?;
    } else {
        interactions::unpin(conn, actor.account.id, status.id).await?;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::counted_length;

    #[test]
    fn urls_count_as_23_characters() {
        assert_eq!(counted_length("hello"), 5);
        assert_eq!(counted_length("see https://example.com/a/very/long/path/that/goes/on/and/on now"), 4 + 23 + 4);
        assert_eq!(counted_length("ā"), 1);
    }
}

/// What `POST /api/v1/statuses/{id}/{action}` and the forms under a post do,
/// by Mastodon's names for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Favourite,
    Unfavourite,
    Reblog,
    Unreblog,
    Bookmark,
    Unbookmark,
    Pin,
    Unpin,
    Mute,
    Unmute,
}

impl std::str::FromStr for StatusAction {
    type Err = ();
    fn from_str(name: &str) -> Result<Self, ()> {
        use StatusAction::*;
        Ok(match name {
            "favourite" => Favourite,
            "unfavourite" => Unfavourite,
            "reblog" => Reblog,
            "unreblog" => Unreblog,
            "bookmark" => Bookmark,
            "unbookmark" => Unbookmark,
            "pin" => Pin,
            "unpin" => Unpin,
            "mute" => Mute,
            "unmute" => Unmute,
            _ => return Err(()),
        })
    }
}

/// Does `action` to status `id` as `actor`; `reblog_visibility` is the audience of a boost.
pub async fn perform(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: StatusId,
    action: StatusAction,
    reblog_visibility: Option<Visibility>,
) -> Result<(Status, Vec<Event>), ServiceError> {
    use StatusAction::*;
    Ok(match action {
        Favourite => favourite(conn, actor, id).await?,
        Unfavourite => (unfavourite(conn, actor, id).await?, Vec::new()),
        Reblog => reblog(conn, actor, id, reblog_visibility).await?,
        Unreblog => unreblog(conn, actor, id).await?,
        Bookmark => (bookmark(conn, actor, id, true).await?, Vec::new()),
        Unbookmark => (bookmark(conn, actor, id, false).await?, Vec::new()),
        Pin => (pin(conn, actor, id, true).await?, Vec::new()),
        Unpin => (pin(conn, actor, id, false).await?, Vec::new()),
        // Muting a conversation: nothing more is notified from its thread.
        Mute | Unmute => {
            crate::social::thread_mutes::set(conn, actor, id, action == Mute).await?;
            (visible(conn, actor, id).await?, Vec::new())
        }
    })
}
