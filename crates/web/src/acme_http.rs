//! The plain-HTTP listener when TLS is on: HTTP-01 challenge answers for any
//! node's pending order, and a permanent redirect to HTTPS for everything else.

use actix_web::{HttpRequest, HttpResponse, web};
use kereru_core::HostName;
use kereru_store::Pool;

/// What the HTTP listener needs: the database (pending tokens) and where HTTPS listens.
#[derive(Clone)]
pub struct AcmeHttpState {
    pub pool: Pool,
    /// The HTTPS port named in redirects; `None` for 443.
    pub https_port: Option<u16>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/acme-challenge/{token}", web::get().to(challenge))
        .route(
            "/health",
            web::get().to(|| async { HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("OK") }),
        )
        .default_service(web::to(redirect));
}

fn host_of(req: &HttpRequest) -> Option<HostName> {
    let raw = req.headers().get(actix_web::http::header::HOST)?.to_str().ok()?;
    HostName::from_host_header(raw).ok()
}

/// ACME tokens are base64url, 43 characters from Let's Encrypt; anything else is refused unread.
fn plausible_token(token: &str) -> bool {
    (16..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn challenge(req: HttpRequest, token: web::Path<String>, state: web::Data<AcmeHttpState>) -> HttpResponse {
    let not_found = || HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such challenge\n");
    let Some(host) = host_of(&req) else {
        return HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body("bad Host header\n");
    };
    if !plausible_token(&token) {
        return not_found();
    }
    let mut conn = match state.pool.get().await {
        Ok(conn) => conn,
        Err(error) => {
            tracing::warn!("HTTP-01 challenge: {error}");
            return HttpResponse::ServiceUnavailable().finish();
        }
    };
    match kereru_acme::db::http_challenge(&mut conn, host.as_str(), &token).await {
        Ok(Some(key_authorization)) => {
            HttpResponse::Ok().content_type("application/octet-stream").body(key_authorization)
        }
        Ok(None) => not_found(),
        Err(error) => {
            tracing::warn!("HTTP-01 challenge: {error}");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

async fn redirect(req: HttpRequest, state: web::Data<AcmeHttpState>) -> HttpResponse {
    let Some(host) = host_of(&req) else {
        return HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body("bad Host header\n");
    };
    let port = state.https_port.map(|p| format!(":{p}")).unwrap_or_default();
    let path = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    HttpResponse::PermanentRedirect().insert_header(("Location", format!("https://{host}{port}{path}"))).finish()
}

#[cfg(test)]
mod tests {
    use super::plausible_token;

    #[test]
    fn only_token_shaped_paths_reach_the_database() {
        assert!(plausible_token("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
        assert!(!plausible_token("short"));
        assert!(!plausible_token(&"a".repeat(129)));
        assert!(!plausible_token("../../etc/passwd-passwd-passwd"));
        assert!(!plausible_token("abc def ghi jkl mno pqr"));
    }
}
