//! Who may quote a status (Mastodon 4.5's quote policies), decided without
//! I/O: the status's policy and visibility, and who is asking.

/// Who may quote a status without asking its author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotePolicy {
    Public,
    Followers,
    Nobody,
}

impl QuotePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotePolicy::Public => "public",
            QuotePolicy::Followers => "followers",
            QuotePolicy::Nobody => "nobody",
        }
    }

    pub fn parse(value: &str) -> Option<QuotePolicy> {
        match value {
            "public" => Some(QuotePolicy::Public),
            "followers" => Some(QuotePolicy::Followers),
            "nobody" => Some(QuotePolicy::Nobody),
            _ => None,
        }
    }
}

/// What a would-be quoter gets: Mastodon's `quote_approval.current_user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Quoting is accepted at once.
    Automatic,
    /// The quoted status's server must be asked (its policy is not known here).
    Unknown,
    Denied,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Automatic => "automatic",
            Approval::Unknown => "unknown",
            Approval::Denied => "denied",
        }
    }
}

/// The facts a decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    /// The status's policy: None when its server did not say (remote).
    pub policy: Option<QuotePolicy>,
    /// Public or unlisted: followers-only and direct posts are quotable by their author alone.
    pub open: bool,
}

impl Quoted {
    /// The policy in force: a closed post is `nobody`'s, whatever was set.
    pub fn effective(self) -> Option<QuotePolicy> {
        if self.open { self.policy } else { Some(QuotePolicy::Nobody) }
    }

    /// Mastodon's `quote_approval.automatic`.
    pub fn automatic(self) -> &'static [&'static str] {
        match self.effective() {
            Some(QuotePolicy::Public) => &["public"],
            Some(QuotePolicy::Followers) => &["followers"],
            Some(QuotePolicy::Nobody) | None => &[],
        }
    }

    /// For someone who is (or is not) the author and follows (or not) the author.
    pub fn approval(self, is_author: bool, follows_author: bool) -> Approval {
        if is_author {
            return Approval::Automatic;
        }
        match self.effective() {
            Some(QuotePolicy::Public) => Approval::Automatic,
            Some(QuotePolicy::Followers) if follows_author => Approval::Automatic,
            Some(QuotePolicy::Followers | QuotePolicy::Nobody) => Approval::Denied,
            None => Approval::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_decide_by_audience_and_closed_posts_are_their_authors_alone() {
        let open = |policy| Quoted { policy, open: true };
        assert_eq!(open(Some(QuotePolicy::Public)).approval(false, false), Approval::Automatic);
        assert_eq!(open(Some(QuotePolicy::Followers)).approval(false, false), Approval::Denied);
        assert_eq!(open(Some(QuotePolicy::Followers)).approval(false, true), Approval::Automatic);
        assert_eq!(open(Some(QuotePolicy::Nobody)).approval(false, true), Approval::Denied);
        assert_eq!(open(Some(QuotePolicy::Nobody)).approval(true, false), Approval::Automatic);
        assert_eq!(open(None).approval(false, true), Approval::Unknown);
        let closed = Quoted { policy: Some(QuotePolicy::Public), open: false };
        assert_eq!(closed.approval(false, true), Approval::Denied);
        assert_eq!(closed.approval(true, false), Approval::Automatic);
        assert!(closed.automatic().is_empty());
        assert_eq!(open(Some(QuotePolicy::Followers)).automatic(), ["followers"]);
        for policy in [QuotePolicy::Public, QuotePolicy::Followers, QuotePolicy::Nobody] {
            assert_eq!(QuotePolicy::parse(policy.as_str()), Some(policy));
        }
        assert_eq!(QuotePolicy::parse("everyone"), None);
    }
}
