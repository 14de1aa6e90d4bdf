//! `/api/v2/filters` (filters with keywords and statuses) and `/api/v1/filters`
//! (one keyword each), both on the same tables as Mastodon 4.

use super::filtering::{filter_json, keyword_json, status_json};
use super::render::timestamp;
use crate::error::{WebError, not_found};
use crate::extract::{User, parse_id, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_service::safety::filters::{self as service, FilterChange, KeywordChange, V1Change};
use kereru_store::StatusId;
use kereru_store::filters::{self, Filter, FilterRow, Keyword};
use serde_json::{Value, json};

fn id_of(path: &web::Path<String>) -> Result<i64, WebError> {
    parse_id(path.as_str())
}

/// `expires_in`: absent leaves it, empty means never, else seconds.
fn expires_in(params: &Params, present: bool) -> Result<Option<Option<i64>>, WebError> {
    match params.list("expires_in").last() {
        None if present => Ok(Some(None)),
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(Some(None)),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(|s| Some(Some(s)))
            .map_err(|_| WebError::Unprocessable("Validation failed: Expires in must be a number".into())),
    }
}

fn context(params: &Params) -> Option<Vec<String>> {
    let list = params.list("context");
    if list.is_empty() { None } else { Some(list.iter().flat_map(|c| c.split(',')).map(str::to_string).collect()) }
}

/// `keywords_attributes` as JSON (`[0][keyword]`) or a form (`[][keyword]`, or `[0][keyword]`) sends them.
fn keyword_changes(params: &Params) -> Vec<KeywordChange> {
    let mut out = Vec::new();
    for index in 0..100 {
        let key = |field: &str| format!("keywords_attributes[{index}][{field}]");
        if !params.has_prefix(&format!("keywords_attributes[{index}]")) {
            break;
        }
        out.push(KeywordChange {
            id: params.str(&key("id")).and_then(|v| v.parse().ok()),
            keyword: params.str(&key("keyword")).map(str::to_string),
            whole_word: params.bool(&key("whole_word")),
            destroy: params.bool(&key("_destroy")).unwrap_or(false),
        });
    }
    // Rails' `keywords_attributes[][keyword]=a&keywords_attributes[][whole_word]=true`.
    let keywords = params.list("keywords_attributes[][keyword]");
    let whole = params.list("keywords_attributes[][whole_word]");
    for (i, keyword) in keywords.into_iter().enumerate() {
        let whole_word =
            whole.get(i).map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "on" | "yes" | "t"));
        out.push(KeywordChange { keyword: Some(keyword), whole_word, ..Default::default() });
    }
    out
}

fn change_of(params: &Params, creating: bool) -> Result<FilterChange, WebError> {
    Ok(FilterChange {
        title: params.list("title").last().cloned(),
        context: context(params),
        action: params.str("filter_action").map(str::to_string),
        expires_in: expires_in(params, false)?.or(if creating { Some(None) } else { None }),
        keywords: keyword_changes(params),
    })
}

/// `GET /api/v2/filters`
pub async fn list(state: web::Data<AppState>, me: User<scope::ReadFilters>) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let list = filters::list(&mut conn, me.id()).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(filter_json).collect::<Vec<_>>()))
}

/// `GET /api/v2/filters/{id}`
pub async fn show(
    state: web::Data<AppState>,
    me: User<scope::ReadFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let filter = filters::get(&mut conn, me.id(), id_of(&path)?).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(filter_json(&filter)))
}

/// `POST /api/v2/filters`
pub async fn create(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let change = change_of(&params, true)?;
    let mut conn = state.pool.get().await?;
    let filter = service::create(&mut conn, &me.actor(), change).await?;
    Ok(HttpResponse::Ok().json(filter_json(&filter)))
}

/// `PUT /api/v2/filters/{id}`
pub async fn update(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let change = change_of(&params, false)?;
    let mut conn = state.pool.get().await?;
    let filter = service::update(&mut conn, &me.actor(), id, change).await?;
    Ok(HttpResponse::Ok().json(filter_json(&filter)))
}

/// `DELETE /api/v2/filters/{id}`
pub async fn delete(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let mut conn = state.pool.get().await?;
    service::delete(&mut conn, &me.actor(), id).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn own_filter(state: &AppState, me: &User<scope::ReadFilters>, id: i64) -> Result<Filter, WebError> {
    let mut conn = state.pool.get().await?;
    filters::get(&mut conn, me.id(), id).await?.ok_or_else(not_found)
}

/// `GET /api/v2/filters/{id}/keywords`
pub async fn keywords(
    state: web::Data<AppState>,
    me: User<scope::ReadFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let filter = own_filter(&state, &me, id_of(&path)?).await?;
    Ok(HttpResponse::Ok().json(filter.keywords.iter().map(keyword_json).collect::<Vec<_>>()))
}

/// `POST /api/v2/filters/{id}/keywords` (`keyword`, `whole_word`)
pub async fn add_keyword(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let keyword = params.list("keyword").last().cloned().unwrap_or_default();
    let whole_word = params.bool("whole_word").unwrap_or(true);
    let mut conn = state.pool.get().await?;
    let keyword = service::add_keyword(&mut conn, &me.actor(), id, &keyword, whole_word).await?;
    Ok(HttpResponse::Ok().json(keyword_json(&keyword)))
}

/// `GET /api/v2/filters/keywords/{id}` (also `/api/v2/filter_keywords/{id}`)
pub async fn keyword(
    state: web::Data<AppState>,
    me: User<scope::ReadFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let keyword = filters::keyword(&mut conn, me.id(), id_of(&path)?).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(keyword_json(&keyword)))
}

/// `PUT /api/v2/filters/keywords/{id}`
pub async fn update_keyword(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let text = params.list("keyword").last().cloned();
    let mut conn = state.pool.get().await?;
    let keyword =
        service::update_keyword(&mut conn, &me.actor(), id, text.as_deref(), params.bool("whole_word")).await?;
    Ok(HttpResponse::Ok().json(keyword_json(&keyword)))
}

/// `DELETE /api/v2/filters/keywords/{id}`
pub async fn delete_keyword(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let mut conn = state.pool.get().await?;
    service::delete_keyword(&mut conn, &me.actor(), id).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v2/filters/{id}/statuses`
pub async fn statuses(
    state: web::Data<AppState>,
    me: User<scope::ReadFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let filter = own_filter(&state, &me, id_of(&path)?).await?;
    Ok(HttpResponse::Ok().json(filter.statuses.iter().map(status_json).collect::<Vec<_>>()))
}

/// `POST /api/v2/filters/{id}/statuses` (`status_id`)
pub async fn add_status(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let status = StatusId(parse_id(params.required("status_id")?)?);
    let mut conn = state.pool.get().await?;
    let entry = service::add_status(&mut conn, &me.actor(), id, status).await?;
    Ok(HttpResponse::Ok().json(status_json(&entry)))
}

/// `GET /api/v2/filters/statuses/{id}` (also `/api/v2/filter_statuses/{id}`)
pub async fn status_entry(
    state: web::Data<AppState>,
    me: User<scope::ReadFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let entry = filters::status_entry(&mut conn, me.id(), id_of(&path)?).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(status_json(&entry)))
}

/// `DELETE /api/v2/filters/statuses/{id}`
pub async fn delete_status_entry(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let mut conn = state.pool.get().await?;
    service::delete_status(&mut conn, &me.actor(), id).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// The v1 Filter entity: a keyword with its filter's settings.
fn v1_json(keyword: &Keyword, filter: &FilterRow) -> Value {
    json!({
        "id": keyword.id.to_string(),
        "phrase": keyword.keyword,
        "context": filter.context,
        "whole_word": keyword.whole_word,
        "expires_at": filter.expires_at.map(timestamp),
        "irreversible": filter.filter_action == "hide",
    })
}

fn v1_change(params: &Params, creating: bool) -> Result<V1Change, WebError> {
    Ok(V1Change {
        phrase: params.list("phrase").last().cloned(),
        context: context(params),
        irreversible: params.bool("irreversible"),
        whole_word: params.bool("whole_word"),
        expires_in: expires_in(params, false)?.or(if creating { Some(None) } else { None }),
    })
}

/// `GET /api/v1/filters`
pub async fn v1_list(state: web::Data<AppState>, me: User<scope::ReadFilters>) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let rows = filters::keywords_of(&mut conn, me.id()).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(|(k, f)| v1_json(k, f)).collect::<Vec<_>>()))
}

/// `GET /api/v1/filters/{id}`
pub async fn v1_show(
    state: web::Data<AppState>,
    me: User<scope::ReadFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let mut conn = state.pool.get().await?;
    let rows = filters::keywords_of(&mut conn, me.id()).await?;
    let (keyword, filter) = rows.iter().find(|(k, _)| k.id == id).ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(v1_json(keyword, filter)))
}

/// `POST /api/v1/filters`
pub async fn v1_create(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let change = v1_change(&params, true)?;
    let mut conn = state.pool.get().await?;
    let (keyword, filter) = service::create_v1(&mut conn, &me.actor(), change).await?;
    Ok(HttpResponse::Ok().json(v1_json(&keyword, &filter.row)))
}

/// `PUT /api/v1/filters/{id}`
pub async fn v1_update(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let change = v1_change(&params, false)?;
    let mut conn = state.pool.get().await?;
    let (keyword, filter) = service::update_v1(&mut conn, &me.actor(), id, change).await?;
    Ok(HttpResponse::Ok().json(v1_json(&keyword, &filter.row)))
}

/// `DELETE /api/v1/filters/{id}`
pub async fn v1_delete(
    state: web::Data<AppState>,
    me: User<scope::WriteFilters>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id_of(&path)?;
    let mut conn = state.pool.get().await?;
    service::delete_v1(&mut conn, &me.actor(), id).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The literal paths first: `/filters/keywords/{id}` before `/filters/{id}/...`.
    cfg.route("/api/v2/filters/keywords/{id}", web::get().to(keyword))
        .route("/api/v2/filters/keywords/{id}", web::put().to(update_keyword))
        .route("/api/v2/filters/keywords/{id}", web::delete().to(delete_keyword))
        .route("/api/v2/filter_keywords/{id}", web::get().to(keyword))
        .route("/api/v2/filter_keywords/{id}", web::put().to(update_keyword))
        .route("/api/v2/filter_keywords/{id}", web::delete().to(delete_keyword))
        .route("/api/v2/filters/statuses/{id}", web::get().to(status_entry))
        .route("/api/v2/filters/statuses/{id}", web::delete().to(delete_status_entry))
        .route("/api/v2/filter_statuses/{id}", web::get().to(status_entry))
        .route("/api/v2/filter_statuses/{id}", web::delete().to(delete_status_entry))
        .route("/api/v2/filters", web::get().to(list))
        .route("/api/v2/filters", web::post().to(create))
        .route("/api/v2/filters/{id}", web::get().to(show))
        .route("/api/v2/filters/{id}", web::put().to(update))
        .route("/api/v2/filters/{id}", web::delete().to(delete))
        .route("/api/v2/filters/{id}/keywords", web::get().to(keywords))
        .route("/api/v2/filters/{id}/keywords", web::post().to(add_keyword))
        .route("/api/v2/filters/{id}/statuses", web::get().to(statuses))
        .route("/api/v2/filters/{id}/statuses", web::post().to(add_status))
        .route("/api/v1/filters", web::get().to(v1_list))
        .route("/api/v1/filters", web::post().to(v1_create))
        .route("/api/v1/filters/{id}", web::get().to(v1_show))
        .route("/api/v1/filters/{id}", web::put().to(v1_update))
        .route("/api/v1/filters/{id}", web::delete().to(v1_delete));
}
