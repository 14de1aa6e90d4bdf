//! The activities local actions send to other servers. Each is built here
//! and handed to the delivery queue inside the action's own transaction, so
//! both commit or neither does; nothing is sent any other way. Tenants of
//! this host are not among the recipients: they receive through local
//! delivery (`crate::deliver`).

use crate::error::ServiceError;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::Scheme;
use kereru_core::activitypub::{self as ap, Audience, NoteAttachment, NoteInput, NoteTag, TagKind};
use kereru_delivery::http::Url;
use kereru_delivery::queue;
use kereru_store::accounts::{self, Account};
use kereru_store::domains::{self, Domain};
use kereru_store::ids::{AccountId, DomainId};
use kereru_store::schema::{accounts as accounts_table, follows};
use kereru_store::statuses::{self, Status, Visibility};
use kereru_store::{StoreError, media};
use serde_json::Value;
use std::collections::HashMap;

const RFC3339: chrono::SecondsFormat = chrono::SecondsFormat::Secs;

fn domain_error(error: domains::DomainError) -> ServiceError {
    match error {
        domains::DomainError::Store(store) => ServiceError::Store(store),
        other => ServiceError::Invalid(other.to_string()),
    }
}

/// Actor ids of accounts, local ones on whatever tenant they live.
pub struct ActorIds {
    scheme: Scheme,
    tenants: HashMap<i64, Domain>,
}

impl ActorIds {
    pub fn new(scheme: Scheme) -> Self {
        ActorIds { scheme, tenants: HashMap::new() }
    }

    async fn tenant(&mut self, conn: &mut AsyncPgConnection, id: DomainId) -> Result<&Domain, ServiceError> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.tenants.entry(id.0) {
            slot.insert(domains::get(conn, id).await.map_err(domain_error)?);
        }
        self.tenants.get(&id.0).ok_or(ServiceError::NotFound)
    }

    /// The account's actor id.
    pub async fn actor(&mut self, conn: &mut AsyncPgConnection, account: &Account) -> Result<String, ServiceError> {
        match (account.domain_id, &account.uri) {
            (Some(tenant), _) => {
                let scheme = self.scheme;
                Ok(self.tenant(conn, tenant).await?.urls(scheme).actor(&account.username))
            }
            (None, Some(uri)) => Ok(uri.clone()),
            (None, None) => Err(ServiceError::NotFound),
        }
    }

    /// `@name@host` as a Mention tag names the account.
    pub async fn handle(&mut self, conn: &mut AsyncPgConnection, account: &Account) -> Result<String, ServiceError> {
        match account.domain_id {
            Some(tenant) => Ok(format!("@{}@{}", account.username, self.tenant(conn, tenant).await?.account_host)),
            None => Ok(format!("@{}@{}", account.username, account.remote_host.as_deref().unwrap_or_default())),
        }
    }
}

pub fn audience(visibility: Visibility) -> Audience {
    match visibility {
        Visibility::Public => Audience::Public,
        Visibility::Unlisted => Audience::Unlisted,
        Visibility::Private => Audience::FollowersOnly,
        Visibility::Direct => Audience::Direct,
    }
}

/// Where a remote account receives: its server's shared inbox if it has one.
pub fn inbox_of(account: &Account) -> Option<Url> {
    if account.is_local() {
        return None;
    }
    let url = account.shared_inbox_url.as_deref().or(account.inbox_url.as_deref())?;
    Url::parse(url).ok()
}

/// The personal inbox (for activities addressed to one actor, like Follow).
pub fn personal_inbox_of(account: &Account) -> Option<Url> {
    if account.is_local() {
        return None;
    }
    let url = account.inbox_url.as_deref().or(account.shared_inbox_url.as_deref())?;
    Url::parse(url).ok()
}

/// Inboxes of `author`'s accepted followers on other servers.
pub async fn follower_inboxes(conn: &mut AsyncPgConnection, author: AccountId) -> Result<Vec<Url>, ServiceError> {
    let rows: Vec<(Option<String>, Option<String>)> = follows::table
        .inner_join(accounts_table::table.on(accounts_table::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(author.0))
        .filter(follows::state.eq("accepted"))
        .filter(accounts_table::domain_id.is_null())
        .select((accounts_table::shared_inbox_url, accounts_table::inbox_url))
        .distinct()
        .load(conn)
        .await?;
    let mut inboxes: Vec<Url> =
        rows.into_iter().filter_map(|(shared, own)| Url::parse(shared.or(own)?.as_str()).ok()).collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// `inboxes` without those on servers the sender's tenant (or the whole host)
/// suspended: nothing is delivered to a suspended server, nor, when the
/// tenant is in limited federation mode, to a server off its allow list.
async fn not_suspended(
    conn: &mut AsyncPgConnection,
    sender: AccountId,
    inboxes: &[Url],
) -> Result<Vec<Url>, ServiceError> {
    if inboxes.is_empty() {
        return Ok(Vec::new());
    }
    let tenant: Option<i64> = accounts_table::table
        .filter(accounts_table::id.eq(sender.0))
        .select(accounts_table::domain_id)
        .first(conn)
        .await?;
    let Some(tenant) = tenant else { return Ok(inboxes.to_vec()) };
    // In limited federation mode only allowed servers receive anything.
    let hosts: Vec<&str> = inboxes.iter().filter_map(|inbox| inbox.host_str()).collect();
    let allow = kereru_store::limited_federation::allow_list(conn, DomainId(tenant), &hosts).await?;
    let suspended = kereru_store::domain_blocks::suspended_hosts(conn, DomainId(tenant)).await?;
    if suspended.is_empty() && allow.is_none() {
        return Ok(inboxes.to_vec());
    }
    Ok(inboxes
        .iter()
        .filter(|inbox| {
            inbox.host_str().is_some_and(|host| {
                !kereru_store::domain_blocks::covered_by(host, &suspended)
                    && allow.as_ref().is_none_or(|list| list.allows(host))
            })
        })
        .cloned()
        .collect())
}

/// Queues `activity` from `sender` for `inboxes` (nothing when there are none).
pub async fn send(
    conn: &mut AsyncPgConnection,
    sender: AccountId,
    activity: &Value,
    inboxes: &[Url],
) -> Result<(), ServiceError> {
    let inboxes = &not_suspended(conn, sender, inboxes).await?;
    if inboxes.is_empty() {
        tracing::debug!(activity = activity["id"].as_str().unwrap_or_default(), "no remote recipients");
        return Ok(());
    }
    let id = activity["id"].as_str().unwrap_or_default().to_string();
    tracing::debug!(activity = %id, "queued for {} inboxes", inboxes.len());
    queue::enqueue(conn, sender, &id, activity, inboxes).await.map_err(|e| match e {
        queue::QueueError::Database(db) => ServiceError::Store(StoreError::Database(db)),
        other => ServiceError::Invalid(other.to_string()),
    })?;
    Ok(())
}

/// A local status as a Note, with the accounts it mentions.
pub async fn note_of(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    status: &Status,
) -> Result<(Value, Vec<Account>), ServiceError> {
    let tenant_id = status.domain_id.ok_or(ServiceError::NotFound)?;
    let tenant = domains::get(conn, tenant_id).await.map_err(domain_error)?;
    let urls = tenant.urls(scheme);
    let author = accounts::get_unchecked(conn, status.account_id).await?.ok_or(ServiceError::NotFound)?;
    let actor = urls.actor(&author.username);
    let mentioned_ids: Vec<AccountId> =
        statuses::mentioned_accounts(conn, &[status.id]).await?.into_iter().map(|(_, account)| account).collect();
    let mentioned: Vec<Account> = accounts_table::table
        .filter(accounts_table::id.eq_any(&mentioned_ids))
        .select(Account::as_select())
        .load(conn)
        .await?;
    let mut ids = ActorIds::new(scheme);
    let mut tags = Vec::new();
    let mut mentioned_actors = Vec::new();
    for account in &mentioned {
        let href = ids.actor(conn, account).await?;
        tags.push(NoteTag { kind: TagKind::Mention, href: href.clone(), name: ids.handle(conn, account).await? });
        mentioned_actors.push(href);
    }
    for (_, name) in statuses::tags_of(conn, &[status.id]).await? {
        tags.push(NoteTag {
            kind: TagKind::Hashtag,
            href: format!("{}/tags/{name}", urls.base()),
            name: format!("#{name}"),
        });
    }
    let attachments: Vec<NoteAttachment> = media::for_statuses(conn, tenant_id, &[status.id])
        .await?
        .remove(&status.id)
        .unwrap_or_default()
        .into_iter()
        .map(|m| NoteAttachment {
            url: format!("{}/system/media/{}", urls.base(), m.file.file_name),
            media_type: m.file.content_type.clone(),
            description: m.description.clone(),
            blurhash: m.blurhash.clone(),
            // Audio has no pixels to tell.
            width: (m.file.width > 0).then_some(m.file.width),
            height: (m.file.height > 0).then_some(m.file.height),
            focus: m.focus.map(|f| (f.x, f.y)),
        })
        .collect();
    let parent = match status.in_reply_to_id {
        Some(id) => statuses::get_unchecked(conn, id).await?.map(|p| p.uri),
        None => None,
    };
    let (to, cc) = ap::addressing(audience(status.visibility()), &urls.followers(&author.username), &mentioned_actors);
    let published = status.created_at.to_rfc3339_opts(RFC3339, true);
    let updated = status.edited_at.map(|at| at.to_rfc3339_opts(RFC3339, true));
    let page = format!("{}/{}", urls.profile_page(&author.username), status.id);
    let note = ap::note(&NoteInput {
        id: &status.uri,
        url: &page,
        attributed_to: &actor,
        in_reply_to: parent.as_deref(),
        published: &published,
        updated: updated.as_deref(),
        summary: Some(status.spoiler_text.as_str()).filter(|s| !s.is_empty()),
        sensitive: status.sensitive,
        content_html: &status.content,
        language: status.language.as_deref(),
        to: &to,
        cc: &cc,
        tags: &tags,
        attachments: &attachments,
    });
    let mut note = super::poll_activities::as_question(conn, status, note).await?;
    quote_fields(conn, scheme, status, &urls.followers(&author.username), &mut note).await?;
    Ok((note, mentioned))
}

/// What `status` quotes and who may quote it, on its Note.
async fn quote_fields(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    status: &Status,
    followers: &str,
    note: &mut Value,
) -> Result<(), ServiceError> {
    use kereru_core::quotes::QuotePolicy;
    let quote = kereru_store::quotes::of_statuses(conn, &[status.id]).await?.remove(&status.id);
    let policy = kereru_store::quotes::policies(conn, &[status.id]).await?.remove(&status.id);
    let automatic: Vec<String> = match crate::quotes::quoted_facts(status, policy).effective() {
        Some(QuotePolicy::Public) => vec![kereru_core::activitypub::PUBLIC.to_string()],
        Some(QuotePolicy::Followers) => vec![followers.to_string()],
        Some(QuotePolicy::Nobody) | None => Vec::new(),
    };
    ap::add_quote_fields(note, quote.as_ref().map(|q| q.quoted_uri.as_str()), &automatic);
    if let Some(quote) = &quote
        && let Some(authorization) = super::quote_activities::authorization_of(conn, scheme, status, quote).await?
    {
        note["quoteAuthorization"] = Value::String(authorization);
    }
    Ok(())
}

/// Who receives a status's activities: followers on other servers unless
/// it is direct, the remote accounts it mentions, and the author of the
/// status it replies to.
pub(crate) async fn status_inboxes(
    conn: &mut AsyncPgConnection,
    status: &Status,
    mentioned: &[Account],
) -> Result<Vec<Url>, ServiceError> {
    let mut inboxes = if status.visibility() == Visibility::Direct {
        Vec::new()
    } else {
        follower_inboxes(conn, status.account_id).await?
    };
    inboxes.extend(mentioned.iter().filter_map(inbox_of));
    // A reply reaches the server of the account it answers, as Mastodon's do.
    if let Some(parent_author) = status.in_reply_to_account_id
        && status.visibility() != Visibility::Direct
        && let Some(account) = accounts::get_unchecked(conn, parent_author).await?
    {
        inboxes.extend(inbox_of(&account));
    }
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

async fn actor_of_status(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    status: &Status,
) -> Result<String, ServiceError> {
    let author = accounts::get_unchecked(conn, status.account_id).await?.ok_or(ServiceError::NotFound)?;
    ActorIds::new(scheme).actor(conn, &author).await
}

/// A boost as an Announce, with its recipients: followers and the boosted status's author.
async fn announce_of(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    boost: &Status,
) -> Result<(Value, Vec<Url>), ServiceError> {
    let original = match boost.reblog_of_id {
        Some(id) => statuses::get_unchecked(conn, id).await?.ok_or(ServiceError::NotFound)?,
        None => return Err(ServiceError::NotFound),
    };
    let actor = actor_of_status(conn, scheme, boost).await?;
    let original_author = accounts::get_unchecked(conn, original.account_id).await?.ok_or(ServiceError::NotFound)?;
    let original_actor = ActorIds::new(scheme).actor(conn, &original_author).await?;
    let (to, cc) = ap::addressing(audience(boost.visibility()), &format!("{actor}/followers"), &[original_actor]);
    let published = boost.created_at.to_rfc3339_opts(RFC3339, true);
    let activity = ap::announce(&boost.uri, &actor, &original.uri, &published, &to, &cc);
    let mut inboxes = follower_inboxes(conn, boost.account_id).await?;
    inboxes.extend(inbox_of(&original_author));
    inboxes.sort();
    inboxes.dedup();
    Ok((activity, inboxes))
}

/// A new local status (or boost) goes out as Create (or Announce).
pub async fn created(conn: &mut AsyncPgConnection, scheme: Scheme, status: &Status) -> Result<(), ServiceError> {
    if status.reblog_of_id.is_some() {
        let (activity, inboxes) = announce_of(conn, scheme, status).await?;
        return send(conn, status.account_id, &activity, &inboxes).await;
    }
    let (note, mentioned) = note_of(conn, scheme, status).await?;
    let inboxes = status_inboxes(conn, status, &mentioned).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    let activity = ap::create(&format!("{}/activity", status.uri), &actor, note);
    send(conn, status.account_id, &activity, &inboxes).await
}

/// An edited status goes out as Update.
pub async fn updated(conn: &mut AsyncPgConnection, scheme: Scheme, status: &Status) -> Result<(), ServiceError> {
    let (note, mentioned) = note_of(conn, scheme, status).await?;
    let inboxes = status_inboxes(conn, status, &mentioned).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    let stamp = status.edited_at.unwrap_or(status.created_at).timestamp();
    let activity = ap::update(&format!("{}#updates/{stamp}", status.uri), &actor, note);
    send(conn, status.account_id, &activity, &inboxes).await
}

/// A status about to be deleted goes out as Delete (a boost as Undo of its
/// Announce). Called before the row goes: its mentions go with it.
pub async fn deleting(conn: &mut AsyncPgConnection, scheme: Scheme, status: &Status) -> Result<(), ServiceError> {
    if status.reblog_of_id.is_some() {
        let (announce, inboxes) = announce_of(conn, scheme, status).await?;
        let actor = announce["actor"].as_str().unwrap_or_default().to_string();
        let activity = ap::undo(&format!("{}#undo", status.uri), &actor, strip_context(announce));
        return send(conn, status.account_id, &activity, &inboxes).await;
    }
    let (note, mentioned) = note_of(conn, scheme, status).await?;
    let inboxes = status_inboxes(conn, status, &mentioned).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    let activity = ap::delete_note(
        &format!("{}#delete", status.uri),
        &actor,
        &status.uri,
        &strings(&note["to"]),
        &strings(&note["cc"]),
    );
    send(conn, status.account_id, &activity, &inboxes).await
}

fn strip_context(mut activity: Value) -> Value {
    if let Some(object) = activity.as_object_mut() {
        object.remove("@context");
    }
    activity
}

/// The id of `liker`'s Like of `status`.
fn like_id(liker_actor: &str, status: &Status) -> String {
    format!("{liker_actor}#likes/{}", status.id)
}

/// A favourite (or its withdrawal) of a remote status goes to its author.
pub async fn liked(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    liker: &Account,
    status: &Status,
    on: bool,
) -> Result<(), ServiceError> {
    let author = accounts::get_unchecked(conn, status.account_id).await?.ok_or(ServiceError::NotFound)?;
    let Some(inbox) = inbox_of(&author) else { return Ok(()) };
    let actor = ActorIds::new(scheme).actor(conn, liker).await?;
    let like = ap::like(&like_id(&actor, status), &actor, &status.uri);
    let activity =
        if on { like } else { ap::undo(&format!("{}/undo", like_id(&actor, status)), &actor, strip_context(like)) };
    send(conn, liker.id, &activity, &[inbox]).await
}

/// A follow of a remote account: the Follow (its id is returned, to be kept
/// on the follow so the Accept can name it).
pub async fn follow(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    follower: &Account,
    target: &Account,
    follow_id: i64,
) -> Result<Option<String>, ServiceError> {
    let Some(inbox) = personal_inbox_of(target) else { return Ok(None) };
    let mut ids = ActorIds::new(scheme);
    let actor = ids.actor(conn, follower).await?;
    let object = ids.actor(conn, target).await?;
    let id = format!("{actor}#follows/{follow_id}");
    send(conn, follower.id, &ap::follow(&id, &actor, &object), &[inbox]).await?;
    Ok(Some(id))
}

/// Withdraws a follow of (or a request to) a remote account.
pub async fn unfollow(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    follower: &Account,
    target: &Account,
    follow_uri: Option<&str>,
) -> Result<(), ServiceError> {
    let Some(inbox) = personal_inbox_of(target) else { return Ok(()) };
    let mut ids = ActorIds::new(scheme);
    let actor = ids.actor(conn, follower).await?;
    let object = ids.actor(conn, target).await?;
    let id = follow_uri.map_or_else(|| format!("{actor}#follows/{}", target.id.0), str::to_string);
    let activity = ap::undo(&format!("{id}/undo"), &actor, strip_context(ap::follow(&id, &actor, &object)));
    send(conn, follower.id, &activity, &[inbox]).await
}

/// Answers a remote account's Follow of local `target` (Accept or Reject).
pub async fn answer_follow(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    target: &Account,
    follower: &Account,
    follow_uri: Option<&str>,
    accept: bool,
) -> Result<(), ServiceError> {
    let Some(inbox) = personal_inbox_of(follower) else { return Ok(()) };
    let mut ids = ActorIds::new(scheme);
    let actor = ids.actor(conn, target).await?;
    let follower_actor = ids.actor(conn, follower).await?;
    let follow_id = follow_uri.map_or_else(|| format!("{follower_actor}#follows/{}", target.id.0), str::to_string);
    let follow = strip_context(ap::follow(&follow_id, &follower_actor, &actor));
    let kind = if accept { "accepts" } else { "rejects" };
    let id = format!("{actor}#{kind}/follows/{}", follower.id.0);
    let activity = if accept { ap::accept(&id, &actor, follow) } else { ap::reject(&id, &actor, follow) };
    send(conn, target.id, &activity, &[inbox]).await
}

/// A block of (or unblock of) a remote account goes to it, as Mastodon sends.
pub async fn block(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    blocker: &Account,
    target: &Account,
    on: bool,
) -> Result<(), ServiceError> {
    let Some(inbox) = personal_inbox_of(target) else { return Ok(()) };
    let mut ids = ActorIds::new(scheme);
    let actor = ids.actor(conn, blocker).await?;
    let object = ids.actor(conn, target).await?;
    let id = format!("{actor}#blocks/{}", target.id.0);
    let block = ap::block(&id, &actor, &object);
    let activity = if on { block } else { ap::undo(&format!("{id}/undo"), &actor, strip_context(block)) };
    send(conn, blocker.id, &activity, &[inbox]).await
}

/// The activity that published a local status: its Create, or a boost's Announce.
pub async fn activity_of(conn: &mut AsyncPgConnection, scheme: Scheme, status: &Status) -> Result<Value, ServiceError> {
    if status.reblog_of_id.is_some() {
        return Ok(announce_of(conn, scheme, status).await?.0);
    }
    let (note, _) = note_of(conn, scheme, status).await?;
    let actor = note["attributedTo"].as_str().unwrap_or_default().to_string();
    Ok(ap::create(&format!("{}/activity", status.uri), &actor, note))
}

/// A local account's actor document, as `GET /users/{name}` serves it:
/// with its avatar, header and profile fields, as Mastodon's.
pub async fn person_of(
    conn: &mut AsyncPgConnection,
    urls: &kereru_core::TenantUrls,
    account: &Account,
) -> Result<Value, ServiceError> {
    let published = account.created_at.to_rfc3339_opts(RFC3339, true);
    let fields: Vec<(String, String)> = kereru_store::profiles::fields(conn, account.id)
        .await?
        .into_iter()
        .map(|field| (field.name, field.value))
        .collect();
    // Files are named by content and served by the tenant (`/system/media/`), as a post's attachments are.
    let image = |file: &Option<String>| {
        let name = file.as_deref()?;
        let media_type = kereru_media::files::served_content_type(name)?;
        Some(kereru_core::actor::ActorImage { url: format!("{}/system/media/{name}", urls.base()), media_type })
    };
    Ok(kereru_core::actor::person(
        urls,
        &kereru_core::actor::LocalActor {
            username: &account.username,
            display_name: &account.display_name,
            summary: &account.summary,
            locked: account.locked,
            discoverable: account.discoverable,
            published: &published,
            public_key_pem: &account.public_key_pem,
            avatar: image(&account.avatar_file),
            header: image(&account.header_file),
            fields: &fields,
        },
    ))
}

/// A changed profile goes out as Update of the actor, to its followers' servers.
pub async fn profile_updated(
    conn: &mut AsyncPgConnection,
    scheme: Scheme,
    tenant: &Domain,
    account: &Account,
) -> Result<(), ServiceError> {
    let urls = tenant.urls(scheme);
    let actor = urls.actor(&account.username);
    let stamp = chrono::Utc::now().timestamp_millis();
    let person = person_of(conn, &urls, account).await?;
    let activity = ap::update(&format!("{actor}#updates/{stamp}"), &actor, person);
    let inboxes = follower_inboxes(conn, account.id).await?;
    send(conn, account.id, &activity, &inboxes).await
}
