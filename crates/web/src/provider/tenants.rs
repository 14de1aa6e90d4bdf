//! Tenants: create, list, show, update, suspend, activate, delete (with a
//! grace period), restore, and the owner's activation mail. Owned by helper 3 (provider).
//! Each handler calls one `service::provider::tenants` action or store read.

use super::auth::{ProviderKey, WriteKey};
use super::error::ApiError;
use super::{PREFIX, Route};
use crate::pages::admin::host::status::{self, HostStatus};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kereru_service::provider::owner;
use kereru_service::provider::tenants::{self as acts, CreateTenant, Provider, UpdateTenant};
use kereru_service::tenants::dns_records;
use kereru_store::domains::{self, Domain, DomainState};
use kereru_store::provisioning::{self, Provisioning};
use kereru_store::{about, accounts};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

pub const ROUTES: &[Route] = &[
    ("GET", "/tenants"),
    ("POST", "/tenants"),
    ("GET", "/tenants/{host}"),
    ("PATCH", "/tenants/{host}"),
    ("DELETE", "/tenants/{host}"),
    ("POST", "/tenants/{host}/suspend"),
    ("POST", "/tenants/{host}/activate"),
    ("POST", "/tenants/{host}/restore"),
    ("POST", "/tenants/{host}/owner/resend"),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(list))
        .route("/tenants", web::post().to(create))
        .route("/tenants/{host}", web::get().to(show))
        .route("/tenants/{host}", web::patch().to(update))
        .route("/tenants/{host}", web::delete().to(delete))
        .route("/tenants/{host}/suspend", web::post().to(suspend))
        .route("/tenants/{host}/activate", web::post().to(activate))
        .route("/tenants/{host}/restore", web::post().to(restore))
        .route("/tenants/{host}/owner/resend", web::post().to(resend_owner));
}

/// The largest page of the list.
pub const MAX_LIMIT: i64 = 200;
const DEFAULT_LIMIT: i64 = 50;

fn provider<'a>(state: &'a AppState, key: &'a str) -> Provider<'a> {
    Provider { key, scheme: state.settings.public_scheme, reserved: state.settings.provider.host.as_ref() }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The Tenant entity of the list (the show adds hosts, owner and DNS records).
fn tenant_json(domain: &Domain, provisioning: &Provisioning) -> Value {
    json!({
        "id": domain.id.0.to_string(),
        "account_host": domain.account_host.as_str(),
        "service_host": domain.service_host.as_ref().map(|h| h.as_str()),
        "state": domain.state.as_str(),
        "name": domain.name,
        "registrations": domain.registrations.as_str(),
        "plan": provisioning.plan,
        "owner_email": domain.owner_email,
        "deleted": provisioning.delete_after.is_some(),
        "purge_after": provisioning.delete_after.map(time),
        "created_at": time(domain.created_at),
    })
}

fn host_json(status: &HostStatus) -> Value {
    json!({
        "host": status.host,
        "dns": { "status": status.dns_level, "detail": status.dns },
        "tls": {
            "status": status.tls_level,
            "detail": status.tls,
            "expires": status.expires,
            "problem": status.tls_problem,
        },
    })
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    host_prefix: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list(
    _key: ProviderKey,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = match query.state.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<DomainState>().map_err(|e| ApiError::Field { field: "state", message: e })?),
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Field { field: "limit", message: format!("limit must be 1 to {MAX_LIMIT}") });
    }
    let prefix = query.host_prefix.as_deref().map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty());
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    // One more than asked tells whether there is a next page.
    let mut page = domains::list_page(&mut conn, filter, prefix.as_deref(), query.cursor.as_deref(), limit + 1)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let more = page.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<_> = page.iter().map(|d| d.id).collect();
    let facts = provisioning::many(&mut conn, &ids).await?;
    let tenants: Vec<Value> =
        page.iter().map(|d| tenant_json(d, facts.get(&d.id).unwrap_or(&Provisioning::default()))).collect();
    let next = if more { page.last().map(|d| d.account_host.to_string()) } else { None };
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &next {
        let mut params = vec![("limit", limit.to_string()), ("cursor", cursor.clone())];
        if let Some(state) = filter {
            params.push(("state", state.as_str().to_string()));
        }
        if let Some(prefix) = &prefix {
            params.push(("host_prefix", prefix.clone()));
        }
        let query = serde_urlencoded::to_string(&params).map_err(|e| ApiError::Internal(e.to_string()))?;
        response.insert_header((header::LINK, format!("<{PREFIX}/tenants?{query}>; rel=\"next\"")));
    }
    Ok(response.json(json!({ "tenants": tenants, "next_cursor": next })))
}

/// The full entity: the list's fields, description, accounts, owner, each host's DNS and TLS, the DNS records to set.
async fn full(state: &AppState, domain: &Domain) -> Result<Value, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let facts = provisioning::get(&mut conn, domain.id).await?;
    let description = about::description(&mut conn, domain.id).await?;
    let accounts = accounts::usage(&mut conn, domain.id).await?.users_total;
    let owner = owner::find(&mut conn, domain).await?;
    let mut hosts = vec![domain.service_host().to_string()];
    if domain.service_host.is_some() {
        hosts.push(domain.account_host.to_string());
    }
    let statuses = status::hosts(&mut conn, &state.settings.hosting, &hosts).await?;
    drop(conn);
    let mut entity = tenant_json(domain, &facts);
    if let Some(map) = entity.as_object_mut() {
        map.insert("description".into(), json!(description));
        map.insert("accounts".into(), json!(accounts));
        map.insert(
            "owner".into(),
            owner
                .map_or(Value::Null, |o| json!({ "username": o.username, "email": o.email, "activated": o.activated })),
        );
        map.insert("hosts".into(), Value::Array(statuses.iter().map(host_json).collect()));
        map.insert("dns_records".into(), json!(dns_records(domain, &state.settings.hosting.public_addresses)));
    }
    Ok(entity)
}

async fn show(
    _key: ProviderKey,
    state: web::Data<AppState>,
    host: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let domain = acts::find(&mut conn, &host).await?;
    drop(conn);
    Ok(HttpResponse::Ok().json(full(&state, &domain).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    account_host: String,
    service_host: Option<String>,
    plan: Option<String>,
    owner_email: Option<String>,
    owner_username: Option<String>,
    registrations: Option<String>,
    name: Option<String>,
}

async fn create(
    key: WriteKey,
    state: web::Data<AppState>,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = CreateTenant {
        account_host: body.account_host,
        service_host: body.service_host,
        plan: body.plan,
        owner_email: body.owner_email,
        owner_username: body.owner_username,
        registrations: body.registrations,
        name: body.name,
    };
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let domain = acts::create(&mut conn, provider(&state, key.name()), request).await?;
    drop(conn);
    let location = format!("{PREFIX}/tenants/{}", domain.account_host);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(full(&state, &domain).await?))
}

/// `"plan": null` clears the plan; a missing `plan` leaves it.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    name: Option<String>,
    description: Option<String>,
    registrations: Option<String>,
    #[serde(default, deserialize_with = "present")]
    plan: Option<Option<String>>,
}

async fn update(
    key: WriteKey,
    state: web::Data<AppState>,
    host: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = UpdateTenant {
        name: body.name,
        description: body.description,
        registrations: body.registrations,
        plan: body.plan,
    };
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let domain = acts::update(&mut conn, provider(&state, key.name()), &host, request).await?;
    drop(conn);
    Ok(HttpResponse::Ok().json(full(&state, &domain).await?))
}

async fn set_state(
    key: WriteKey,
    state: web::Data<AppState>,
    host: &str,
    to: DomainState,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let domain = acts::set_state(&mut conn, provider(&state, key.name()), host, to).await?;
    drop(conn);
    Ok(HttpResponse::Ok().json(full(&state, &domain).await?))
}

async fn suspend(key: WriteKey, state: web::Data<AppState>, host: web::Path<String>) -> Result<HttpResponse, ApiError> {
    set_state(key, state, &host, DomainState::Suspended).await
}

async fn activate(
    key: WriteKey,
    state: web::Data<AppState>,
    host: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_state(key, state, &host, DomainState::Active).await
}

async fn delete(key: WriteKey, state: web::Data<AppState>, host: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let grace = state.settings.provider.deletion_grace_days;
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let (domain, _) = acts::delete(&mut conn, provider(&state, key.name()), &host, grace).await?;
    drop(conn);
    Ok(HttpResponse::Ok().json(full(&state, &domain).await?))
}

async fn restore(key: WriteKey, state: web::Data<AppState>, host: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let domain = acts::restore(&mut conn, provider(&state, key.name()), &host).await?;
    drop(conn);
    Ok(HttpResponse::Ok().json(full(&state, &domain).await?))
}

async fn resend_owner(
    key: WriteKey,
    state: web::Data<AppState>,
    host: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let owner = acts::resend_owner(&mut conn, provider(&state, key.name()), &host).await?;
    Ok(HttpResponse::Accepted()
        .json(json!({ "owner": { "username": owner.username, "email": owner.email, "activated": false } })))
}
