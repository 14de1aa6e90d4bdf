//! Error messages in the client's language: a request whose
//! `Accept-Language` prefers a language Kererū speaks ([`Locale`]) gets
//! its errors (JSON `error` and `details`, or the HTML error page) in that
//! language. Handlers keep writing English: errors are translated here,
//! once, by their English text.

use crate::error::WebError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use kereru_core::i18n::Locale;

/// The language a request asks for.
pub fn locale_of(headers: &header::HeaderMap) -> Locale {
    Locale::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// Middleware: re-renders a [`WebError`] answer in the asked language,
/// keeping its status, its form (JSON or HTML) and the headers set on it.
pub async fn localize_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let locale = locale_of(req.headers());
    if locale == Locale::En {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    // No clone of the request may live across the call: routing needs it unshared.
    let response = match next.call(req).await {
        Ok(response) => response,
        // A middleware's error that nothing turned into a response yet (JSON, as it would have been).
        Err(error) => match error.as_error::<WebError>() {
            Some(web_error) => return Err(Localized(web_error.message_in(locale), web_error.status(), locale).into()),
            None => return Err(error),
        },
    };
    let Some(web_error) = response.response().error().and_then(|e| e.as_error::<WebError>()) else {
        return Ok(response.map_into_left_body());
    };
    let was_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|kind| kind.starts_with("application/json"));
    let mut translated =
        if was_json { web_error.json_response_in(locale) } else { web_error.respond_in(response.request(), locale) };
    translated.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.code()));
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !translated.headers().contains_key(name) {
            translated.headers_mut().append(name.clone(), value.clone());
        }
    }
    let (http_req, _) = response.into_parts();
    Ok(ServiceResponse::new(http_req, translated).map_into_right_body())
}

/// An error already put in the client's language.
#[derive(Debug)]
struct Localized(String, actix_web::http::StatusCode, Locale);

impl std::fmt::Display for Localized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl actix_web::ResponseError for Localized {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.1
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::build(self.1)
            .insert_header((header::CONTENT_LANGUAGE, self.2.code()))
            .json(serde_json::json!({ "error": self.0 }))
    }
}
