//! Who is looking at a page: the browser session behind the
//! `kereru_session` cookie. The cookie is host-only (no `Domain`), and the
//! session is looked up with the tenant's id, so a session of one tenant is
//! worth nothing on another.

use super::PageError;
use super::csrf;
use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use kereru_store::accounts::{self, Account};
use kereru_store::roles;
use kereru_store::web_sessions::{self, WebSession};
use std::future::Future;
use std::pin::Pin;

pub const COOKIE: &str = "kereru_session";

/// A signed-in person: their session (its id, its CSRF token) and account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: WebSession,
    pub account: Account,
}

/// The person looking, if signed in, and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub signed_in: Option<SignedIn>,
    csrf: String,
    /// Whether the person signed in moderates or administers this tenant (the layout links the admin area).
    staff: bool,
}

/// What the layout shows of the person signed in.
#[derive(Debug, serde::Serialize)]
pub struct ViewerSummary {
    pub username: String,
    pub display_name: String,
    pub handle: String,
    pub profile_url: String,
    /// A moderator, an admin or a host admin: the top bar links `/admin`.
    pub staff: bool,
}

impl Viewer {
    /// The token this visitor's forms must carry ([`csrf::CsrfForm`] checks it).
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    pub fn account(&self) -> Option<&Account> {
        self.signed_in.as_ref().map(|s| &s.account)
    }

    pub fn summary(&self, tenant: &Tenant) -> Option<ViewerSummary> {
        self.account().map(|account| ViewerSummary {
            username: account.username.clone(),
            display_name: if account.display_name.is_empty() {
                account.username.clone()
            } else {
                account.display_name.clone()
            },
            handle: tenant.urls.handle(&account.username),
            profile_url: tenant.urls.profile_page(&account.username),
            staff: self.staff,
        })
    }
}

async fn find_viewer(req: &HttpRequest) -> Result<Viewer, WebError> {
    let tenant = req.extensions().get::<Tenant>().cloned().ok_or_else(|| WebError::Internal("no tenant".into()))?;
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| WebError::Internal("no state".into()))?;
    let token = req.cookie(COOKIE).map(|c| c.value().to_string()).filter(|t| !t.is_empty() && t.len() <= 100);
    let signed_in = match token {
        Some(token) => {
            let mut conn = state.pool.get().await?;
            match web_sessions::find(&mut conn, tenant.id, &token).await? {
                Some(session) => accounts::get_local(&mut conn, tenant.id, session.account())
                    .await?
                    .map(|account| SignedIn { session, account }),
                None => None,
            }
        }
        None => None,
    };
    let staff = match &signed_in {
        Some(signed_in) => {
            let mut conn = state.pool.get().await?;
            roles::staff(&mut conn, tenant.id, signed_in.account.id).await?.is_some_and(|staff| staff.can_moderate())
        }
        None => false,
    };
    let csrf = match &signed_in {
        Some(signed_in) => signed_in.session.csrf.clone(),
        None => csrf::anonymous_token(req),
    };
    Ok(Viewer { signed_in, csrf, staff })
}

impl FromRequest for Viewer {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            // Found once per request: a form extractor after this one reuses it.
            if let Some(viewer) = req.extensions().get::<Viewer>() {
                return Ok(viewer.clone());
            }
            let viewer = find_viewer(&req).await?;
            req.extensions_mut().insert(viewer.clone());
            Ok(viewer)
        })
    }
}

/// A page only a signed-in person may see: anyone else is sent to sign in
/// and brought back here afterwards.
#[derive(Debug, Clone)]
pub struct Me {
    pub account: Account,
    pub session: WebSession,
    /// For the layout ([`super::Page::new`]).
    pub viewer: Viewer,
}

impl FromRequest for Me {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        let return_to = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_string(),
            None => "/".to_string(),
        };
        Box::pin(async move {
            let viewer = viewer.await?;
            let Some(SignedIn { account, session }) = viewer.signed_in.clone() else {
                return Err(PageError::SignInRequired { return_to });
            };
            Ok(Me { account, session, viewer })
        })
    }
}

/// The signed-in person as the service layer's actor.
pub fn actor<'a>(tenant: &'a Tenant, me: &'a Me) -> kereru_service::Actor<'a> {
    kereru_service::Actor { tenant: &tenant.domain, account: &me.account, scheme: tenant.urls.scheme }
}

/// The cookie that carries a new session's token on `tenant`.
pub fn cookie(tenant: &Tenant, token: String) -> Cookie<'static> {
    Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(tenant.urls.scheme == kereru_core::Scheme::Https)
        .max_age(actix_web::cookie::time::Duration::days(web_sessions::IDLE_LIFETIME.num_days()))
        .finish()
}

/// The cookie that removes the session cookie (signing out).
pub fn removal(tenant: &Tenant) -> Cookie<'static> {
    let mut cookie = cookie(tenant, String::new());
    cookie.make_removal();
    cookie
}
