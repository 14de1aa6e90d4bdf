//! The admin API's extractor: a user token whose scopes grant `S` (the admin
//! scopes: `admin:read:accounts`, ...) and whose person's role on this
//! tenant reaches `R` ([`kereru_service::staff`]). Anything less is refused
//! before a handler runs: 401/403/422 as [`User`] answers, then 403
//! "This action is not allowed" for a role that does not reach.

use crate::error::WebError;
use crate::extract::{RequiredScope, User};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use kereru_service::staff::{self, Need};
use kereru_store::roles;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

/// A reach known at compile time, for [`Staff`]'s second type parameter.
pub trait Reach {
    const NEED: Need;
}

/// Moderators and admins of the tenant (and host admins).
#[derive(Debug, Clone, Copy)]
pub struct Moderate;
/// Admins of the tenant (and host admins).
#[derive(Debug, Clone, Copy)]
pub struct Administer;
/// Host admins only.
#[derive(Debug, Clone, Copy)]
pub struct HostAdmin;

impl Reach for Moderate {
    const NEED: Need = Need::Moderate;
}
impl Reach for Administer {
    const NEED: Need = Need::Administer;
}
impl Reach for HostAdmin {
    const NEED: Need = Need::HostAdmin;
}

/// The staff member acting, on the tenant the request came to.
#[derive(Debug, Clone)]
pub struct Staff<S, R> {
    pub user: User<S>,
    pub staff: roles::Staff,
    reach: PhantomData<R>,
}

impl<S: RequiredScope + 'static, R: Reach + 'static> FromRequest for Staff<S, R> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = User::<S>::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user.await?;
            let state = state.ok_or_else(|| WebError::Internal("no state".into()))?;
            let mut conn = state.pool.get().await?;
            let staff = staff::authorize(&mut conn, user.tenant.id, user.account.id, R::NEED).await?;
            Ok(Staff { user, staff, reach: PhantomData })
        })
    }
}
