//! Server-rendered pages (tera). Templates are compiled into the binary;
//! names ending in `.html` are auto-escaped.

use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_store::accounts;

pub struct Templates(tera::Tera);

impl Templates {
    pub fn load() -> Result<Self, WebError> {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(vec![
            ("base.html", include_str!("../templates/base.html")),
            ("profile.html", include_str!("../templates/profile.html")),
            ("home.html", include_str!("../templates/home.html")),
            ("status.html", include_str!("../templates/status.html")),
            ("authorize.html", include_str!("../templates/authorize.html")),
            ("authorize_code.html", include_str!("../templates/authorize_code.html")),
        ])
        .map_err(|e| WebError::Internal(format!("templates: {e}")))?;
        Ok(Templates(tera))
    }

    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String, WebError> {
        self.0.render(name, context).map_err(|e| WebError::Internal(format!("template {name}: {e}")))
    }
}

/// `GET /`: the tenant's front page.
pub async fn home(req: HttpRequest, state: web::Data<AppState>, tenant: Tenant) -> HttpResponse {
    let result = async {
        let mut conn = state.pool.get().await?;
        let people = accounts::list_local(&mut conn, tenant.id).await?;
        let mut context = tera::Context::new();
        context.insert("site_name", &tenant.name);
        context.insert("account_host", tenant.account_host.as_str());
        let handles: Vec<(String, String)> =
            people.iter().map(|a| (tenant.urls.handle(&a.username), tenant.urls.profile_page(&a.username))).collect();
        context.insert("people", &handles);
        state.templates.render("home.html", &context)
    }
    .await;
    match result {
        Ok(html) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html),
        Err(error) => error.respond_to(&req),
    }
}
