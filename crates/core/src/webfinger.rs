//! WebFinger (RFC 7033) as the fediverse uses it: `acct:` resources and
//! actor URLs in, a JRD out.

use crate::host::HostName;
use serde::Serialize;

/// What a `resource` parameter asks for. Whether the host belongs to the
/// tenant that was asked, and the user exists, is for the caller to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `acct:name@host` (the `acct:` prefix may be missing, as Mastodon allows).
    Account { username: String, host: HostName },
    /// An actor or profile URL: `https://host/users/name` or `https://host/@name`.
    Url { host: HostName, username: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("the resource parameter is missing")]
    Missing,
    #[error("the resource is not an acct: URI or an actor URL")]
    Malformed,
}

impl Resource {
    pub fn parse(resource: &str) -> Result<Self, ResourceError> {
        let resource = resource.trim();
        if resource.is_empty() {
            return Err(ResourceError::Missing);
        }
        if let Some(rest) = resource.strip_prefix("https://").or_else(|| resource.strip_prefix("http://")) {
            let (authority, path) = rest.split_once('/').ok_or(ResourceError::Malformed)?;
            let host = HostName::from_host_header(authority).map_err(|_| ResourceError::Malformed)?;
            let username = path
                .strip_prefix("users/")
                .or_else(|| path.strip_prefix('@'))
                .filter(|name| is_plain_name(name))
                .ok_or(ResourceError::Malformed)?;
            return Ok(Resource::Url { host, username: username.to_string() });
        }
        let acct = resource.strip_prefix("acct:").unwrap_or(resource);
        let acct = acct.strip_prefix('@').unwrap_or(acct);
        let (username, host) = acct.rsplit_once('@').ok_or(ResourceError::Malformed)?;
        if !is_plain_name(username) {
            return Err(ResourceError::Malformed);
        }
        let host = HostName::parse(host).map_err(|_| ResourceError::Malformed)?;
        Ok(Resource::Account { username: username.to_string(), host })
    }

    pub fn host(&self) -> &HostName {
        match self {
            Resource::Account { host, .. } | Resource::Url { host, .. } => host,
        }
    }

    pub fn username(&self) -> &str {
        match self {
            Resource::Account { username, .. } | Resource::Url { username, .. } => username,
        }
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A JSON Resource Descriptor.
#[derive(Debug, Clone, Serialize)]
pub struct Jrd {
    pub subject: String,
    pub aliases: Vec<String>,
    pub links: Vec<JrdLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JrdLink {
    pub rel: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// A URI template (the OStatus subscribe link's `{uri}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

pub const REL_SELF: &str = "self";
pub const REL_PROFILE_PAGE: &str = "http://webfinger.net/rel/profile-page";
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The link whose template other servers send people to, to follow from here.
pub const REL_SUBSCRIBE: &str = "http://ostatus.org/schema/1.0/subscribe";

/// The subscribe link of a tenant whose base URL is `base`: its interaction page.
pub fn subscribe_link(base: &str) -> JrdLink {
    JrdLink {
        rel: REL_SUBSCRIBE.to_string(),
        media_type: None,
        href: None,
        template: Some(format!("{base}/authorize_interaction?uri={{uri}}")),
    }
}

/// The JRD for a local account, shaped like Mastodon's.
pub fn account_jrd(subject: String, profile_page: String, actor: String) -> Jrd {
    Jrd {
        subject,
        aliases: vec![profile_page.clone(), actor.clone()],
        links: vec![
            JrdLink {
                rel: REL_PROFILE_PAGE.to_string(),
                media_type: Some("text/html".to_string()),
                href: Some(profile_page),
                template: None,
            },
            JrdLink {
                rel: REL_SELF.to_string(),
                media_type: Some(ACTIVITY_JSON.to_string()),
                href: Some(actor),
                template: None,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_acct_forms() {
        let want = Resource::Account { username: "alice".into(), host: HostName::parse("a.test").unwrap() };
        assert_eq!(Resource::parse("acct:alice@a.test").unwrap(), want);
        assert_eq!(Resource::parse("alice@A.test").unwrap(), want);
        assert_eq!(Resource::parse("acct:@alice@a.test").unwrap(), want);
    }

    #[test]
    fn parses_actor_and_profile_urls() {
        let want = Resource::Url { username: "bob".into(), host: HostName::parse("s.b.test").unwrap() };
        assert_eq!(Resource::parse("https://s.b.test/users/bob").unwrap(), want);
        assert_eq!(Resource::parse("http://s.b.test:8080/@bob").unwrap(), want);
    }

    #[test]
    fn refuses_malformed_resources() {
        assert_eq!(Resource::parse(""), Err(ResourceError::Missing));
        for bad in [
            "acct:",
            "acct:alice",
            "acct:@a.test",
            "acct:alice@",
            "acct:al ice@a.test",
            "acct:alice@bad_host",
            "https://a.test",
            "https://a.test/",
            "https://a.test/users/",
            "https://a.test/users/a/b",
            "https://a.test/notes/1",
            "mailto:alice@a.test",
            "acct:alice@1.2.3.4",
        ] {
            assert!(Resource::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn jrd_has_self_and_profile_links() {
        let jrd = account_jrd("acct:a@a.test".into(), "https://a.test/@a".into(), "https://a.test/users/a".into());
        let value = serde_json::to_value(&jrd).unwrap();
        assert_eq!(value["links"][1]["rel"], "self");
        assert_eq!(value["links"][1]["type"], "application/activity+json");
        assert_eq!(value["links"][1]["href"], "https://a.test/users/a");
        assert_eq!(value["links"][0]["rel"], REL_PROFILE_PAGE);
    }
}
