//! A claimed outbox row as an RFC 5322 message (lettre builds and encodes it:
//! non-ASCII subjects and names as encoded words, bodies as quoted-printable
//! or base64 as needed).

use kereru_store::mail_outbox::ClaimedMail;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, SinglePart};

/// Why a row cannot become a message. Retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("bad address {0:?}: {1}")]
    Address(String, String),
    #[error("cannot build the message: {0}")]
    Build(String),
}

/// Checks a configured From header (`Name <a@b.example>` or `a@b.example`).
pub fn parse_from(from: &str) -> Result<Mailbox, MessageError> {
    from.parse::<Mailbox>().map_err(|e| MessageError::Address(from.to_string(), e.to_string()))
}

/// The From of a tenant's mails when none is configured:
/// `"<tenant name>" <notifications@<account host>>`.
pub fn tenant_from(tenant_name: &str, account_host: &str) -> Result<Mailbox, MessageError> {
    let address = format!("notifications@{account_host}");
    let parsed =
        address.parse().map_err(|e: lettre::address::AddressError| MessageError::Address(address, e.to_string()))?;
    let name = tenant_name.trim();
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_string()), parsed))
}

/// The message for `mail`, from `from` (or the tenant's default). Its
/// Message-ID depends on the row only, so a mail sent twice (a lease that
/// ran out mid-send) can be recognised as one by the receiver.
pub fn build(mail: &ClaimedMail, from: Option<&Mailbox>) -> Result<Message, MessageError> {
    let from = match from {
        Some(from) => from.clone(),
        None => tenant_from(&mail.tenant_name, &mail.account_host)?,
    };
    let to: Mailbox = mail
        .to_address
        .parse()
        .map_err(|e: lettre::address::AddressError| MessageError::Address(mail.to_address.clone(), e.to_string()))?;
    let builder =
        Message::builder().from(from).to(to).subject(mail.subject.as_str()).date(mail.created_at.into()).message_id(
            Some(format!("<kereru.{}.{}@{}>", mail.id, mail.created_at.timestamp_millis(), mail.account_host)),
        );
    let built = match &mail.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.body_text.clone(), html.clone())),
        None => builder.singlepart(SinglePart::plain(mail.body_text.clone())),
    };
    built.map_err(|e| MessageError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn claimed(html: Option<&str>) -> ClaimedMail {
        ClaimedMail {
            id: 7,
            domain_id: 1,
            to_address: "ann@mail.example".into(),
            subject: "Bestätige deine Adresse".into(),
            body_text: "Hello,\nplease confirm.".into(),
            body_html: html.map(str::to_string),
            created_at: chrono::Utc.timestamp_opt(1_800_000_000, 0).single().unwrap_or_default(),
            attempts: 1,
            tenant_name: "Kererū Café".into(),
            account_host: "cafe.example".into(),
        }
    }

    #[test]
    fn the_tenant_is_the_default_sender_and_headers_are_encoded() {
        let message = build(&claimed(None), None).map_err(|e| e.to_string());
        let text = String::from_utf8_lossy(&message.as_ref().map(|m| m.formatted()).unwrap_or_default()).to_string();
        assert!(text.contains("notifications@cafe.example"), "{text}");
        assert!(text.contains("To: ann@mail.example"), "{text}");
        assert!(text.contains("Subject: =?utf-8?"), "non-ASCII subject is an encoded word: {text}");
        assert!(text.contains("Message-ID: <kereru.7.1800000000000@cafe.example>"), "{text}");
        assert!(text.contains("Date: "), "{text}");
        assert!(!text.contains("multipart"), "{text}");
    }

    #[test]
    fn html_makes_an_alternative_and_a_configured_from_wins() {
        let from = parse_from("Ops <ops@host.example>").map_err(|e| e.to_string());
        let message = build(&claimed(Some("<p>Hello</p>")), from.as_ref().ok()).map_err(|e| e.to_string());
        let text = String::from_utf8_lossy(&message.as_ref().map(|m| m.formatted()).unwrap_or_default()).to_string();
        assert!(text.contains("From: Ops <ops@host.example>"), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("text/html") && text.contains("text/plain"), "{text}");
        assert!(parse_from("not an address").is_err());
    }
}
