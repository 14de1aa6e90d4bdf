//! Content filters: checked input, then one store write per action (in one
//! transaction where several rows change). Filters v1 are a view of the same
//! tables, as in Mastodon 4: a v1 filter is one keyword of a v2 filter.

use crate::Actor;
use crate::error::ServiceError;
use chrono::{Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::filters::{Action, Context};
use kereru_store::filters::{self, Filter, FilterFields, FilterStatus, Keyword};
use kereru_store::{StatusId, statuses};

/// Longest keyword and title accepted (Mastodon has no limit; a bound keeps rows sane).
const MAX_TEXT: usize = 512;
/// How many filters one person may have.
const MAX_FILTERS: usize = 200;

/// A keyword to add (`id` none), change or remove (`destroy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordChange {
    pub id: Option<i64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// A new filter, or the changes to one (unset fields stay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterChange {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub action: Option<String>,
    /// `Some(None)`: never expires; `Some(Some(s))`: expires in `s` seconds.
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordChange>,
}

fn invalid(message: &str) -> ServiceError {
    ServiceError::Invalid(format!("Validation failed: {message}"))
}

fn check_text(value: &str, what: &str) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(&format!("{what} can't be blank")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(&format!("{what} is too long")));
    }
    Ok(value.to_string())
}

fn check_context(context: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut out: Vec<String> = Vec::new();
    for c in context {
        let parsed: Context = c.trim().parse().map_err(|_| invalid("Context includes invalid values"))?;
        if !out.iter().any(|o| o == parsed.as_str()) {
            out.push(parsed.as_str().to_string());
        }
    }
    if out.is_empty() {
        return Err(invalid("Context can't be blank"));
    }
    Ok(out)
}

fn check_action(action: &str) -> Result<String, ServiceError> {
    Action::parse(action.trim())
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| invalid("Filter action is not included in the list"))
}

fn expiry(seconds: Option<i64>) -> Result<Option<chrono::DateTime<Utc>>, ServiceError> {
    match seconds {
        None => Ok(None),
        Some(s) if s > 0 && s <= 10 * 365 * 24 * 3600 => Ok(Some(Utc::now() + Duration::seconds(s))),
        Some(_) => Err(invalid("Expires in must be a positive number of seconds")),
    }
}

fn fields_of(change: &FilterChange, current: Option<&FilterFields>) -> Result<FilterFields, ServiceError> {
    let title = match (&change.title, current) {
        (Some(t), _) => check_text(t, "Title")?,
        (None, Some(c)) => c.title.clone(),
        (None, None) => return Err(invalid("Title can't be blank")),
    };
    let context = match (&change.context, current) {
        (Some(c), _) => check_context(c)?,
        (None, Some(c)) => c.context.clone(),
        (None, None) => return Err(invalid("Context can't be blank")),
    };
    let action = match (&change.action, current) {
        (Some(a), _) => check_action(a)?,
        (None, Some(c)) => c.action.clone(),
        (None, None) => Action::Warn.as_str().to_string(),
    };
    let expires_at = match (change.expires_in, current) {
        (Some(seconds), _) => expiry(seconds)?,
        (None, Some(c)) => c.expires_at,
        (None, None) => None,
    };
    Ok(FilterFields { title, context, action, expires_at })
}

/// Creates a filter with its keywords.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    change: FilterChange,
) -> Result<Filter, ServiceError> {
    let fields = fields_of(&change, None)?;
    let mut keywords = Vec::new();
    for k in change.keywords.iter().filter(|k| !k.destroy) {
        let keyword = check_text(k.keyword.as_deref().unwrap_or(""), "Keyword")?;
        keywords.push((keyword, k.whole_word.unwrap_or(true)));
    }
    let me = actor.account.id;
    let id = conn
        .transaction(async |conn| -> Result<i64, ServiceError> {
            if filters::list(conn, me).await?.len() >= MAX_FILTERS {
                return Err(invalid("You have too many filters"));
            }
            Ok(filters::create(conn, me, &fields, &keywords).await?)
        })
        .await?;
    filters::get(conn, me, id).await?.ok_or(ServiceError::NotFound)
}

/// A filter's fields as they are, for a change to start from.
fn fields_now(current: &Filter) -> FilterFields {
    FilterFields {
        title: current.row.title.clone(),
        context: current.row.context.clone(),
        action: current.row.filter_action.clone(),
        expires_at: current.row.expires_at,
    }
}

/// Changes a filter and its keywords; 404 unless it is the actor's.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    change: FilterChange,
) -> Result<Filter, ServiceError> {
    let me = actor.account.id;
    let current = filters::get(conn, me, id).await?.ok_or(ServiceError::NotFound)?;
    let fields = fields_of(&change, Some(&fields_now(&current)))?;
    // Check every keyword change before writing any.
    let mut checked = Vec::new();
    for k in &change.keywords {
        if let Some(kid) = k.id
            && !current.keywords.iter().any(|existing| existing.id == kid)
        {
            return Err(ServiceError::NotFound);
        }
        let keyword = match (&k.keyword, k.destroy) {
            (_, true) => None,
            (Some(text), false) => Some(check_text(text, "Keyword")?),
            (None, false) if k.id.is_none() => return Err(invalid("Keyword can't be blank")),
            (None, false) => None,
        };
        checked.push((k.clone(), keyword));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        filters::update(conn, me, id, &fields).await?;
        for (k, keyword) in &checked {
            match (k.id, k.destroy) {
                (Some(kid), true) => filters::delete_keyword(conn, me, kid).await?,
                (None, true) => {}
                (Some(kid), false) => {
                    let Some(old) = current.keywords.iter().find(|e| e.id == kid) else { continue };
                    let text = keyword.clone().unwrap_or_else(|| old.keyword.clone());
                    filters::update_keyword(conn, me, kid, &text, k.whole_word.unwrap_or(old.whole_word)).await?;
                }
                (None, false) => {
                    let text = keyword.clone().unwrap_or_default();
                    filters::add_keyword(conn, id, &text, k.whole_word.unwrap_or(true)).await?;
                }
            }
        }
        Ok(())
    })
    .await?;
    filters::get(conn, me, id).await?.ok_or(ServiceError::NotFound)
}

/// Replaces a filter's fields and its whole keyword list (the web form's edit);
/// an unset `expires_in` keeps the expiry.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    change: FilterChange,
) -> Result<Filter, ServiceError> {
    let me = actor.account.id;
    let current = filters::get(conn, me, id).await?.ok_or(ServiceError::NotFound)?;
    let fields = fields_of(&change, Some(&fields_now(&current)))?;
    let mut keywords = Vec::new();
    for k in change.keywords.iter().filter(|k| !k.destroy) {
        keywords.push((check_text(k.keyword.as_deref().unwrap_or(""), "Keyword")?, k.whole_word.unwrap_or(true)));
    }
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        if !filters::update(conn, me, id, &fields).await? {
            return Err(ServiceError::NotFound);
        }
        filters::replace_keywords(conn, id, &keywords).await?;
        Ok(())
    })
    .await?;
    filters::get(conn, me, id).await?.ok_or(ServiceError::NotFound)
}

pub async fn delete(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    if !filters::delete(conn, actor.account.id, id).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

pub async fn add_keyword(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    filter: i64,
    keyword: &str,
    whole_word: bool,
) -> Result<Keyword, ServiceError> {
    filters::get(conn, actor.account.id, filter).await?.ok_or(ServiceError::NotFound)?;
    let keyword = check_text(keyword, "Keyword")?;
    Ok(filters::add_keyword(conn, filter, &keyword, whole_word).await?)
}

pub async fn update_keyword(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    keyword: Option<&str>,
    whole_word: Option<bool>,
) -> Result<Keyword, ServiceError> {
    let old = filters::keyword(conn, actor.account.id, id).await?.ok_or(ServiceError::NotFound)?;
    let text = match keyword {
        Some(k) => check_text(k, "Keyword")?,
        None => old.keyword.clone(),
    };
    Ok(filters::update_keyword(conn, actor.account.id, id, &text, whole_word.unwrap_or(old.whole_word)).await?)
}

pub async fn delete_keyword(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    filters::keyword(conn, actor.account.id, id).await?.ok_or(ServiceError::NotFound)?;
    filters::delete_keyword(conn, actor.account.id, id).await?;
    Ok(())
}

/// Adds a status the actor can see to one of their filters.
pub async fn add_status(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    filter: i64,
    status: StatusId,
) -> Result<FilterStatus, ServiceError> {
    filters::get(conn, actor.account.id, filter).await?.ok_or(ServiceError::NotFound)?;
    statuses::visible_one(conn, actor.tenant.id, Some(actor.account.id), status)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(filters::add_status(conn, filter, status).await?)
}

pub async fn delete_status(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    filters::status_entry(conn, actor.account.id, id).await?.ok_or(ServiceError::NotFound)?;
    filters::delete_status_entry(conn, actor.account.id, id).await?;
    Ok(())
}

/// A v1 filter: one phrase in its own v2 filter (titled with the phrase).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V1Change {
    pub phrase: Option<String>,
    pub context: Option<Vec<String>>,
    pub irreversible: Option<bool>,
    pub whole_word: Option<bool>,
    pub expires_in: Option<Option<i64>>,
}

fn v1_action(irreversible: Option<bool>) -> Option<String> {
    irreversible.map(|i| if i { Action::Hide } else { Action::Warn }.as_str().to_string())
}

/// Creates a v1 filter; answers its keyword and filter.
pub async fn create_v1(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    change: V1Change,
) -> Result<(Keyword, Filter), ServiceError> {
    let phrase = check_text(change.phrase.as_deref().unwrap_or(""), "Phrase")?;
    let filter = create(
        conn,
        actor,
        FilterChange {
            title: Some(phrase.clone()),
            context: change.context,
            action: v1_action(change.irreversible),
            expires_in: change.expires_in,
            keywords: vec![KeywordChange {
                keyword: Some(phrase),
                whole_word: change.whole_word,
                ..Default::default()
            }],
        },
    )
    .await?;
    let keyword = filter.keywords.first().cloned().ok_or(ServiceError::NotFound)?;
    Ok((keyword, filter))
}

/// Changes a v1 filter (keyword `id`) and the filter it belongs to.
pub async fn update_v1(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    id: i64,
    change: V1Change,
) -> Result<(Keyword, Filter), ServiceError> {
    let keyword = filters::keyword(conn, actor.account.id, id).await?.ok_or(ServiceError::NotFound)?;
    let filter = update(
        conn,
        actor,
        keyword.filter_id,
        FilterChange {
            title: None,
            context: change.context,
            action: v1_action(change.irreversible),
            expires_in: change.expires_in,
            keywords: vec![KeywordChange {
                id: Some(id),
                keyword: change.phrase,
                whole_word: change.whole_word,
                destroy: false,
            }],
        },
    )
    .await?;
    let keyword = filter.keywords.iter().find(|k| k.id == id).cloned().ok_or(ServiceError::NotFound)?;
    Ok((keyword, filter))
}

/// Deletes a v1 filter: its keyword, and the filter once nothing is left in it.
pub async fn delete_v1(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    let me = actor.account.id;
    let keyword = filters::keyword(conn, me, id).await?.ok_or(ServiceError::NotFound)?;
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        filters::delete_keyword(conn, me, id).await?;
        if let Some(filter) = filters::get(conn, me, keyword.filter_id).await?
            && filter.keywords.is_empty()
            && filter.statuses.is_empty()
        {
            filters::delete(conn, me, filter.row.id).await?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_filters_need_a_title_and_a_context() {
        let change = FilterChange { title: Some(" ".into()), context: Some(vec!["home".into()]), ..Default::default() };
        assert!(fields_of(&change, None).is_err());
        let change = FilterChange { title: Some("t".into()), context: Some(vec![]), ..Default::default() };
        assert!(fields_of(&change, None).is_err());
        let change =
            FilterChange { title: Some("t".into()), context: Some(vec!["nowhere".into()]), ..Default::default() };
        assert!(fields_of(&change, None).is_err());
        let change = FilterChange {
            title: Some("t".into()),
            context: Some(vec!["home".into(), "home".into(), "thread".into()]),
            ..Default::default()
        };
        let fields = fields_of(&change, None).ok();
        assert_eq!(fields.as_ref().map(|f| f.context.clone()), Some(vec!["home".to_string(), "thread".to_string()]));
        assert_eq!(fields.map(|f| f.action), Some("warn".to_string()));
    }

    #[test]
    fn actions_and_expiry_are_checked() {
        let base = FilterChange { title: Some("t".into()), context: Some(vec!["home".into()]), ..Default::default() };
        assert!(fields_of(&FilterChange { action: Some("explode".into()), ..base.clone() }, None).is_err());
        assert!(fields_of(&FilterChange { expires_in: Some(Some(-5)), ..base.clone() }, None).is_err());
        let fields = fields_of(&FilterChange { expires_in: Some(Some(60)), ..base }, None).ok();
        assert!(fields.and_then(|f| f.expires_at).is_some_and(|at| at > Utc::now()));
    }
}
