//! The collections an actor publishes, as paged `OrderedCollection`s:
//! outbox (public and unlisted statuses and boosts), followers, following,
//! featured (pinned statuses).

use super::context;
use crate::error::WebError;
use crate::negotiate::ACTIVITY_JSON;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::activitypub as ap;
use kereru_service::federation::outbound::{self, ActorIds};
use kereru_store::PgConn;
use kereru_store::accounts::{self, Account};
use kereru_store::page::Page;
use kereru_store::relationships::{self, FollowState};
use kereru_store::statuses::{self, Feed};

const PAGE_SIZE: i64 = 20;

#[derive(Debug, serde::Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    max_id: Option<String>,
}

impl PageQuery {
    fn wants_page(&self) -> bool {
        self.page.as_deref().is_some_and(|p| p == "true" || p == "1")
    }

    fn max_id(&self) -> Option<i64> {
        self.max_id.as_deref()?.parse().ok()
    }
}

fn activity_json(document: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type(ACTIVITY_JSON).body(document.to_string())
}

async fn owner(conn: &mut PgConn, tenant: &Tenant, username: &str) -> Result<Account, WebError> {
    accounts::find_local(conn, tenant.id, username)
        .await?
        .ok_or_else(|| WebError::NotFound("no such account on this domain".into()))
}

fn strip_context(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("@context");
    }
    value
}

/// `GET /users/{name}/outbox`
pub async fn outbox(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let result = async {
        let mut conn = state.pool.get().await?;
        let account = owner(&mut conn, &tenant, &username).await?;
        let id = tenant.urls.outbox(&account.username);
        if !query.wants_page() {
            let total = statuses::outbox_count(&mut conn, account.id).await?;
            let first = format!("{id}?page=true");
            let last = format!("{id}?min_id=0&page=true");
            return Ok(ap::ordered_collection(&id, total as u64, Some(&first), Some(&last)));
        }
        let feed = Feed::Account {
            account: account.id,
            exclude_replies: false,
            exclude_reblogs: false,
            pinned: false,
            tagged: None,
            only_media: false,
        };
        let page = Page { max_id: query.max_id(), limit: PAGE_SIZE, ..Page::default() };
        let list = statuses::visible(&mut conn, tenant.id, None, &feed, page).await?;
        let scheme = context(&state).scheme;
        let mut items = Vec::with_capacity(list.len());
        for status in &list {
            items.push(strip_context(outbound::activity_of(&mut conn, scheme, status).await?));
        }
        let next = (list.len() as i64 == PAGE_SIZE)
            .then(|| list.last().map(|s| format!("{id}?page=true&max_id={}", s.id)))
            .flatten();
        let page_id = match query.max_id() {
            Some(max) => format!("{id}?page=true&max_id={max}"),
            None => format!("{id}?page=true"),
        };
        Ok::<_, WebError>(ap::ordered_collection_page(&page_id, &id, items, next.as_deref(), None))
    }
    .await;
    result.map(|doc| activity_json(&doc)).unwrap_or_else(|error| error.respond_to(&req))
}

async fn follow_collection(
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    query: &PageQuery,
    followers: bool,
) -> Result<serde_json::Value, WebError> {
    let mut conn = state.pool.get().await?;
    let account = owner(&mut conn, tenant, username).await?;
    let id =
        if followers { tenant.urls.followers(&account.username) } else { tenant.urls.following(&account.username) };
    let (follower_count, following_count) = relationships::follow_counts(&mut conn, account.id).await?;
    let total = if followers { follower_count } else { following_count };
    let hidden = account.hide_collections;
    if !query.wants_page() || hidden {
        let first = (!hidden).then(|| format!("{id}?page=true"));
        return Ok(ap::ordered_collection(&id, total as u64, first.as_deref(), None));
    }
    let page = Page { max_id: query.max_id(), limit: PAGE_SIZE, ..Page::default() };
    let rows = if followers {
        relationships::followers(&mut conn, account.id, FollowState::Accepted, page).await?
    } else {
        relationships::following(&mut conn, account.id, page).await?
    };
    let ids: Vec<i64> = rows.iter().map(|(_, a)| a.0).collect();
    let people = accounts::many_unchecked(&mut conn, &ids).await?;
    let mut names = ActorIds::new(context(state).scheme);
    let mut items = Vec::with_capacity(rows.len());
    for (_, account_id) in &rows {
        if let Some(person) = people.iter().find(|p| p.id == *account_id) {
            items.push(serde_json::Value::String(names.actor(&mut conn, person).await?));
        }
    }
    let next = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|(follow, _)| format!("{id}?page=true&max_id={follow}")))
        .flatten();
    let page_id = match query.max_id() {
        Some(max) => format!("{id}?page=true&max_id={max}"),
        None => format!("{id}?page=true"),
    };
    Ok(ap::ordered_collection_page(&page_id, &id, items, next.as_deref(), None))
}

/// `GET /users/{name}/followers`
pub async fn followers(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    match follow_collection(&state, &tenant, &username, &query, true).await {
        Ok(doc) => activity_json(&doc),
        Err(error) => error.respond_to(&req),
    }
}

/// `GET /users/{name}/following`
pub async fn following(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    match follow_collection(&state, &tenant, &username, &query, false).await {
        Ok(doc) => activity_json(&doc),
        Err(error) => error.respond_to(&req),
    }
}

/// `GET /users/{name}/collections/featured`: pinned statuses, embedded as Mastodon does.
pub async fn featured(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
) -> HttpResponse {
    let result = async {
        let mut conn = state.pool.get().await?;
        let account = owner(&mut conn, &tenant, &username).await?;
        let feed = Feed::Account {
            account: account.id,
            exclude_replies: false,
            exclude_reblogs: true,
            pinned: true,
            tagged: None,
            only_media: false,
        };
        let list = statuses::visible(&mut conn, tenant.id, None, &feed, Page::default()).await?;
        let scheme = context(&state).scheme;
        let mut items = Vec::with_capacity(list.len());
        for status in &list {
            items.push(outbound::note_of(&mut conn, scheme, status).await?.0);
        }
        let id = format!("{}/collections/featured", tenant.urls.actor(&account.username));
        let mut document = ap::ordered_collection(&id, items.len() as u64, None, None);
        document["orderedItems"] = serde_json::Value::Array(items);
        Ok::<_, WebError>(document)
    }
    .await;
    result.map(|doc| activity_json(&doc)).unwrap_or_else(|error| error.respond_to(&req))
}
