//! `/api/v1/accounts/...`

use super::entities::{self, AccountCounts};
use super::render::Renderer;
use crate::auth::{Auth, MaybeAuth};
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::AccountId;
use kereru_store::accounts;

fn not_found() -> WebError {
    WebError::NotFound("Record not found".into())
}

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
) -> Result<HttpResponse, WebError> {
    let account = auth.user("read:accounts")?;
    let mut conn = state.pool.get().await?;
    let (followers, following) = kereru_store::relationships::follow_counts(&mut conn, account.id).await?;
    let statuses = accounts::status_count(&mut conn, account.id).await?;
    let counts = AccountCounts { followers, following, statuses };
    let fields = kereru_store::profiles::fields(&mut conn, account.id).await?;
    let preferences = kereru_store::profiles::preferences(&mut conn, account.id).await?;
    Ok(HttpResponse::Ok().json(entities::credential_account(&tenant.urls, account, counts, &fields, &preferences)))
}

/// `GET /api/v1/accounts/{id}`: any account of this tenant; ids of other tenants are unknown here.
pub async fn show(
    state: web::Data<AppState>,
    tenant: Tenant,
    _auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let mut conn = state.pool.get().await?;
    let account = accounts::get_visible(&mut conn, tenant.id, AccountId(id)).await?.ok_or_else(not_found)?;
    let viewer = _auth.viewer();
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).account(&mut conn, &account).await?))
}

/// `GET /api/v1/accounts/lookup?acct=name` (or `name@this-host`).
pub async fn lookup(
    state: web::Data<AppState>,
    tenant: Tenant,
    _auth: MaybeAuth,
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
    let viewer = _auth.viewer();
    Ok(HttpResponse::Ok().json(Renderer::new(&tenant, viewer).account(&mut conn, &account).await?))
}

/// `PATCH /api/v1/accounts/update_credentials` (form, JSON or, for images, multipart).
pub async fn update_credentials(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    use super::media::{ProfileImage, store_profile_image};
    use actix_web::FromRequest;
    use kereru_store::profiles::{self, ProfileError, ProfileUpdate};
    let account = auth.user("write:accounts")?;
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
    let fields = if params.has_prefix("fields_attributes") {
        let mut fields = Vec::new();
        for index in 0..8 {
            let name = params.str(&format!("fields_attributes[{index}][name]"));
            let value = params.str(&format!("fields_attributes[{index}][value]"));
            if name.is_none() && value.is_none() {
                continue;
            }
            fields.push((name.unwrap_or("").to_string(), value.unwrap_or("").to_string()));
        }
        Some(fields)
    } else {
        None
    };
    let visibility = params.str("source[privacy]");
    if let Some(v) = visibility
        && v.parse::<kereru_store::statuses::Visibility>().is_err()
    {
        return Err(WebError::Unprocessable(format!("Validation failed: Privacy `{v}` is not a visibility")));
    }
    let mut change = ProfileUpdate {
        display_name: text("display_name"),
        note: text("note"),
        locked: params.bool("locked"),
        bot: params.bool("bot"),
        discoverable: params.bool("discoverable"),
        fields,
        avatar_file: None,
        header_file: None,
    };
    // Validated and stored before the profile changes; a bad image changes nothing.
    if let Some(bytes) = avatar {
        change.avatar_file = Some(Some(store_profile_image(&state, &tenant, bytes, ProfileImage::Avatar).await?));
    }
    if let Some(bytes) = header {
        change.header_file = Some(Some(store_profile_image(&state, &tenant, bytes, ProfileImage::Header).await?));
    }
    let mut conn = state.pool.get().await?;
    let updated = profiles::update(&mut conn, account.id, change).await.map_err(|e| match e {
        ProfileError::Invalid(_) => WebError::Unprocessable(e.to_string()),
        ProfileError::Store(s) => WebError::from(s),
    })?;
    if let Some(hide) = params.bool("hide_collections") {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use kereru_store::schema::accounts as accounts_table;
        diesel::update(accounts_table::table.find(updated.id.0))
            .set(accounts_table::hide_collections.eq(hide))
            .execute(&mut conn)
            .await?;
    }
    let updated = accounts::get_unchecked(&mut conn, updated.id).await?.ok_or_else(not_found)?;
    // Other servers hear of the new profile (through the delivery queue).
    kereru_service::federation::outbound::profile_updated(
        &mut conn,
        state.settings.public_scheme,
        &tenant.domain,
        &updated,
    )
    .await?;
    let language = params.str("source[language]").map(|l| Some(l.to_string()).filter(|l| !l.is_empty()));
    profiles::set_posting_defaults(&mut conn, account.id, visibility, params.bool("source[sensitive]"), language)
        .await?;
    let (followers, following) = kereru_store::relationships::follow_counts(&mut conn, updated.id).await?;
    let statuses = accounts::status_count(&mut conn, updated.id).await?;
    let fields = profiles::fields(&mut conn, updated.id).await?;
    if params.has_prefix("fields_attributes") {
        kereru_service::verify_links::spawn(
            &state.fetcher,
            &state.pool,
            state.settings.public_scheme,
            &tenant.urls,
            &updated,
            &fields,
        );
    }
    let preferences = profiles::preferences(&mut conn, updated.id).await?;
    let counts = AccountCounts { followers, following, statuses };
    Ok(HttpResponse::Ok().json(entities::credential_account(&tenant.urls, &updated, counts, &fields, &preferences)))
}

/// `POST /api/v1/accounts`: sign up on this tenant, as its registration mode allows.
/// Needs an app token; answers with a user token (an approval-mode account
/// can use it once a moderator approves).
pub async fn register(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
    params: Params,
) -> Result<HttpResponse, WebError> {
    use kereru_store::domains::Registrations;
    auth.require("write:accounts")?;
    if tenant.registrations == Registrations::Closed {
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
    let approval = tenant.registrations == Registrations::Approval;
    let reason = params.str("reason").map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    if approval && reason.is_none() {
        return Err(invalid("Reason", "can't be blank".into()));
    }
    let locale = params.str("locale").filter(|l| l.len() <= 16).map(str::to_string);
    let mut conn = state.pool.get().await?;
    let new = accounts::NewLocalAccount {
        username,
        email,
        password,
        admin: false,
        approved: !approval,
        signup_reason: reason,
        locale,
    };
    let account = accounts::create_local(&mut conn, tenant.id, new).await.map_err(|e| match e {
        accounts::AccountError::UsernameTaken(_) => invalid("Username", "is already taken".into()),
        accounts::AccountError::EmailTaken(_) => invalid("Email", "is already taken".into()),
        accounts::AccountError::Password(p) => invalid("Password", p.to_string()),
        other => WebError::from(other),
    })?;
    let app = kereru_store::oauth::application_by_id(&mut conn, tenant.id, auth.grant.application_id)
        .await?
        .ok_or_else(|| WebError::Unauthorized("The access token is invalid".into()))?;
    let token =
        kereru_store::oauth::issue_token(&mut conn, tenant.id, &app, Some(account.id), app.scopes.clone(), true)
            .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "access_token": token.access_token,
        "token_type": "Bearer",
        "scope": token.scopes.to_string(),
        "created_at": token.created_at.timestamp(),
        "refresh_token": token.refresh_token,
    })))
}
