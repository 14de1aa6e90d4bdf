//! Every URL a tenant publishes, derived from its hosts and the public scheme.
//! Actor URLs live on the service host; account handles use the account host.

use crate::host::HostName;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrls {
    pub scheme: Scheme,
    pub account_host: HostName,
    pub service_host: HostName,
}

impl TenantUrls {
    /// `service_host` defaults to the account host when the tenant has no separate one.
    pub fn new(scheme: Scheme, account_host: HostName, service_host: Option<HostName>) -> Self {
        let service_host = service_host.unwrap_or_else(|| account_host.clone());
        TenantUrls { scheme, account_host, service_host }
    }

    /// `https://social.example.com`
    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.service_host)
    }

    pub fn delegates_service(&self) -> bool {
        self.account_host != self.service_host
    }

    /// `acct:name@example.com`
    pub fn acct(&self, username: &str) -> String {
        format!("acct:{username}@{}", self.account_host)
    }

    /// `@name@example.com`
    pub fn handle(&self, username: &str) -> String {
        format!("@{username}@{}", self.account_host)
    }

    pub fn actor(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base())
    }

    pub fn actor_key_id(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }

    pub fn inbox(&self, username: &str) -> String {
        format!("{}/inbox", self.actor(username))
    }

    pub fn outbox(&self, username: &str) -> String {
        format!("{}/outbox", self.actor(username))
    }

    pub fn followers(&self, username: &str) -> String {
        format!("{}/followers", self.actor(username))
    }

    pub fn following(&self, username: &str) -> String {
        format!("{}/following", self.actor(username))
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base())
    }

    /// The HTML profile page, what Mastodon calls the account's `url`.
    pub fn profile_page(&self, username: &str) -> String {
        format!("{}/@{username}", self.base())
    }

    pub fn webfinger_template(&self, host: &HostName) -> String {
        format!("{}://{host}/.well-known/webfinger?resource={{uri}}", self.scheme)
    }

    pub fn nodeinfo(&self, host: &HostName, version: &str) -> String {
        format!("{}://{host}/nodeinfo/{version}", self.scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> HostName {
        HostName::parse(s).unwrap()
    }

    #[test]
    fn actor_urls_live_on_the_service_host_and_handles_on_the_account_host() {
        let urls = TenantUrls::new(Scheme::Https, host("example.com"), Some(host("social.example.com")));
        assert!(urls.delegates_service());
        assert_eq!(urls.actor("al"), "https://social.example.com/users/al");
        assert_eq!(urls.inbox("al"), "https://social.example.com/users/al/inbox");
        assert_eq!(urls.actor_key_id("al"), "https://social.example.com/users/al#main-key");
        assert_eq!(urls.shared_inbox(), "https://social.example.com/inbox");
        assert_eq!(urls.acct("al"), "acct:al@example.com");
        assert_eq!(urls.profile_page("al"), "https://social.example.com/@al");
    }

    #[test]
    fn without_service_host_everything_is_on_the_account_host() {
        let urls = TenantUrls::new(Scheme::Http, host("a.test"), None);
        assert!(!urls.delegates_service());
        assert_eq!(urls.actor("x"), "http://a.test/users/x");
    }
}
