//! Just enough URL parsing to check that an id is http(s) and to compare
//! origins (scheme, host, port), the way a browser's URL parser would for
//! these schemes: `\` ends the authority like `/`, userinfo is not part of
//! the origin, and the default port is the same as no port.

/// The origin of an http(s) URL; `None` for any other scheme or a malformed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub scheme: &'static str,
    pub host: String,
    pub port: u16,
}

/// Whether `url` is an absolute http(s) URL with a host, and nothing a
/// parser would silently strip or reinterpret (whitespace, control characters).
pub fn is_http_url(url: &str) -> bool {
    origin(url).is_some()
}

pub(crate) fn origin(url: &str) -> Option<Origin> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else {
        return None;
    };
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host_port)| host_port);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        let port = if after.is_empty() { None } else { Some(after.strip_prefix(':')?) };
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return None;
        }
        (format!("[{}]", address.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        };
        if host.is_empty() || host.chars().any(|c| "<>\"^`{|}%[]:/\\@".contains(c)) {
            return None;
        }
        (host.to_lowercase(), port)
    };
    let port = match port {
        None | Some("") => default_port,
        Some(port) if port.chars().all(|c| c.is_ascii_digit()) => port.parse().ok()?,
        Some(_) => return None,
    };
    Some(Origin { scheme, host, port })
}

/// Whether two URLs have the same origin (scheme, host, port). Anything not
/// http(s) has no origin, so is never the same as anything.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (origin(a), origin(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_and_what_is_not_one() {
        for good in [
            "https://a.example/users/x",
            "http://ltthostname.local:3334/apub/posts/46",
            "HTTPS://A.Example",
            "https://[::1]:8080/x",
            "https://a.example?x=1",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "",
            "a.example/x",
            "ftp://a.example/x",
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "https://a.example:port/x",
            "https://a.example:99999/",
            "https://a .example/",
            "https://a.example/\nx",
            "https://[zz]/",
            "https://user@/x",
            "tag:mamot.fr,2021-11-05:objectId=64635960:objectType=Conversation",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin("https://a.example/x", "https://A.EXAMPLE:443/y#z"));
        assert!(same_origin("http://a.example/x", "http://a.example:80"));
        assert!(same_origin("https://a.example/x", "https://someone@a.example/y"));
        assert!(!same_origin("https://a.example/x", "http://a.example/x"));
        assert!(!same_origin("https://a.example/x", "https://a.example:8443/x"));
        assert!(!same_origin("https://a.example/x", "https://b.a.example/x"));
        assert!(!same_origin("https://a.example.evil.example/", "https://a.example/"));
        // The userinfo trick: the host is what follows the last '@' of the authority only.
        assert!(same_origin("https://a.example@evil.example/", "https://evil.example/"));
        assert!(!same_origin("https://a.example@evil.example/", "https://a.example/"));
        // A backslash ends the authority, as browsers read it.
        assert!(same_origin("https://evil.example\\@a.example/", "https://evil.example/"));
        assert!(!same_origin("https://evil.example\\@a.example/", "https://a.example/"));
        assert!(!same_origin("mailto:x@a.example", "mailto:x@a.example"));
    }
}
