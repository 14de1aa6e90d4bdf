//! Turning rows into Mastodon entities for one viewer on one tenant, in
//! batches (authors, boosted statuses, counts and the viewer's own flags
//! are loaded once per page, not once per status).

use super::entities::{self, AccountCounts};
use super::filtering::{self, Verdict};
use crate::error::WebError;
use crate::tenant::Tenant;
use kereru_core::filters::Context;
use kereru_core::{Scheme, TenantUrls};
use kereru_store::PgConn;
use kereru_store::accounts::{self, Account};
use kereru_store::domains::{self, Domain};
use kereru_store::filters::Filter;
use kereru_store::ids::{AccountId, DomainId, StatusId};
use kereru_store::notifications::Notification;
use kereru_store::relationships;
use kereru_store::statuses::{self, Status};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Mastodon's timestamp format: milliseconds, UTC, `Z`.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub struct Renderer<'a> {
    tenant: &'a Tenant,
    scheme: Scheme,
    viewer: Option<AccountId>,
    domains: HashMap<DomainId, Domain>,
    /// Where the statuses are shown, for the viewer's filters; none: unfiltered.
    context: Option<Context>,
    /// The viewer's filters for `context`, loaded on first use.
    filters: Option<Vec<Filter>>,
}

impl<'a> Renderer<'a> {
    pub fn new(tenant: &'a Tenant, viewer: Option<AccountId>) -> Self {
        let mut domains = HashMap::new();
        domains.insert(tenant.id, tenant.domain.clone());
        Renderer { tenant, scheme: tenant.urls.scheme, viewer, domains, context: None, filters: None }
    }

    /// Applies the viewer's filters for `context` to the statuses rendered from now on.
    pub fn in_context(mut self, context: Context) -> Self {
        self.set_context(context);
        self
    }

    /// [`Renderer::in_context`] for a renderer in use.
    pub fn set_context(&mut self, context: Context) {
        self.context = Some(context);
        self.filters = None;
    }

    async fn active_filters(&mut self, conn: &mut PgConn) -> Result<(Context, &[Filter]), WebError> {
        let (Some(context), Some(viewer)) = (self.context, self.viewer) else { return Ok((Context::Home, &[])) };
        if self.filters.is_none() {
            self.filters = Some(kereru_store::filters::active(conn, viewer, context.as_str()).await?);
        }
        Ok((context, self.filters.as_deref().unwrap_or(&[])))
    }

    async fn urls_of(&mut self, conn: &mut PgConn, domain: DomainId) -> Result<TenantUrls, WebError> {
        if let Some(known) = self.domains.get(&domain) {
            return Ok(known.urls(self.scheme));
        }
        let loaded = domains::get(conn, domain).await?;
        let urls = loaded.urls(self.scheme);
        self.domains.insert(domain, loaded);
        Ok(urls)
    }

    pub async fn account(&mut self, conn: &mut PgConn, account: &Account) -> Result<Value, WebError> {
        let Some(tenant) = account.domain_id else {
            // A remote account: what its server published, shown as Mastodon shows remote accounts.
            let (followers, following) = relationships::follow_counts(conn, account.id).await?;
            let counts = AccountCounts { followers, following, statuses: 0 };
            return Ok(entities::remote_account(&self.tenant.urls, account, counts));
        };
        let urls = self.urls_of(conn, tenant).await?;
        let (followers, following) = relationships::follow_counts(conn, account.id).await?;
        let statuses = accounts::status_count(conn, account.id).await?;
        let counts = AccountCounts { followers, following, statuses };
        let local = tenant == self.tenant.id;
        let fields = kereru_store::profiles::fields(conn, account.id).await?;
        let mut value = entities::account_as_seen(&urls, account, counts, local, &fields);
        // `indexable` once set through update_credentials; before, it follows `discoverable`.
        if let Some(indexable) =
            kereru_store::account_settings::indexable_of(conn, &[account.id.0]).await?.get(&account.id.0)
        {
            value["indexable"] = (*indexable).into();
        }
        Ok(value)
    }

    /// Accounts by id in the given order, leaving out those this tenant doesn't know.
    pub async fn accounts_by_id(&mut self, conn: &mut PgConn, ids: &[i64]) -> Result<Vec<Value>, WebError> {
        let found = accounts::many_visible(conn, self.tenant.id, ids).await?;
        let by_id: HashMap<i64, Account> = found.into_iter().map(|a| (a.id.0, a)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(account) = by_id.get(id) {
                out.push(self.account(conn, account).await?);
            }
        }
        Ok(out)
    }

    pub async fn status(&mut self, conn: &mut PgConn, status: Status) -> Result<Value, WebError> {
        self.statuses(conn, vec![status]).await?.into_iter().next().ok_or_else(|| WebError::Internal("render".into()))
    }

    /// One status, or none when the viewer's filters for the renderer's context hide it.
    pub async fn status_unless_hidden(&mut self, conn: &mut PgConn, status: Status) -> Result<Option<Value>, WebError> {
        Ok(self.statuses(conn, vec![status]).await?.into_iter().next())
    }

    pub async fn statuses(&mut self, conn: &mut PgConn, list: Vec<Status>) -> Result<Vec<Value>, WebError> {
        // Boosted statuses render nested; load them with the rest.
        let boosted_ids: Vec<StatusId> = list.iter().filter_map(|s| s.reblog_of_id).collect();
        let mut boosted: HashMap<StatusId, Status> = HashMap::new();
        for id in boosted_ids {
            if let Some(original) = statuses::get_unchecked(conn, id).await? {
                boosted.insert(id, original);
            }
        }
        let page: Vec<&Status> = list.iter().chain(boosted.values()).collect();
        // Quoted statuses render nested too.
        let (quotes, quoted) = super::quotes::Quotes::load(conn, self.tenant.id, self.viewer, &page).await?;
        let all: Vec<&Status> = page.into_iter().chain(quoted.iter()).collect();
        let ids: Vec<StatusId> = all.iter().map(|s| s.id).collect();
        let counts = statuses::counts(conn, &ids).await?;
        let flags = match self.viewer {
            Some(viewer) => statuses::viewer_flags(conn, viewer, &ids).await?,
            None => HashMap::new(),
        };
        let mention_rows = statuses::mentioned_accounts(conn, &ids).await?;
        // Media live with their author's tenant and are served from its host.
        let mut by_domain: HashMap<DomainId, Vec<StatusId>> = HashMap::new();
        for status in &all {
            if let Some(domain) = status.domain_id {
                by_domain.entry(domain).or_default().push(status.id);
            }
        }
        let mut media_json: HashMap<StatusId, Vec<Value>> = HashMap::new();
        for (domain, status_ids) in by_domain {
            let urls = self.urls_of(conn, domain).await?;
            for (status, list) in kereru_store::media::for_statuses(conn, domain, &status_ids).await? {
                media_json.insert(status, list.iter().map(|m| super::media::attachment_json(&urls, m)).collect());
            }
        }
        let remote_ids: Vec<StatusId> = all.iter().filter(|s| s.domain_id.is_none()).map(|s| s.id).collect();
        if !remote_ids.is_empty() {
            // Not from a host whose media this tenant rejects.
            let rejected = kereru_store::domain_blocks::media_rejected(conn, self.tenant.id, &remote_ids).await?;
            for attachment in statuses::remote_attachments(conn, &remote_ids).await? {
                if rejected.contains(&attachment.status_id) {
                    continue;
                }
                media_json
                    .entry(attachment.status_id)
                    .or_default()
                    .push(super::media::remote_attachment_json(&attachment));
            }
        }
        let mut cards = kereru_store::cards::for_statuses(conn, &ids).await?;
        let tag_rows = statuses::tags_of(conn, &ids).await?;
        let mut polls = super::polls::for_statuses(conn, &ids, self.viewer).await?;
        // Statuses in threads the viewer muted say so.
        let muted = match self.viewer {
            Some(viewer) => kereru_store::thread_mutes::muted_among(conn, viewer, &ids).await?,
            None => Default::default(),
        };
        let mut author_ids: Vec<AccountId> = all.iter().map(|s| s.account_id).collect();
        author_ids.extend(mention_rows.iter().map(|(_, a)| *a));
        author_ids.sort_unstable();
        author_ids.dedup();
        let mut authors: HashMap<AccountId, (Account, Value)> = HashMap::new();
        // Authors this tenant's staff marked sensitive: their posts show as sensitive.
        let mut sensitized: std::collections::HashSet<AccountId> = std::collections::HashSet::new();
        for id in author_ids {
            if kereru_store::moderation::verdict(conn, self.tenant.id, id).await?.sensitized_at.is_some() {
                sensitized.insert(id);
            }
            if let Some(account) = accounts::get_unchecked(conn, id).await? {
                let value = self.account(conn, &account).await?;
                authors.insert(id, (account, value));
            }
        }
        let mut rendered: HashMap<StatusId, Value> = HashMap::new();
        for status in all.iter() {
            let Some((author, author_json)) = authors.get(&status.account_id) else { continue };
            let page_url = match author.domain_id {
                Some(author_tenant) => {
                    let urls = self.urls_of(conn, author_tenant).await?;
                    Some(format!("{}/{}", urls.profile_page(&author.username), status.id))
                }
                // A remote status links to its page on its server.
                None => status.url.clone().or_else(|| Some(status.uri.clone())),
            };
            let c = counts.get(&status.id).copied().unwrap_or_default();
            let f = flags.get(&status.id).copied().unwrap_or_default();
            let mentions: Vec<Value> = mention_rows
                .iter()
                .filter(|(s, _)| *s == status.id)
                .filter_map(|(_, a)| authors.get(a))
                .map(|(account, json)| {
                    json!({ "id": account.id.0.to_string(), "username": account.username, "acct": json["acct"], "url": json["url"] })
                })
                .collect();
            let tags: Vec<Value> = tag_rows
                .iter()
                .filter(|(s, _)| *s == status.id)
                .map(|(_, name)| json!({ "name": name, "url": format!("{}/tags/{name}", self.tenant.urls.base()) }))
                .collect();
            let url = if status.reblog_of_id.is_none() { page_url } else { None };
            let mut value = json!({
                "id": status.id.to_string(),
                "uri": status.uri,
                "url": url,
                "created_at": timestamp(status.created_at),
                "edited_at": status.edited_at.map(timestamp),
                "account": author_json,
                "content": status.content,
                "visibility": status.visibility.as_str(),
                "sensitive": status.sensitive || sensitized.contains(&status.account_id),
                "spoiler_text": status.spoiler_text,
                "language": status.language,
                "in_reply_to_id": status.in_reply_to_id.map(|id| id.to_string()),
                "in_reply_to_account_id": status.in_reply_to_account_id.map(|id| id.to_string()),
                "reblog": null,
                "replies_count": c.replies,
                "reblogs_count": c.reblogs,
                "favourites_count": c.favourites,
                "quotes_count": 0,
                "mentions": mentions,
                "tags": tags,
                "emojis": [],
                "media_attachments": media_json.remove(&status.id).unwrap_or_default(),
                "card": cards.remove(&status.id).as_ref().map(super::cards::card_json),
                "poll": polls.remove(&status.id),
                "quote": null,
                "quote_approval": null,
                "tagged_collections": [],
                "filtered": [],
            });
            quotes.decorate(status, self.viewer, &mut value);
            if let Some(viewer) = self.viewer {
                value["favourited"] = f.favourited.into();
                value["reblogged"] = f.reblogged.into();
                value["bookmarked"] = f.bookmarked.into();
                value["muted"] = muted.contains(&status.id).into();
                if status.account_id == viewer {
                    value["pinned"] = f.pinned.into();
                }
            }
            rendered.insert(status.id, value);
        }
        quotes.attach(&mut rendered);
        let viewer_id = self.viewer.map(|v| v.0.to_string());
        let (context, active) = self.active_filters(conn).await?;
        let mut out = Vec::with_capacity(list.len());
        for status in &list {
            let Some(mut value) = rendered.get(&status.id).cloned() else { continue };
            if let Some(original) = status.reblog_of_id.and_then(|id| rendered.get(&id)) {
                value["reblog"] = original.clone();
                // A boost shows what it boosts: Mastodon copies these over.
                for key in ["favourited", "reblogged", "bookmarked"] {
                    if let Some(v) = original.get(key) {
                        value[key] = v.clone();
                    }
                }
            }
            // Filters judge what is shown: the boosted status for a boost.
            let proper = if value["reblog"].is_object() { &value["reblog"] } else { &value };
            // As Mastodon, a person's own posts are never filtered.
            let own = viewer_id.is_some() && proper["account"]["id"].as_str() == viewer_id.as_deref();
            let verdict = if own { Verdict::Show } else { filtering::judge(active, context, proper) };
            match verdict {
                Verdict::Show => {}
                Verdict::Hide => continue,
                Verdict::Warn(results) => {
                    if value["reblog"].is_object() {
                        value["reblog"]["filtered"] = Value::Array(results.clone());
                    }
                    value["filtered"] = Value::Array(results);
                }
            }
            out.push(value);
        }
        Ok(out)
    }

    pub async fn notifications(&mut self, conn: &mut PgConn, list: Vec<Notification>) -> Result<Vec<Value>, WebError> {
        let mut out = Vec::with_capacity(list.len());
        for n in list {
            let Some(from) = accounts::get_unchecked(conn, n.from_account_id).await? else { continue };
            let account = self.account(conn, &from).await?;
            let status = match n.status_id {
                Some(id) => match statuses::visible_one(conn, self.tenant.id, self.viewer, id).await? {
                    Some(status) => match self.status_unless_hidden(conn, status).await? {
                        Some(value) => Some(value),
                        // A status a filter hides takes its notification with it.
                        None => continue,
                    },
                    // A status the viewer can no longer see takes its notification with it.
                    None => continue,
                },
                None => None,
            };
            let group_key = kereru_store::notification_groups::key(&n);
            let mut value = json!({
                "id": n.id.to_string(),
                "type": n.kind,
                "created_at": timestamp(n.created_at),
                "account": account,
                "group_key": group_key,
            });
            if let Some(status) = status {
                value["status"] = status;
            }
            out.push(value);
        }
        Ok(out)
    }
}

/// The Relationship entity.
pub fn relationship(r: &relationships::Relationship) -> Value {
    json!({
        "id": r.id.to_string(),
        "following": r.following,
        "showing_reblogs": r.showing_reblogs,
        "notifying": r.notifying,
        "languages": null,
        "followed_by": r.followed_by,
        "blocking": r.blocking,
        "blocked_by": r.blocked_by,
        "muting": r.muting,
        "muting_notifications": r.muting_notifications,
        "muting_expires_at": r.muting_expires_at.map(timestamp),
        "requested": r.requested,
        "requested_by": r.requested_by,
        "domain_blocking": r.domain_blocking,
        "endorsed": r.endorsed,
        "note": r.note,
    })
}
