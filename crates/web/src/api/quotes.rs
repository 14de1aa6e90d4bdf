//! Quote posts as Mastodon 4.5's client API has them: the quotes of one's
//! own status, revoking one, changing who may quote (`interaction_policy`),
//! and the `quote` / `quote_approval` parts of Status entities ([`Quotes`]).

use super::paging;
use super::render::Renderer;
use crate::error::{WebError, not_found};
use crate::extract::{Id, User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::quotes::QuotePolicy;
use kereru_store::ids::{AccountId, StatusId};
use kereru_store::quotes::{self, Quote, QuoteState};
use kereru_store::statuses::{self, Status};
use kereru_store::{DomainId, PgConn};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/statuses/{id}/quotes", web::get().to(list))
        .route("/api/v1/statuses/{id}/quotes/{quoting}/revoke", web::post().to(revoke))
        .route("/api/v1/statuses/{id}/interaction_policy", web::put().to(interaction_policy));
}

/// `quote_approval_policy`, when given: one of Mastodon's three, else 422.
pub fn policy_param(params: &Params) -> Result<Option<QuotePolicy>, WebError> {
    match params.str("quote_approval_policy").filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => QuotePolicy::parse(value).map(Some).ok_or_else(|| {
            WebError::Unprocessable("Validation failed: Quote approval policy is not included in the list".into())
        }),
    }
}

/// `GET /api/v1/statuses/{id}/quotes`: the accepted quotes of one's own status (others: 403).
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    Id(id): Id<StatusId>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let page = paging::page(&params)?;
    let mut conn = state.pool.get().await?;
    let status = statuses::visible_one(&mut conn, me.tenant.id, Some(me.id()), id).await?.ok_or_else(not_found)?;
    if status.account_id != me.id() {
        return Err(WebError::Forbidden("This action is not allowed".into()));
    }
    let ids = quotes::quoting(&mut conn, status.id, page).await?;
    let mut shown = Vec::with_capacity(ids.len());
    for quoting in &ids {
        if let Some(quoting) = statuses::visible_one(&mut conn, me.tenant.id, Some(me.id()), *quoting).await? {
            shown.push(quoting);
        }
    }
    let body = Renderer::new(&me.tenant, Some(me.id())).statuses(&mut conn, shown).await?;
    let page_ids: Vec<i64> = ids.iter().map(|s| s.0).collect();
    Ok(paging::respond(&req, &me.tenant.urls.base(), &page_ids, body))
}

/// `POST /api/v1/statuses/{id}/quotes/{quoting}/revoke`: answers the quoting status.
async fn revoke(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (quoted, quoting) = path.into_inner();
    let (quoted, quoting) = (StatusId(parse_id(&quoted)?), StatusId(parse_id(&quoting)?));
    let mut conn = state.pool.get().await?;
    let status = kereru_service::quotes::revoke(&mut conn, &me.actor(), quoted, quoting).await?;
    Ok(HttpResponse::Ok().json(Renderer::new(&me.tenant, Some(me.id())).status(&mut conn, status).await?))
}

/// `PUT /api/v1/statuses/{id}/interaction_policy` with `quote_approval_policy`.
async fn interaction_policy(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    Id(id): Id<StatusId>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let policy = policy_param(&params)?
        .ok_or_else(|| WebError::Unprocessable("Validation failed: Quote approval policy can't be blank".into()))?;
    let mut conn = state.pool.get().await?;
    let status = kereru_service::quotes::set_policy(&mut conn, &me.actor(), id, policy).await?;
    Ok(HttpResponse::Ok().json(Renderer::new(&me.tenant, Some(me.id())).status(&mut conn, status).await?))
}

/// What Status entities need about quotes, loaded for a page at once.
#[derive(Default)]
pub struct Quotes {
    /// The quotes the page's statuses make.
    made: HashMap<StatusId, Quote>,
    counts: HashMap<StatusId, i64>,
    policies: HashMap<StatusId, QuotePolicy>,
    /// Authors the viewer follows (a `followers` policy lets them quote).
    followed: HashSet<AccountId>,
}

impl Quotes {
    /// Loads for `page`; returns the quoted statuses the viewer may see, to render with the page.
    pub async fn load(
        conn: &mut PgConn,
        tenant: DomainId,
        viewer: Option<AccountId>,
        page: &[&Status],
    ) -> Result<(Quotes, Vec<Status>), WebError> {
        let ids: Vec<StatusId> = page.iter().map(|s| s.id).collect();
        let made = quotes::of_statuses(conn, &ids).await?;
        let mut quoted = Vec::new();
        for quote in made.values() {
            if let Some(id) = quote.quoted_status_id.filter(|_| quote.state == QuoteState::Accepted)
                && !ids.contains(&id)
                && let Some(status) = statuses::visible_one(conn, tenant, viewer, id).await?
            {
                quoted.push(status);
            }
        }
        let mut made = made;
        let quoted_ids: Vec<StatusId> = quoted.iter().map(|s| s.id).collect();
        // What the quoted statuses quote in turn shows as a shallow quote.
        made.extend(quotes::of_statuses(conn, &quoted_ids).await?);
        let mut all = ids;
        all.extend(quoted_ids);
        let counts = quotes::counts(conn, &all).await?;
        let policies = quotes::policies(conn, &all).await?;
        let followed = match viewer {
            Some(viewer) => {
                let authors: Vec<AccountId> =
                    page.iter().map(|s| s.account_id).chain(quoted.iter().map(|s| s.account_id)).collect();
                quotes::followed_among(conn, viewer, &authors).await?
            }
            None => HashSet::new(),
        };
        Ok((Quotes { made, counts, policies, followed }, quoted))
    }

    /// `quotes_count` and `quote_approval` for `status`.
    pub fn decorate(&self, status: &Status, viewer: Option<AccountId>, value: &mut Value) {
        value["quotes_count"] = self.counts.get(&status.id).copied().unwrap_or(0).into();
        let facts = kereru_service::quotes::quoted_facts(status, self.policies.get(&status.id).copied());
        let current = match viewer {
            Some(viewer) => facts.approval(status.account_id == viewer, self.followed.contains(&status.account_id)),
            None => kereru_core::quotes::Approval::Unknown,
        };
        value["quote_approval"] =
            json!({ "automatic": facts.automatic(), "manual": [], "current_user": current.as_str() });
    }

    /// Sets `quote` on every rendered status that quotes another: the full
    /// quoted status when accepted and visible, whose own quote is shallow.
    pub fn attach(&self, rendered: &mut HashMap<StatusId, Value>) {
        let shallow: HashMap<StatusId, Value> =
            self.made.iter().map(|(id, quote)| (*id, self.entity(quote, None))).collect();
        for (id, quote) in &self.made {
            let nested = quote.quoted_status_id.and_then(|quoted| rendered.get(&quoted)).map(|full| {
                let mut full = full.clone();
                if let Some(inner) = quote.quoted_status_id.and_then(|quoted| shallow.get(&quoted)) {
                    full["quote"] = inner.clone();
                }
                full
            });
            let entity = self.entity(quote, Some(nested));
            if let Some(value) = rendered.get_mut(id) {
                value["quote"] = entity;
            }
        }
    }

    /// A Quote (with `full` = Some(the quoted status if shown)) or a ShallowQuote.
    fn entity(&self, quote: &Quote, full: Option<Option<Value>>) -> Value {
        let (state, shown) = match (quote.state, quote.quoted_status_id) {
            (QuoteState::Accepted, None) => ("deleted", false),
            (QuoteState::Accepted, Some(_)) => match &full {
                Some(None) => ("unauthorized", false),
                _ => ("accepted", true),
            },
            (other, _) => (other.as_str(), false),
        };
        match full {
            Some(status) => json!({ "state": state, "quoted_status": if shown { status } else { None } }),
            None => json!({
                "state": state,
                "quoted_status_id": if shown { quote.quoted_status_id.map(|id| id.to_string()) } else { None },
            }),
        }
    }
}
