//! Local actors: ActivityPub JSON for servers, an HTML profile for people.

use crate::error::WebError;
use crate::negotiate::{ACTIVITY_JSON, wants_activity_json};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_store::accounts::{self, Account};

async fn load(state: &AppState, tenant: &Tenant, username: &str) -> Result<Account, WebError> {
    let mut conn = state.pool.get().await?;
    accounts::find_local(&mut conn, tenant.id, username)
        .await?
        .ok_or_else(|| WebError::NotFound("no such account on this domain".into()))
}

/// `GET /users/{name}`: the Person document when asked for ActivityPub, else the profile page.
pub async fn actor(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
) -> HttpResponse {
    let json = wants_activity_json(&req);
    let account = match load(&state, &tenant, &username).await {
        Ok(account) => account,
        Err(error) => return error.respond_to(&req),
    };
    if !json {
        return render_profile(&req, &state, &tenant, &account);
    }
    let doc = kereru_service::federation::outbound::person_of(&tenant.urls, &account);
    HttpResponse::Ok().content_type(ACTIVITY_JSON).insert_header(("Vary", "Accept")).body(doc.to_string())
}

/// `GET /@{name}`: the profile page.
pub async fn profile_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    username: web::Path<String>,
) -> HttpResponse {
    match load(&state, &tenant, &username).await {
        Ok(account) => render_profile(&req, &state, &tenant, &account),
        Err(error) => error.respond_to(&req),
    }
}

fn render_profile(req: &HttpRequest, state: &AppState, tenant: &Tenant, account: &Account) -> HttpResponse {
    let mut context = tera::Context::new();
    context.insert("site_name", &tenant.name);
    context.insert("handle", &tenant.urls.handle(&account.username));
    context.insert(
        "display_name",
        if account.display_name.is_empty() { &account.username } else { &account.display_name },
    );
    context.insert(
        "summary_paragraphs",
        &account.summary.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
    );
    context.insert("actor_url", &tenant.urls.actor(&account.username));
    context.insert("profile_url", &tenant.urls.profile_page(&account.username));
    context.insert("joined", &account.created_at.format("%-d %B %Y").to_string());
    match state.templates.render("profile.html", &context) {
        Ok(html) => {
            HttpResponse::Ok().content_type("text/html; charset=utf-8").insert_header(("Vary", "Accept")).body(html)
        }
        Err(error) => error.respond_to(req),
    }
}
