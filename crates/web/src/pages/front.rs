//! `GET /`: the tenant's front page.

use super::session::Viewer;
use super::{Page, PageError};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_store::accounts;

#[derive(serde::Serialize)]
struct Person {
    handle: String,
    display_name: String,
    profile_url: String,
}

pub async fn home(state: web::Data<AppState>, tenant: Tenant, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let people: Vec<Person> = accounts::list_local(&mut conn, tenant.id)
        .await?
        .iter()
        .map(|a| Person {
            handle: tenant.urls.handle(&a.username),
            display_name: if a.display_name.is_empty() { a.username.clone() } else { a.display_name.clone() },
            profile_url: tenant.urls.profile_page(&a.username),
        })
        .collect();
    Page::new("home.html", &tenant, &viewer).insert("people", &people).render(&state)
}
