//! `/settings/export` (follows, blocks and mutes as Mastodon's CSV files)
//! and `/settings/import` (the same files back: follows, blocks or mutes,
//! merged or overwriting). The import runs in the request through
//! `kereru_service::imports`, bounded to its `MAX_ROWS` rows.

use super::actor;
use crate::error::{WebError, not_found};
use crate::multipart::{self, Limits, Value};
use crate::pages::csrf;
use crate::pages::session::Me;
use crate::pages::{Page, PageError};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::imports::{self, ImportKind, ImportMode};
use kereru_store::accounts::{self, Account};
use kereru_store::domains;
use kereru_store::relationships;
use kereru_store::{AccountId, DomainId, PgConn};
use std::collections::HashMap;

/// `name@host` of each account (a local account's host is its tenant's).
async fn addresses(conn: &mut PgConn, tenant: &Tenant, ids: &[AccountId]) -> Result<HashMap<i64, String>, WebError> {
    let raw: Vec<i64> = ids.iter().map(|a| a.0).collect();
    let found: Vec<Account> = accounts::many_unchecked(conn, &raw).await?;
    let mut hosts: HashMap<i64, String> = HashMap::new();
    hosts.insert(tenant.id.0, tenant.account_host.to_string());
    let mut out = HashMap::new();
    for account in found {
        let host = match (account.domain_id, &account.remote_host) {
            (Some(domain), _) => match hosts.get(&domain.0) {
                Some(host) => host.clone(),
                None => {
                    let loaded =
                        domains::get(conn, DomainId(domain.0)).await.map_err(|e| WebError::Internal(e.to_string()))?;
                    let host = loaded.account_host.to_string();
                    hosts.insert(domain.0, host.clone());
                    host
                }
            },
            (None, Some(host)) => host.clone(),
            (None, None) => continue,
        };
        out.insert(account.id.0, format!("{}@{host}", account.username));
    }
    Ok(out)
}

/// The CSV file of `kind`, in Mastodon's format.
async fn csv_of(conn: &mut PgConn, tenant: &Tenant, me: &Account, kind: ImportKind) -> Result<String, WebError> {
    let ids = kereru_service::imports::current(conn, me.id, kind).await?;
    let names = addresses(conn, tenant, &ids).await?;
    let mut flags: HashMap<i64, relationships::Relationship> = HashMap::new();
    if kind != ImportKind::Blocks {
        for chunk in ids.chunks(500) {
            let raw: Vec<i64> = chunk.iter().map(|a| a.0).collect();
            for row in relationships::relationships(conn, me.id, &raw).await? {
                flags.insert(row.id, row);
            }
        }
    }
    let mut out = String::new();
    match kind {
        ImportKind::Following => out.push_str("Account address,Show boosts,Notify on new posts,Languages\n"),
        ImportKind::Mutes => out.push_str("Account address,Hide notifications\n"),
        ImportKind::Blocks => {}
    }
    for id in &ids {
        let Some(name) = names.get(&id.0) else { continue };
        let rel = flags.get(&id.0).cloned().unwrap_or_default();
        match kind {
            ImportKind::Following => out.push_str(&format!("{name},{},{},\n", rel.showing_reblogs, rel.notifying)),
            ImportKind::Mutes => out.push_str(&format!("{name},{}\n", rel.muting_notifications)),
            ImportKind::Blocks => out.push_str(&format!("{name}\n")),
        }
    }
    Ok(out)
}

#[derive(serde::Serialize)]
struct ExportRow {
    label: &'static str,
    file: &'static str,
    count: usize,
}

/// `GET /settings/export`
pub async fn export_page(state: web::Data<AppState>, tenant: Tenant, me: Me) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let mut rows = Vec::new();
    for (label, file, kind) in [
        ("Follows", "following_accounts.csv", ImportKind::Following),
        ("Blocks", "blocked_accounts.csv", ImportKind::Blocks),
        ("Mutes", "muted_accounts.csv", ImportKind::Mutes),
    ] {
        rows.push(ExportRow {
            label,
            file,
            count: kereru_service::imports::current(&mut conn, me.account.id, kind).await?.len(),
        });
    }
    Page::new("settings/export.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "export")
        .insert("exports", &rows)
        .render(&state)
}

/// `GET /settings/export/{file}`: `following_accounts.csv`, `blocked_accounts.csv`, `muted_accounts.csv`.
pub async fn export_file(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    file: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let kind = match file.as_str() {
        "following_accounts.csv" => ImportKind::Following,
        "blocked_accounts.csv" => ImportKind::Blocks,
        "muted_accounts.csv" => ImportKind::Mutes,
        _ => return Err(not_found().into()),
    };
    let mut conn = state.pool.get().await?;
    let body = csv_of(&mut conn, &tenant, &me.account, kind).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body))
}

#[derive(Debug, Default, serde::Serialize)]
struct ImportValues {
    kind: String,
    mode: String,
}

fn import_page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    values: &ImportValues,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    Page::new("settings/import.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "import")
        .insert("values", values)
        .insert("error", &error)
        .insert("max_rows", &imports::MAX_ROWS)
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

/// `GET /settings/import`
pub async fn import_form(state: web::Data<AppState>, tenant: Tenant, me: Me) -> Result<HttpResponse, PageError> {
    let values = ImportValues { kind: "following".into(), mode: "merge".into() };
    import_page(&state, &tenant, &me, &values, None)
}

/// The largest file taken (500 rows of Mastodon's format fit many times over).
const MAX_FILE: usize = 256 * 1024;

#[derive(serde::Serialize)]
struct FailedRow {
    line: usize,
    address: String,
    reason: String,
}

/// `POST /settings/import` (multipart: the CSV file, its kind, merge or overwrite).
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let limits = Limits { body: (MAX_FILE + 64 * 1024) as u64, file: MAX_FILE, text: 1024, parts: 8 };
    let form = multipart::read(req.headers(), payload, limits, &["data"]).await?;
    csrf::verify(&me.viewer, form.text(csrf::FIELD).ok().flatten())?;
    let values = ImportValues {
        kind: form.text("type").ok().flatten().unwrap_or("").to_string(),
        mode: form.text("mode").ok().flatten().unwrap_or("merge").to_string(),
    };
    let kind = match values.kind.as_str() {
        "following" => ImportKind::Following,
        "blocking" => ImportKind::Blocks,
        "muting" => ImportKind::Mutes,
        _ => return import_page(&state, &tenant, &me, &values, Some("Choose what the file holds.")),
    };
    let mode = if values.mode == "overwrite" { ImportMode::Overwrite } else { ImportMode::Merge };
    let text = match form.get("data") {
        Some(Value::File(bytes)) if !bytes.is_empty() => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => return import_page(&state, &tenant, &me, &values, Some("The file is not a CSV text file.")),
        },
        Some(Value::TooLarge) => {
            let message = format!("The file is too large (at most {} KB).", MAX_FILE / 1024);
            return import_page(&state, &tenant, &me, &values, Some(&message));
        }
        _ => return import_page(&state, &tenant, &me, &values, Some("Choose a CSV file to import.")),
    };
    let (rows, bad) = match imports::parse(&text, kind) {
        Ok(parsed) => parsed,
        Err(ServiceError::Invalid(message)) => return import_page(&state, &tenant, &me, &values, Some(&message)),
        Err(other) => return Err(other.into()),
    };
    let mut conn = state.pool.get().await?;
    let report = imports::run(&mut conn, &state.fetcher, &actor(&tenant, &me), kind, mode, &rows).await?;
    state.publish(&report.events).await;
    let mut failed: Vec<FailedRow> = bad
        .into_iter()
        .chain(report.failed)
        .map(|f| FailedRow { line: f.line, address: f.address, reason: f.reason })
        .collect();
    failed.sort_by_key(|f| f.line);
    Page::new("settings/import_done.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "import")
        .insert("imported", &report.imported)
        .insert("removed", &report.removed)
        .insert("failed", &failed)
        .insert("kind", &values.kind)
        .render(&state)
}
