//! Mail a tenant sends (confirmation links, password resets): checked and
//! queued in the outbox inside the caller's transaction, so the mail is
//! sent if and only if the action commits. `kereru_mail`'s worker sends it.

use crate::error::ServiceError;
use kereru_store::mail_outbox::{self, OutgoingMail};
use kereru_store::{DomainId, PgConn};

/// Longest subject accepted, in characters.
const MAX_SUBJECT: usize = 200;

/// Queues a mail from tenant `tenant` to `to` (checked like every e-mail
/// address) with `subject`, a text body and optionally an HTML alternative.
/// Call it inside the action's transaction; returns the outbox row's id.
pub async fn queue(
    conn: &mut PgConn,
    tenant: DomainId,
    to: &str,
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> Result<i64, ServiceError> {
    let to = kereru_core::email::parse_email(to).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT || subject.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!("a mail subject is one line of 1 to {MAX_SUBJECT} characters")));
    }
    let mail =
        OutgoingMail { to, subject: subject.to_string(), text: text.to_string(), html: html.map(str::to_string) };
    Ok(mail_outbox::enqueue(conn, tenant, &mail).await?)
}
