//! Kererū's pure model: host names, usernames, ids, keys, URLs and the JSON
//! documents of discovery and ActivityPub. Nothing here does I/O, so all of it
//! is unit-testable (and fuzzable) in isolation.

pub mod activitypub;
pub mod activitystreams;
pub mod actor;
pub mod blocks;
pub mod email;
pub mod filters;
pub mod host;
pub mod i18n;
pub mod id;
pub mod keys;
pub mod media;
pub mod nodeinfo;
pub mod quotes;
pub mod rel_me;
pub mod scopes;
pub mod signatures;
pub mod text;
pub mod totp;
pub mod urls;
pub mod username;
pub mod webfinger;
pub mod webhooks;
pub mod webpush;

pub use host::{HostError, HostName};
pub use id::IdGenerator;
pub use urls::{Scheme, TenantUrls};
pub use username::{Username, UsernameError};
