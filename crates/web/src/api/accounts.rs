//! `/api/v1/accounts/...`

use super::entities::{self, AccountCounts};
use super::render::Renderer;
use crate::auth::{Auth, MaybeAuth};
use crate::error::{WebError, not_found};
use crate::extract::{Id, Scope, User, scope};
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::accounts::{self, Account};
use kereru_store::{PgConn, profiles};

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(
    state: web::Data<AppState>,
    me: User<scope::ReadAccounts>,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let fields = profiles::fields(&mut conn, me.id()).await?;
    Ok(HttpResponse::Ok().json(credential_account(&mut conn, &me.tenant, &me.account, &fields).await?))
}

/// The CredentialAccount entity: the account as its owner sees it, with its source and preferences.
async fn credential_account(
    conn: &mut PgConn,
    tenant: &Tenant,
    account: &Account,
    fields: &[profiles::Field],
) -> Result<serde_json::Value, WebError> {
    let (followers, following) = kereru_store::relationships::follow_counts(conn, account.id).await?;
    let statuses = accounts::status_count(conn, account.id).await?;
    let counts = AccountCounts { followers, following, statuses };
    let preferences = profiles::preferences(conn, account.id).await?;
    let mut value = entities::credential_account(&tenant.urls, account, counts, fields, &preferences);
    // What Mastodon keeps beside the account (`store::account_settings`).
    let settings = kereru_store::account_settings::get(conn, account.id).await?;
    let indexable = settings.indexable.unwrap_or(account.discoverable);
    value["indexable"] = indexable.into();
    value["source"]["indexable"] = indexable.into();
    value["source"]["attribution_domains"] = settings.attribution_domains.into();
    value["source"]["quote_policy"] = settings.quote_policy.into();
    Ok(value)
}

/// `GET /api/v1/accounts/{id}`: any account of this tenant; ids of other tenants are unknown here.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    id: Id,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, id.account()).await?.ok_or_else(not_found)?;
    let viewer = auth.viewer();
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).account(&mut conn, &account).await?))
}

/// `GET /api/v1/accounts/lookup?acct=name` (or `name@this-host`).
pub async fn lookup(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let acct = params.required("acct")?;
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (username, host) = match acct.split_once('@') {
        Some((name, host)) => (name, Some(host)),
        None => (acct, None),
    };
    let mut conn = state.pool.get().await?;
    // Accounts of other tenants on this host resolve as remote ones would
    // through WebFinger; hosts elsewhere come with federation.
    let mut account = kereru_service::resolve::local_handle(&mut conn, &tenant.domain, username, host).await?;
    if account.is_none()
        && let Some(host) = host.and_then(|h| kereru_core::HostName::parse(h).ok())
    {
        // Remote accounts this tenant knows already; lookup never fetches (search does).
        account = kereru_service::resolve::known_remote(&mut conn, &tenant.domain, username, &host).await?;
    }
    let account = account.ok_or_else(not_found)?;
    let viewer = auth.viewer();
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).account(&mut conn, &account).await?))
}

/// `PATCH /api/v1/accounts/update_credentials` (form, JSON or, for images, multipart).
pub async fn update_credentials(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    me: User<scope::WriteAccounts>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    use super::media::{ProfileImage, store_profile_image};
    use actix_web::FromRequest;
    use kereru_service::profiles::CredentialsUpdate;
    use kereru_store::profiles::ProfileUpdate;
    use kereru_store::statuses::Visibility;
    let tenant = &me.tenant;
    // Images come as multipart; everything else may too, or as a form or JSON.
    let (params, avatar, header) = if crate::multipart::is_multipart(req.headers()) {
        let limits = crate::multipart::Limits {
            body: super::media::UPLOAD_BODY_LIMIT,
            file: super::instance::IMAGE_SIZE_LIMIT as usize,
            text: 64 * 1024,
            parts: 32,
        };
        let mut form = crate::multipart::read(req.headers(), payload, limits, &["avatar", "header"]).await?;
        form.merge_query(req.query_string())?;
        let file = |name: &str| match form.get(name) {
            Some(crate::multipart::Value::File(bytes)) => Ok(Some(bytes.clone())),
            Some(crate::multipart::Value::TooLarge) => Err(WebError::Unprocessable(format!(
                "Validation failed: {name} file size must be less than {} MB",
                super::instance::IMAGE_SIZE_LIMIT / (1024 * 1024)
            ))),
            _ => Ok(None),
        };
        let (avatar, header) = (file("avatar")?, file("header")?);
        let params = Params::from_pairs(form.texts().map(|(k, v)| (k.to_string(), v.to_string())));
        (params, avatar, header)
    } else {
        (Params::from_request(&req, &mut payload.into_inner()).await?, None, None)
    };
    let text = |key: &str| params.str(key).map(str::to_string);
    let fields_given = params.has_prefix("fields_attributes");
    let fields = fields_given.then(|| {
        (0..8)
            .filter_map(|index| {
                let name = params.str(&format!("fields_attributes[{index}][name]"));
                let value = params.str(&format!("fields_attributes[{index}][value]"));
                (name.is_some() || value.is_some())
                    .then(|| (name.unwrap_or("").to_string(), value.unwrap_or("").to_string()))
            })
            .collect()
    });
    let default_visibility = params
        .str("source[privacy]")
        .map(|v| {
            v.parse::<Visibility>()
                .map_err(|_| WebError::Unprocessable(format!("Validation failed: Privacy `{v}` is not a visibility")))
        })
        .transpose()?;
    let mut profile = ProfileUpdate {
        display_name: text("display_name"),
        note: text("note"),
        locked: params.bool("locked"),
        bot: params.bool("bot"),
        discoverable: params.bool("discoverable"),
        hide_collections: params.bool("hide_collections"),
        fields,
        avatar_file: None,
        header_file: None,
        avatar_bytes: 0,
        header_bytes: 0,
    };
    // Validated and stored before the profile changes; a bad image changes nothing.
    if let Some(bytes) = avatar {
        let stored = store_profile_image(&state, tenant, bytes, ProfileImage::Avatar).await?;
        profile.avatar_file = Some(Some(stored.file_name));
        profile.avatar_bytes = stored.bytes;
    }
    if let Some(bytes) = header {
        let stored = store_profile_image(&state, tenant, bytes, ProfileImage::Header).await?;
        profile.header_file = Some(Some(stored.file_name));
        profile.header_bytes = stored.bytes;
    }
    let change = CredentialsUpdate {
        profile,
        default_visibility,
        default_sensitive: params.bool("source[sensitive]"),
        default_language: params.str("source[language]").map(|l| Some(l.to_string()).filter(|l| !l.is_empty())),
        settings: kereru_store::account_settings::SettingsChange {
            indexable: params.bool("indexable"),
            attribution_domains: params.has_prefix("attribution_domains").then(|| params.list("attribution_domains")),
            quote_policy: text("source[quote_policy]").or_else(|| text("default_quote_policy")),
        },
    };
    let mut conn = state.pool.get().await?;
    let updated = kereru_service::profiles::update_credentials(&mut conn, &me.actor(), change).await?;
    let fields = profiles::fields(&mut conn, updated.id).await?;
    if fields_given {
        kereru_service::verify_links::spawn(
            &state.fetcher,
            &state.pool,
            state.settings.public_scheme,
            &tenant.urls,
            &updated,
            &fields,
        );
    }
    Ok(HttpResponse::Ok().json(credential_account(&mut conn, tenant, &updated, &fields).await?))
}

/// `POST /api/v1/accounts`: sign up on this tenant, as its registration mode
/// (and an `invite_code`) allows, by the same rules as the web's sign-up
/// ([`kereru_service::accounts::register`]). Needs an app token; answers with
/// a user token (an approval-mode account can use it once a moderator
/// approves; the address is to be confirmed before any password login).
pub async fn register(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    use kereru_service::accounts::{RegisterError, SignUp, register as register_account};
    use kereru_store::domains::Registrations;
    auth.require(Scope::WriteAccounts)?;
    let invite_code = params.str("invite_code").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if tenant.registrations == Registrations::Closed && invite_code.is_none() {
        return Err(WebError::Forbidden("Registrations are closed on this server".into()));
    }
    let invalid = |what: &str, why: String| WebError::Unprocessable(format!("Validation failed: {what} {why}"));
    let username =
        kereru_core::Username::parse(params.required("username")?).map_err(|e| invalid("Username", e.to_string()))?;
    let email =
        kereru_core::email::parse_email(params.required("email")?).map_err(|e| invalid("Email", e.to_string()))?;
    let password = params.required("password")?.to_string();
    if !params.bool("agreement").unwrap_or(false) {
        return Err(invalid("Agreement", "must be accepted".into()));
    }
    let reason = params.str("reason").map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    let locale = params.str("locale").filter(|l| l.len() <= 16).map(str::to_string);
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    if !state.sign_ups.check(&format!("signup:{address}"), std::time::Instant::now()).allowed {
        return Err(WebError::TooManyRequests("Too many sign-ups from this address. Try again later.".into()));
    }
    let new = accounts::NewLocalAccount {
        username,
        email,
        password,
        role: kereru_store::roles::Role::User,
        approved: false,
        signup_reason: reason,
        locale,
    };
    let mut conn = state.pool.get().await?;
    let sign_up = SignUp { account: new, invite_code, address };
    let token = register_account(&mut conn, &tenant.domain, tenant.urls.scheme, auth.grant.application_id, sign_up)
        .await
        .map_err(|e| match e {
            RegisterError::Account(accounts::AccountError::UsernameTaken(_)) => {
                invalid("Username", "is already taken".into())
            }
            RegisterError::Account(accounts::AccountError::EmailTaken(_)) => {
                invalid("Email", "is already taken".into())
            }
            RegisterError::Account(accounts::AccountError::Password(p)) => invalid("Password", p.to_string()),
            RegisterError::Account(other) => WebError::from(other),
            RegisterError::UnknownApplication => WebError::Unauthorized("The access token is invalid".into()),
            RegisterError::Closed => WebError::Forbidden("Registrations are closed on this server".into()),
            RegisterError::InvalidInvite => invalid("Invite", "is invalid, expired or used up".into()),
            RegisterError::ReasonRequired => invalid("Reason", "can't be blank".into()),
            RegisterError::EmailDomainBlocked => invalid("Email", "is not allowed".into()),
            RegisterError::AddressBlocked => WebError::Forbidden(RegisterError::AddressBlocked.to_string()),
            RegisterError::Service(error) => WebError::from(error),
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "access_token": token.access_token,
        "token_type": "Bearer",
        "scope": token.scopes.to_string(),
        "created_at": token.created_at.timestamp(),
        "refresh_token": token.refresh_token,
    })))
}
