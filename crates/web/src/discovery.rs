//! WebFinger, host-meta and NodeInfo: how the fediverse finds accounts on a tenant.

use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_core::webfinger::{Resource, account_jrd};
use kereru_store::accounts;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:name@host` (or an actor URL).
/// 400 for a malformed resource, 404 for anyone not on *this* tenant.
pub async fn webfinger(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<WebfingerQuery>,
) -> Result<HttpResponse, WebError> {
    let resource =
        Resource::parse(query.resource.as_deref().unwrap_or("")).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let not_here = || WebError::NotFound("no such account on this domain".into());
    let host = resource.host();
    if host != &tenant.account_host && host != tenant.service_host() {
        return Err(not_here());
    }
    let mut conn = state.pool.get().await?;
    let account = accounts::find_local(&mut conn, tenant.id, resource.username()).await?.ok_or_else(not_here)?;
    let urls = &tenant.urls;
    let mut jrd =
        account_jrd(urls.acct(&account.username), urls.profile_page(&account.username), urls.actor(&account.username));
    // Where other servers send their people to follow someone from here.
    jrd.links.push(kereru_core::webfinger::subscribe_link(&urls.base()));
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header(("Vary", "Origin"))
        .insert_header(("Cache-Control", "max-age=259200, public"))
        .json(jrd))
}

/// `GET /.well-known/host-meta`: the XRD pointing at WebFinger on the host asked.
pub async fn host_meta(tenant: Tenant) -> HttpResponse {
    let template = tenant.urls.webfinger_template(&tenant.requested_host);
    let xrd = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        kereru_core::actor::escape_html(&template)
    );
    HttpResponse::Ok()
        .content_type("application/xrd+xml; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(xrd)
}

/// `GET /.well-known/nodeinfo`: links to the NodeInfo documents of this tenant.
pub async fn nodeinfo_links(tenant: Tenant) -> HttpResponse {
    let links: Vec<_> = kereru_core::nodeinfo::VERSIONS
        .iter()
        .map(|version| {
            serde_json::json!({
                "rel": kereru_core::nodeinfo::schema_url(version),
                "href": tenant.urls.nodeinfo(&tenant.requested_host, version),
            })
        })
        .collect();
    HttpResponse::Ok().insert_header(("Access-Control-Allow-Origin", "*")).json(serde_json::json!({ "links": links }))
}

/// `GET /nodeinfo/{2.0,2.1}` with this tenant's own figures.
pub async fn nodeinfo(
    state: web::Data<AppState>,
    tenant: Tenant,
    version: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let version = version.into_inner();
    if !kereru_core::nodeinfo::VERSIONS.contains(&version.as_str()) {
        return Err(WebError::NotFound(format!("no NodeInfo version {version}")));
    }
    let mut conn = state.pool.get().await?;
    let usage = accounts::usage(&mut conn, tenant.id).await?;
    let open = tenant.registrations == kereru_store::domains::Registrations::Open;
    let doc = kereru_core::nodeinfo::document(&version, env!("CARGO_PKG_VERSION"), &tenant.name, open, usage)
        .ok_or_else(|| WebError::NotFound(format!("no NodeInfo version {version}")))?;
    Ok(HttpResponse::Ok()
        .content_type(format!("application/json; profile=\"{}#\"", kereru_core::nodeinfo::schema_url(&version)))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(doc.to_string()))
}
