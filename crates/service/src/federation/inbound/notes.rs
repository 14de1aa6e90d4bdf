//! Statuses of other servers: Create, Update, Delete, Announce (and its Undo).

use super::{Incoming, ProcessError, Processed, done, ignored, local_status, status_by_uri};
use crate::deliver;
use crate::events::Event;
use crate::federation::actors::{self, same_origin};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::HostName;
use kereru_core::activitypub::{self as ap, Audience, RemoteNote};
use kereru_core::activitystreams::{ACTOR_TYPES, Object, Reference, STATUS_TYPES};
use kereru_delivery::http::Url;
use kereru_store::accounts::{self, Account};
use kereru_store::ids::{AccountId, DomainId, StatusId, next_id};
use kereru_store::schema::{accounts as accounts_table, follows, remote_attachments, status_edits, statuses as table};
use kereru_store::statuses::{self, NewStatus, Status, Visibility};
use kereru_store::{domains, notifications, relationships};

fn visibility(audience: Audience) -> Visibility {
    match audience {
        Audience::Public => Visibility::Public,
        Audience::Unlisted => Visibility::Unlisted,
        Audience::FollowersOnly => Visibility::Private,
        Audience::Direct => Visibility::Direct,
    }
}

/// The object an activity carries, trusted only from its own origin: an
/// embedded copy counts when its id is on the (verified) actor's origin;
/// otherwise it is fetched from where its id points, unless that server is
/// blocked here.
pub(super) async fn obtain(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    reference: &Reference,
) -> Result<Object, ProcessError> {
    let id = reference.id().ok_or_else(|| ProcessError::Invalid("an object without id".into()))?;
    if super::blocked(conn, incoming.tenant.id, id).await? {
        return Err(ProcessError::Invalid(format!("{id} is on a server blocked here")));
    }
    if let Some(embedded) = reference.object()
        && same_origin(id, incoming.actor_uri)
    {
        return Ok(embedded.clone());
    }
    let fetched = incoming
        .context
        .fetcher
        .get_activity_json(id, incoming.signer)
        .await
        .map_err(|e| super::fetch_failure(id, e))?;
    let object: Object =
        serde_json::from_value(fetched.body).map_err(|e| ProcessError::Invalid(format!("{id}: {e}")))?;
    if object.id.as_deref() != Some(id) || !same_origin(id, fetched.url.as_str()) {
        return Err(ProcessError::Invalid(format!("{id} was not served by its origin")));
    }
    Ok(object)
}

/// Local accounts (on any tenant of this host) and known remote ones, by actor id.
async fn accounts_by_actor_ids(
    conn: &mut AsyncPgConnection,
    scheme: kereru_core::Scheme,
    ids: &[String],
) -> Result<Vec<Account>, ProcessError> {
    let mut found = Vec::new();
    for id in ids {
        let Ok(url) = Url::parse(id) else { continue };
        let local = match (url.host_str().map(HostName::parse), url.path().strip_prefix("/users/")) {
            (Some(Ok(host)), Some(name)) if !name.contains('/') => {
                match domains::find_by_host(conn, &host).await.ok().flatten() {
                    Some(domain) if domain.urls(scheme).actor(name) == *id => {
                        accounts::find_local(conn, domain.id, name).await?
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let account = match local {
            Some(account) => Some(account),
            None => actors::cached(conn, id).await?.map(|(account, _)| account),
        };
        found.extend(account);
    }
    found.sort_by_key(|a| a.id);
    found.dedup_by_key(|a| a.id);
    Ok(found)
}

/// Accepted followers of `author` on this tenant, with whether they asked to be notified.
async fn followers_here(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    author: AccountId,
) -> Result<Vec<(i64, bool)>, ProcessError> {
    Ok(follows::table
        .inner_join(accounts_table::table.on(accounts_table::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(author.0))
        .filter(follows::state.eq("accepted"))
        .filter(accounts_table::domain_id.eq(tenant.0))
        .select((follows::account_id, follows::notify))
        .load(conn)
        .await?)
}

fn parse_time(value: Option<&str>) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(value?).ok().map(|t| t.with_timezone(&chrono::Utc))
}

/// Stores a remote note (once, whichever tenant receives it first) and
/// returns it with the accounts it mentions.
pub(super) async fn store_note(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    author: &Account,
    note: &RemoteNote,
) -> Result<(Status, Vec<Account>), ProcessError> {
    let mentioned = accounts_by_actor_ids(conn, incoming.context.scheme, &note.mentions).await?;
    if let Some(existing) = status_by_uri(conn, &note.id).await? {
        if existing.account_id != author.id {
            return Err(ProcessError::Invalid(format!("{} belongs to another account", note.id)));
        }
        return Ok((existing, mentioned));
    }
    let parent = match &note.in_reply_to {
        Some(uri) => status_by_uri(conn, uri).await?,
        None => None,
    };
    let audience = ap::audience_of(&note.to, &note.cc, author.followers_url.as_deref());
    let id = StatusId(next_id());
    let status = statuses::insert(
        conn,
        &NewStatus {
            id,
            domain_id: None,
            account_id: author.id,
            uri: note.id.clone(),
            text: String::new(),
            content: note.content_html.clone(),
            spoiler_text: note.summary.chars().take(1000).collect(),
            sensitive: note.sensitive,
            visibility: visibility(audience),
            language: note.language.clone().filter(|l| l.len() <= 16),
            in_reply_to_id: parent.as_ref().map(|p| p.id),
            in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
            reblog_of_id: None,
            application_id: None,
            url: note.url.clone(),
        },
    )
    .await?;
    let status = match parse_time(note.published.as_deref()) {
        Some(published) if published < chrono::Utc::now() => {
            diesel::update(table::table.find(status.id))
                .set(table::created_at.eq(published))
                .returning(Status::as_returning())
                .get_result(conn)
                .await?
        }
        _ => status,
    };
    let mention_ids: Vec<AccountId> = mentioned.iter().map(|a| a.id).collect();
    statuses::add_mentions(conn, status.id, &mention_ids).await?;
    let tags: Vec<String> = note.hashtags.iter().take(20).cloned().collect();
    statuses::add_tags(conn, status.id, &tags).await?;
    crate::cards::enqueue(conn, status.id, &status.content).await?;
    let attachments: Vec<_> = note
        .attachments
        .iter()
        .take(8)
        .enumerate()
        .map(|(position, a)| {
            (
                remote_attachments::status_id.eq(status.id),
                remote_attachments::position.eq(position as i16),
                remote_attachments::id.eq(next_id()),
                remote_attachments::url.eq(a.url.clone()),
                remote_attachments::media_type.eq(a.media_type.clone()),
                remote_attachments::description.eq(a.description.clone()),
                remote_attachments::blurhash.eq(a.blurhash.clone()),
                remote_attachments::width.eq(a.width.and_then(|w| i32::try_from(w).ok())),
                remote_attachments::height.eq(a.height.and_then(|h| i32::try_from(h).ok())),
            )
        })
        .collect();
    if !attachments.is_empty() {
        diesel::insert_into(remote_attachments::table).values(attachments).execute(conn).await?;
    }
    Ok((status, mentioned))
}

/// Makes a stored status reach this tenant: receipt, known accounts, notifications, events.
async fn receive_here(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    status: &Status,
    mentioned: &[Account],
    followers: &[(i64, bool)],
) -> Result<Vec<Event>, ProcessError> {
    let tenant = incoming.tenant.id;
    statuses::add_receipts(conn, status.id, &[tenant]).await?;
    let mut known = vec![status.account_id];
    known.extend(mentioned.iter().map(|a| a.id));
    relationships::make_known(conn, tenant, &known).await?;
    let author = status.account_id;
    let mentioned_here: Vec<AccountId> =
        mentioned.iter().filter(|a| a.domain_id == Some(tenant)).map(|a| a.id).collect();
    let direct = status.visibility() == Visibility::Direct;
    let mut home_of: Vec<i64> = if direct { Vec::new() } else { followers.iter().map(|(f, _)| *f).collect() };
    home_of.extend(mentioned_here.iter().filter(|_| direct).map(|a| a.0));
    // Followers of its tags here, for a public post (as Mastodon's home).
    if status.visibility() == Visibility::Public && status.reblog_of_id.is_none() {
        home_of.extend(kereru_store::tags::followers_of_status(conn, &[tenant.0], status.id).await?);
    }
    home_of.sort_unstable();
    home_of.dedup();
    let mut events = vec![Event::StatusCreated {
        status_id: status.id.0,
        tenants: vec![tenant.0],
        home_of,
        public: status.visibility() == Visibility::Public && status.reblog_of_id.is_none(),
        home_of_all: false,
    }];
    // A direct status enters the conversations of those it mentions here.
    let recipients: Vec<(AccountId, DomainId)> = mentioned_here.iter().map(|a| (*a, tenant)).collect();
    events.extend(crate::social::conversations::delivered(conn, status, &recipients).await?);
    let mut notify = |n: Option<notifications::Notification>| {
        if let Some(n) = n {
            events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
        }
    };
    if status.reblog_of_id.is_none() {
        for account in &mentioned_here {
            notify(notifications::notify(conn, *account, author, "mention", Some(status.id)).await?);
        }
        if !direct {
            for (follower, wants) in followers {
                if *wants && !mentioned_here.contains(&AccountId(*follower)) {
                    notify(notifications::notify(conn, AccountId(*follower), author, "status", Some(status.id)).await?);
                }
            }
        }
    }
    Ok(events)
}

pub(super) fn read(object: &Object) -> Result<RemoteNote, ProcessError> {
    ap::read_note(object).map_err(|e| ProcessError::Invalid(e.to_string()))
}

pub async fn create(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(reference) = incoming.object() else { return ignored("Create of nothing") };
    let object = obtain(conn, incoming, reference).await?;
    if let Some(vote) = super::polls::vote(conn, incoming, &object).await? {
        return Ok(vote);
    }
    if !object.primary_type().is_some_and(|t| STATUS_TYPES.contains(&t)) {
        return ignored(format!("Create of {}", object.primary_type().unwrap_or("an untyped object")));
    }
    let note = read(&object)?;
    if note.attributed_to != incoming.actor_uri || !same_origin(&note.id, incoming.actor_uri) {
        return ignored("a status attributed to another actor");
    }
    let author = incoming.actor;
    let tenant = incoming.tenant.id;
    // Kept only where it concerns someone: a follower, a mention, a reply to one of ours.
    let followers = followers_here(conn, tenant, author.id).await?;
    let mentioned = accounts_by_actor_ids(conn, incoming.context.scheme, &note.mentions).await?;
    let mentions_here = mentioned.iter().any(|a| a.domain_id == Some(tenant));
    let replies_here = match &note.in_reply_to {
        Some(parent) => local_status(conn, incoming.tenant, parent).await?.is_some(),
        None => false,
    };
    let quotes_here = super::quotes::quotes_here(conn, incoming, &object).await?;
    if followers.is_empty() && !mentions_here && !replies_here && !quotes_here {
        return ignored("nobody here follows the author or is addressed");
    }
    let (status, mentioned) = store_note(conn, incoming, author, &note).await?;
    super::polls::remember(conn, &status, &object).await?;
    let mut events = receive_here(conn, incoming, &status, &mentioned, &followers).await?;
    events.extend(super::quotes::remember(conn, incoming, &status, &object).await?);
    done(format!("status {} stored", status.id), events)
}

pub async fn update(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(reference) = incoming.object() else { return ignored("Update of nothing") };
    let Some(embedded) = reference.object() else { return ignored("Update without the object") };
    let type_name = embedded.primary_type().unwrap_or_default();
    if ACTOR_TYPES.contains(&type_name) {
        if embedded.id.as_deref() != Some(incoming.actor_uri) {
            return ignored("Update of another actor");
        }
        let document = incoming.raw.get("object").cloned().unwrap_or_default();
        let served_from = Url::parse(incoming.actor_uri).map_err(|e| ProcessError::Invalid(e.to_string()))?;
        let mut actor = actors::parse_actor(&document, &served_from)?;
        // The handle's host stays what it was found as.
        if let Some(host) = &incoming.actor.remote_host {
            actor.remote_host = host.clone();
        }
        accounts::upsert_remote(conn, &actor).await?;
        return done("actor updated", Vec::new());
    }
    if !STATUS_TYPES.contains(&type_name) {
        return ignored(format!("Update of {type_name}"));
    }
    if !embedded.id.as_deref().is_some_and(|id| same_origin(id, incoming.actor_uri)) {
        return ignored("Update of an object on another origin");
    }
    let note = read(embedded)?;
    let Some(status) = status_by_uri(conn, &note.id).await? else { return ignored("Update of an unknown status") };
    if status.account_id != incoming.actor.id || status.is_local() {
        return ignored("Update of another account's status");
    }
    // New counts of a poll, the text as it was: not an edit (no history, no edited_at), as Mastodon.
    let same_text = note.content_html == status.content
        && note.summary.chars().take(1000).collect::<String>() == status.spoiler_text
        && note.sensitive == status.sensitive;
    if same_text && super::polls::question_of(embedded).is_some() {
        super::polls::remember(conn, &status, embedded).await?;
        return done("poll counts updated", Vec::new());
    }
    let versions: i64 =
        status_edits::table.filter(status_edits::status_id.eq(status.id)).count().get_result(conn).await?;
    let save = |s: &Status, at: chrono::DateTime<chrono::Utc>| {
        (
            status_edits::id.eq(next_id()),
            status_edits::status_id.eq(s.id),
            status_edits::text.eq(s.text.clone()),
            status_edits::content.eq(s.content.clone()),
            status_edits::spoiler_text.eq(s.spoiler_text.clone()),
            status_edits::sensitive.eq(s.sensitive),
            status_edits::created_at.eq(at),
        )
    };
    if versions == 0 {
        diesel::insert_into(status_edits::table).values(save(&status, status.created_at)).execute(conn).await?;
    }
    let edited_at = parse_time(note.updated.as_deref()).unwrap_or_else(chrono::Utc::now);
    let updated: Status = diesel::update(table::table.find(status.id))
        .set((
            table::content.eq(&note.content_html),
            table::spoiler_text.eq(note.summary.chars().take(1000).collect::<String>()),
            table::sensitive.eq(note.sensitive),
            table::edited_at.eq(edited_at),
        ))
        .returning(Status::as_returning())
        .get_result(conn)
        .await?;
    diesel::insert_into(status_edits::table).values(save(&updated, edited_at)).execute(conn).await?;
    super::polls::remember(conn, &updated, embedded).await?;
    super::quotes::remember(conn, incoming, &updated, embedded).await?;
    let tenants = deliver::holders(conn, status.id).await.map_err(ProcessError::from)?;
    done("status updated", vec![Event::StatusUpdated { status_id: status.id.0, tenants }])
}

pub async fn delete(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(id) = incoming.object_id() else { return ignored("Delete of nothing") };
    if id == incoming.actor_uri {
        // The account is gone; its statuses, follows and interactions go with it.
        diesel::delete(accounts_table::table.find(incoming.actor.id.0).filter(accounts_table::domain_id.is_null()))
            .execute(conn)
            .await?;
        return done("account deleted", Vec::new());
    }
    if let Some(revoked) = super::quotes::revoked(conn, incoming, id).await? {
        return Ok(revoked);
    }
    let Some(status) = status_by_uri(conn, id).await? else { return ignored("Delete of an unknown object") };
    if status.account_id != incoming.actor.id || status.is_local() {
        return ignored("Delete of another account's object");
    }
    let event = deliver::deleted(conn, &status).await.map_err(ProcessError::from)?;
    crate::social::conversations::deleted(conn, &status).await?;
    diesel::delete(table::table.find(status.id)).execute(conn).await?;
    done("status deleted", vec![event])
}

pub async fn announce(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(reference) = incoming.object() else { return ignored("Announce of nothing") };
    let Some(object_id) = reference.id() else { return ignored("Announce of nothing") };
    let booster = incoming.actor;
    let tenant = incoming.tenant.id;
    let original = match status_by_uri(conn, object_id).await? {
        Some(known) => known,
        None => {
            let object = obtain(conn, incoming, reference).await?;
            if !object.primary_type().is_some_and(|t| STATUS_TYPES.contains(&t)) {
                return ignored("Announce of something that is not a status");
            }
            let note = read(&object)?;
            if !same_origin(&note.id, &note.attributed_to) {
                return ignored("a status attributed to an actor on another origin");
            }
            let author = actors::by_uri(conn, incoming.context.fetcher, incoming.signer, &note.attributed_to).await?;
            let stored = store_note(conn, incoming, &author, &note).await?.0;
            super::polls::remember(conn, &stored, &object).await?;
            super::quotes::remember(conn, incoming, &stored, &object).await?;
            stored
        }
    };
    if !matches!(original.visibility(), Visibility::Public | Visibility::Unlisted) || original.reblog_of_id.is_some() {
        return ignored("Announce of a status that cannot be boosted");
    }
    let followers = followers_here(conn, tenant, booster.id).await?;
    let of_ours = original.domain_id == Some(tenant);
    if followers.is_empty() && !of_ours {
        return ignored("nobody here follows the booster or wrote the status");
    }
    let ids = |list: &kereru_core::activitystreams::OneOrMany<Reference>| -> Vec<String> {
        list.iter().filter_map(Reference::id).map(str::to_string).collect()
    };
    let audience =
        ap::audience_of(&ids(&incoming.activity.to), &ids(&incoming.activity.cc), booster.followers_url.as_deref());
    let boost = match status_by_uri(conn, incoming.activity_uri).await? {
        Some(existing) => existing,
        None => {
            statuses::insert(
                conn,
                &NewStatus {
                    id: StatusId(next_id()),
                    domain_id: None,
                    account_id: booster.id,
                    uri: incoming.activity_uri.to_string(),
                    text: String::new(),
                    content: String::new(),
                    spoiler_text: String::new(),
                    sensitive: false,
                    visibility: match visibility(audience) {
                        Visibility::Public => Visibility::Public,
                        _ => Visibility::Unlisted,
                    },
                    language: None,
                    in_reply_to_id: None,
                    in_reply_to_account_id: None,
                    reblog_of_id: Some(original.id),
                    application_id: None,
                    url: None,
                },
            )
            .await?
        }
    };
    statuses::add_receipts(conn, original.id, &[tenant]).await?;
    relationships::make_known(conn, tenant, &[original.account_id]).await?;
    let mut events = receive_here(conn, incoming, &boost, &[], &followers).await?;
    if of_ours
        && let Some(n) =
            notifications::notify(conn, original.account_id, booster.id, "reblog", Some(original.id)).await?
    {
        events.push(Event::Notification { account_id: n.account_id.0, notification_id: n.id.0 });
    }
    done(format!("boost {} stored", boost.id), events)
}

pub async fn undo_announce(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    inner: &Reference,
) -> Result<Processed, ProcessError> {
    let Some(id) = inner.id() else { return ignored("Undo of an Announce without id") };
    let Some(boost) = status_by_uri(conn, id).await? else { return ignored("no boost matches") };
    if boost.account_id != incoming.actor.id || boost.reblog_of_id.is_none() || boost.is_local() {
        return ignored("no boost of this actor matches");
    }
    let event = deliver::deleted(conn, &boost).await.map_err(ProcessError::from)?;
    diesel::delete(table::table.find(boost.id)).execute(conn).await?;
    if let Some(original) = boost.reblog_of_id {
        let author: Option<i64> = table::table.find(original).select(table::account_id).first(conn).await.optional()?;
        if let Some(author) = author {
            notifications::withdraw(conn, AccountId(author), incoming.actor.id, "reblog", Some(original)).await?;
        }
    }
    done("boost removed", vec![event])
}
