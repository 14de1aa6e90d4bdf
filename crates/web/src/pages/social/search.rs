//! `GET /search?q=`: accounts (this tenant's and those it knows) by name or
//! handle, hashtags, and lookup of a handle (`@bob@other.host`) or URL (an
//! actor or a post) on other servers, through the same resolution as the
//! API's `/api/v2/search?resolve=true`.

use super::cards::{self, AccountCard};
use crate::error::WebError;
use crate::pages::session::Me;
use crate::pages::{Page, PageError};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_service::interaction::{self, Resolved};
use kereru_store::{accounts, statuses};

const MAX_QUERY: usize = 500;
const ACCOUNTS: i64 = 20;
const TAGS: i64 = 10;

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(serde::Serialize)]
struct Tag {
    name: String,
    url: String,
}

/// `GET /search`
pub async fn search(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let q = query.q.trim().to_string();
    if q.chars().count() > MAX_QUERY {
        return Err(WebError::Unprocessable("The search is too long.".into()).into());
    }
    let mut conn = state.pool.get().await?;
    let mut people: Vec<AccountCard> = Vec::new();
    let mut tags: Vec<Tag> = Vec::new();
    let mut post: Option<String> = None;
    let is_url = q.starts_with("https://") || q.starts_with("http://");
    if is_url || interaction::parse_handle(&q).is_some() {
        // A handle or URL: looked up where it lives (WebFinger or the document itself).
        match interaction::resolve(&mut conn, &state.fetcher, &tenant.domain, tenant.urls.scheme, &q).await? {
            Some(Resolved::Account(account)) => {
                people.push(cards::card(&mut conn, &tenant, Some(&me.account), &account).await?);
            }
            Some(Resolved::Status(id)) => {
                if let Some(status) =
                    statuses::visible_one(&mut conn, tenant.id, Some(me.account.id), kereru_store::StatusId(id)).await?
                {
                    let author = accounts::get_unchecked(&mut conn, status.account_id).await?;
                    post = Some(match author {
                        Some(author) if author.domain_id == Some(tenant.id) => {
                            format!("{}/{}", tenant.urls.profile_page(&author.username), status.id)
                        }
                        _ => status.url.clone().unwrap_or(status.uri.clone()),
                    });
                }
            }
            None => {}
        }
    } else if !q.is_empty() {
        let text = q.trim_start_matches('@');
        if !q.starts_with('#') {
            let ids = accounts::search_visible(&mut conn, tenant.id, text, 0, ACCOUNTS).await?;
            people = cards::cards(&mut conn, &tenant, Some(&me.account), &ids).await?;
        }
        let name = q.trim_start_matches('#').to_lowercase();
        if !name.is_empty() && !name.contains(char::is_whitespace) {
            let names = statuses::search_tags(&mut conn, tenant.id, Some(me.account.id), &name, 0, TAGS).await?;
            tags = names.into_iter().map(|name| Tag { url: format!("/tags/{name}"), name }).collect();
        }
    }
    Page::new("social/search.html", &tenant, &me.viewer)
        .insert("nav", "search")
        .insert("q", &q)
        .insert("people", &people)
        .insert("tags", &tags)
        .insert("post_url", &post)
        .insert("return_to", &format!("/search?{}", serde_urlencoded::to_string([("q", &q)]).unwrap_or_default()))
        .render(&state)
}
