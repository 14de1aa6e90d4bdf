//! An account as the social pages list it (search, follow requests, the
//! interaction page): name, handle, avatar, bio and, for a signed-in person,
//! the relationship buttons.

use super::relationship::{self, RelationshipView};
use crate::api::render::Renderer;
use crate::error::WebError;
use crate::tenant::Tenant;
use kereru_store::PgConn;
use kereru_store::accounts::Account;

#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountCard {
    pub id: String,
    /// `name@host`, always with the host.
    pub handle: String,
    pub display_name: String,
    pub avatar: String,
    /// The profile page (on its own server for accounts of other servers).
    pub url: String,
    /// Not an account of this tenant.
    pub elsewhere: bool,
    /// Sanitized HTML (stored sanitized; remote bios are cleaned when fetched).
    pub note: String,
    pub locked: bool,
    pub bot: bool,
    pub relationship: Option<RelationshipView>,
}

/// `account` as a card, with `viewer`'s relationship to it if signed in.
pub async fn card(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<&Account>,
    account: &Account,
) -> Result<AccountCard, WebError> {
    let entity = Renderer::new(tenant, viewer.map(|v| v.id)).account(conn, account).await?;
    let text = |key: &str| entity[key].as_str().unwrap_or("").to_string();
    let acct = text("acct");
    let handle = if acct.contains('@') { acct } else { format!("{acct}@{}", tenant.account_host) };
    let display_name = match text("display_name") {
        name if name.trim().is_empty() => account.username.clone(),
        name => name,
    };
    let relationship = match viewer {
        Some(viewer) => relationship::of(conn, viewer, account, &handle).await?,
        None => None,
    };
    Ok(AccountCard {
        id: account.id.0.to_string(),
        handle,
        display_name,
        avatar: text("avatar"),
        url: text("url"),
        elsewhere: account.domain_id != Some(tenant.id),
        note: text("note"),
        locked: account.locked,
        bot: account.bot,
        relationship,
    })
}

/// Cards of the accounts `ids` this tenant knows, in that order.
pub async fn cards(
    conn: &mut PgConn,
    tenant: &Tenant,
    viewer: Option<&Account>,
    ids: &[i64],
) -> Result<Vec<AccountCard>, WebError> {
    let found = kereru_store::accounts::many_visible(conn, tenant.id, ids).await?;
    let mut out = Vec::with_capacity(found.len());
    for id in ids {
        if let Some(account) = found.iter().find(|a| a.id.0 == *id) {
            out.push(card(conn, tenant, viewer, account).await?);
        }
    }
    Ok(out)
}
