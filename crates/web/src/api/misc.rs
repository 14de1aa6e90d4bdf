//! Small endpoints: preferences, markers, custom emojis.

use super::render::timestamp;
use crate::error::WebError;
use crate::extract::{User, scope};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kereru_store::profiles;
use serde_json::{Map, Value, json};

/// `GET /api/v1/preferences`
pub async fn preferences(state: web::Data<AppState>, me: User<scope::ReadAccounts>) -> Result<HttpResponse, WebError> {
    let mut conn = state.pool.get().await?;
    let p = profiles::preferences(&mut conn, me.id()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "posting:default:visibility": p.default_visibility.as_str(),
        "posting:default:sensitive": p.default_sensitive,
        "posting:default:language": p.default_language,
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
        "reading:autoplay:gifs": false,
    })))
}

const TIMELINES: [&str; 2] = ["home", "notifications"];

fn markers_json(list: Vec<profiles::Marker>) -> Value {
    let mut map = Map::new();
    for m in list {
        map.insert(
            m.timeline.clone(),
            json!({ "last_read_id": m.last_read_id.to_string(), "version": m.version, "updated_at": timestamp(m.updated_at) }),
        );
    }
    Value::Object(map)
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`
pub async fn markers(
    state: web::Data<AppState>,
    me: User<scope::ReadStatuses>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let wanted: Vec<String> = params.list("timeline").into_iter().filter(|t| TIMELINES.contains(&t.as_str())).collect();
    let mut conn = state.pool.get().await?;
    let list = profiles::markers_of(&mut conn, me.id(), &wanted).await?;
    Ok(HttpResponse::Ok().json(markers_json(list)))
}

/// `POST /api/v1/markers` with `home[last_read_id]` and/or `notifications[last_read_id]`.
pub async fn save_markers(
    state: web::Data<AppState>,
    me: User<scope::WriteStatuses>,
    params: Params,
) -> Result<HttpResponse, WebError> {
    let mut updates = Vec::new();
    for timeline in TIMELINES {
        if let Some(id) = params.str(&format!("{timeline}[last_read_id]")) {
            let id: i64 =
                id.parse().map_err(|_| WebError::Unprocessable(format!("{timeline}[last_read_id] must be an id")))?;
            updates.push((timeline, id));
        }
    }
    if updates.is_empty() {
        return Err(WebError::Unprocessable(
            "no marker given: send home[last_read_id] or notifications[last_read_id]".into(),
        ));
    }
    let mut conn = state.pool.get().await?;
    let saved = profiles::save_markers(&mut conn, me.id(), &updates).await?;
    Ok(HttpResponse::Ok().json(markers_json(saved)))
}

/// `GET /api/v1/custom_emojis`: none yet.
pub async fn custom_emojis() -> HttpResponse {
    HttpResponse::Ok().json(Vec::<Value>::new())
}
