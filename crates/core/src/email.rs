//! E-mail addresses of users: checked for shape only (the mail server decides the rest).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid e-mail address")]
pub struct EmailError(pub String);

/// `local@host.tld`, no spaces or control characters, at most 254 bytes.
/// The host part is stored in its ASCII form, like every host name. A host
/// of one label (`ann@localhost`, an intranet's mail host) is accepted, as
/// Mastodon accepts it.
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
    if !host.contains('.') {
        let label = host.to_ascii_lowercase();
        let fits = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        return if fits { Ok(format!("{local}@{label}")) } else { Err(shown()) };
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
        for bad in ["", "ann", "@mail.example", "ann@", "a nn@mail.example", "a@b@c.test", "ann@-local", "ann@lo_cal"] {
            assert!(parse_email(bad).is_err(), "{bad:?} accepted");
        }
        // One label, as Mastodon accepts (its validator allows `localhost` on purpose).
        assert_eq!(parse_email("ann@LocalHost").unwrap(), "ann@localhost");
        assert_eq!(parse_email("ann@intranet").unwrap(), "ann@intranet");
    }
}
