//! What handlers take as arguments, so that a handler is its extractors and
//! one call into `service` or `store`: the acting user with a scope fixed by
//! its type ([`User`]), ids from the path that answer 404 when they are not
//! numbers ([`Id`]), and `{action}` segments parsed once into an enum
//! ([`Action`]). Authentication itself is [`crate::auth`].

use crate::auth::Auth;
use crate::error::{WebError, not_found};
use crate::tenant::Tenant;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use kereru_service::Actor;
use kereru_store::AccountId;
use kereru_store::accounts::Account;
use std::future::{Future, Ready, ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::str::FromStr;

pub use kereru_core::scopes::Scope;

/// A scope known at compile time, for [`User`]'s type parameter.
pub trait RequiredScope {
    const SCOPE: Scope;
}

/// One marker type per [`Scope`]: `User<scope::WriteStatuses>`.
pub mod scope {
    use super::{RequiredScope, Scope};

    macro_rules! markers {
        ($($name:ident),* $(,)?) => {
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl RequiredScope for $name {
                    const SCOPE: Scope = Scope::$name;
                }
            )*
        };
    }

    markers!(
        ReadAccounts,
        WriteAccounts,
        ReadBlocks,
        WriteBlocks,
        ReadBookmarks,
        WriteBookmarks,
        ReadFavourites,
        WriteFavourites,
        ReadFollows,
        WriteFollows,
        WriteMedia,
        ReadMutes,
        WriteMutes,
        ReadNotifications,
        WriteNotifications,
        ReadStatuses,
        WriteStatuses,
        ReadFilters,
        WriteFilters,
        WriteReports,
        WriteConversations,
        ReadLists,
        WriteLists,
        AdminReadAccounts,
        AdminWriteAccounts,
        AdminReadReports,
        AdminWriteReports,
        AdminReadDomainBlocks,
        AdminWriteDomainBlocks,
        AdminReadDomainAllows,
        AdminWriteDomainAllows,
        AdminReadEmailDomainBlocks,
        AdminWriteEmailDomainBlocks,
        AdminReadIpBlocks,
        AdminWriteIpBlocks,
        Push,
    );
}

/// The user acting, on the tenant the request came to, whose token grants
/// `S`: no token or a bad one is 401, a missing scope 403 and an app token
/// (no user) 422, as Mastodon answers ([`Auth::user`]).
#[derive(Debug, Clone)]
pub struct User<S> {
    pub tenant: Tenant,
    pub account: Account,
    /// The application the token was issued to.
    pub application_id: i64,
    scope: PhantomData<S>,
}

impl<S> User<S> {
    pub fn id(&self) -> AccountId {
        self.account.id
    }

    /// The user as the service layer's actor.
    pub fn actor(&self) -> Actor<'_> {
        Actor { tenant: &self.tenant.domain, account: &self.account, scheme: self.tenant.urls.scheme }
    }
}

impl<S: RequiredScope> FromRequest for User<S> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let tenant = Tenant::from_request(req, payload);
        let auth = Auth::from_request(req, payload);
        Box::pin(async move {
            let auth = auth.await?;
            let account = auth.user(S::SCOPE)?.clone();
            Ok(User { tenant: tenant.await?, account, application_id: auth.grant.application_id, scope: PhantomData })
        })
    }
}

impl Auth {
    /// The acting user for a scope chosen at run time (by an [`Action`]).
    pub fn actor<'a>(&'a self, tenant: &'a Tenant, scope: Scope) -> Result<Actor<'a>, WebError> {
        let account = self.user(scope)?;
        Ok(Actor { tenant: &tenant.domain, account, scheme: tenant.urls.scheme })
    }
}

/// An id as clients send them (a number in a string); anything else names
/// nothing: 404, as Mastodon answers.
pub fn parse_id(text: &str) -> Result<i64, WebError> {
    text.parse().map_err(|_| not_found())
}

/// The route's `{id}`, parsed by [`parse_id`]: a number, or a typed id
/// (`Id<StatusId>`, `Id<MediaId>`, ...) of the table the route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id<T = i64>(pub T);

impl Id {
    pub fn account(self) -> AccountId {
        AccountId(self.0)
    }
}

impl<T: From<i64>> FromRequest for Id<T> {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_id(req.match_info().get("id").unwrap_or("")).map(|id| Id(T::from(id))))
    }
}

/// The route's `{action}` as an enum; an action the enum doesn't know is 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action<T>(pub T);

impl<T: FromStr> FromRequest for Action<T> {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.match_info().get("action").unwrap_or("").parse().map(Action).map_err(|_| not_found()))
    }
}

/// `FromStr` for an `{action}` enum from its Mastodon names.
macro_rules! actions {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(text: &str) -> Result<Self, ()> {
                match text {
                    $($text => Ok($name::$variant),)*
                    _ => Err(()),
                }
            }
        }
    };
}
pub(crate) use actions;
