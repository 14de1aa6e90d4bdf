//! Kererū's PostgreSQL store: schema, models, queries, pool, migrations, and
//! the private cluster that zero-config runs and tests start.
//!
//! Tenant data is reached only through functions that take a [`DomainId`]:
//! there is no query here that reads one tenant's rows without naming it.

pub mod about;
pub mod account_domain_blocks;
pub mod account_notes;
pub mod account_security;
pub mod account_settings;
pub mod accounts;
pub mod activity;
pub mod admin_actions;
pub mod admin_overview;
pub mod announcements;
pub mod authorized_apps;
pub mod cards;
pub mod cluster;
pub mod conversations;
pub mod directory;
pub mod domain_allows;
pub mod domain_blocks;
pub mod domain_claims;
pub mod domains;
pub mod email_confirmations;
pub mod email_domain_blocks;
pub mod endorsements;
pub mod error;
pub mod filters;
pub mod ids;
pub mod inbound;
pub mod instance_actor;
pub mod interactions;
pub mod invites;
pub mod ip_blocks;
pub mod limited_federation;
pub mod listen;
pub mod lists;
pub mod lookups;
pub mod mail_outbox;
pub mod media;
pub mod media_files;
pub mod media_processing;
pub mod moderation;
pub mod notification_groups;
pub mod notification_policy;
pub mod notification_requests;
pub mod notifications;
pub mod oauth;
pub mod operations;
pub mod page;
pub mod password;
pub mod people;
pub mod plans;
pub mod polls;
pub mod pool;
pub mod profiles;
pub mod provider_keys;
pub mod provisioning;
pub mod push;
pub mod quotas;
pub mod quote_links;
pub mod quotes;
pub mod relationships;
pub mod reports;
pub mod roles;
pub mod scheduled;
pub mod schema;
pub mod statuses;
pub mod suggestions;
pub mod tags;
pub mod terms_of_service;
pub mod thread_mutes;
pub mod tombstones;
pub mod trends;
pub mod usage;
pub mod web_sessions;
pub mod webhooks;

pub use error::StoreError;
pub use ids::{AccountId, DomainId, MediaId, NotificationId, StatusId};
pub use pool::{Connection, Pool};

/// The connection every store function takes (a pooled [`Connection`] derefs to it):
/// callers name it through here and never need diesel themselves.
pub type PgConn = diesel_async::AsyncPgConnection;
