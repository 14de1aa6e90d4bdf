//! CSRF protection for every form of the web interface. A signed-in
//! person's forms carry their session's token; a visitor's (sign-in, sign-up)
//! carry the random value of the `kereru_form` cookie (double submit). Either
//! way a token from another session, or none, is refused with 403 and
//! changes nothing. SameSite=Lax cookies are a second line, not the first.

use super::PageError;
use super::session::Viewer;
use crate::error::WebError;
use crate::tenant::Tenant;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

pub const FORM_COOKIE: &str = "kereru_form";
/// The form field that carries the token (Mastodon's name for it).
pub const FIELD: &str = "authenticity_token";
/// Forms of the web interface are small; uploads go through multipart.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A form cookie made during this request, to be set on its response.
#[derive(Clone)]
struct NewFormCookie(String);

/// The visitor's form token: their cookie's, or a new one set with the response.
pub fn anonymous_token(req: &HttpRequest) -> String {
    if let Some(cookie) = req.cookie(FORM_COOKIE)
        && cookie.value().len() >= 32
        && cookie.value().len() <= 100
    {
        return cookie.value().to_string();
    }
    if let Some(NewFormCookie(value)) = req.extensions().get::<NewFormCookie>() {
        return value.clone();
    }
    let value = kereru_store::oauth::new_secret();
    req.extensions_mut().insert(NewFormCookie(value.clone()));
    value
}

/// Middleware: sets the form cookie when [`anonymous_token`] made one.
pub async fn set_form_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let made = response.request().extensions().get::<NewFormCookie>().cloned();
    if let Some(NewFormCookie(value)) = made {
        let secure = response
            .request()
            .extensions()
            .get::<Tenant>()
            .is_some_and(|t| t.urls.scheme == kereru_core::Scheme::Https);
        let cookie = Cookie::build(FORM_COOKIE, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .finish();
        response.response_mut().add_cookie(&cookie).map_err(actix_web::Error::from)?;
    }
    Ok(response)
}

/// Byte comparison whose time does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a form whose token is not this viewer's.
pub fn verify(viewer: &Viewer, presented: Option<&str>) -> Result<(), WebError> {
    match presented {
        Some(token) if !token.is_empty() && same(token.as_bytes(), viewer.csrf().as_bytes()) => Ok(()),
        _ => Err(WebError::Forbidden(
            "This form expired or came from another site. Go back, reload the page and try again.".into(),
        )),
    }
}

/// A urlencoded form whose CSRF token was checked; `T` reads the other fields.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let viewer = viewer.await?;
            let body = body.await.map_err(|e| WebError::BadRequest(format!("could not read the form: {e}")))?;
            if body.len() > MAX_FORM_BYTES {
                return Err(WebError::PayloadTooLarge(MAX_FORM_BYTES as u64).into());
            }
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|_| WebError::BadRequest("the form could not be read".into()))?;
            let token = pairs.iter().find(|(k, _)| k == FIELD).map(|(_, v)| v.as_str());
            verify(&viewer, token)?;
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))?;
            Ok(CsrfForm(form))
        })
    }
}
