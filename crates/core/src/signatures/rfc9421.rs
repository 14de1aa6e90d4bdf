//! RFC 9421 HTTP Message Signatures on requests: `Signature-Input` and
//! `Signature` parsing, the signature base, verification and signing.
//!
//! Supported components: the request derived components (`@method`,
//! `@target-uri`, `@authority`, `@scheme`, `@request-target`, `@path`,
//! `@query`, `@query-param`) and header fields, plain or with `bs`. The
//! `sf`, `key`, `req` and `tr` parameters and `@status` (responses) are
//! refused as unsupported rather than guessed at.

use std::fmt;
use std::time::SystemTime;

use super::algorithm::{self, Algorithm};
use super::digest::{check_content_digest_header, check_digest_header};
use super::keys::VerifyingKey;
use super::structured::{
    self, BareItem, InnerList, Item, Member, Parameters, is_tchar, is_valid_string, serialize_inner_list,
    serialize_item,
};
use super::{
    RequestParts, SignatureError, Signer, VerifyPolicy, base64_encode, canonical_field_line, combined_header_value,
    unix_seconds,
};

/// A covered component: a lower-case field name or an `@`-derived
/// component, with its parameters (e.g. `"@query-param";name="Pet"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentId {
    name: String,
    params: Parameters,
}

impl ComponentId {
    /// A field (`"content-type"`) or derived component (`"@method"`).
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), params: Vec::new() }
    }

    /// `"@query-param";name="..."`; `name` as it appears percent-encoded.
    pub fn query_param(name: &str) -> Self {
        Self { name: "@query-param".to_owned(), params: vec![("name".to_owned(), BareItem::String(name.to_owned()))] }
    }

    /// Adds a boolean flag parameter, e.g. `bs`.
    pub fn with_flag(mut self, flag: &str) -> Self {
        self.params.push((flag.to_owned(), BareItem::Boolean(true)));
        self
    }

    /// Parses the structured form, e.g. `"@query-param";name="Pet"`.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let item = structured::parse_item(text).map_err(|_| SignatureError::InvalidComponent(text.to_owned()))?;
        Self::from_item(item).ok_or_else(|| SignatureError::InvalidComponent(text.to_owned()))
    }

    fn from_item(item: Item) -> Option<Self> {
        match item.value {
            BareItem::String(name) => Some(Self { name, params: item.params }),
            _ => None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn to_item(&self) -> Item {
        Item { value: BareItem::String(self.name.clone()), params: self.params.clone() }
    }

    fn is_plain(&self, name: &str) -> bool {
        self.name == name && self.params.is_empty()
    }

    /// Parameter order is kept in the serialization but does not make two
    /// identifiers distinct (RFC 9421 §2).
    fn same_as(&self, other: &Self) -> bool {
        let sorted = |params: &Parameters| {
            let mut params = params.clone();
            params.sort_by(|a, b| a.0.cmp(&b.0));
            params
        };
        self.name == other.name && sorted(&self.params) == sorted(&other.params)
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        serialize_item(&self.to_item(), &mut out);
        f.write_str(&out)
    }
}

/// Signature parameters to state when signing. `keyid` is always the
/// signer's key id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureParams {
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
    /// Stated as `alg` when set; otherwise the key's usual algorithm is
    /// used and the verifier infers it from the key.
    pub algorithm: Option<Algorithm>,
}

/// One labelled signature of a request, parsed but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSignature {
    label: String,
    components: Vec<ComponentId>,
    params: Parameters,
    signature: Vec<u8>,
}

impl MessageSignature {
    /// Every signature of the request whose label is in both
    /// `Signature-Input` and `Signature`, in `Signature-Input` order.
    pub fn parse_all(request: &RequestParts<'_>) -> Result<Vec<Self>, SignatureError> {
        let input = combined_header_value(request, "signature-input").ok_or(SignatureError::NotSigned)?;
        let signature = combined_header_value(request, "signature").ok_or(SignatureError::NotSigned)?;
        Self::parse_headers(&input, &signature)
    }

    /// Parses `Signature-Input` and `Signature` field values.
    pub fn parse_headers(signature_input: &str, signature: &str) -> Result<Vec<Self>, SignatureError> {
        let inputs = structured::parse_dictionary(signature_input)
            .map_err(|_| SignatureError::Malformed("Signature-Input is not a structured dictionary"))?;
        let signatures = structured::parse_dictionary(signature)
            .map_err(|_| SignatureError::Malformed("Signature is not a structured dictionary"))?;
        let mut parsed = Vec::new();
        for (label, member) in inputs {
            let Some((_, signature_member)) = signatures.iter().find(|(l, _)| *l == label) else { continue };
            let signature = match signature_member {
                Member::Item(Item { value: BareItem::ByteSequence(bytes), .. }) => bytes.clone(),
                _ => return Err(SignatureError::Malformed("a Signature member is not a byte sequence")),
            };
            let Member::InnerList(list) = member else {
                return Err(SignatureError::Malformed("a Signature-Input member is not an inner list"));
            };
            let components = list
                .items
                .into_iter()
                .map(ComponentId::from_item)
                .collect::<Option<Vec<_>>>()
                .ok_or(SignatureError::Malformed("a covered component is not a string"))?;
            check_parameter_types(&list.params)?;
            parsed.push(Self { label, components, params: list.params, signature });
        }
        Ok(parsed)
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn components(&self) -> &[ComponentId] {
        &self.components
    }

    pub fn key_id(&self) -> Option<&str> {
        self.string_param("keyid")
    }

    pub fn alg(&self) -> Option<&str> {
        self.string_param("alg")
    }

    pub fn nonce(&self) -> Option<&str> {
        self.string_param("nonce")
    }

    pub fn tag(&self) -> Option<&str> {
        self.string_param("tag")
    }

    pub fn created(&self) -> Option<i64> {
        self.integer_param("created")
    }

    pub fn expires(&self) -> Option<i64> {
        self.integer_param("expires")
    }

    fn string_param(&self, name: &str) -> Option<&str> {
        self.params.iter().find_map(|(key, value)| match value {
            BareItem::String(text) if key == name => Some(text.as_str()),
            _ => None,
        })
    }

    fn integer_param(&self, name: &str) -> Option<i64> {
        self.params.iter().find_map(|(key, value)| match value {
            BareItem::Integer(number) if key == name => Some(*number),
            _ => None,
        })
    }

    fn covers(&self, name: &str) -> bool {
        self.components.iter().any(|component| component.is_plain(name))
    }

    /// The `@signature-params` value: the covered components and
    /// parameters, strictly re-serialized.
    fn signature_params_value(&self) -> String {
        let list = InnerList {
            items: self.components.iter().map(ComponentId::to_item).collect(),
            params: self.params.clone(),
        };
        let mut out = String::new();
        serialize_inner_list(&list, &mut out);
        out
    }

    /// The signature base (RFC 9421 §2.5) of this signature over `request`.
    pub fn signature_base(&self, request: &RequestParts<'_>) -> Result<String, SignatureError> {
        for (index, component) in self.components.iter().enumerate() {
            if self.components.iter().skip(index + 1).any(|other| other.same_as(component)) {
                return Err(SignatureError::DuplicateComponent(component.to_string()));
            }
        }
        let mut base = String::new();
        for component in &self.components {
            for value in component_values(component, request)? {
                if value.contains(['\n', '\r']) {
                    return Err(SignatureError::InvalidComponent(component.to_string()));
                }
                base.push_str(&format!("{component}: {value}\n"));
            }
        }
        base.push_str("\"@signature-params\": ");
        base.push_str(&self.signature_params_value());
        Ok(base)
    }

    /// Verifies against `request` with the key named by [`Self::key_id`].
    /// Without an `alg` parameter the key decides: for RSA keys both
    /// rsa-v1_5-sha256 and rsa-pss-sha512 are tried.
    pub fn verify(
        &self,
        request: &RequestParts<'_>,
        key: &VerifyingKey,
        now: SystemTime,
        policy: &VerifyPolicy,
    ) -> Result<(), SignatureError> {
        if policy.require_minimum_coverage {
            self.require_minimum_coverage(request)?;
        }
        policy.window.check(self.created(), self.expires(), unix_seconds(now))?;
        let base = self.signature_base(request)?;
        if self.covers("content-digest") {
            let value = combined_header_value(request, "content-digest")
                .ok_or_else(|| SignatureError::MissingHeader("content-digest".into()))?;
            check_content_digest_header(&value, request.body)?;
        }
        if self.covers("digest") {
            let value = combined_header_value(request, "digest")
                .ok_or_else(|| SignatureError::MissingHeader("digest".into()))?;
            check_digest_header(&value, request.body)?;
        }
        match self.alg() {
            Some(name) => {
                let algorithm =
                    Algorithm::from_name(name).ok_or_else(|| SignatureError::UnsupportedAlgorithm(name.to_owned()))?;
                algorithm::verify(algorithm, key, base.as_bytes(), &self.signature)
            }
            None => {
                let verified = Algorithm::implied_by(key)
                    .iter()
                    .any(|algorithm| algorithm::verify(*algorithm, key, base.as_bytes(), &self.signature).is_ok());
                if verified { Ok(()) } else { Err(SignatureError::BadSignature) }
            }
        }
    }

    /// What a federated request must cover: a creation time, the method,
    /// the target and its authority, and the body's digest.
    fn require_minimum_coverage(&self, request: &RequestParts<'_>) -> Result<(), SignatureError> {
        if self.created().is_none() {
            return Err(SignatureError::MissingParameter("created"));
        }
        if !self.covers("@method") {
            return Err(SignatureError::NotCovered("@method"));
        }
        let covers_target = self.covers("@target-uri")
            || self.covers("@request-target")
            || (self.covers("@path") && (self.covers("@query") || request.query().is_none()));
        if !covers_target {
            return Err(SignatureError::NotCovered("@target-uri"));
        }
        if !(self.covers("@target-uri") || self.covers("@authority") || self.covers("host")) {
            return Err(SignatureError::NotCovered("@authority"));
        }
        if request.carries_body() && !self.covers("content-digest") && !self.covers("digest") {
            return Err(SignatureError::NotCovered("content-digest"));
        }
        Ok(())
    }
}

fn check_parameter_types(params: &Parameters) -> Result<(), SignatureError> {
    for (key, value) in params {
        let valid = match key.as_str() {
            "created" | "expires" => matches!(value, BareItem::Integer(_)),
            "keyid" | "alg" | "nonce" | "tag" => matches!(value, BareItem::String(_)),
            _ => true,
        };
        if !valid {
            return Err(SignatureError::Malformed("a signature parameter has the wrong type"));
        }
    }
    Ok(())
}

/// The value(s) of one component; `@query-param` yields one per occurrence.
fn component_values(component: &ComponentId, request: &RequestParts<'_>) -> Result<Vec<String>, SignatureError> {
    let unsupported = || SignatureError::UnsupportedComponent(component.to_string());
    let name = component.name();
    if !name.starts_with('@') {
        return field_value(component, request).map(|value| vec![value]);
    }
    if name == "@query-param" {
        return match component.params.as_slice() {
            [(key, BareItem::String(wanted))] if key == "name" => query_param_values(request, wanted)
                .filter(|values| !values.is_empty())
                .ok_or_else(|| SignatureError::MissingQueryParameter(wanted.clone())),
            _ => Err(SignatureError::InvalidComponent(component.to_string())),
        };
    }
    if !component.params.is_empty() {
        return Err(unsupported());
    }
    let value = match name {
        "@method" => request.method.to_owned(),
        "@target-uri" => target_uri(request),
        "@authority" => normalized_authority(request),
        "@scheme" => request.scheme.to_ascii_lowercase(),
        "@request-target" => request.path_and_query.to_owned(),
        "@path" => match request.path() {
            "" => "/".to_owned(),
            path => path.to_owned(),
        },
        "@query" => format!("?{}", request.query().unwrap_or_default()),
        "@status" | "@signature-params" => return Err(SignatureError::InvalidComponent(component.to_string())),
        _ => return Err(unsupported()),
    };
    Ok(vec![value])
}

fn field_value(component: &ComponentId, request: &RequestParts<'_>) -> Result<String, SignatureError> {
    let name = component.name();
    if name.is_empty() || !name.bytes().all(|b| is_tchar(b) && !b.is_ascii_uppercase()) {
        return Err(SignatureError::InvalidComponent(component.to_string()));
    }
    let byte_sequences = match component.params.as_slice() {
        [] => false,
        [(flag, BareItem::Boolean(true))] if flag == "bs" => true,
        _ => return Err(SignatureError::UnsupportedComponent(component.to_string())),
    };
    if !request.has_header(name) {
        return Err(SignatureError::MissingHeader(name.to_owned()));
    }
    if byte_sequences {
        // Each line wrapped separately, so that lines with commas cannot
        // be confused with more lines (RFC 9421 §2.1.3).
        let wrapped: Vec<String> = request
            .header_values(name)
            .map(|line| format!(":{}:", base64_encode(canonical_field_line(line).as_bytes())))
            .collect();
        return Ok(wrapped.join(", "));
    }
    combined_header_value(request, name).ok_or_else(|| SignatureError::MissingHeader(name.to_owned()))
}

fn target_uri(request: &RequestParts<'_>) -> String {
    let target = request.path_and_query;
    if target.starts_with("http://") || target.starts_with("https://") {
        return target.to_owned();
    }
    format!("{}://{}{}", request.scheme.to_ascii_lowercase(), normalized_authority(request), target)
}

/// Lower-case host, default port left out (RFC 9110 §4.2.3).
fn normalized_authority(request: &RequestParts<'_>) -> String {
    let authority = request.authority.to_ascii_lowercase();
    let default_port = match request.scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return authority,
    };
    authority.strip_suffix(default_port).map(str::to_owned).unwrap_or(authority)
}

/// Values of the query parameters whose name, after form-decoding and
/// re-encoding, is `wanted` (RFC 9421 §2.2.8). `None` when none match.
fn query_param_values(request: &RequestParts<'_>, wanted: &str) -> Option<Vec<String>> {
    let query = request.query()?;
    let values = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (encode_query_part(&form_decode(name)) == wanted).then(|| encode_query_part(&form_decode(value)))
        })
        .collect();
    Some(values)
}

/// application/x-www-form-urlencoded decoding: `+` is a space, `%XX` a
/// byte, malformed escapes stay as they are.
fn form_decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, escaped) {
            (_, Some(value)) => {
                decoded.push(value);
                index += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                index += 1;
            }
            (other, None) => {
                decoded.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Percent-encodes all but `ALPHA DIGIT * - . _` (the complement of the
/// form-urlencoded percent-encode set), with space as `%20` as in the RFC's
/// examples.
fn encode_query_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"*-._".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Signer {
    /// Signs `request` under `label`, covering `components` in order.
    /// Returns the `Signature-Input` and `Signature` headers to add.
    pub fn sign_rfc9421(
        &self,
        request: &RequestParts<'_>,
        label: &str,
        components: &[ComponentId],
        params: &SignatureParams,
    ) -> Result<Vec<(&'static str, String)>, SignatureError> {
        let valid_label = label.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'*')
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b));
        if !valid_label {
            return Err(SignatureError::Malformed("a label must be a structured-field key"));
        }
        let mut stated: Parameters = Vec::new();
        if let Some(created) = params.created {
            stated.push(("created".to_owned(), BareItem::Integer(created)));
        }
        if let Some(expires) = params.expires {
            stated.push(("expires".to_owned(), BareItem::Integer(expires)));
        }
        let mut strings = vec![("keyid", Some(self.key_id())), ("alg", params.algorithm.map(Algorithm::name))];
        strings.extend([("nonce", params.nonce.as_deref()), ("tag", params.tag.as_deref())]);
        for (name, value) in strings {
            if let Some(value) = value {
                if !is_valid_string(value) {
                    return Err(SignatureError::Malformed("signature parameters must be printable ASCII"));
                }
                stated.push((name.to_owned(), BareItem::String(value.to_owned())));
            }
        }

        let unsigned = MessageSignature {
            label: label.to_owned(),
            components: components.to_vec(),
            params: stated,
            signature: Vec::new(),
        };
        let base = unsigned.signature_base(request)?;
        let algorithm = params.algorithm.unwrap_or_else(|| algorithm::default_for(self.key()));
        let signature = algorithm::sign(algorithm, self.key(), base.as_bytes())?;
        Ok(vec![
            ("Signature-Input", format!("{label}={}", unsigned.signature_params_value())),
            ("Signature", format!("{label}=:{}:", base64_encode(&signature))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(path_and_query: &'a str, headers: &'a [(&'a str, &'a str)]) -> RequestParts<'a> {
        RequestParts {
            method: "GET",
            scheme: "HTTPS",
            authority: "WWW.Example.com:443",
            path_and_query,
            headers,
            body: b"",
        }
    }

    fn values(component: &str, request: &RequestParts<'_>) -> Result<Vec<String>, SignatureError> {
        component_values(&ComponentId::parse(component).unwrap(), request)
    }

    #[test]
    fn derived_components_follow_the_rfc_examples() {
        let request = request("/path?param=value&foo=bar&baz=bat%2Dman", &[]);
        assert_eq!(
            values(r#""@target-uri""#, &request).unwrap(),
            ["https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman"]
        );
        assert_eq!(values(r#""@authority""#, &request).unwrap(), ["www.example.com"]);
        assert_eq!(values(r#""@scheme""#, &request).unwrap(), ["https"]);
        assert_eq!(values(r#""@path""#, &request).unwrap(), ["/path"]);
        assert_eq!(values(r#""@query""#, &request).unwrap(), ["?param=value&foo=bar&baz=bat%2Dman"]);
        assert_eq!(values(r#""@request-target""#, &request).unwrap(), ["/path?param=value&foo=bar&baz=bat%2Dman"]);
        let bare = self::request("/path", &[]);
        assert_eq!(values(r#""@query""#, &bare).unwrap(), ["?"]);
    }

    #[test]
    fn query_params_are_decoded_then_re_encoded() {
        // RFC 9421 §2.2.8.
        let request = request(
            "/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something&qux=",
            &[],
        );
        assert_eq!(
            values(r#""@query-param";name="var""#, &request).unwrap(),
            ["this%20is%20a%20big%0Amultiline%20value"]
        );
        assert_eq!(values(r#""@query-param";name="bar""#, &request).unwrap(), ["with%20plus%20whitespace"]);
        assert_eq!(values(r#""@query-param";name="fa%C3%A7ade%22%3A%20""#, &request).unwrap(), ["something"]);
        assert_eq!(values(r#""@query-param";name="qux""#, &request).unwrap(), [""]);
        assert_eq!(
            values(r#""@query-param";name="nope""#, &request),
            Err(SignatureError::MissingQueryParameter("nope".into()))
        );
    }

    #[test]
    fn fields_are_trimmed_combined_or_byte_wrapped() {
        // RFC 9421 §2.1 and §2.1.3.
        let headers = [
            ("X-OWS-Header", "   Leading and trailing whitespace.   "),
            ("X-Obs-Fold-Header", "Obsolete\r\n    line folding."),
            ("Cache-Control", "max-age=60"),
            ("Cache-Control", "   must-revalidate"),
            ("Example-Header", "value, with, lots"),
            ("Example-Header", "of, commas"),
            ("X-Empty-Header", ""),
        ];
        let request = request("/", &headers);
        assert_eq!(values(r#""x-ows-header""#, &request).unwrap(), ["Leading and trailing whitespace."]);
        assert_eq!(values(r#""x-obs-fold-header""#, &request).unwrap(), ["Obsolete line folding."]);
        assert_eq!(values(r#""cache-control""#, &request).unwrap(), ["max-age=60, must-revalidate"]);
        assert_eq!(values(r#""x-empty-header""#, &request).unwrap(), [""]);
        assert_eq!(
            values(r#""example-header";bs"#, &request).unwrap(),
            [":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"]
        );
    }

    #[test]
    fn unsupported_and_invalid_components_are_refused() {
        let request = request("/", &[("Example-Dict", "a=1")]);
        assert_eq!(
            values(r#""example-dict";key="a""#, &request),
            Err(SignatureError::UnsupportedComponent(r#""example-dict";key="a""#.into()))
        );
        assert_eq!(values(r#""@status""#, &request), Err(SignatureError::InvalidComponent(r#""@status""#.into())));
        assert_eq!(
            values(r#""Example-Dict""#, &request),
            Err(SignatureError::InvalidComponent(r#""Example-Dict""#.into()))
        );
        assert_eq!(
            values(r#""@method";req"#, &request),
            Err(SignatureError::UnsupportedComponent(r#""@method";req"#.into()))
        );
        assert_eq!(values(r#""date""#, &request), Err(SignatureError::MissingHeader("date".into())));
    }

    #[test]
    fn duplicate_components_are_refused_whatever_their_parameter_order() {
        let signature =
            MessageSignature::parse_headers(r#"s=("a";bs;x=1 "a";x=1;bs);created=1"#, "s=:AAAA:").unwrap().remove(0);
        let request = request("/", &[("A", "b")]);
        assert!(matches!(signature.signature_base(&request), Err(SignatureError::DuplicateComponent(_))));
    }

    #[test]
    fn parse_keeps_only_labels_with_a_signature_and_checks_types() {
        let parsed =
            MessageSignature::parse_headers(r#"a=("@method");created=1, b=();keyid="k""#, "b=:AAAA:, c=:AAAA:")
                .unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].label(), "b");
        assert_eq!(parsed[0].key_id(), Some("k"));
        assert!(matches!(
            MessageSignature::parse_headers(r#"a=();created="1""#, "a=:AAAA:"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(MessageSignature::parse_headers(r#"a=("x")"#, "a=AAAA"), Err(SignatureError::Malformed(_))));
        assert!(matches!(MessageSignature::parse_headers(r#"a="x""#, "a=:AAAA:"), Err(SignatureError::Malformed(_))));
    }
}
