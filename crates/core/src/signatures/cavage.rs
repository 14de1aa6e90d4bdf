//! draft-cavage-http-signatures-12, the `Signature` header the fediverse
//! has used since 2017: parsing, the signing string, verification, and
//! Mastodon-compatible signing (rsa-sha256).

use std::time::SystemTime;

use super::algorithm::{self, Algorithm};
use super::digest::{check_content_digest_header, check_digest_header, digest_header};
use super::http_date;
use super::keys::{PublicKeyKind, SigningKey, VerifyingKey};
use super::structured::is_tchar;
use super::{
    RequestParts, SignatureError, Signer, VerifyPolicy, base64_encode, base64_lenient, combined_header_value,
    unix_seconds,
};
use base64::Engine;

const REQUEST_TARGET: &str = "(request-target)";
const CREATED: &str = "(created)";
const EXPIRES: &str = "(expires)";

/// The `algorithm` parameter values accepted, as by Mastodon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CavageAlgorithm {
    RsaSha256,
    /// "Derive from the key": RSA keys verify as rsa-sha256 (what every
    /// hs2019 sender in the fediverse means), Ed25519 keys as Ed25519.
    Hs2019,
}

/// A parsed draft-cavage `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CavageSignature {
    key_id: String,
    algorithm: CavageAlgorithm,
    covered: Vec<String>,
    signature: Vec<u8>,
    created: Option<String>,
    expires: Option<String>,
}

impl CavageSignature {
    /// Reads the `Signature` header, or `Authorization: Signature ...`.
    pub fn from_request(request: &RequestParts<'_>) -> Result<Self, SignatureError> {
        let mut signatures = request.header_values("signature");
        if let Some(value) = signatures.next() {
            if signatures.next().is_some() {
                return Err(SignatureError::Malformed("more than one Signature header"));
            }
            return Self::parse(value);
        }
        let authorization = request
            .header_values("authorization")
            .find_map(|value| strip_scheme(value.trim_start()))
            .ok_or(SignatureError::NotSigned)?;
        Self::parse(authorization)
    }

    /// Parses a `Signature` header value (or the parameters of an
    /// `Authorization: Signature` credential). Quoted values may contain
    /// commas; unknown parameters are ignored; repeated ones are refused.
    pub fn parse(value: &str) -> Result<Self, SignatureError> {
        // Old node-http-signature prefixed the header with the scheme name.
        let value = strip_scheme(value.trim_start()).unwrap_or(value);
        let params = parse_params(value)?;
        let find = |name: &str| params.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());

        let key_id = find("keyId").filter(|v| !v.is_empty()).ok_or(SignatureError::MissingParameter("keyId"))?;
        let signature_b64 =
            find("signature").filter(|v| !v.is_empty()).ok_or(SignatureError::MissingParameter("signature"))?;
        let signature = base64_lenient()
            .decode(signature_b64.trim())
            .map_err(|_| SignatureError::Malformed("signature is not base64"))?;
        let algorithm = match find("algorithm") {
            None => CavageAlgorithm::Hs2019,
            Some(name) if name.eq_ignore_ascii_case("hs2019") => CavageAlgorithm::Hs2019,
            Some(name) if name.eq_ignore_ascii_case("rsa-sha256") => CavageAlgorithm::RsaSha256,
            Some(name) => return Err(SignatureError::UnsupportedAlgorithm(name)),
        };
        // The draft's default is (created); rsa-sha256 senders predate it and
        // meant date, as Mastodon reads it.
        let covered = match find("headers") {
            Some(list) => list.split_ascii_whitespace().map(str::to_ascii_lowercase).collect(),
            None if algorithm == CavageAlgorithm::RsaSha256 => vec!["date".to_owned()],
            None => vec![CREATED.to_owned()],
        };
        Ok(Self { key_id, algorithm, covered, signature, created: find("created"), expires: find("expires") })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn algorithm(&self) -> CavageAlgorithm {
        self.algorithm
    }

    /// The covered header names, lower-cased, in signing order.
    pub fn covered(&self) -> &[String] {
        &self.covered
    }

    fn covers(&self, name: &str) -> bool {
        self.covered.iter().any(|covered| covered == name)
    }

    /// Verifies against `request` with the key named by [`Self::key_id`].
    pub fn verify(
        &self,
        request: &RequestParts<'_>,
        key: &VerifyingKey,
        now: SystemTime,
        policy: &VerifyPolicy,
    ) -> Result<(), SignatureError> {
        let algorithm = self.ring_algorithm(key)?;
        if self.algorithm == CavageAlgorithm::RsaSha256 {
            // The draft reserves the pseudo-headers for hs2019.
            for pseudo in [CREATED, EXPIRES] {
                if self.covers(pseudo) {
                    return Err(SignatureError::PseudoHeaderNotAllowed(pseudo));
                }
            }
        }
        if policy.require_minimum_coverage {
            self.require_minimum_coverage(request)?;
        }
        self.check_freshness(request, now, policy)?;
        if self.covers("digest") {
            let value = combined_header_value(request, "digest")
                .ok_or_else(|| SignatureError::MissingHeader("digest".into()))?;
            check_digest_header(&value, request.body)?;
        }
        if self.covers("content-digest") {
            let value = combined_header_value(request, "content-digest")
                .ok_or_else(|| SignatureError::MissingHeader("content-digest".into()))?;
            check_content_digest_header(&value, request.body)?;
        }

        let full = self.signing_string(request, request.path_and_query)?;
        match algorithm::verify(algorithm, key, full.as_bytes(), &self.signature) {
            Err(SignatureError::BadSignature)
                if policy.accept_query_less_request_target
                    && request.query().is_some()
                    && self.covers(REQUEST_TARGET) =>
            {
                let without_query = self.signing_string(request, request.path())?;
                algorithm::verify(algorithm, key, without_query.as_bytes(), &self.signature)
            }
            result => result,
        }
    }

    fn ring_algorithm(&self, key: &VerifyingKey) -> Result<Algorithm, SignatureError> {
        match (self.algorithm, key) {
            (_, VerifyingKey::Public(public)) if matches!(public.kind(), PublicKeyKind::Rsa { .. }) => {
                Ok(Algorithm::RsaV15Sha256)
            }
            (CavageAlgorithm::Hs2019, VerifyingKey::Public(public)) if public.kind() == PublicKeyKind::Ed25519 => {
                Ok(Algorithm::Ed25519)
            }
            _ => Err(SignatureError::AlgorithmKeyMismatch),
        }
    }

    fn require_minimum_coverage(&self, request: &RequestParts<'_>) -> Result<(), SignatureError> {
        if !self.covers(REQUEST_TARGET) {
            return Err(SignatureError::NotCovered("(request-target)"));
        }
        if !self.covers("host") {
            return Err(SignatureError::NotCovered("host"));
        }
        if !self.covers("date") && !self.covers(CREATED) {
            return Err(SignatureError::NotCovered("date or (created)"));
        }
        if request.carries_body() && !self.covers("digest") && !self.covers("content-digest") {
            return Err(SignatureError::NotCovered("digest"));
        }
        Ok(())
    }

    /// Only signed times count: an unsigned `created` or `expires`
    /// parameter could otherwise revive a replayed request.
    fn check_freshness(
        &self,
        request: &RequestParts<'_>,
        now: SystemTime,
        policy: &VerifyPolicy,
    ) -> Result<(), SignatureError> {
        let created = if self.covers(CREATED) {
            Some(parse_timestamp(self.created.as_deref(), "created")?)
        } else if self.covers("date") {
            let date =
                combined_header_value(request, "date").ok_or_else(|| SignatureError::MissingHeader("date".into()))?;
            Some(http_date::parse(&date).ok_or_else(|| SignatureError::InvalidDate(date.clone()))?)
        } else {
            None
        };
        let expires =
            if self.covers(EXPIRES) { Some(parse_timestamp(self.expires.as_deref(), "expires")?) } else { None };
        policy.window.check(created, expires, unix_seconds(now))
    }

    /// The signing string (draft-cavage-12 §2.3) for `target` as the
    /// request target.
    fn signing_string(&self, request: &RequestParts<'_>, target: &str) -> Result<String, SignatureError> {
        let pseudo = PseudoValues { created: self.created.as_deref(), expires: self.expires.as_deref() };
        signing_string(request, target, &self.covered, pseudo)
    }
}

#[derive(Clone, Copy, Default)]
struct PseudoValues<'a> {
    created: Option<&'a str>,
    expires: Option<&'a str>,
}

/// One `name: value` line per covered header, joined by newlines. Header
/// lines of one name are combined with `", "`. `host` falls back to the
/// request's authority, which is how HTTP/2 carries it.
fn signing_string(
    request: &RequestParts<'_>,
    target: &str,
    covered: &[String],
    pseudo: PseudoValues<'_>,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(covered.len());
    for name in covered {
        let value = match name.as_str() {
            REQUEST_TARGET => format!("{} {}", request.method.to_ascii_lowercase(), target),
            CREATED => pseudo.created.ok_or(SignatureError::MissingParameter("created"))?.to_owned(),
            EXPIRES => pseudo.expires.ok_or(SignatureError::MissingParameter("expires"))?.to_owned(),
            "host" => combined_header_value(request, "host").unwrap_or_else(|| request.authority.to_owned()),
            header => combined_header_value(request, header)
                .ok_or_else(|| SignatureError::MissingHeader(header.to_owned()))?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

fn parse_timestamp(value: Option<&str>, name: &'static str) -> Result<i64, SignatureError> {
    let value = value.ok_or(SignatureError::MissingParameter(name))?;
    // The draft allows a decimal expiry; whole seconds are enough here.
    let whole = value.split_once('.').map_or(value, |(whole, _)| whole);
    whole.parse().map_err(|_| SignatureError::Malformed("created and expires must be Unix timestamps"))
}

/// `Signature <params>` → `<params>`, case-insensitively.
fn strip_scheme(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("signature").then_some(rest)
}

/// `name=value` pairs separated by commas; values are tokens or quoted
/// strings with backslash escapes; whitespace around `=` and `,` allowed.
fn parse_params(input: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let bytes = input.as_bytes();
    let mut position = 0;
    let mut params: Vec<(String, String)> = Vec::new();
    let skip_whitespace = |position: &mut usize| {
        while bytes.get(*position).is_some_and(|b| *b == b' ' || *b == b'\t') {
            *position += 1;
        }
    };
    loop {
        // Empty list elements (",,") are allowed, as in any HTTP list.
        loop {
            skip_whitespace(&mut position);
            if bytes.get(position) == Some(&b',') {
                position += 1;
            } else {
                break;
            }
        }
        if position >= bytes.len() {
            break;
        }
        let name_start = position;
        while bytes.get(position).is_some_and(|b| is_tchar(*b)) {
            position += 1;
        }
        let name = input.get(name_start..position).unwrap_or_default();
        if name.is_empty() {
            return Err(SignatureError::Malformed("expected a parameter name"));
        }
        skip_whitespace(&mut position);
        if bytes.get(position) != Some(&b'=') {
            return Err(SignatureError::Malformed("expected '=' after a parameter name"));
        }
        position += 1;
        skip_whitespace(&mut position);
        let value = if bytes.get(position) == Some(&b'"') {
            position += 1;
            let mut value = Vec::new();
            loop {
                match bytes.get(position) {
                    None => return Err(SignatureError::Malformed("unterminated quoted value")),
                    Some(b'"') => {
                        position += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let escaped =
                            bytes.get(position + 1).ok_or(SignatureError::Malformed("unterminated quoted value"))?;
                        value.push(*escaped);
                        position += 2;
                    }
                    Some(b) => {
                        value.push(*b);
                        position += 1;
                    }
                }
            }
            String::from_utf8(value).map_err(|_| SignatureError::Malformed("parameter value is not UTF-8"))?
        } else {
            let start = position;
            while bytes.get(position).is_some_and(|b| is_tchar(*b) || *b == b'/' || *b == b'=') {
                position += 1;
            }
            input.get(start..position).unwrap_or_default().to_owned()
        };
        if params.iter().any(|(existing, _)| existing.eq_ignore_ascii_case(name)) {
            return Err(SignatureError::DuplicateParameter(name.to_owned()));
        }
        params.push((name.to_owned(), value));
        skip_whitespace(&mut position);
        match bytes.get(position) {
            None => break,
            Some(b',') => position += 1,
            Some(_) => return Err(SignatureError::Malformed("expected ',' between parameters")),
        }
    }
    Ok(params)
}

impl Signer {
    /// Signs an outbound request the way Mastodon expects: rsa-sha256 over
    /// `(request-target) host date`, plus `digest` (and `content-type` when
    /// present) for requests that carry a body, or `accept` (when present)
    /// for the others. Returns the headers to add: `Date` and `Digest` unless
    /// the request already has them (those are then signed as they are),
    /// and `Signature`.
    pub fn sign_cavage(
        &self,
        request: &RequestParts<'_>,
        now: SystemTime,
    ) -> Result<Vec<(&'static str, String)>, SignatureError> {
        let mut added: Vec<(&'static str, String)> = Vec::new();
        if !request.has_header("date") {
            added.push(("Date", httpdate::fmt_http_date(now)));
        }
        let carries_body = request.carries_body();
        if carries_body && !request.has_header("digest") {
            added.push(("Digest", digest_header(request.body)));
        }
        let mut covered = vec![REQUEST_TARGET, "host", "date"];
        if carries_body {
            covered.push("digest");
            if request.has_header("content-type") {
                covered.push("content-type");
            }
        } else if request.has_header("accept") {
            covered.push("accept");
        }

        let mut headers: Vec<(&str, &str)> = request.headers.to_vec();
        headers.extend(added.iter().map(|(name, value)| (*name, value.as_str())));
        let complete = RequestParts { headers: &headers, ..*request };
        let signature = self.cavage_signature(&complete, &covered)?;
        added.push(("Signature", signature));
        Ok(added)
    }

    /// The `Signature` header value over exactly `covered` (header names
    /// and pseudo-headers, in order) of `request`, with rsa-sha256.
    pub fn cavage_signature(&self, request: &RequestParts<'_>, covered: &[&str]) -> Result<String, SignatureError> {
        if !matches!(self.key(), SigningKey::Rsa(_)) {
            return Err(SignatureError::AlgorithmKeyMismatch);
        }
        let covered: Vec<String> = covered.iter().map(|name| name.to_ascii_lowercase()).collect();
        if let Some(pseudo) = [CREATED, EXPIRES].into_iter().find(|p| covered.iter().any(|c| c == p)) {
            return Err(SignatureError::PseudoHeaderNotAllowed(pseudo));
        }
        let signing_string = signing_string(request, request.path_and_query, &covered, PseudoValues::default())?;
        let signature = algorithm::sign(Algorithm::RsaV15Sha256, self.key(), signing_string.as_bytes())?;
        Ok(format!(
            "keyId={},algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            quote(self.key_id()),
            covered.join(" "),
            base64_encode(&signature)
        ))
    }
}

fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_values_with_commas_and_ignores_unknown_parameters() {
        let signature = CavageSignature::parse(
            r#"keyId="https://a.example/u#k,1" , algorithm=hs2019,extra="x, y",headers="(request-target) Host date",signature="AQID""#,
        )
        .unwrap();
        assert_eq!(signature.key_id(), "https://a.example/u#k,1");
        assert_eq!(signature.algorithm(), CavageAlgorithm::Hs2019);
        assert_eq!(signature.covered(), ["(request-target)", "host", "date"]);
        assert_eq!(signature.signature, [1, 2, 3]);
    }

    #[test]
    fn accepts_escapes_and_the_buggy_scheme_prefix() {
        let signature = CavageSignature::parse(r#"Signature keyId="a\"b",signature="AQID""#).unwrap();
        assert_eq!(signature.key_id(), "a\"b");
        // No algorithm means hs2019, whose default covered list is (created).
        assert_eq!(signature.covered(), ["(created)"]);
    }

    #[test]
    fn refuses_duplicates_and_missing_or_malformed_parameters() {
        assert_eq!(
            CavageSignature::parse(r#"keyId="a",keyid="b",signature="AQID""#),
            Err(SignatureError::DuplicateParameter("keyid".into()))
        );
        assert_eq!(CavageSignature::parse(r#"signature="AQID""#), Err(SignatureError::MissingParameter("keyId")));
        assert_eq!(CavageSignature::parse(r#"keyId="a""#), Err(SignatureError::MissingParameter("signature")));
        assert_eq!(
            CavageSignature::parse(r#"keyId="a",signature="AQID",algorithm="rsa-sha512""#),
            Err(SignatureError::UnsupportedAlgorithm("rsa-sha512".into()))
        );
        assert!(matches!(CavageSignature::parse(r#"keyId="a"#), Err(SignatureError::Malformed(_))));
        assert!(matches!(CavageSignature::parse(r#"keyId="a" signature="b""#), Err(SignatureError::Malformed(_))));
        assert!(matches!(CavageSignature::parse(r#"keyId="a",signature="!!""#), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn reads_the_authorization_header_too() {
        let headers = [("Authorization", r#"Signature keyId="k",signature="AQID""#)];
        let request = RequestParts {
            method: "GET",
            scheme: "https",
            authority: "a.example",
            path_and_query: "/",
            headers: &headers,
            body: b"",
        };
        assert_eq!(CavageSignature::from_request(&request).unwrap().key_id(), "k");
        let unsigned = RequestParts { headers: &[("Authorization", "Bearer x")], ..request };
        assert_eq!(CavageSignature::from_request(&unsigned), Err(SignatureError::NotSigned));
    }

    #[test]
    fn signing_string_lowercases_and_joins_repeated_headers() {
        let headers = [("Host", "a.example"), ("X-Thing", " one "), ("x-thing", "two")];
        let request = RequestParts {
            method: "POST",
            scheme: "https",
            authority: "ignored.example",
            path_and_query: "/inbox?x=1",
            headers: &headers,
            body: b"",
        };
        let covered = ["(request-target)".to_owned(), "host".to_owned(), "x-thing".to_owned()];
        assert_eq!(
            signing_string(&request, request.path_and_query, &covered, PseudoValues::default()).unwrap(),
            "(request-target): post /inbox?x=1\nhost: a.example\nx-thing: one, two"
        );
        let missing = ["date".to_owned()];
        assert_eq!(
            signing_string(&request, "/", &missing, PseudoValues::default()),
            Err(SignatureError::MissingHeader("date".into()))
        );
    }
}
