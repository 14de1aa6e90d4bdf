//! What one `kereru serve` process runs: `[node] roles`. Every node shares
//! one database (queues, certificates, streaming events go through it), so
//! an operator splits the work by giving nodes different roles; the default
//! is every role, as a single-node install wants.

use std::fmt;

/// One kind of work a node can take on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The HTTP/HTTPS listeners (API, pages, inboxes, streaming).
    Web,
    /// Outbound deliveries, Web Push and provider webhooks.
    Deliver,
    /// Processing the activities inboxes accepted.
    Inbound,
    /// Ordering and renewing certificates over ACME.
    AcmeIssuer,
    /// Sending the mail outbox.
    Mail,
    /// Timed and background jobs: scheduled statuses, poll expiry, preview
    /// cards, claim checks, purging deleted tenants.
    Jobs,
    /// Finishing video and audio uploads (needs the uploaded files at hand).
    Media,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Web, Role::Deliver, Role::Inbound, Role::AcmeIssuer, Role::Mail, Role::Jobs, Role::Media];

    pub fn name(self) -> &'static str {
        match self {
            Role::Web => "web",
            Role::Deliver => "deliver",
            Role::Inbound => "inbound",
            Role::AcmeIssuer => "acme-issuer",
            Role::Mail => "mail",
            Role::Jobs => "jobs",
            Role::Media => "media",
        }
    }

    fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name.trim())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RolesError {
    #[error("{0:?} is not a role (known: web, deliver, inbound, acme-issuer, mail, jobs, media)")]
    Unknown(String),
    #[error("name at least one role")]
    Empty,
}

/// The set of roles a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles([bool; Role::ALL.len()]);

impl Default for Roles {
    /// Every role: one node does everything.
    fn default() -> Self {
        Roles([true; Role::ALL.len()])
    }
}

impl Roles {
    pub fn parse(names: &[String]) -> Result<Roles, RolesError> {
        let mut roles = [false; Role::ALL.len()];
        for name in names {
            let role = Role::parse(name).ok_or_else(|| RolesError::Unknown(name.clone()))?;
            roles[role as usize] = true;
        }
        if roles.iter().any(|on| *on) { Ok(Roles(roles)) } else { Err(RolesError::Empty) }
    }

    pub fn has(&self, role: Role) -> bool {
        self.0[role as usize]
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Role::ALL.into_iter().filter(|r| self.has(*r)).map(Role::name).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roles_are_parsed_and_unknown_or_no_roles_refused() {
        let roles = Roles::parse(&names(&["deliver", "acme-issuer"])).unwrap_or_default();
        assert!(roles.has(Role::Deliver) && roles.has(Role::AcmeIssuer));
        assert!(!roles.has(Role::Web) && !roles.has(Role::Inbound));
        assert_eq!(roles.to_string(), "deliver, acme-issuer");
        assert_eq!(Roles::parse(&names(&["web", "cron"])), Err(RolesError::Unknown("cron".into())));
        assert_eq!(Roles::parse(&[]), Err(RolesError::Empty));
        let all = Roles::parse(&Role::ALL.map(|r| r.name().to_string())).unwrap_or_default();
        assert_eq!(all, Roles::default());
    }
}
