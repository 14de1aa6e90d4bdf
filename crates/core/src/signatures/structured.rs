//! The subset of RFC 8941 Structured Field Values that message signatures
//! need: Dictionaries whose members are Items or Inner Lists, with
//! Parameters, and the bare item types (no Dates or Display Strings, which
//! came later with RFC 9651). Serialization is the strict one, because the
//! `@signature-params` line of a signature base is the re-serialized value.

use base64::Engine;

use super::base64_lenient;

/// A malformed structured field; the text says where parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid structured field: {0}")]
pub struct StructuredError(pub &'static str);

/// An RFC 8941 bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    Integer(i64),
    /// A Decimal kept exactly, in thousandths (RFC 8941 allows three
    /// fractional digits), so that re-serializing never rounds.
    Decimal(i64),
    String(String),
    Token(String),
    ByteSequence(Vec<u8>),
    Boolean(bool),
}

/// Ordered parameters; RFC 8941 keeps the first position of a repeated key
/// and the last value.
pub type Parameters = Vec<(String, BareItem)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub value: BareItem,
    pub params: Parameters,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerList {
    pub items: Vec<Item>,
    pub params: Parameters,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Item(Item),
    InnerList(InnerList),
}

pub type Dictionary = Vec<(String, Member)>;

/// Parses a Dictionary field value (RFC 8941 §4.2.2).
pub fn parse_dictionary(input: &str) -> Result<Dictionary, StructuredError> {
    let mut parser = Parser::new(input);
    parser.skip_spaces();
    let mut dictionary: Dictionary = Vec::new();
    while !parser.at_end() {
        let key = parser.key()?;
        let member = if parser.eat(b'=') {
            parser.item_or_inner_list()?
        } else {
            Member::Item(Item { value: BareItem::Boolean(true), params: parser.parameters()? })
        };
        insert(&mut dictionary, key, member);
        parser.skip_ows();
        if parser.at_end() {
            break;
        }
        if !parser.eat(b',') {
            return Err(StructuredError("expected a comma between dictionary members"));
        }
        parser.skip_ows();
        if parser.at_end() {
            return Err(StructuredError("trailing comma in dictionary"));
        }
    }
    Ok(dictionary)
}

/// Parses a single Item with its parameters (RFC 8941 §4.2.3); used for
/// component identifiers such as `"@query-param";name="Pet"`.
pub fn parse_item(input: &str) -> Result<Item, StructuredError> {
    let mut parser = Parser::new(input);
    parser.skip_spaces();
    let item = parser.item()?;
    parser.skip_spaces();
    if !parser.at_end() {
        return Err(StructuredError("unexpected text after item"));
    }
    Ok(item)
}

fn insert<V>(entries: &mut Vec<(String, V)>, key: String, value: V) {
    match entries.iter_mut().find(|(existing, _)| *existing == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Self { bytes: input.as_bytes(), position: 0 }
    }

    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.position += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.position += 1;
        }
    }

    fn take_while(&mut self, accept: impl Fn(u8) -> bool) -> &'a str {
        let start = self.position;
        while self.peek().is_some_and(&accept) {
            self.position += 1;
        }
        // Every accepted byte is ASCII, so the slice is valid UTF-8.
        std::str::from_utf8(self.bytes.get(start..self.position).unwrap_or_default()).unwrap_or_default()
    }

    fn item_or_inner_list(&mut self) -> Result<Member, StructuredError> {
        if self.peek() == Some(b'(') { self.inner_list().map(Member::InnerList) } else { self.item().map(Member::Item) }
    }

    fn inner_list(&mut self) -> Result<InnerList, StructuredError> {
        self.eat(b'(');
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.eat(b')') {
                let params = self.parameters()?;
                return Ok(InnerList { items, params });
            }
            items.push(self.item()?);
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err(StructuredError("expected a space or ')' in inner list"));
            }
        }
    }

    fn item(&mut self) -> Result<Item, StructuredError> {
        let value = self.bare_item()?;
        let params = self.parameters()?;
        Ok(Item { value, params })
    }

    fn parameters(&mut self) -> Result<Parameters, StructuredError> {
        let mut params: Parameters = Vec::new();
        while self.eat(b';') {
            self.skip_spaces();
            let key = self.key()?;
            let value = if self.eat(b'=') { self.bare_item()? } else { BareItem::Boolean(true) };
            insert(&mut params, key, value);
        }
        Ok(params)
    }

    fn key(&mut self) -> Result<String, StructuredError> {
        if !self.peek().is_some_and(|b| b.is_ascii_lowercase() || b == b'*') {
            return Err(StructuredError("a key must start with a lowercase letter or '*'"));
        }
        let key = self.take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b));
        Ok(key.to_owned())
    }

    fn bare_item(&mut self) -> Result<BareItem, StructuredError> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.byte_sequence(),
            Some(b'?') => self.boolean(),
            Some(b) if b.is_ascii_alphabetic() || b == b'*' => Ok(self.token()),
            _ => Err(StructuredError("expected a bare item")),
        }
    }

    fn number(&mut self) -> Result<BareItem, StructuredError> {
        let negative = self.eat(b'-');
        let integer = self.take_while(|b| b.is_ascii_digit());
        if integer.is_empty() {
            return Err(StructuredError("a number needs digits"));
        }
        let sign = if negative { -1 } else { 1 };
        if !self.eat(b'.') {
            if integer.len() > 15 {
                return Err(StructuredError("integer longer than 15 digits"));
            }
            let value: i64 = integer.parse().map_err(|_| StructuredError("invalid integer"))?;
            return Ok(BareItem::Integer(sign * value));
        }
        let fraction = self.take_while(|b| b.is_ascii_digit());
        if integer.len() > 12 || fraction.is_empty() || fraction.len() > 3 {
            return Err(StructuredError("invalid decimal"));
        }
        let whole: i64 = integer.parse().map_err(|_| StructuredError("invalid decimal"))?;
        let padded = format!("{fraction:0<3}");
        let thousandths: i64 = padded.parse().map_err(|_| StructuredError("invalid decimal"))?;
        Ok(BareItem::Decimal(sign * (whole * 1000 + thousandths)))
    }

    fn string(&mut self) -> Result<BareItem, StructuredError> {
        self.eat(b'"');
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return Err(StructuredError("unterminated string")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(BareItem::String(value));
                }
                Some(b'\\') => {
                    self.position += 1;
                    match self.peek() {
                        Some(escaped @ (b'"' | b'\\')) => {
                            value.push(char::from(escaped));
                            self.position += 1;
                        }
                        _ => return Err(StructuredError("invalid escape in string")),
                    }
                }
                Some(b @ 0x20..=0x7e) => {
                    value.push(char::from(b));
                    self.position += 1;
                }
                Some(_) => return Err(StructuredError("invalid character in string")),
            }
        }
    }

    fn token(&mut self) -> BareItem {
        let token = self.take_while(|b| is_tchar(b) || b == b':' || b == b'/');
        BareItem::Token(token.to_owned())
    }

    fn byte_sequence(&mut self) -> Result<BareItem, StructuredError> {
        self.eat(b':');
        let encoded = self.take_while(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
        if !self.eat(b':') {
            return Err(StructuredError("unterminated byte sequence"));
        }
        let bytes = base64_lenient().decode(encoded).map_err(|_| StructuredError("invalid base64 in byte sequence"))?;
        Ok(BareItem::ByteSequence(bytes))
    }

    fn boolean(&mut self) -> Result<BareItem, StructuredError> {
        self.eat(b'?');
        if self.eat(b'1') {
            Ok(BareItem::Boolean(true))
        } else if self.eat(b'0') {
            Ok(BareItem::Boolean(false))
        } else {
            Err(StructuredError("invalid boolean"))
        }
    }
}

/// RFC 9110 `tchar`: what tokens (and HTTP field names) are made of.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Strict serialization (RFC 8941 §4.1).
pub fn serialize_bare_item(item: &BareItem, out: &mut String) {
    match item {
        BareItem::Integer(value) => out.push_str(&value.to_string()),
        BareItem::Decimal(thousandths) => {
            if *thousandths < 0 {
                out.push('-');
            }
            let magnitude = thousandths.unsigned_abs();
            let fraction = format!("{:03}", magnitude % 1000);
            let fraction = fraction.trim_end_matches('0');
            out.push_str(&(magnitude / 1000).to_string());
            out.push('.');
            out.push_str(if fraction.is_empty() { "0" } else { fraction });
        }
        BareItem::String(value) => serialize_string(value, out),
        BareItem::Token(value) => out.push_str(value),
        BareItem::ByteSequence(bytes) => {
            out.push(':');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push(':');
        }
        BareItem::Boolean(value) => out.push_str(if *value { "?1" } else { "?0" }),
    }
}

pub fn serialize_string(value: &str, out: &mut String) {
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

pub fn serialize_parameters(params: &Parameters, out: &mut String) {
    for (key, value) in params {
        out.push(';');
        out.push_str(key);
        if *value != BareItem::Boolean(true) {
            out.push('=');
            serialize_bare_item(value, out);
        }
    }
}

pub fn serialize_item(item: &Item, out: &mut String) {
    serialize_bare_item(&item.value, out);
    serialize_parameters(&item.params, out);
}

pub fn serialize_inner_list(list: &InnerList, out: &mut String) {
    out.push('(');
    for (index, item) in list.items.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        serialize_item(item, out);
    }
    out.push(')');
    serialize_parameters(&list.params, out);
}

/// Whether a string can be serialized as an sf-string (printable ASCII).
pub fn is_valid_string(value: &str) -> bool {
    value.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner_list(member: &Member) -> &InnerList {
        match member {
            Member::InnerList(list) => list,
            Member::Item(_) => panic!("expected an inner list"),
        }
    }

    #[test]
    fn parses_a_signature_input_dictionary() {
        let dictionary =
            parse_dictionary(r#"sig1=("@method" "@query-param";name="Pet");created=1618884473;keyid="k", sig2=()"#)
                .unwrap();
        assert_eq!(dictionary.len(), 2);
        let (label, member) = &dictionary[0];
        assert_eq!(label, "sig1");
        let list = inner_list(member);
        assert_eq!(list.items[0].value, BareItem::String("@method".into()));
        assert_eq!(list.items[1].params, vec![("name".into(), BareItem::String("Pet".into()))]);
        assert_eq!(
            list.params,
            vec![("created".into(), BareItem::Integer(1618884473)), ("keyid".into(), BareItem::String("k".into()))]
        );
        assert!(inner_list(&dictionary[1].1).items.is_empty());
    }

    #[test]
    fn round_trips_every_bare_item_type_strictly() {
        let input = r#"a=1;b=-2.50;c="q\"\\";d=tok/en:x;e=:AQID:;f=?0;g, h=(1 2);i"#;
        let dictionary = parse_dictionary(input).unwrap();
        let mut out = String::new();
        for (index, (key, member)) in dictionary.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            match member {
                Member::Item(item) if item.value == BareItem::Boolean(true) => {
                    serialize_parameters(&item.params, &mut out)
                }
                Member::Item(item) => {
                    out.push('=');
                    serialize_item(item, &mut out);
                }
                Member::InnerList(list) => {
                    out.push('=');
                    serialize_inner_list(list, &mut out);
                }
            }
        }
        assert_eq!(out, r#"a=1;b=-2.5;c="q\"\\";d=tok/en:x;e=:AQID:;f=?0;g, h=(1 2);i"#);
    }

    #[test]
    fn later_duplicate_keys_overwrite_in_place() {
        let dictionary = parse_dictionary("a=1, b=2, a=3").unwrap();
        assert_eq!(dictionary.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(dictionary[0].1, Member::Item(Item { value: BareItem::Integer(3), params: vec![] }));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "SHA-256=:AA==:",
            "a=1,",
            "a=(1",
            "a=\"x",
            "a=:AA==",
            "a=1 b=2",
            "a=\"\\n\"",
            "a=1234567890123456",
            "a=1.2345",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn parses_a_component_identifier_item() {
        let item = parse_item(r#""@query-param";name="Pet""#).unwrap();
        assert_eq!(item.value, BareItem::String("@query-param".into()));
        assert!(parse_item(r#""a" x"#).is_err());
    }
}
