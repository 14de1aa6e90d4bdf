//! Request parameters the way Mastodon (Rails) reads them: from the query
//! string and from a form, JSON or (later) multipart body, all merged.
//! `key[]=a&key[]=b`, repeated keys and JSON arrays are lists.

use crate::error::WebError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    fn push(&mut self, key: &str, value: String) {
        let key = key.strip_suffix("[]").unwrap_or(key);
        self.0.entry(key.to_string()).or_default().push(value);
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut params = Params::default();
        for (key, value) in pairs {
            params.push(&key, value);
        }
        params
    }

    fn merge_json(&mut self, value: serde_json::Value) -> Result<(), WebError> {
        let serde_json::Value::Object(map) = value else {
            return Err(WebError::BadRequest("the JSON body must be an object".into()));
        };
        for (key, value) in map {
            self.merge_json_value(&key, value, 0);
        }
        Ok(())
    }

    /// Nested objects become Rails-style keys: `{"source": {"privacy": "x"}}`
    /// is `source[privacy]`, `{"fields_attributes": [{"name": "a"}]}` is
    /// `fields_attributes[0][name]`, as a form would send them.
    fn merge_json_value(&mut self, key: &str, value: serde_json::Value, depth: usize) {
        // Bounded: a hostile body cannot recurse without end.
        if depth > 4 {
            return;
        }
        match value {
            serde_json::Value::Array(items) => {
                let nested = items.iter().any(|i| i.is_object());
                for (index, item) in items.into_iter().enumerate() {
                    if nested {
                        self.merge_json_value(&format!("{key}[{index}]"), item, depth + 1);
                    } else if let Some(text) = scalar(&item) {
                        self.push(key, text);
                    }
                }
            }
            serde_json::Value::Object(map) => {
                for (sub, item) in map {
                    self.merge_json_value(&format!("{key}[{sub}]"), item, depth + 1);
                }
            }
            other => {
                if let Some(text) = scalar(&other) {
                    self.push(key, text);
                }
            }
        }
    }

    /// The last value given for `key` (Rails keeps the last), if any and not empty.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|values| values.last()).map(String::as_str)
    }

    /// Like [`Params::str`], but a missing value is a 422 naming the parameter.
    pub fn required(&self, key: &str) -> Result<&str, WebError> {
        self.str(key)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| WebError::Unprocessable(format!("{key} is missing")))
    }

    /// Whether any key starts with `prefix` (for `fields_attributes[...]`).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.0.keys().any(|k| k.starts_with(prefix))
    }

    /// Every value given for `key`, splitting none.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0.get(key).cloned().unwrap_or_default()
    }

    /// Rails' truthiness: `true`, `1`, `on`, `yes` (any case) are true.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.str(key).map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "on" | "yes" | "t"))
    }
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl FromRequest for Params {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let limit = req
                .app_data::<web::Data<AppState>>()
                .map(|state| state.settings.max_body_bytes as usize)
                .unwrap_or(1024 * 1024);
            let mut params = Params::default();
            let query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
                .map_err(|_| WebError::BadRequest("the query string is malformed".into()))?;
            for (key, value) in query {
                params.push(&key, value);
            }
            let content_type = req.content_type().to_ascii_lowercase();
            let has_body = req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v != "0")
                || req.headers().contains_key(header::TRANSFER_ENCODING);
            if !has_body {
                return Ok(params);
            }
            let body = read_body(payload, limit).await?;
            if body.is_empty() {
                return Ok(params);
            }
            if content_type.ends_with("json") {
                let value: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| WebError::BadRequest(format!("the JSON body is malformed: {e}")))?;
                params.merge_json(value)?;
            } else if content_type == "application/x-www-form-urlencoded" || content_type.is_empty() {
                let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                    .map_err(|_| WebError::BadRequest("the form body is malformed".into()))?;
                for (key, value) in pairs {
                    params.push(&key, value);
                }
            } else {
                return Err(WebError::UnsupportedMediaType(content_type));
            }
            Ok(params)
        })
    }
}

/// The whole body, refused with 413 as soon as it passes `limit` (a
/// chunked body declares no length, so the tenant middleware can't).
async fn read_body(mut payload: Payload, limit: usize) -> Result<Vec<u8>, WebError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadRequest(format!("reading the body failed: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(WebError::PayloadTooLarge(limit as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
