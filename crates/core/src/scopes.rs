//! OAuth scopes as Mastodon defines them: `read`, `write`, `follow`, `push`,
//! `profile`, their fine-grained forms (`read:statuses`, ...) and the admin ones.

use std::collections::BTreeSet;
use std::fmt;

const TOP_LEVEL: &[&str] = &["read", "write", "follow", "push", "profile"];

const READ: &[&str] = &[
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
];
const WRITE: &[&str] = &[
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
];
const ADMIN_READ: &[&str] = &[
    "accounts",
    "reports",
    "domain_allows",
    "domain_blocks",
    "ip_blocks",
    "email_domain_blocks",
    "canonical_email_blocks",
];
const ADMIN_WRITE: &[&str] = ADMIN_READ;

/// What the legacy `follow` scope stands for.
const FOLLOW_MEANS: &[&str] =
    &["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"];

/// A set of granted or requested scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct ScopeError(pub String);

fn is_known(scope: &str) -> bool {
    if TOP_LEVEL.contains(&scope) || scope == "admin:read" || scope == "admin:write" {
        return true;
    }
    let Some((group, name)) = scope.rsplit_once(':') else { return false };
    match group {
        "read" => READ.contains(&name),
        "write" => WRITE.contains(&name),
        "admin:read" => ADMIN_READ.contains(&name),
        "admin:write" => ADMIN_WRITE.contains(&name),
        _ => false,
    }
}

impl Scopes {
    /// Parses a space-separated list (`+` also separates, as in form bodies
    /// some clients send). An empty list means `read`, as in Mastodon.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for scope in text.split([' ', '+', ',']).filter(|s| !s.is_empty()) {
            if !is_known(scope) {
                return Err(ScopeError(scope.chars().take(60).collect()));
            }
            set.insert(scope.to_string());
        }
        if set.is_empty() {
            set.insert("read".to_string());
        }
        Ok(Scopes(set))
    }

    /// Whether these scopes grant `required` (a fine-grained or top-level scope).
    pub fn allows(&self, required: &str) -> bool {
        if self.0.contains(required) {
            return true;
        }
        // `read` grants `read:statuses`; `admin:read` grants `admin:read:accounts`.
        if let Some((group, _)) = required.rsplit_once(':')
            && self.0.contains(group)
        {
            return true;
        }
        self.0.contains("follow") && FOLLOW_MEANS.contains(&required)
    }

    /// Every scope in `self` is granted by `granted` (requests may not exceed an app's scopes).
    pub fn within(&self, granted: &Scopes) -> bool {
        self.0.iter().all(|scope| granted.allows(scope) || (scope == "follow" && granted.0.contains("follow")))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// A scope an endpoint requires, named by the type system instead of a
/// string: the fine-grained scopes Kererū's endpoints check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    ReadAccounts,
    WriteAccounts,
    ReadBlocks,
    WriteBlocks,
    ReadBookmarks,
    WriteBookmarks,
    ReadFavourites,
    WriteFavourites,
    ReadFollows,
    WriteFollows,
    WriteMedia,
    ReadMutes,
    WriteMutes,
    ReadNotifications,
    WriteNotifications,
    ReadStatuses,
    WriteStatuses,
    ReadFilters,
    WriteFilters,
    WriteReports,
    WriteConversations,
    ReadLists,
    WriteLists,
    AdminReadAccounts,
    AdminWriteAccounts,
    AdminReadReports,
    AdminWriteReports,
    AdminReadDomainBlocks,
    AdminWriteDomainBlocks,
    AdminReadDomainAllows,
    AdminWriteDomainAllows,
    AdminReadEmailDomainBlocks,
    AdminWriteEmailDomainBlocks,
    AdminReadIpBlocks,
    AdminWriteIpBlocks,
    Push,
}

impl Scope {
    pub const ALL: [Scope; 36] = [
        Scope::ReadAccounts,
        Scope::WriteAccounts,
        Scope::ReadBlocks,
        Scope::WriteBlocks,
        Scope::ReadBookmarks,
        Scope::WriteBookmarks,
        Scope::ReadFavourites,
        Scope::WriteFavourites,
        Scope::ReadFollows,
        Scope::WriteFollows,
        Scope::WriteMedia,
        Scope::ReadMutes,
        Scope::WriteMutes,
        Scope::ReadNotifications,
        Scope::WriteNotifications,
        Scope::ReadStatuses,
        Scope::WriteStatuses,
        Scope::ReadFilters,
        Scope::WriteFilters,
        Scope::WriteReports,
        Scope::WriteConversations,
        Scope::ReadLists,
        Scope::WriteLists,
        Scope::AdminReadAccounts,
        Scope::AdminWriteAccounts,
        Scope::AdminReadReports,
        Scope::AdminWriteReports,
        Scope::AdminReadDomainBlocks,
        Scope::AdminWriteDomainBlocks,
        Scope::AdminReadDomainAllows,
        Scope::AdminWriteDomainAllows,
        Scope::AdminReadEmailDomainBlocks,
        Scope::AdminWriteEmailDomainBlocks,
        Scope::AdminReadIpBlocks,
        Scope::AdminWriteIpBlocks,
        Scope::Push,
    ];

    /// Mastodon's name for it (`read:statuses`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadAccounts => "read:accounts",
            Scope::WriteAccounts => "write:accounts",
            Scope::ReadBlocks => "read:blocks",
            Scope::WriteBlocks => "write:blocks",
            Scope::ReadBookmarks => "read:bookmarks",
            Scope::WriteBookmarks => "write:bookmarks",
            Scope::ReadFavourites => "read:favourites",
            Scope::WriteFavourites => "write:favourites",
            Scope::ReadFollows => "read:follows",
            Scope::WriteFollows => "write:follows",
            Scope::WriteMedia => "write:media",
            Scope::ReadMutes => "read:mutes",
            Scope::WriteMutes => "write:mutes",
            Scope::ReadNotifications => "read:notifications",
            Scope::WriteNotifications => "write:notifications",
            Scope::ReadStatuses => "read:statuses",
            Scope::WriteStatuses => "write:statuses",
            Scope::ReadFilters => "read:filters",
            Scope::WriteFilters => "write:filters",
            Scope::WriteReports => "write:reports",
            Scope::WriteConversations => "write:conversations",
            Scope::ReadLists => "read:lists",
            Scope::WriteLists => "write:lists",
            Scope::AdminReadAccounts => "admin:read:accounts",
            Scope::AdminWriteAccounts => "admin:write:accounts",
            Scope::AdminReadReports => "admin:read:reports",
            Scope::AdminWriteReports => "admin:write:reports",
            Scope::AdminReadDomainBlocks => "admin:read:domain_blocks",
            Scope::AdminWriteDomainBlocks => "admin:write:domain_blocks",
            Scope::AdminReadDomainAllows => "admin:read:domain_allows",
            Scope::AdminWriteDomainAllows => "admin:write:domain_allows",
            Scope::AdminReadEmailDomainBlocks => "admin:read:email_domain_blocks",
            Scope::AdminWriteEmailDomainBlocks => "admin:write:email_domain_blocks",
            Scope::AdminReadIpBlocks => "admin:read:ip_blocks",
            Scope::AdminWriteIpBlocks => "admin:write:ip_blocks",
            Scope::Push => "push",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Scopes {
    /// Whether these scopes grant `scope` (directly, or through `read`, `write` or `follow`).
    pub fn grants(&self, scope: Scope) -> bool {
        self.allows(scope.as_str())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<&str> = self.iter().collect();
        f.write_str(&list.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broad_scopes_grant_their_fine_grained_parts() {
        let scopes = Scopes::parse("read write:statuses follow").unwrap();
        assert!(scopes.allows("read:accounts"));
        assert!(scopes.allows("write:statuses"));
        assert!(!scopes.allows("write:media"));
        assert!(scopes.allows("write:follows"), "follow grants write:follows");
        assert!(!scopes.allows("push"));
        assert!(Scopes::parse("admin:read").unwrap().allows("admin:read:accounts"));
    }

    #[test]
    fn every_typed_scope_is_a_known_one() {
        for scope in Scope::ALL {
            assert!(is_known(scope.as_str()), "{scope}");
        }
        let scopes = Scopes::parse("read follow").unwrap();
        assert!(scopes.grants(Scope::ReadStatuses));
        assert!(scopes.grants(Scope::WriteBlocks), "follow grants write:blocks");
        assert!(!scopes.grants(Scope::WriteStatuses));
    }

    #[test]
    fn parse_defaults_to_read_and_refuses_unknown_scopes() {
        assert_eq!(Scopes::parse("").unwrap().to_string(), "read");
        assert_eq!(Scopes::parse("write+read").unwrap().to_string(), "read write");
        assert!(Scopes::parse("read:everything").is_err());
        assert!(Scopes::parse("sudo").is_err());
    }

    #[test]
    fn requested_scopes_must_be_within_the_granted_ones() {
        let app = Scopes::parse("read write").unwrap();
        assert!(Scopes::parse("read:statuses write").unwrap().within(&app));
        assert!(!Scopes::parse("read push").unwrap().within(&app));
        assert!(!Scopes::parse("follow").unwrap().within(&app));
    }
}
