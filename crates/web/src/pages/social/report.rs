//! Reporting an account (and some of its posts) to this tenant's moderators:
//! `GET /reports/new?account_id=…&status_id=…` shows the form (category,
//! rules, posts, comment, and for a remote account whether to forward a copy
//! to its server), `POST /reports` files it through the same service action
//! as `POST /api/v1/reports`, then `/reports/sent` thanks the reporter.

use super::actor;
use crate::error::not_found;
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::view::{AccountView, Views, excerpt};
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::reports::{self, COMMENT_LIMIT, ReportInput};
use kereru_store::accounts::{self, Account};
use kereru_store::page::Page as StorePage;
use kereru_store::statuses::{self, Feed};
use kereru_store::{AccountId, StatusId, about};
use serde::Serialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/new", web::get().to(form))
        .route("/reports", web::post().to(submit))
        .route("/reports/sent", web::get().to(sent));
}

/// How many of the account's recent posts the form offers.
const RECENT_POSTS: i64 = 10;

#[derive(serde::Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    status_id: Option<String>,
}

/// What the person chose (kept when the form comes back with an error).
#[derive(Debug, Default, Clone, Serialize)]
struct Choice {
    category: String,
    comment: String,
    forward: bool,
    status_ids: Vec<i64>,
    rule_ids: Vec<i64>,
}

#[derive(Serialize)]
struct PostChoice {
    id: String,
    excerpt: String,
    when: String,
    checked: bool,
}

#[derive(Serialize)]
struct RuleChoice {
    id: String,
    text: String,
    checked: bool,
}

async fn target(conn: &mut kereru_store::PgConn, tenant: &Tenant, id: &str) -> Result<Account, PageError> {
    let id = super::path_id(id)?;
    Ok(accounts::get_visible(conn, tenant.id, AccountId(id)).await?.ok_or_else(not_found)?)
}

async fn render(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    account: &Account,
    choice: &Choice,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let mut views = Views::new(tenant, Some(me.account.id));
    let who: AccountView = views.account(&mut conn, account).await?;
    let feed = Feed::Account {
        account: account.id,
        exclude_replies: false,
        exclude_reblogs: true,
        pinned: false,
        tagged: None,
        only_media: false,
    };
    let page = StorePage { limit: RECENT_POSTS, ..StorePage::default() };
    let mut list = statuses::visible(&mut conn, tenant.id, Some(me.account.id), &feed, page).await?;
    // A chosen post older than the recent ones is offered too.
    for id in &choice.status_ids {
        if !list.iter().any(|s| s.id.0 == *id)
            && let Some(status) = statuses::visible_one(&mut conn, tenant.id, Some(me.account.id), StatusId(*id))
                .await?
                .filter(|s| s.account_id == account.id)
        {
            list.insert(0, status);
        }
    }
    let posts: Vec<PostChoice> = views
        .statuses(&mut conn, list)
        .await?
        .into_iter()
        .map(|s| PostChoice {
            checked: s.id.parse().is_ok_and(|id: i64| choice.status_ids.contains(&id)),
            excerpt: if s.excerpt.is_empty() { "(no text)".into() } else { excerpt(&s.excerpt, 140) },
            when: s.created_human,
            id: s.id,
        })
        .collect();
    let rules: Vec<RuleChoice> = about::rules(&mut conn, tenant.id)
        .await?
        .into_iter()
        .map(|r| RuleChoice { id: r.id.to_string(), text: r.text, checked: choice.rule_ids.contains(&r.id) })
        .collect();
    Page::new("social/report.html", tenant, &me.viewer)
        .insert("account", &who)
        .insert("remote_host", &account.remote_host)
        .insert("posts", &posts)
        .insert("rules", &rules)
        .insert("choice", choice)
        .insert("comment_limit", &COMMENT_LIMIT)
        .insert("error", &error)
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

/// `GET /reports/new`
pub async fn form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let account = target(&mut conn, &tenant, &query.account_id).await?;
    drop(conn);
    let status_ids: Vec<i64> = query.status_id.as_deref().and_then(|id| id.parse().ok()).into_iter().collect();
    let choice = Choice { category: "other".into(), status_ids, ..Choice::default() };
    render(&state, &tenant, &me, &account, &choice, None).await
}

/// `POST /reports`
pub async fn submit(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let ids = |name: &str| -> Vec<i64> {
        pairs.iter().filter(|(k, _)| k == name).filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let mut conn = state.pool.get().await?;
    let account = target(&mut conn, &tenant, field("account_id").unwrap_or("")).await?;
    let choice = Choice {
        category: field("category").unwrap_or("other").to_string(),
        comment: field("comment").unwrap_or("").chars().take(COMMENT_LIMIT * 2).collect(),
        forward: field("forward").is_some(),
        status_ids: ids("status_ids"),
        rule_ids: if field("category") == Some("violation") { ids("rule_ids") } else { Vec::new() },
    };
    if choice.category == "violation"
        && choice.rule_ids.is_empty()
        && !about::rules(&mut conn, tenant.id).await?.is_empty()
    {
        drop(conn);
        return render(&state, &tenant, &me, &account, &choice, Some("Choose the rules this breaks.")).await;
    }
    let input = ReportInput {
        target: account.id,
        status_ids: choice.status_ids.clone(),
        comment: choice.comment.clone(),
        forward: choice.forward,
        category: Some(choice.category.clone()),
        rule_ids: choice.rule_ids.clone(),
        forward_to_domains: Vec::new(),
    };
    match reports::file(&mut conn, &actor(&tenant, &me), &input).await {
        Ok(_) => Ok(see_other("/reports/sent")),
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            render(&state, &tenant, &me, &account, &choice, Some(&message)).await
        }
        Err(ServiceError::NotFound) => {
            drop(conn);
            let choice = Choice { status_ids: Vec::new(), ..choice };
            render(&state, &tenant, &me, &account, &choice, Some("One of the posts can no longer be reported.")).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /reports/sent`
pub async fn sent(state: web::Data<AppState>, tenant: Tenant, me: Me) -> Result<HttpResponse, PageError> {
    Page::new("social/report_sent.html", &tenant, &me.viewer).render(&state)
}
