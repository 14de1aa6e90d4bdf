//! Following and featuring hashtags: a name checked as a hashtag, then one
//! store write (in a transaction where a limit is checked first).

use crate::Actor;
use crate::error::ServiceError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kereru_core::text;
use kereru_store::tags::{self, Featured, MAX_FEATURED, Unfeature};

/// Longest tag name accepted.
const MAX_NAME: usize = 100;

/// A hashtag name as a client sends it (`#Kereru`, `kereru`), lower case without
/// the `#`; `None` when it is not a hashtag Kererū would link in a status.
pub fn normalize(name: &str) -> Option<String> {
    let name = name.trim().trim_start_matches('#');
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return None;
    }
    let lower = name.to_lowercase();
    match text::hashtags(&format!("#{name}")).as_slice() {
        [only] if *only == lower => Some(lower),
        _ => None,
    }
}

fn tag_name(name: &str) -> Result<String, ServiceError> {
    normalize(name).ok_or(ServiceError::NotFound)
}

/// Follows a hashtag; the normalized name.
pub async fn follow(conn: &mut AsyncPgConnection, actor: &Actor<'_>, name: &str) -> Result<String, ServiceError> {
    let name = tag_name(name)?;
    conn.transaction(async |conn| -> Result<(), ServiceError> {
        let tag = tags::ensure(conn, &name).await?;
        tags::follow(conn, actor.tenant.id, actor.account.id, tag).await?;
        Ok(())
    })
    .await?;
    Ok(name)
}

/// Stops following a hashtag (nothing happens if it was not followed); the normalized name.
pub async fn unfollow(conn: &mut AsyncPgConnection, actor: &Actor<'_>, name: &str) -> Result<String, ServiceError> {
    let name = tag_name(name)?;
    tags::unfollow(conn, actor.tenant.id, actor.account.id, &name).await?;
    Ok(name)
}

/// Features a hashtag on the actor's profile. `strict` (`POST /api/v1/featured_tags`)
/// refuses an invalid name or one featured already with 422, as Mastodon;
/// otherwise (`POST /api/v1/tags/:name/feature`) featuring twice is fine.
pub async fn feature(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    name: &str,
    strict: bool,
) -> Result<Featured, ServiceError> {
    let name = match normalize(name) {
        Some(name) => name,
        None if strict => return Err(ServiceError::Invalid("Validation failed: Name is invalid".into())),
        None => return Err(ServiceError::NotFound),
    };
    let (tenant, me) = (actor.tenant.id, actor.account.id);
    conn.transaction(async |conn| -> Result<Featured, ServiceError> {
        let tag = tags::ensure(conn, &name).await?;
        let existing = tags::featured(conn, tenant, me, None).await?.into_iter().find(|f| f.name == name);
        if let Some(existing) = existing {
            if strict {
                return Err(ServiceError::Invalid("Validation failed: Name has already been taken".into()));
            }
            return Ok(existing);
        }
        if tags::featured_count(conn, tenant, me).await? >= MAX_FEATURED {
            return Err(ServiceError::Invalid(
                "Validation failed: You have already featured the maximum number of hashtags".into(),
            ));
        }
        let id = tags::feature(conn, tenant, me, tag).await?.ok_or(ServiceError::NotFound)?;
        tags::featured(conn, tenant, me, Some(id)).await?.into_iter().next().ok_or(ServiceError::NotFound)
    })
    .await
}

/// Removes a featured tag by its id (`DELETE /api/v1/featured_tags/:id`: 404 when not the actor's).
pub async fn unfeature_id(conn: &mut AsyncPgConnection, actor: &Actor<'_>, id: i64) -> Result<(), ServiceError> {
    if tags::unfeature(conn, actor.tenant.id, actor.account.id, Unfeature::Id(id)).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Removes a featured tag by name (`POST /api/v1/tags/:name/unfeature`); the normalized name.
pub async fn unfeature_name(
    conn: &mut AsyncPgConnection,
    actor: &Actor<'_>,
    name: &str,
) -> Result<String, ServiceError> {
    let name = tag_name(name)?;
    tags::unfeature(conn, actor.tenant.id, actor.account.id, Unfeature::Name(&name)).await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_normalized_or_refused() {
        assert_eq!(normalize("#Kereru"), Some("kereru".into()));
        assert_eq!(normalize("café_2"), Some("café_2".into()));
        assert_eq!(normalize(" kereru "), Some("kereru".into()));
        for bad in ["", "#", "two words", "a-b", "123", "x".repeat(101).as_str()] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
