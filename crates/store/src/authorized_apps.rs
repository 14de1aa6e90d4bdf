//! The OAuth apps a person authorized (those holding live tokens of theirs),
//! for the settings page that lists and revokes them.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId};
use crate::schema::{oauth_applications, oauth_tokens};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One authorized app: its name and site, the scopes its tokens hold, when it was first authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedApp {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    /// The union of the scopes of the account's live tokens of this app.
    pub scopes: Vec<String>,
    pub authorized_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `account`'s authorized apps on `domain`, the most recently authorized first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
) -> Result<Vec<AuthorizedApp>, StoreError> {
    type Row = (i64, String, Option<String>, String, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = oauth_tokens::table
        .inner_join(oauth_applications::table)
        .filter(oauth_tokens::domain_id.eq(domain.0))
        .filter(oauth_applications::domain_id.eq(domain.0))
        .filter(oauth_tokens::account_id.eq(account.0))
        .filter(oauth_tokens::revoked_at.is_null())
        .order(oauth_tokens::created_at.asc())
        .select((
            oauth_applications::id,
            oauth_applications::name,
            oauth_applications::website,
            oauth_tokens::scopes,
            oauth_tokens::created_at,
            oauth_tokens::last_used_at,
        ))
        .load(conn)
        .await?;
    let mut apps: Vec<AuthorizedApp> = Vec::new();
    for (id, name, website, scopes, created_at, last_used_at) in rows {
        let app = match apps.iter_mut().find(|a| a.id == id) {
            Some(app) => app,
            None => {
                apps.push(AuthorizedApp {
                    id,
                    name,
                    website,
                    scopes: Vec::new(),
                    authorized_at: created_at,
                    last_used_at: None,
                });
                let last = apps.len() - 1;
                &mut apps[last]
            }
        };
        for scope in scopes.split_whitespace() {
            if !app.scopes.iter().any(|s| s == scope) {
                app.scopes.push(scope.to_string());
            }
        }
        app.last_used_at = app.last_used_at.max(last_used_at);
    }
    apps.reverse();
    Ok(apps)
}

/// Revokes every live token `account` holds of app `app` on `domain`; how many.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    account: AccountId,
    app: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::domain_id.eq(domain.0))
            .filter(oauth_tokens::account_id.eq(account.0))
            .filter(oauth_tokens::application_id.eq(app))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?)
}
