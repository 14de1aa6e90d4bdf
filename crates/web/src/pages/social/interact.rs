//! Following across servers. `/@name/remote_follow` asks a visitor for
//! their own address and sends them to their server's subscribe page (its
//! WebFinger's OStatus subscribe template); `/authorize_interaction?uri=` is
//! that page here: other servers send their people to it (this tenant's
//! WebFinger names it), and it shows the account or post with a button.

use super::actor;
use super::cards::{self, AccountCard};
use crate::api::render::Renderer;
use crate::error::not_found;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::{Me, Viewer};
use crate::pages::{Page, PageError};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::interaction::{self, RemoteFollowError, Resolved};
use kereru_store::accounts::{self, Account};
use kereru_store::{AccountId, statuses};

/// The longest address or URI taken from a form or a query.
const MAX_INPUT: usize = 2000;

async fn profile_account(state: &AppState, tenant: &Tenant, username: &str) -> Result<Account, PageError> {
    let mut conn = state.pool.get().await?;
    Ok(accounts::find_local(&mut conn, tenant.id, username).await?.ok_or_else(not_found)?)
}

fn remote_follow_page(
    state: &AppState,
    tenant: &Tenant,
    viewer: &Viewer,
    card: &AccountCard,
    typed: &str,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    Page::new("social/remote_follow.html", tenant, viewer)
        .insert("account", card)
        .insert("typed", typed)
        .insert("error", &error)
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

/// `GET /@{username}/remote_follow`
pub async fn remote_follow_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    username: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let account = profile_account(&state, &tenant, &username).await?;
    let mut conn = state.pool.get().await?;
    let card = cards::card(&mut conn, &tenant, None, &account).await?;
    remote_follow_page(&state, &tenant, &viewer, &card, "", None)
}

#[derive(serde::Deserialize)]
pub struct RemoteFollowForm {
    #[serde(default)]
    acct: String,
}

/// `POST /@{username}/remote_follow`: 303 to the visitor's own server.
pub async fn remote_follow(
    state: web::Data<AppState>,
    tenant: Tenant,
    viewer: Viewer,
    username: web::Path<String>,
    CsrfForm(form): CsrfForm<RemoteFollowForm>,
) -> Result<HttpResponse, PageError> {
    let account = profile_account(&state, &tenant, &username).await?;
    let typed: String = form.acct.trim().chars().take(MAX_INPUT).collect();
    let target = format!("acct:{}", tenant.urls.acct(&account.username).trim_start_matches("acct:"));
    let mut conn = state.pool.get().await?;
    let found =
        interaction::subscribe_url(&mut conn, &state.fetcher, &tenant.domain, tenant.urls.scheme, &typed, &target)
            .await;
    match found {
        Ok(url) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", url))
            .insert_header(("Cache-Control", "no-store"))
            .finish()),
        Err(RemoteFollowError::Service(error)) => Err(error.into()),
        Err(error) => {
            let card = cards::card(&mut conn, &tenant, None, &account).await?;
            remote_follow_page(&state, &tenant, &viewer, &card, &typed, Some(&error.to_string()))
        }
    }
}

#[derive(serde::Deserialize)]
pub struct UriQuery {
    #[serde(default)]
    uri: String,
}

/// A status found for the interaction page.
#[derive(serde::Serialize)]
struct FoundStatus {
    author: AccountCard,
    content: String,
    spoiler_text: String,
    created_at: String,
    url: String,
}

/// `GET /authorize_interaction?uri=…` (signed in; else sign in and come back).
pub async fn authorize_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<UriQuery>,
) -> Result<HttpResponse, PageError> {
    let uri: String = query.uri.trim().chars().take(MAX_INPUT).collect();
    let mut conn = state.pool.get().await?;
    let found = if uri.is_empty() {
        None
    } else {
        interaction::resolve(&mut conn, &state.fetcher, &tenant.domain, tenant.urls.scheme, &uri).await?
    };
    let page = Page::new("social/authorize_interaction.html", &tenant, &me.viewer).insert("uri", &uri);
    match found {
        Some(Resolved::Account(account)) => {
            let card = cards::card(&mut conn, &tenant, Some(&me.account), &account).await?;
            page.insert("account", &card).render(&state)
        }
        Some(Resolved::Status(id)) => {
            match statuses::visible_one(&mut conn, tenant.id, Some(me.account.id), kereru_store::StatusId(id)).await? {
                Some(status) => {
                    let author = accounts::get_unchecked(&mut conn, status.account_id).await?.ok_or_else(not_found)?;
                    let entity = Renderer::new(&tenant, Some(me.account.id)).status(&mut conn, status).await?;
                    let author = cards::card(&mut conn, &tenant, Some(&me.account), &author).await?;
                    let text = |key: &str| entity[key].as_str().unwrap_or("").to_string();
                    let post = FoundStatus {
                        author,
                        content: text("content"),
                        spoiler_text: text("spoiler_text"),
                        created_at: text("created_at").chars().take(10).collect(),
                        url: text("url"),
                    };
                    page.insert("status", &post).render(&state)
                }
                None => page.status(StatusCode::NOT_FOUND).render(&state),
            }
        }
        None => page.status(StatusCode::NOT_FOUND).render(&state),
    }
}

#[derive(serde::Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    id: String,
}

/// `POST /authorize_interaction`: follows the account shown, and says how it went.
pub async fn authorize(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<FollowForm>,
) -> Result<HttpResponse, PageError> {
    let target = AccountId(super::path_id(&form.id)?);
    let mut conn = state.pool.get().await?;
    let events = kereru_service::follows::follow(&mut conn, &actor(&tenant, &me), target, true, false).await?;
    state.publish(&events).await;
    let account = accounts::get_visible(&mut conn, tenant.id, target).await?.ok_or_else(not_found)?;
    let card = cards::card(&mut conn, &tenant, Some(&me.account), &account).await?;
    Page::new("social/authorize_interaction.html", &tenant, &me.viewer)
        .insert("account", &card)
        .insert("followed", &true)
        .render(&state)
}
