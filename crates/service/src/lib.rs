//! The service layer: every action a person takes — post, reply, delete,
//! follow, favourite, boost, bookmark, pin, block, mute — as one function
//! and one transaction. The client API calls these; federation will extend
//! them to remote servers.
//!
//! Tenants on one host reach each other here as remote servers would: an
//! action delivers to the tenants it concerns ([`deliver`]), which then know
//! the status and its author; nothing is shared otherwise.

pub mod account_mails;
pub mod account_security;
pub mod accounts;
pub mod announcements;
pub mod authorized_apps;
pub mod blocks;
pub mod cards;
pub mod claims;
pub mod compose;
pub mod deliver;
pub mod email_confirmations;
pub mod error;
pub mod events;
pub mod federation;
pub mod follows;
pub mod imports;
pub mod interaction;
pub mod invites;
pub mod limited_federation;
pub mod lists;
pub mod mail;
pub mod media;
pub mod media_av;
pub mod media_files;
pub mod moderation;
pub mod notification_policy;
pub mod plans;
pub mod polls;
pub mod profiles;
pub mod provider;
pub mod push;
pub mod quota_notice;
pub mod quotes;
pub mod reports;
pub mod resolve;
pub mod safety;
pub mod scheduled;
pub mod sessions;
pub mod social;
pub mod staff;
pub mod statuses;
pub mod tags;
pub mod tenant_admin;
pub mod tenants;
pub mod usage;
pub mod verify_links;
pub mod webhooks;

pub use error::ServiceError;
pub use events::Event;

use kereru_core::{Scheme, TenantUrls};
use kereru_store::accounts::Account;
use kereru_store::domains::Domain;

/// Who acts: a local account on its tenant.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub tenant: &'a Domain,
    pub account: &'a Account,
    pub scheme: Scheme,
}

impl Actor<'_> {
    pub fn urls(&self) -> TenantUrls {
        self.tenant.urls(self.scheme)
    }
}
