//! E-mail addresses of users: checked for shape only (the mail server decides the rest).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid e-mail address")]
pub struct EmailError(pub String);

/// `local@host.tld`, no spaces or control characters, at most 254 bytes.
/// The host part is stored in its ASCII form, like every host name.
pub fn parse_email(input: &str) -> Result<String, EmailError> {
    let input = input.trim();
    let shown = || EmailError(input.chars().take(80).collect());
    if input.len() > 254 {
        return Err(shown());
    }
    let (local, host) = input.rsplit_once('@').ok_or_else(shown)?;
    if local.is_empty() || local.len() > 64 || local.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@') {
        return Err(shown());
    }
    let host = crate::HostName::parse(host).map_err(|_| shown())?;
    Ok(format!("{local}@{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_shape_and_normalizes_the_host() {
        assert_eq!(parse_email("Ann@Mail.Example").unwrap(), "Ann@mail.example");
        for bad in ["", "ann", "@mail.example", "ann@", "a nn@mail.example", "ann@localhost", "a@b@c.test"] {
            assert!(parse_email(bad).is_err(), "{bad:?} accepted");
        }
    }
}
