//! `multipart/form-data` bodies (media uploads), read with `actix-multipart`
//! under hard limits: the whole body, each file, each text field, the number
//! of fields. The body is counted as it arrives, so a chunked body that
//! declares no length is stopped as soon as it passes the limit.

use crate::error::WebError;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole body, boundaries and part headers included: over it is a 413.
    pub body: u64,
    /// Each part named as a file field.
    pub file: usize,
    /// Each other part.
    pub text: usize,
    /// Parts in all.
    pub parts: usize,
}

/// One part's content. The last part given under a name wins, as in Rails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    File(Bytes),
    /// Larger than its limit: read to the end and dropped.
    TooLarge,
}

#[derive(Debug, Default)]
pub struct Form {
    parts: BTreeMap<String, Value>,
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.parts.get(name)
    }

    /// A text part, `Err` if it was over its limit or not text.
    pub fn text(&self, name: &str) -> Result<Option<&str>, WebError> {
        match self.parts.get(name) {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text)),
            Some(Value::TooLarge) => Err(WebError::Unprocessable(format!("{name} is too long"))),
            Some(Value::File(_)) => Err(WebError::Unprocessable(format!("{name} must be text"))),
        }
    }

    /// Every text part, by name.
    pub fn texts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.parts.iter().filter_map(|(k, v)| match v {
            Value::Text(text) => Some((k.as_str(), text.as_str())),
            _ => None,
        })
    }

    /// Adds query-string parameters for names the body did not give (Rails merges both).
    pub fn merge_query(&mut self, query: &str) -> Result<(), WebError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| WebError::BadRequest("the query string is malformed".into()))?;
        for (key, value) in pairs {
            let key = key.strip_suffix("[]").map(str::to_string).unwrap_or(key);
            self.parts.entry(key).or_insert(Value::Text(value));
        }
        Ok(())
    }
}

/// Whether the request says its body is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The payload, failing with `Overflow` once more than `limit` bytes came.
fn counted<S>(payload: S, limit: u64) -> impl Stream<Item = Result<Bytes, PayloadError>> + 'static
where
    S: Stream<Item = Result<Bytes, PayloadError>> + 'static,
{
    let mut seen: u64 = 0;
    payload.map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > limit { Err(PayloadError::Overflow) } else { Ok(chunk) }
    })
}

fn multipart_error(error: actix_multipart::MultipartError, limit: u64) -> WebError {
    match error {
        actix_multipart::MultipartError::Payload(PayloadError::Overflow) => WebError::PayloadTooLarge(limit),
        actix_multipart::MultipartError::Payload(other) => {
            WebError::BadRequest(format!("reading the body failed: {other}"))
        }
        other => WebError::BadRequest(format!("the multipart body is malformed: {other}")),
    }
}

/// Reads a whole `multipart/form-data` body. Parts named in `file_fields`
/// are kept as bytes (up to `limits.file` each), the others must be UTF-8
/// text (up to `limits.text`). Parts over their limit are read through and
/// marked [`Value::TooLarge`], so the caller can answer with the reason.
pub async fn read<S>(headers: &HeaderMap, payload: S, limits: Limits, file_fields: &[&str]) -> Result<Form, WebError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + 'static,
{
    if !is_multipart(headers) {
        return Err(WebError::UnsupportedMediaType(
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(100).collect(),
        ));
    }
    let mut multipart = actix_multipart::Multipart::new(headers, counted(payload, limits.body));
    let mut form = Form::default();
    let mut count = 0;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| multipart_error(e, limits.body))?;
        count += 1;
        if count > limits.parts {
            return Err(WebError::Unprocessable(format!("a form may have at most {} parts", limits.parts)));
        }
        let name: String = field.name().unwrap_or("").chars().take(100).collect();
        let is_file = file_fields.contains(&name.as_str());
        let limit = if is_file { limits.file } else { limits.text };
        let value = match field.bytes(limit).await {
            Ok(Ok(bytes)) if is_file => Value::File(bytes),
            Ok(Ok(bytes)) => Value::Text(
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| WebError::BadRequest(format!("the form field {name:?} is not UTF-8 text")))?,
            ),
            Ok(Err(error)) => return Err(multipart_error(error, limits.body)),
            Err(_) => Value::TooLarge,
        };
        form.parts.insert(name, value);
    }
    Ok(form)
}
