//! Mastodon entities as JSON, built from store rows.

use kereru_core::TenantUrls;
use kereru_core::actor::text_to_html;
use kereru_store::accounts::Account;
use kereru_store::profiles::{Field, Preferences};
use kereru_store::roles::Role;
use serde_json::{Value, json};

/// Mastodon renders an account's `created_at` as the day it was made, at midnight UTC.
fn created_day(account: &Account) -> String {
    account.created_at.format("%Y-%m-%dT00:00:00.000Z").to_string()
}

/// The images a new account shows until it uploads its own.
pub fn default_avatar(urls: &TenantUrls) -> String {
    format!("{}/avatars/original/missing.png", urls.base())
}

pub fn default_header(urls: &TenantUrls) -> String {
    format!("{}/headers/original/missing.png", urls.base())
}

/// Follower, following and status counts (zero until follows and statuses exist).
#[derive(Debug, Default, Clone, Copy)]
pub struct AccountCounts {
    pub followers: i64,
    pub following: i64,
    pub statuses: i64,
}

/// The Account entity of a local account, as seen on its own tenant (so
/// `acct` is the bare username, as Mastodon shows local accounts).
pub fn account(urls: &TenantUrls, account: &Account, counts: AccountCounts) -> Value {
    account_as_seen(urls, account, counts, true, &[])
}

/// A profile field as the Account entity shows it (the value linkified as HTML).
pub fn field_json(field: &Field) -> Value {
    json!({
        "name": field.name,
        "value": kereru_core::actor::field_value_html(&field.value),
        "verified_at": field.verified_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
    })
}

/// The Account entity as a tenant sees it: `urls` are those of the account's
/// own tenant; `local` is whether that is the tenant looking (else `acct`
/// carries the host, as for any remote account).
pub fn account_as_seen(
    urls: &TenantUrls,
    account: &Account,
    counts: AccountCounts,
    local: bool,
    fields: &[Field],
) -> Value {
    let acct = if local { account.username.clone() } else { format!("{}@{}", account.username, urls.account_host) };
    let avatar = match &account.avatar_file {
        Some(name) => super::media::profile_image_url(urls, account.domain_id.map_or(0, |d| d.0), name),
        None => default_avatar(urls),
    };
    let header = match &account.header_file {
        Some(name) => super::media::profile_image_url(urls, account.domain_id.map_or(0, |d| d.0), name),
        None => default_header(urls),
    };
    json!({
        "id": account.id.0.to_string(),
        "username": account.username,
        "acct": acct,
        "display_name": account.display_name,
        "locked": account.locked,
        "bot": account.bot,
        "discoverable": account.discoverable,
        "indexable": account.discoverable,
        "group": false,
        "created_at": created_day(account),
        "note": text_to_html(&account.summary),
        "url": urls.profile_page(&account.username),
        "uri": urls.actor(&account.username),
        "avatar": avatar,
        "avatar_static": avatar,
        "avatar_description": "",
        "header": header,
        "header_static": header,
        "header_description": "",
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": null,
        "hide_collections": account.hide_collections,
        "noindex": false,
        "mute_expires_at": null,
        "show_media": true,
        "show_media_replies": true,
        "show_featured": true,
        "emojis": [],
        "roles": [],
        "fields": fields.iter().map(field_json).collect::<Vec<_>>(),
    })
}

/// The Account entity of a remote account, from what its server published:
/// `note` is stored sanitized HTML; images are the remote ones, or this
/// tenant's default.
pub fn remote_account(viewer_urls: &TenantUrls, account: &Account, counts: AccountCounts) -> Value {
    let host = account.remote_host.as_deref().unwrap_or("");
    let avatar = account.avatar_remote_url.clone().unwrap_or_else(|| default_avatar(viewer_urls));
    let header = account.header_remote_url.clone().unwrap_or_else(|| default_header(viewer_urls));
    let uri = account.uri.clone().unwrap_or_default();
    json!({
        "id": account.id.0.to_string(),
        "username": account.username,
        "acct": format!("{}@{host}", account.username),
        "display_name": account.display_name,
        "locked": account.locked,
        "bot": account.bot,
        "discoverable": account.discoverable,
        "indexable": false,
        "group": false,
        "created_at": created_day(account),
        "note": account.summary,
        "url": account.url.clone().unwrap_or_else(|| uri.clone()),
        "uri": uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "avatar_description": "",
        "header": header,
        "header_static": header,
        "header_description": "",
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": null,
        "hide_collections": account.hide_collections,
        "noindex": false,
        "mute_expires_at": null,
        "show_media": true,
        "show_media_replies": true,
        "show_featured": true,
        "emojis": [],
        "roles": [],
        "fields": [],
    })
}

/// Mastodon's Role entity for a tenant role: its built-in "everyone" (-99),
/// Moderator and Admin roles, with Mastodon's permission bits (Admin:
/// administrator, 1<<0; Moderator: invite users 1<<16, manage users 1<<10,
/// manage reports 1<<4, view dashboard 1<<3, view audit log 1<<2; everyone:
/// invite users).
pub fn role(role: Role) -> Value {
    match role {
        Role::Admin => json!({ "id": "3", "name": "Admin", "permissions": "1", "color": "", "highlighted": true }),
        Role::Moderator => {
            json!({ "id": "2", "name": "Moderator", "permissions": "66588", "color": "", "highlighted": true })
        }
        Role::User => json!({ "id": "-99", "name": "", "permissions": "65536", "color": "", "highlighted": false }),
    }
}

/// The CredentialAccount: the account plus the `source` only its owner sees.
pub fn credential_account(
    urls: &TenantUrls,
    acc: &Account,
    counts: AccountCounts,
    fields: &[Field],
    preferences: &Preferences,
) -> Value {
    let mut value = account_as_seen(urls, acc, counts, true, fields);
    let source_fields: Vec<Value> =
        fields.iter().map(|f| json!({ "name": f.name, "value": f.value, "verified_at": null })).collect();
    value["role"] = role(preferences.role);
    value["source"] = json!({
        "privacy": preferences.default_visibility.as_str(),
        "sensitive": preferences.default_sensitive,
        "language": preferences.default_language,
        "note": acc.summary,
        "fields": source_fields,
        "follow_requests_count": 0,
        "indexable": acc.discoverable,
        "hide_collections": acc.hide_collections,
        "discoverable": acc.discoverable,
        "attribution_domains": [],
        "quote_policy": "public",
    });
    value
}
