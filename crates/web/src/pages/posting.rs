//! Writing from the web interface: the compose form (text, content warning,
//! visibility, language, up to four images with alt text), replies, edits,
//! and the small forms under every post (favourite, boost, bookmark, pin,
//! delete). Each calls the same service action as the client API.

use super::auth::safe_return_to;
use super::csrf::{self, CsrfForm};
use super::session::{Me, actor};
use super::{Page, PageError, ReturnTo, see_other};
use crate::error::{WebError, not_found};
use crate::multipart::{self, Value as Part};
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::ServiceError;
use kereru_service::compose::{self, ComposeError};
use kereru_service::media::MediaActionError;
use kereru_service::statuses::{self as service, MAX_CHARACTERS, MAX_MEDIA, NewPost, StatusAction};
use kereru_store::StatusId;
use kereru_store::statuses::Visibility;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/statuses/new", web::get().to(new))
        .route("/statuses", web::post().to(create))
        .route("/statuses/{id}/edit", web::get().to(edit_form))
        .route("/statuses/{id}/edit", web::post().to(edit))
        .route("/statuses/{id}/delete", web::post().to(delete))
        .route("/statuses/{id}/{action}", web::post().to(act));
}

/// The multipart names of the image inputs and their alt texts.
const IMAGE_FIELDS: [&str; MAX_MEDIA] = ["media_1", "media_2", "media_3", "media_4"];
const DESCRIPTION_FIELDS: [&str; MAX_MEDIA] = ["description_1", "description_2", "description_3", "description_4"];

/// The body limit of the compose form (four images and the text), which the
/// tenant middleware applies to `POST /statuses`.
pub const COMPOSE_BODY_LIMIT: u64 = MAX_MEDIA as u64 * crate::api::instance::IMAGE_SIZE_LIMIT + 1024 * 1024;

/// What the compose form shows (again, after an error).
#[derive(Debug, Default, serde::Serialize)]
struct Draft {
    text: String,
    spoiler_text: String,
    visibility: String,
    language: String,
    sensitive: bool,
    in_reply_to_id: String,
}

/// The status being answered, shown above the form.
#[derive(Debug, serde::Serialize)]
struct Replying {
    author: String,
    handle: String,
    excerpt: String,
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    in_reply_to_id: Option<String>,
}

fn parse_id(text: &str) -> Result<StatusId, WebError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).map(StatusId).ok_or_else(not_found)
}

/// Plain text of stored HTML, for an excerpt.
fn plain_text(html: &str, max: usize) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"");
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() > max { format!("{}…", joined.chars().take(max).collect::<String>()) } else { joined }
}

/// The compose page for `draft`, answering `in_reply_to` when given.
async fn compose_page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    mut draft: Draft,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut conn = state.pool.get().await?;
    let replying = match draft.in_reply_to_id.as_str() {
        "" => None,
        id => {
            let parent = service::visible(&mut conn, &actor(tenant, me), parse_id(id)?).await?;
            let author = kereru_store::accounts::get_visible(&mut conn, tenant.id, parent.account_id)
                .await?
                .ok_or_else(not_found)?;
            let host = match author.domain_id {
                Some(domain) if domain == tenant.id => None,
                Some(domain) => Some(
                    kereru_store::domains::get(&mut conn, domain)
                        .await
                        .map_err(WebError::from)?
                        .account_host
                        .to_string(),
                ),
                None => author.remote_host.clone(),
            };
            let handle = match &host {
                None => tenant.urls.handle(&author.username),
                Some(host) => format!("@{}@{host}", author.username),
            };
            if draft.text.is_empty() && error.is_none() && author.id != me.account.id {
                // A local author is mentioned by name alone, as Mastodon's composer does.
                draft.text = match host {
                    None => format!("@{} ", author.username),
                    Some(_) => format!("{handle} "),
                };
            }
            if draft.visibility.is_empty() {
                draft.visibility = parent.visibility().as_str().to_string();
            }
            Some(Replying {
                author: if author.display_name.is_empty() { author.username.clone() } else { author.display_name },
                handle,
                excerpt: plain_text(&parent.content, 280),
            })
        }
    };
    if draft.visibility.is_empty() {
        draft.visibility = kereru_store::profiles::preferences(&mut conn, me.account.id)
            .await?
            .default_visibility
            .as_str()
            .to_string();
    }
    Page::new("statuses/new.html", tenant, &me.viewer)
        .insert("nav", "home")
        .insert("draft", &draft)
        .insert("replying", &replying)
        .insert("error", &error)
        .insert("max_characters", &MAX_CHARACTERS)
        .status(status)
        .render(state)
}

/// `GET /statuses/new[?in_reply_to_id=ID]`
pub async fn new(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let draft = Draft { in_reply_to_id: query.in_reply_to_id.clone().unwrap_or_default(), ..Draft::default() };
    compose_page(&state, &tenant, &me, draft, None, StatusCode::OK).await
}

fn text_field(form: &multipart::Form, name: &str) -> Result<String, WebError> {
    Ok(form.text(name)?.unwrap_or("").to_string())
}

/// The images of the form with their alt texts; empty file inputs are skipped.
fn images(form: &multipart::Form) -> Result<Vec<(Bytes, Option<String>)>, String> {
    let mut found = Vec::new();
    for (field, description_field) in IMAGE_FIELDS.iter().zip(DESCRIPTION_FIELDS) {
        let bytes = match form.get(field) {
            Some(Part::File(bytes)) if !bytes.is_empty() => bytes.clone(),
            Some(Part::TooLarge) => {
                return Err(format!(
                    "An image is larger than {} MB.",
                    crate::api::instance::IMAGE_SIZE_LIMIT / (1024 * 1024)
                ));
            }
            _ => continue,
        };
        let description = form.text(description_field).map_err(|e| e.to_string())?;
        let description =
            kereru_media::params::description(description).map_err(|e| e.0.replace("Validation failed: ", ""))?;
        found.push((bytes, description.flatten()));
    }
    Ok(found)
}

/// `POST /statuses` (multipart): the compose form.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let limits = multipart::Limits {
        body: COMPOSE_BODY_LIMIT,
        file: crate::api::instance::IMAGE_SIZE_LIMIT as usize,
        text: 64 * 1024,
        parts: 24,
    };
    let form = multipart::read(req.headers(), payload, limits, &IMAGE_FIELDS).await?;
    csrf::verify(&me.viewer, form.text(csrf::FIELD)?)?;
    let draft = Draft {
        text: text_field(&form, "status")?,
        spoiler_text: text_field(&form, "spoiler_text")?,
        visibility: text_field(&form, "visibility")?,
        language: text_field(&form, "language")?.trim().to_string(),
        sensitive: form.text("sensitive")?.is_some(),
        in_reply_to_id: text_field(&form, "in_reply_to_id")?,
    };
    let return_to = safe_return_to(form.text("return_to")?).to_string();
    let images = match images(&form) {
        Ok(images) => images,
        Err(message) => {
            return compose_page(&state, &tenant, &me, draft, Some(&message), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    drop(form);
    let visibility = match draft.visibility.as_str() {
        "" => None,
        text => match text.parse::<Visibility>() {
            Ok(visibility) => Some(visibility),
            Err(_) => {
                let message = "Choose who can see the post.";
                return compose_page(&state, &tenant, &me, draft, Some(message), StatusCode::UNPROCESSABLE_ENTITY)
                    .await;
            }
        },
    };
    let in_reply_to = match draft.in_reply_to_id.as_str() {
        "" => None,
        id => Some(parse_id(id)?),
    };
    let new = NewPost {
        text: draft.text.clone(),
        spoiler_text: draft.spoiler_text.clone(),
        sensitive: draft.sensitive || !draft.spoiler_text.trim().is_empty(),
        visibility,
        language: Some(draft.language.clone()).filter(|l| !l.is_empty()),
        in_reply_to,
        ..NewPost::default()
    };
    let files = state.media.tenant(tenant.id.0);
    match compose::post_with_images(&state.pool, files, &actor(&tenant, &me), new, images).await {
        Ok((_, events)) => {
            state.publish(&events).await;
            Ok(see_other(&return_to))
        }
        Err(error) => {
            let message = match error {
                _ if error.quota().is_some() => error.to_string(),
                ComposeError::Service(ServiceError::Invalid(message)) => message.replace("Validation failed: ", ""),
                ComposeError::Media(MediaActionError::Image(error)) => {
                    format!("An image could not be used: {error}. Attach images again.")
                }
                ComposeError::Service(other) => return Err(other.into()),
                ComposeError::Media(other) => return Err(WebError::Internal(other.to_string()).into()),
            };
            compose_page(&state, &tenant, &me, draft, Some(&message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The path of a status's page.
fn status_page(me: &Me, id: StatusId) -> String {
    format!("/@{}/{id}", me.account.username)
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    spoiler_text: String,
    sensitive: Option<String>,
}

fn edit_page(
    state: &AppState,
    tenant: &Tenant,
    me: &Me,
    id: StatusId,
    form: &EditForm,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    Page::new("statuses/edit.html", tenant, &me.viewer)
        .insert("id", &id.to_string())
        .insert("form", form)
        .insert("error", &error)
        .insert("max_characters", &MAX_CHARACTERS)
        .insert("status_url", &status_page(me, id))
        .status(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK })
        .render(state)
}

/// `GET /statuses/{id}/edit`: one's own post's text.
pub async fn edit_form(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let mut conn = state.pool.get().await?;
    let status = service::visible(&mut conn, &actor(&tenant, &me), id).await?;
    if status.account_id != me.account.id || status.reblog_of_id.is_some() {
        return Err(not_found().into());
    }
    let form = EditForm {
        status: status.text.clone(),
        spoiler_text: status.spoiler_text.clone(),
        sensitive: status.sensitive.then(|| "on".to_string()),
    };
    edit_page(&state, &tenant, &me, id, &form, None)
}

/// `POST /statuses/{id}/edit`
pub async fn edit(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let mut conn = state.pool.get().await?;
    let sensitive = form.sensitive.is_some() || !form.spoiler_text.trim().is_empty();
    let result =
        service::edit(&mut conn, &actor(&tenant, &me), id, form.status.clone(), form.spoiler_text.clone(), sensitive)
            .await;
    match result {
        Ok((_, events)) => {
            state.publish(&events).await;
            Ok(see_other(&status_page(&me, id)))
        }
        Err(ServiceError::Invalid(message)) => {
            edit_page(&state, &tenant, &me, id, &form, Some(&message.replace("Validation failed: ", "")))
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /statuses/{id}/{action}` (favourite, reblog, bookmark, pin, their undos):
/// then back to the page the form was on.
pub async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<ReturnTo>,
) -> Result<HttpResponse, PageError> {
    let (id, action) = path.into_inner();
    let id = parse_id(&id)?;
    let action: StatusAction = action.parse().map_err(|_| not_found())?;
    let mut conn = state.pool.get().await?;
    let (_, events) = service::perform(&mut conn, &actor(&tenant, &me), id, action, None).await?;
    state.publish(&events).await;
    Ok(see_other(safe_return_to(form.return_to.as_deref())))
}

/// `POST /statuses/{id}/delete`: one's own post; back to `return_to` unless that was the post's page.
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    me: Me,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ReturnTo>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let mut conn = state.pool.get().await?;
    let events = service::delete(&mut conn, &actor(&tenant, &me), id, false).await?;
    state.publish(&events).await;
    let back = safe_return_to(form.return_to.as_deref());
    Ok(see_other(if back.ends_with(&format!("/{id}")) { "/home" } else { back }))
}
