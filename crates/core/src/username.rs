//! Local usernames, with Mastodon's rules so that every fediverse server can
//! address them.

use std::fmt;

/// Letters, digits and underscores, with dots and hyphens allowed inside;
/// at most 30 characters. Case is kept for display; uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("the username is empty")]
    Empty,
    #[error("the username is longer than 30 characters")]
    TooLong,
    #[error("`{0}` is not a valid username: use letters, digits and underscores (dots and hyphens only inside)")]
    Invalid(String),
}

pub const MAX_USERNAME_LEN: usize = 30;

impl Username {
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        if input.is_empty() {
            return Err(UsernameError::Empty);
        }
        if input.chars().count() > MAX_USERNAME_LEN {
            return Err(UsernameError::TooLong);
        }
        let inner_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let bytes = input.as_bytes();
        let edges_ok = inner_ok(bytes[0]) && inner_ok(bytes[bytes.len() - 1]);
        let all_ok = bytes.iter().all(|&b| inner_ok(b) || b == b'.' || b == b'-');
        if !(edges_ok && all_ok) {
            return Err(UsernameError::Invalid(input.chars().take(40).collect()));
        }
        Ok(Username(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and lookups use.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mastodon_style_names() {
        for ok in ["alice", "Alice_99", "a", "a.b", "a-b", "_x_", &"z".repeat(30)] {
            assert!(Username::parse(ok).is_ok(), "{ok} refused");
        }
        assert_eq!(Username::parse("Alice").unwrap().canonical(), "alice");
    }

    #[test]
    fn refuses_the_rest() {
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
        assert_eq!(Username::parse(&"z".repeat(31)), Err(UsernameError::TooLong));
        for bad in [".a", "a.", "-a", "a-", "a b", "a@b", "ä", "a/b", "a\n"] {
            assert!(matches!(Username::parse(bad), Err(UsernameError::Invalid(_))), "{bad:?} accepted");
        }
    }
}
