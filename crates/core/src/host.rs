//! Host names of tenants: validated DNS names, stored in their ASCII (punycode) form.

use std::fmt;

/// A valid DNS host name in canonical form: ASCII (IDNs converted with UTS 46),
/// lower case, no trailing dot, at least two labels, not an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host name is empty")]
    Empty,
    #[error("`{0}` is not a valid host name: {1}")]
    Invalid(String, &'static str),
    #[error("`{0}` is an IP address, not a host name")]
    IpAddress(String),
    #[error("`{0}` has an invalid port")]
    BadPort(String),
}

const MAX_HOST_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

impl HostName {
    /// Parses a host name as an admin or a user would type it (`Exämple.COM.`).
    pub fn parse(input: &str) -> Result<Self, HostError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(HostError::Empty);
        }
        let shown = || trimmed.chars().take(80).collect::<String>();
        if trimmed.parse::<std::net::IpAddr>().is_ok() || (trimmed.starts_with('[') && trimmed.ends_with(']')) {
            return Err(HostError::IpAddress(shown()));
        }
        // Plain ASCII is checked strictly below; only IDNs go through UTS 46, so
        // its mapping never turns junk such as `a_b` into something valid.
        let ascii = if trimmed.is_ascii() {
            trimmed.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii_strict(trimmed)
                .map_err(|_| HostError::Invalid(shown(), "not a valid internationalized domain name"))?
        };
        let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_string();
        validate_ascii(&ascii).map_err(|why| HostError::Invalid(shown(), why))?;
        if ascii.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
            return Err(HostError::IpAddress(shown()));
        }
        Ok(HostName(ascii))
    }

    /// Parses the value of an HTTP `Host` header (or an `:authority`): a host
    /// name with an optional port, which is dropped.
    pub fn from_host_header(value: &str) -> Result<Self, HostError> {
        let value = value.trim();
        if value.starts_with('[') {
            return Err(HostError::IpAddress(value.chars().take(80).collect()));
        }
        let host = match value.rsplit_once(':') {
            Some((host, port)) => {
                if port.is_empty() || port.len() > 5 || port.parse::<u16>().is_err() {
                    return Err(HostError::BadPort(value.chars().take(80).collect()));
                }
                host
            }
            None => value,
        };
        if !host.is_ascii() {
            // Browsers and servers send the ASCII form; anything else is malformed.
            return Err(HostError::Invalid(host.chars().take(80).collect(), "not ASCII"));
        }
        Self::parse(host)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn validate_ascii(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("it is empty");
    }
    if host.len() > MAX_HOST_LEN {
        return Err("it is longer than 253 characters");
    }
    let mut labels = 0;
    for label in host.split('.') {
        labels += 1;
        if label.is_empty() {
            return Err("it has an empty label");
        }
        if label.len() > MAX_LABEL_LEN {
            return Err("a label is longer than 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err("only letters, digits, hyphens and dots are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with a hyphen");
        }
    }
    if labels < 2 {
        return Err("it needs at least two labels, like example.com");
    }
    Ok(())
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for HostName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalizes_case_and_trailing_dot() {
        assert_eq!(HostName::parse("Social.Example.COM.").unwrap().as_str(), "social.example.com");
    }

    #[test]
    fn converts_idn_to_ascii() {
        assert_eq!(HostName::parse("bücher.example").unwrap().as_str(), "xn--bcher-kva.example");
        let maori = HostName::parse("Kererū.NZ").unwrap();
        assert!(maori.as_str().starts_with("xn--"), "{maori}");
        assert_eq!(idna::domain_to_unicode(maori.as_str()).0, "kererū.nz");
    }

    #[test]
    fn rejects_invalid_names() {
        for bad in [
            "",
            " ",
            "localhost",
            "a..b",
            ".a.b",
            "a_b.test",
            "-a.test",
            "a-.test",
            "a b.test",
            "a.test/x",
            "a.test:80",
            "@a.test",
            "1.2.3.4",
            "[::1]",
            "::1",
            "a.123",
        ] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long_label = format!("{}.test", "a".repeat(64));
        assert!(HostName::parse(&long_label).is_err());
        let long_name = format!("{}test", "abcdefghi.".repeat(25));
        assert!(long_name.len() > 253);
        assert!(HostName::parse(&long_name).is_err());
    }

    #[test]
    fn host_header_drops_port_and_refuses_junk() {
        assert_eq!(HostName::from_host_header("A.test:8080").unwrap().as_str(), "a.test");
        assert_eq!(HostName::from_host_header("a.test").unwrap().as_str(), "a.test");
        assert!(matches!(HostName::from_host_header("a.test:"), Err(HostError::BadPort(_))));
        assert!(matches!(HostName::from_host_header("a.test:99999"), Err(HostError::BadPort(_))));
        assert!(matches!(HostName::from_host_header("[::1]:80"), Err(HostError::IpAddress(_))));
        assert!(matches!(HostName::from_host_header("127.0.0.1:80"), Err(HostError::IpAddress(_))));
        assert!(HostName::from_host_header("bücher.example").is_err());
        assert!(HostName::from_host_header("a.test:80:80").is_err());
    }
}
