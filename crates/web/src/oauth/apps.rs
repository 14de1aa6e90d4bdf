//! `POST /api/v1/apps` and `GET /api/v1/apps/verify_credentials`.

use crate::auth::Auth;
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::{HttpResponse, web};
use kereru_core::scopes::Scopes;
use kereru_store::oauth::{self, Application, NewApplication, OOB_REDIRECT};

const MAX_NAME: usize = 60;
const MAX_URI: usize = 2000;

/// A redirect URI an app may register: the out-of-band URN, or an absolute URI
/// without fragment (custom schemes such as `com.example.app:/cb` included).
pub fn valid_redirect_uri(uri: &str) -> bool {
    if uri == OOB_REDIRECT {
        return true;
    }
    let Some((scheme, rest)) = uri.split_once(':') else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let dangerous = matches!(scheme.to_ascii_lowercase().as_str(), "javascript" | "data" | "vbscript" | "file");
    scheme_ok
        && !dangerous
        && !rest.is_empty()
        && uri.len() <= MAX_URI
        && !uri.contains('#')
        && !uri.chars().any(char::is_whitespace)
}

pub fn application_json(app: &Application, secret: Option<&str>) -> serde_json::Value {
    let scopes: Vec<&str> = app.scopes.iter().collect();
    let mut json = serde_json::json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": scopes,
        "redirect_uri": app.redirect_uris.join("\n"),
        "redirect_uris": app.redirect_uris,
        "vapid_key": "",
    });
    if let Some(secret) = secret {
        json["client_id"] = app.client_id.clone().into();
        json["client_secret"] = secret.into();
        json["client_secret_expires_at"] = 0.into();
    }
    json
}

/// `POST /api/v1/apps`: registers a client on this tenant.
pub async fn create(state: web::Data<AppState>, tenant: Tenant, params: Params) -> Result<HttpResponse, WebError> {
    let name = params.required("client_name")?.trim().to_string();
    if name.chars().count() > MAX_NAME {
        return Err(WebError::Unprocessable(format!(
            "Validation failed: Application name is too long (maximum is {MAX_NAME} characters)"
        )));
    }
    let mut redirect_uris: Vec<String> = params
        .list("redirect_uris")
        .iter()
        .flat_map(|value| {
            value.split(['\n', ' ']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    redirect_uris.dedup();
    if redirect_uris.is_empty() {
        return Err(WebError::Unprocessable("Validation failed: Redirect URI can't be blank".into()));
    }
    if let Some(bad) = redirect_uris.iter().find(|uri| !valid_redirect_uri(uri)) {
        return Err(WebError::Unprocessable(format!("Validation failed: Redirect URI must be an absolute URI: {bad}")));
    }
    let scopes = Scopes::parse(params.str("scopes").unwrap_or("read"))
        .map_err(|e| WebError::Unprocessable(format!("Validation failed: Scopes {e}")))?;
    let website = params.str("website").map(str::trim).filter(|w| !w.is_empty()).map(str::to_string);
    if website.as_ref().is_some_and(|w| w.len() > MAX_URI || !(w.starts_with("https://") || w.starts_with("http://"))) {
        return Err(WebError::Unprocessable("Validation failed: Website is invalid".into()));
    }
    let mut conn = state.pool.get().await?;
    let (app, secret) =
        oauth::create_application(&mut conn, tenant.id, NewApplication { name, website, redirect_uris, scopes })
            .await?;
    drop(conn);
    let mut json = application_json(&app, Some(&secret));
    json["vapid_key"] = crate::api::push::server_key(&state, tenant.id).await?.into();
    Ok(HttpResponse::Ok().json(json))
}

/// `GET /api/v1/apps/verify_credentials`: the app behind the token.
pub async fn verify_credentials(
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: Auth,
) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let app = oauth::application_by_id(&mut conn, tenant.id, auth.grant.application_id)
        .await?
        .ok_or_else(|| WebError::Unauthorized("The access token is invalid".into()))?;
    drop(conn);
    let mut json = application_json(&app, None);
    json["vapid_key"] = crate::api::push::server_key(&state, tenant.id).await?.into();
    Ok(HttpResponse::Ok().json(json))
}

#[cfg(test)]
mod tests {
    use super::valid_redirect_uri;

    #[test]
    fn redirect_uris_must_be_absolute_and_harmless() {
        for ok in ["urn:ietf:wg:oauth:2.0:oob", "https://app.example/cb", "com.tapbots.ivory:/oauth", "toot://callback"]
        {
            assert!(valid_redirect_uri(ok), "{ok}");
        }
        for bad in [
            "",
            "/relative",
            "https://a.example/cb#frag",
            "javascript:alert(1)",
            "1http://x",
            "https://a b",
            "noscheme",
        ] {
            assert!(!valid_redirect_uri(bad), "{bad}");
        }
    }
}
