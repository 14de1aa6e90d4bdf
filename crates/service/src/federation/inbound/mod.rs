//! Processing what the inbox accepted: one activity at a time, in its own
//! transaction, idempotently (the intake stores each activity id once per
//! tenant, and every handler tolerates seeing its effect already there).
//! Tenant isolation holds here as everywhere: an activity acts on the
//! tenant whose inbox received it, and on that tenant's accounts only.

mod follows;
mod interactions;
mod notes;
mod polls;
mod quotes;
pub mod worker;

use super::Context;
use super::actors;
use crate::error::ServiceError;
use crate::events::Event;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kereru_core::activitystreams::{ActivityKind, Classified, Object, Reference, classify};
use kereru_core::signatures::Signer;
use kereru_store::accounts::{self, Account};
use kereru_store::domains::{self, Domain};
use kereru_store::ids::DomainId;
use kereru_store::inbound::Inbound;
use kereru_store::schema::statuses as statuses_table;
use kereru_store::statuses::Status;

/// What processing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(String),
    /// Understood and deliberately not acted on, with the reason.
    Ignored(String),
}

fn ignored(reason: impl Into<String>) -> Result<Processed, ProcessError> {
    Ok(Processed { outcome: Outcome::Ignored(reason.into()), events: Vec::new() })
}

fn done(what: impl Into<String>, events: Vec<Event>) -> Result<Processed, ProcessError> {
    Ok(Processed { outcome: Outcome::Done(what.into()), events })
}

#[derive(Debug)]
pub struct Processed {
    pub outcome: Outcome,
    /// For streaming, to publish after the commit.
    pub events: Vec<Event>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// May pass: try again later (a remote server that did not answer, the database).
    #[error("{0}")]
    Retry(String),
    /// Will never work: the activity is malformed or inconsistent.
    #[error("{0}")]
    Invalid(String),
}

impl From<ServiceError> for ProcessError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Store(store) => ProcessError::Retry(store.to_string()),
            other => ProcessError::Invalid(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ProcessError {
    fn from(error: diesel::result::Error) -> Self {
        ProcessError::Retry(error.to_string())
    }
}

impl From<kereru_store::StoreError> for ProcessError {
    fn from(error: kereru_store::StoreError) -> Self {
        ProcessError::Retry(error.to_string())
    }
}

impl From<actors::ActorError> for ProcessError {
    fn from(error: actors::ActorError) -> Self {
        match error {
            actors::ActorError::Fetch(reason) => ProcessError::Retry(reason),
            actors::ActorError::Service(service) => service.into(),
            other => ProcessError::Invalid(other.to_string()),
        }
    }
}

/// A failed fetch: final when the origin said no (a 4xx but 429, a refused
/// address, not JSON, too large), else worth another try.
pub(crate) fn fetch_failure(url: &str, error: kereru_delivery::http::FetchError) -> ProcessError {
    use kereru_delivery::http::FetchError;
    match error {
        FetchError::Status(code) if (400..500).contains(&code) && code != 429 => {
            ProcessError::Invalid(format!("{url}: {error}"))
        }
        FetchError::Refused(_) | FetchError::NotJson | FetchError::TooLarge { .. } | FetchError::Redirects => {
            ProcessError::Invalid(format!("{url}: {error}"))
        }
        other => ProcessError::Retry(format!("{url}: {other}")),
    }
}

/// Everything a handler needs about the activity at hand.
pub(crate) struct Incoming<'a> {
    pub context: Context<'a>,
    pub tenant: &'a Domain,
    /// The verified sender.
    pub actor: &'a Account,
    pub actor_uri: &'a str,
    pub activity: &'a Object,
    pub activity_uri: &'a str,
    pub raw: &'a serde_json::Value,
    /// Signs fetches made on the tenant's behalf.
    pub signer: Option<&'a Signer>,
}

impl Incoming<'_> {
    pub fn object(&self) -> Option<&Reference> {
        self.activity.object_ref()
    }

    pub fn object_id(&self) -> Option<&str> {
        self.object()?.id()
    }
}

/// Processes one stored activity. The caller runs it in a transaction.
pub async fn process(
    conn: &mut AsyncPgConnection,
    context: Context<'_>,
    row: &Inbound,
) -> Result<Processed, ProcessError> {
    let tenant = domains::get(conn, DomainId(row.domain_id)).await.map_err(|e| ProcessError::Retry(e.to_string()))?;
    if !tenant.is_serving() {
        return ignored("the tenant is not active");
    }
    let raw: serde_json::Value =
        serde_json::from_str(&row.body).map_err(|e| ProcessError::Invalid(format!("stored body: {e}")))?;
    let (kind, activity) = match classify(&raw) {
        Ok(Classified::Activity { kind, activity }) => (kind, activity),
        Ok(_) => return ignored("not an activity"),
        Err(error) => return Err(ProcessError::Invalid(error.to_string())),
    };
    let Some((actor, _)) = actors::cached(conn, &row.actor_uri).await? else {
        return ignored("the actor is gone");
    };
    let signer = super::signing::tenant_signer(conn, &tenant, context.scheme).await.ok().flatten();
    let incoming = Incoming {
        context,
        tenant: &tenant,
        actor: &actor,
        actor_uri: &row.actor_uri,
        activity: &activity,
        activity_uri: &row.activity_uri,
        raw: &raw,
        signer: signer.as_ref(),
    };
    // Nothing from a blocked server is fetched or stored, whoever brings it:
    // its own activities (blocked after they arrived), and boosts, quotes or
    // Creates by third servers of objects it hosts.
    let hosts: Vec<String> = [Some(row.actor_uri.as_str()), incoming.object_id()]
        .into_iter()
        .flatten()
        .filter_map(actors::host_of)
        .collect();
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    if kereru_store::domain_blocks::any_blocked(conn, tenant.id, &hosts).await? {
        return ignored("the sender's or the object's server is blocked here");
    }
    match kind {
        ActivityKind::Follow => follows::follow(conn, &incoming).await,
        ActivityKind::Accept | ActivityKind::Reject => {
            let accept = kind == ActivityKind::Accept;
            match quotes::answer(conn, &incoming, accept).await? {
                Some(processed) => Ok(processed),
                None => follows::answer(conn, &incoming, accept).await,
            }
        }
        ActivityKind::QuoteRequest => quotes::request(conn, &incoming).await,
        ActivityKind::Undo => undo(conn, &incoming).await,
        ActivityKind::Create => notes::create(conn, &incoming).await,
        ActivityKind::Update => notes::update(conn, &incoming).await,
        ActivityKind::Delete => notes::delete(conn, &incoming).await,
        ActivityKind::Announce => notes::announce(conn, &incoming).await,
        ActivityKind::Like => interactions::like(conn, &incoming).await,
        ActivityKind::Block => interactions::block(conn, &incoming).await,
        ActivityKind::Flag => interactions::flag(conn, &incoming).await,
        ActivityKind::Move => interactions::move_account(conn, &incoming).await,
    }
}

/// Undo of a Follow, Like, Announce or Block: of the actor's own only.
async fn undo(conn: &mut AsyncPgConnection, incoming: &Incoming<'_>) -> Result<Processed, ProcessError> {
    let Some(inner) = incoming.object() else { return ignored("Undo of nothing") };
    let inner_type = match inner {
        Reference::Object(object) => {
            if object.actor_id().is_some_and(|actor| actor != incoming.actor_uri) {
                return ignored("Undo of another actor's activity");
            }
            object.primary_type().map(str::to_string)
        }
        // Only an id: find what it names among what this actor did.
        Reference::Id(_) => None,
    };
    match inner_type.as_deref() {
        Some("Follow") => follows::undo_follow(conn, incoming, inner).await,
        Some("Like") => interactions::undo_like(conn, incoming, inner).await,
        Some("Announce") => notes::undo_announce(conn, incoming, inner).await,
        Some("Block") => interactions::undo_block(conn, incoming, inner).await,
        Some(other) => ignored(format!("Undo of {other}")),
        None => {
            // Try each kind by id; each only matches the actor's own rows.
            let by_follow = follows::undo_follow(conn, incoming, inner).await?;
            if matches!(by_follow.outcome, Outcome::Done(_)) {
                return Ok(by_follow);
            }
            notes::undo_announce(conn, incoming, inner).await
        }
    }
}

/// Whether the host of `url` is blocked for `tenant` (by it, or host-wide).
pub(crate) async fn blocked(conn: &mut AsyncPgConnection, tenant: DomainId, url: &str) -> Result<bool, ProcessError> {
    let Some(host) = actors::host_of(url) else { return Ok(false) };
    Ok(kereru_store::domain_blocks::is_blocked(conn, tenant, &host).await?)
}

/// The local account of this tenant an actor id names, if any.
pub(crate) async fn local_actor(
    conn: &mut AsyncPgConnection,
    incoming: &Incoming<'_>,
    uri: &str,
) -> Result<Option<Account>, ProcessError> {
    let urls = incoming.tenant.urls(incoming.context.scheme);
    let prefix = format!("{}/users/", urls.base());
    let Some(name) = uri.strip_prefix(&prefix) else { return Ok(None) };
    if name.is_empty() || name.contains(['/', '#', '?']) {
        return Ok(None);
    }
    Ok(accounts::find_local(conn, incoming.tenant.id, name).await?)
}

/// A status of this tenant's accounts by its id (URI).
pub(crate) async fn local_status(
    conn: &mut AsyncPgConnection,
    tenant: &Domain,
    uri: &str,
) -> Result<Option<Status>, ProcessError> {
    Ok(statuses_table::table
        .filter(statuses_table::uri.eq(uri))
        .filter(statuses_table::domain_id.eq(tenant.id.0))
        .select(Status::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Any stored status by its id (URI).
pub(crate) async fn status_by_uri(conn: &mut AsyncPgConnection, uri: &str) -> Result<Option<Status>, ProcessError> {
    Ok(statuses_table::table
        .filter(statuses_table::uri.eq(uri))
        .select(Status::as_select())
        .first(conn)
        .await
        .optional()?)
}
