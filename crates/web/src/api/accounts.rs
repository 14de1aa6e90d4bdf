//! `/api/v1/accounts/...`

use super::entities::{self, AccountCounts};
use super::render::Renderer;
use crate::auth::{Auth, MaybeAuth};
use crate::error::{FieldError, WebError, not_found};
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

/// [`credential_account`] with the account's profile fields loaded.
pub(crate) async fn credential_account_of(
    conn: &mut PgConn,
    tenant: &Tenant,
    account: &Account,
) -> Result<serde_json::Value, WebError> {
    let fields = profiles::fields(conn, account.id).await?;
    credential_account(conn, tenant, account, &fields).await
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
    let fields = sign_up_fields(&params)?;
    let reason = params.str("reason").map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    // The person's language: the one asked for, else the one the app speaks to us in.
    let locale = match params.str("locale") {
        Some(locale) => Some(locale.to_string()),
        None => req
            .headers()
            .contains_key(actix_web::http::header::ACCEPT_LANGUAGE)
            .then(|| crate::localize::locale_of(req.headers()).code().to_string()),
    };
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    if !state.sign_ups.check(&format!("signup:{address}"), std::time::Instant::now()).allowed {
        return Err(WebError::TooManyRequests("Too many sign-ups from this address. Try again later.".into()));
    }
    let new = accounts::NewLocalAccount {
        username: fields.username,
        email: fields.email,
        password: fields.password,
        role: kereru_store::roles::Role::User,
        approved: false,
        signup_reason: reason,
        locale,
    };
    let mut conn = state.pool.get().await?;
    let sign_up = SignUp { account: new, invite_code, address };
    let token = register_account(&mut conn, &tenant.domain, tenant.urls.scheme, auth.grant.application_id, sign_up)
        .await
        .map_err(|e| {
            let field = |field, label, code, description| {
                WebError::Validation(vec![FieldError::new(field, label, code, description)])
            };
            match e {
                RegisterError::Account(accounts::AccountError::UsernameTaken(_)) => {
                    field("username", "Username", "ERR_TAKEN", "has already been taken")
                }
                RegisterError::Account(accounts::AccountError::EmailTaken(_)) => {
                    field("email", "Email", "ERR_TAKEN", "has already been taken")
                }
                RegisterError::Account(accounts::AccountError::Password(p)) => password_error(&p),
                RegisterError::Account(other) => WebError::from(other),
                RegisterError::UnknownApplication => WebError::Unauthorized("The access token is invalid".into()),
                RegisterError::Closed => WebError::Forbidden("Registrations are closed on this server".into()),
                RegisterError::InvalidInvite => {
                    field("invite_code", "Invite", "ERR_INVALID", "is invalid, expired or used up")
                }
                RegisterError::ReasonRequired => field("reason", "Reason", "ERR_BLANK", "can't be blank"),
                RegisterError::EmailDomainBlocked => {
                    field("email", "Email", "ERR_BLOCKED", "uses a disallowed e-mail provider")
                }
                RegisterError::AddressBlocked => WebError::Forbidden(RegisterError::AddressBlocked.to_string()),
                RegisterError::Service(error) => WebError::from(error),
            }
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "access_token": token.access_token,
        "token_type": "Bearer",
        "scope": token.scopes.to_string(),
        "created_at": token.created_at.timestamp(),
        "refresh_token": token.refresh_token,
    })))
}

/// What a sign-up must carry, checked all at once as Mastodon does: every
/// field's problem is named in one 422's `details`.
struct SignUpFields {
    username: kereru_core::Username,
    email: String,
    password: String,
}

fn sign_up_fields(params: &Params) -> Result<SignUpFields, WebError> {
    use kereru_core::UsernameError;
    let mut errors = Vec::new();
    let given = |key: &str| params.str(key).map(str::trim).filter(|v| !v.is_empty());
    let blank = |field, label| FieldError::new(field, label, "ERR_BLANK", "can't be blank");
    let username = match given("username") {
        None => {
            errors.push(blank("username", "Username"));
            None
        }
        Some(raw) => match kereru_core::Username::parse(raw) {
            Ok(username) => Some(username),
            Err(UsernameError::TooLong) => {
                errors.push(
                    FieldError::new(
                        "username",
                        "Username",
                        "ERR_TOO_LONG",
                        "is too long (maximum is {count} characters)",
                    )
                    .with("count", kereru_core::username::MAX_USERNAME_LEN),
                );
                None
            }
            Err(_) => {
                errors.push(FieldError::new(
                    "username",
                    "Username",
                    "ERR_INVALID",
                    "must contain only letters, numbers and underscores (dots and hyphens inside)",
                ));
                None
            }
        },
    };
    let email = match given("email") {
        None => {
            errors.push(blank("email", "Email"));
            None
        }
        Some(raw) => match kereru_core::email::parse_email(raw) {
            Ok(email) => Some(email),
            Err(_) => {
                errors.push(FieldError::new("email", "Email", "ERR_INVALID", "is invalid"));
                None
            }
        },
    };
    // Not trimmed: spaces may be part of a password.
    let password = match params.str("password").filter(|p| !p.is_empty()) {
        None => {
            errors.push(blank("password", "Password"));
            None
        }
        Some(password) => match kereru_store::password::check_strength(password) {
            Ok(()) => Some(password.to_string()),
            Err(problem) => {
                errors.push(password_field(&problem));
                None
            }
        },
    };
    if !params.bool("agreement").unwrap_or(false) {
        errors.push(FieldError::new("agreement", "Agreement", "ERR_ACCEPTED", "must be accepted"));
    }
    if let Some(locale) = params.str("locale")
        && (locale.is_empty()
            || locale.len() > 16
            || !locale.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        errors.push(FieldError::new("locale", "Locale", "ERR_INCLUSION", "is not included in the list"));
    }
    match (username, email, password) {
        (Some(username), Some(email), Some(password)) if errors.is_empty() => {
            Ok(SignUpFields { username, email, password })
        }
        _ => Err(WebError::Validation(errors)),
    }
}

fn password_field(problem: &kereru_store::password::PasswordError) -> FieldError {
    use kereru_store::password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, PasswordError};
    match problem {
        PasswordError::TooShort => {
            FieldError::new("password", "Password", "ERR_TOO_SHORT", "is too short (minimum is {count} characters)")
                .with("count", MIN_PASSWORD_LEN)
        }
        PasswordError::TooLong => {
            FieldError::new("password", "Password", "ERR_TOO_LONG", "is too long (maximum is {count} characters)")
                .with("count", MAX_PASSWORD_LEN)
        }
        PasswordError::Hash(_) => FieldError::new("password", "Password", "ERR_INVALID", "is invalid"),
    }
}

fn password_error(problem: &kereru_store::password::PasswordError) -> WebError {
    match problem {
        kereru_store::password::PasswordError::Hash(detail) => WebError::Internal(detail.clone()),
        other => WebError::Validation(vec![password_field(other)]),
    }
}
