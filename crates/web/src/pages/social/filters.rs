//! `/settings/filters`: a person's content filters on the web (list, add,
//! edit, delete), through the same service actions as `/api/v2/filters`.
//! Filter ids are looked up with the signed-in account, so another
//! person's filter is a 404 and changes nothing.

use super::{actor, path_id};
use crate::pages::csrf::CsrfForm;
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kereru_core::filters::Context;
use kereru_service::ServiceError;
use kereru_service::safety::filters::{self as service, FilterChange, KeywordChange};
use kereru_store::filters::{self, Filter};
use std::collections::BTreeMap;

/// Blank keyword rows the form offers after the filled ones.
const SPARE_ROWS: usize = 3;
/// Most keyword rows one form reads.
const MAX_ROWS: usize = 50;

/// The expiry choices: (seconds, label); "" means never (or, editing, unchanged).
const EXPIRIES: &[(&str, &str)] = &[
    ("1800", "30 minutes"),
    ("3600", "1 hour"),
    ("21600", "6 hours"),
    ("43200", "12 hours"),
    ("86400", "1 day"),
    ("604800", "1 week"),
];

fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

fn context_label(context: &str) -> &'static str {
    match context {
        "home" => "Home timeline",
        "notifications" => "Notifications",
        "public" => "Public timelines",
        "thread" => "Conversations",
        "account" => "Profiles",
        _ => "Elsewhere",
    }
}

#[derive(serde::Serialize)]
struct FilterRow {
    id: String,
    title: String,
    contexts: Vec<&'static str>,
    hide: bool,
    expires: Option<String>,
    expired: bool,
    keywords: Vec<String>,
    statuses: usize,
}

fn row_of(filter: &Filter, now: DateTime<Utc>) -> FilterRow {
    FilterRow {
        id: filter.row.id.to_string(),
        title: filter.row.title.clone(),
        contexts: filter.row.context.iter().map(|c| context_label(c)).collect(),
        hide: filter.row.filter_action == "hide",
        expires: filter.row.expires_at.map(when),
        expired: filter.row.expires_at.is_some_and(|at| at <= now),
        keywords: filter.keywords.iter().map(|k| k.keyword.clone()).collect(),
        statuses: filter.statuses.len(),
    }
}

#[derive(serde::Deserialize)]
pub struct Notice {
    saved: Option<String>,
    deleted: Option<String>,
}

/// `GET /settings/filters`
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let now = Utc::now();
    let rows: Vec<FilterRow> = filters::list(&mut conn, me.account.id).await?.iter().map(|f| row_of(f, now)).collect();
    let notice = if query.saved.is_some() {
        Some("The filter was saved.")
    } else {
        query.deleted.is_some().then_some("The filter was deleted.")
    };
    Page::new("settings/filters.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "filters")
        .insert("filters", &rows)
        .insert("notice", &notice)
        .render(&state)
}

#[derive(Debug, Clone, Default, serde::Serialize)]
struct KeywordRow {
    keyword: String,
    whole_word: bool,
}

#[derive(serde::Serialize)]
struct ContextBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// What the form shows: the saved values or what was typed.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct FormValues {
    title: String,
    contexts: Vec<String>,
    hide: bool,
    expires_in: String,
    keywords: Vec<KeywordRow>,
}

impl FormValues {
    fn of(filter: &Filter) -> FormValues {
        FormValues {
            title: filter.row.title.clone(),
            contexts: filter.row.context.clone(),
            hide: filter.row.filter_action == "hide",
            expires_in: String::new(),
            keywords: filter
                .keywords
                .iter()
                .map(|k| KeywordRow { keyword: k.keyword.clone(), whole_word: k.whole_word })
                .collect(),
        }
    }

    fn from_form(form: &BTreeMap<String, String>) -> FormValues {
        let mut keywords = Vec::new();
        for i in 0..MAX_ROWS {
            let Some(keyword) = form.get(&format!("keyword_{i}")) else { continue };
            if keyword.trim().is_empty() {
                continue;
            }
            keywords.push(KeywordRow {
                keyword: keyword.trim().to_string(),
                whole_word: form.contains_key(&format!("whole_word_{i}")),
            });
        }
        FormValues {
            title: form.get("title").cloned().unwrap_or_default(),
            contexts: Context::ALL
                .iter()
                .filter(|c| form.contains_key(&format!("context_{c}")))
                .map(|c| c.as_str().to_string())
                .collect(),
            hide: form.get("filter_action").is_some_and(|a| a == "hide"),
            expires_in: form.get("expires_in").cloned().unwrap_or_default(),
            keywords,
        }
    }

    fn change(&self) -> Result<FilterChange, String> {
        let expires_in = match self.expires_in.trim() {
            "" => None,
            seconds => Some(Some(seconds.parse::<i64>().map_err(|_| "Choose when the filter expires.".to_string())?)),
        };
        Ok(FilterChange {
            title: Some(self.title.clone()),
            context: Some(self.contexts.clone()),
            action: Some(if self.hide { "hide" } else { "warn" }.to_string()),
            expires_in,
            keywords: self
                .keywords
                .iter()
                .map(|k| KeywordChange {
                    keyword: Some(k.keyword.clone()),
                    whole_word: Some(k.whole_word),
                    ..Default::default()
                })
                .collect(),
        })
    }
}

/// Which field a validation message is about.
fn field_of(message: &str) -> &'static str {
    let lower = message.to_lowercase();
    if lower.contains("title") {
        "title"
    } else if lower.contains("context") {
        "context"
    } else if lower.contains("keyword") {
        "keywords"
    } else if lower.contains("expire") {
        "expires_in"
    } else {
        "form"
    }
}

/// The form for a new filter (`editing` none) or for one of the viewer's.
fn render_form(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    editing: Option<&Filter>,
    values: &FormValues,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let mut rows = values.keywords.clone();
    let spare = if rows.is_empty() { SPARE_ROWS.max(1) } else { SPARE_ROWS };
    rows.extend(std::iter::repeat_n(KeywordRow { keyword: String::new(), whole_word: true }, spare));
    rows.truncate(MAX_ROWS);
    let contexts: Vec<ContextBox> = Context::ALL
        .iter()
        .map(|c| ContextBox {
            value: c.as_str(),
            label: context_label(c.as_str()),
            checked: values.contexts.iter().any(|v| v == c.as_str()),
        })
        .collect();
    let mut errors: BTreeMap<&str, String> = BTreeMap::new();
    if let Some(message) = &error {
        errors.insert(field_of(message), message.clone());
    }
    let current_expiry = editing.and_then(|f| f.row.expires_at).map(when);
    Page::new("settings/filter_form.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "filters")
        .insert("filter_id", &editing.map(|f| f.row.id.to_string()))
        .insert("current_expiry", &current_expiry)
        .insert("values", values)
        .insert("keyword_rows", &rows)
        .insert("contexts", &contexts)
        .insert(
            "expiries",
            &EXPIRIES.iter().map(|(v, l)| serde_json::json!({"value": v, "label": l})).collect::<Vec<_>>(),
        )
        .insert("errors", &errors)
        .status(if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY })
        .render(state)
}

/// `GET /settings/filters/new`
pub async fn new_form(state: web::Data<AppState>, tenant: Tenant, me: Me) -> Result<HttpResponse, PageError> {
    let values = FormValues { contexts: vec!["home".into(), "public".into(), "thread".into()], ..Default::default() };
    render_form(&state, &tenant, &me, None, &values, None)
}

/// `POST /settings/filters`
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let values = FormValues::from_form(&form);
    let change = match values.change() {
        Ok(change) => change,
        Err(message) => return render_form(&state, &tenant, &me, None, &values, Some(message)),
    };
    let mut conn = state.pool.get().await?;
    match service::create(&mut conn, &actor(&tenant, &me), change).await {
        Ok(_) => Ok(see_other("/settings/filters?saved=1")),
        Err(ServiceError::Invalid(message)) => render_form(&state, &tenant, &me, None, &values, Some(message)),
        Err(other) => Err(other.into()),
    }
}

async fn own(state: &AppState, me: &Me, id: &str) -> Result<Filter, PageError> {
    let id = path_id(id)?;
    let mut conn = state.pool.get().await?;
    Ok(filters::get(&mut conn, me.account.id, id).await?.ok_or(ServiceError::NotFound)?)
}

/// `GET /settings/filters/{id}/edit`
pub async fn edit_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let filter = own(&state, &me, &id).await?;
    render_form(&state, &tenant, &me, Some(&filter), &FormValues::of(&filter), None)
}

/// `POST /settings/filters/{id}`
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let filter = own(&state, &me, &id).await?;
    let values = FormValues::from_form(&form);
    let change = match values.change() {
        Ok(change) => change,
        Err(message) => return render_form(&state, &tenant, &me, Some(&filter), &values, Some(message)),
    };
    let mut conn = state.pool.get().await?;
    match service::replace(&mut conn, &actor(&tenant, &me), filter.row.id, change).await {
        Ok(_) => Ok(see_other("/settings/filters?saved=1")),
        Err(ServiceError::Invalid(message)) => render_form(&state, &tenant, &me, Some(&filter), &values, Some(message)),
        Err(other) => Err(other.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /settings/filters/{id}/delete`
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let mut conn = state.pool.get().await?;
    service::delete(&mut conn, &actor(&tenant, &me), id).await?;
    Ok(see_other("/settings/filters?deleted=1"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/filters", web::get().to(list))
        .route("/settings/filters", web::post().to(create))
        .route("/settings/filters/new", web::get().to(new_form))
        .route("/settings/filters/{id}/edit", web::get().to(edit_form))
        .route("/settings/filters/{id}", web::post().to(update))
        .route("/settings/filters/{id}/delete", web::post().to(delete));
}
