//! `/settings/profile` and `/settings/privacy`: the profile form (name,
//! bio, avatar, header, fields, bot) and the privacy switches (locked,
//! discoverable, hidden collections). Both call the action behind
//! `PATCH /api/v1/accounts/update_credentials`, so validation, image
//! processing and the Update other servers receive are the same.

use super::{actor, cards};
use crate::api::instance::IMAGE_SIZE_LIMIT;
use crate::api::media::{ProfileImage, UPLOAD_BODY_LIMIT, store_profile_image};
use crate::error::WebError;
use crate::multipart::{self, Limits, Value};
use crate::pages::csrf::{self, CsrfForm};
use crate::pages::session::Me;
use crate::pages::{Page, PageError, see_other};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::profiles::{CredentialsUpdate, update_credentials};
use kereru_store::profiles::{self, MAX_FIELDS, ProfileUpdate};
use std::collections::BTreeMap;

/// `GET /settings`
pub async fn index() -> HttpResponse {
    see_other("/settings/profile")
}

#[derive(Debug, Clone, Default, serde::Serialize)]
struct FieldRow {
    name: String,
    value: String,
    verified: bool,
}

/// What the profile form shows: the saved values, or what was typed.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct ProfileValues {
    display_name: String,
    note: String,
    bot: bool,
    fields: Vec<FieldRow>,
}

fn padded(mut fields: Vec<FieldRow>) -> Vec<FieldRow> {
    fields.truncate(MAX_FIELDS);
    while fields.len() < MAX_FIELDS {
        fields.push(FieldRow::default());
    }
    fields
}

async fn render_profile(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    values: &ProfileValues,
    errors: &BTreeMap<&str, String>,
    notice: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let card = cards::card(&mut conn, tenant, None, &me.account).await?;
    let header = me
        .account
        .header_file
        .as_deref()
        .map(|file| crate::api::media::profile_image_url(&tenant.urls, tenant.id.0, file));
    Page::new("settings/profile.html", tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "profile")
        .insert("account", &card)
        .insert("header_url", &header)
        .insert("values", values)
        .insert("errors", errors)
        .insert("notice", &notice)
        .insert("max_display_name", &profiles::MAX_DISPLAY_NAME)
        .insert("max_note", &profiles::MAX_NOTE)
        .status(if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY })
        .render(state)
}

#[derive(serde::Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// `GET /settings/profile`
pub async fn profile_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let fields = profiles::fields(&mut conn, me.account.id).await?;
    drop(conn);
    let values = ProfileValues {
        display_name: me.account.display_name.clone(),
        note: me.account.summary.clone(),
        bot: me.account.bot,
        fields: padded(
            fields
                .into_iter()
                .map(|f| FieldRow { name: f.name, value: f.value, verified: f.verified_at.is_some() })
                .collect(),
        ),
    };
    let notice = query.saved.is_some().then_some("Your profile was saved.");
    render_profile(&state, &tenant, &me, &values, &BTreeMap::new(), notice).await
}

/// Which form field a validation message is about.
fn field_of(message: &str) -> &'static str {
    let lower = message.to_lowercase();
    if lower.contains("display name") {
        "display_name"
    } else if lower.contains("note") {
        "note"
    } else if lower.contains("field") {
        "fields"
    } else {
        "form"
    }
}

/// `POST /settings/profile` (multipart: the images come with it).
pub async fn profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let limits = Limits { body: UPLOAD_BODY_LIMIT, file: IMAGE_SIZE_LIMIT as usize, text: 64 * 1024, parts: 32 };
    let form = multipart::read(req.headers(), payload, limits, &["avatar", "header"]).await?;
    csrf::verify(&me.viewer, form.text(csrf::FIELD).ok().flatten())?;
    let text = |name: &str| form.text(name).ok().flatten().unwrap_or("").to_string();
    let fields: Vec<FieldRow> = (0..MAX_FIELDS)
        .map(|i| FieldRow {
            name: text(&format!("fields_attributes[{i}][name]")).trim().to_string(),
            value: text(&format!("fields_attributes[{i}][value]")).trim().to_string(),
            verified: false,
        })
        .collect();
    let values = ProfileValues {
        display_name: text("display_name"),
        note: text("note"),
        bot: form.text("bot").ok().flatten().is_some(),
        fields: fields.clone(),
    };
    let mut errors: BTreeMap<&str, String> = BTreeMap::new();
    let mut update = ProfileUpdate {
        display_name: Some(values.display_name.clone()),
        note: Some(values.note.clone()),
        bot: Some(values.bot),
        fields: Some(
            fields
                .into_iter()
                .filter(|f| !f.name.is_empty() || !f.value.is_empty())
                .map(|f| (f.name, f.value))
                .collect(),
        ),
        ..ProfileUpdate::default()
    };
    // Images are checked and stored first; a bad one changes nothing.
    for (name, kind) in [("avatar", ProfileImage::Avatar), ("header", ProfileImage::Header)] {
        let stored = match form.get(name) {
            Some(Value::File(bytes)) if !bytes.is_empty() => {
                match store_profile_image(&state, &tenant, bytes.clone(), kind).await {
                    Ok(file) => Some(file),
                    Err(WebError::Internal(detail)) => return Err(WebError::Internal(detail).into()),
                    Err(error) => {
                        errors.insert(name, error.to_string());
                        None
                    }
                }
            }
            Some(Value::TooLarge) => {
                errors.insert(name, format!("The image must be smaller than {} MB.", IMAGE_SIZE_LIMIT / (1024 * 1024)));
                None
            }
            _ => None,
        };
        match (name, stored) {
            ("avatar", Some(file)) => {
                update.avatar_file = Some(Some(file.file_name));
                update.avatar_bytes = file.bytes;
            }
            (_, Some(file)) => {
                update.header_file = Some(Some(file.file_name));
                update.header_bytes = file.bytes;
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        return render_profile(&state, &tenant, &me, &values, &errors, None).await;
    }
    let change = CredentialsUpdate { profile: update, ..CredentialsUpdate::default() };
    let mut conn = state.pool.get().await?;
    match update_credentials(&mut conn, &actor(&tenant, &me), change).await {
        Ok(updated) => {
            let saved = profiles::fields(&mut conn, updated.id).await?;
            kereru_service::verify_links::spawn(
                &state.fetcher,
                &state.pool,
                state.settings.public_scheme,
                &tenant.urls,
                &updated,
                &saved,
            );
            Ok(see_other("/settings/profile?saved=1"))
        }
        Err(ServiceError::Invalid(message)) => {
            drop(conn);
            let message = message.trim_start_matches("Validation failed: ").to_string();
            let mut upper = message.chars();
            let message = match upper.next() {
                Some(first) => first.to_uppercase().chain(upper).collect(),
                None => message,
            };
            errors.insert(field_of(&message), message);
            render_profile(&state, &tenant, &me, &values, &errors, None).await
        }
        Err(error) if error.quota().is_some() => {
            drop(conn);
            errors.insert("form", error.to_string());
            render_profile(&state, &tenant, &me, &values, &errors, None).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, serde::Serialize)]
struct PrivacyValues {
    locked: bool,
    discoverable: bool,
    hide_collections: bool,
}

/// `GET /settings/privacy`
pub async fn privacy_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<Saved>,
) -> Result<HttpResponse, PageError> {
    let values = PrivacyValues {
        locked: me.account.locked,
        discoverable: me.account.discoverable,
        hide_collections: me.account.hide_collections,
    };
    Page::new("settings/privacy.html", &tenant, &me.viewer)
        .insert("nav", "settings")
        .insert("section", "privacy")
        .insert("values", &values)
        .insert("notice", &query.saved.is_some().then_some("Your privacy settings were saved."))
        .render(&state)
}

/// Unchecked boxes send nothing: absent is off.
#[derive(serde::Deserialize)]
pub struct PrivacyForm {
    locked: Option<String>,
    discoverable: Option<String>,
    hide_collections: Option<String>,
}

/// `POST /settings/privacy`
pub async fn privacy(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    CsrfForm(form): CsrfForm<PrivacyForm>,
) -> Result<HttpResponse, PageError> {
    let profile = ProfileUpdate {
        locked: Some(form.locked.is_some()),
        discoverable: Some(form.discoverable.is_some()),
        hide_collections: Some(form.hide_collections.is_some()),
        ..ProfileUpdate::default()
    };
    let change = CredentialsUpdate { profile, ..CredentialsUpdate::default() };
    let mut conn = state.pool.get().await?;
    update_credentials(&mut conn, &actor(&tenant, &me), change).await?;
    Ok(see_other("/settings/privacy?saved=1"))
}
