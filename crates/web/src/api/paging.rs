//! Reading a page request from parameters and writing Mastodon's `Link` header.

use crate::error::WebError;
use crate::params::Params;
use actix_web::HttpRequest;
use kereru_store::page::{MAX_LIMIT, Page};

fn id_param(params: &Params, key: &str) -> Result<Option<i64>, WebError> {
    match params.str(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| WebError::Unprocessable(format!("{key} must be an id"))),
    }
}

pub fn page(params: &Params) -> Result<Page, WebError> {
    page_with_max(params, MAX_LIMIT)
}

pub fn page_with_max(params: &Params, max: i64) -> Result<Page, WebError> {
    let limit = match params.str("limit").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| WebError::Unprocessable("limit must be a number".into()))?),
    };
    Ok(Page::new(id_param(params, "max_id")?, id_param(params, "since_id")?, id_param(params, "min_id")?, limit, max))
}

/// `Link: <...max_id=OLDEST>; rel="next", <...min_id=NEWEST>; rel="prev"`,
/// keeping the request's other parameters; `None` for an empty page.
pub fn link_header(req: &HttpRequest, base: &str, newest: Option<i64>, oldest: Option<i64>) -> Option<String> {
    let (newest, oldest) = (newest?, oldest?);
    let kept: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "max_id" | "min_id" | "since_id"))
        .collect();
    let url = |key: &str, id: i64| {
        let mut pairs = kept.clone();
        pairs.push((key.to_string(), id.to_string()));
        format!("{base}{}?{}", req.path(), serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    Some(format!("<{}>; rel=\"next\", <{}>; rel=\"prev\"", url("max_id", oldest), url("min_id", newest)))
}

/// A JSON page with its `Link` header; `ids` are the paging ids, newest first.
pub fn respond(req: &HttpRequest, base: &str, ids: &[i64], body: Vec<serde_json::Value>) -> actix_web::HttpResponse {
    let mut response = actix_web::HttpResponse::Ok();
    if let Some(link) = link_header(req, base, ids.first().copied(), ids.last().copied()) {
        response.insert_header(("Link", link));
    }
    response.json(body)
}
