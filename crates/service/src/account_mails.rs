//! The mails that secure an account — confirmation, password reset, e-mail
//! change, approval — as pure functions of the site and the link, and the
//! one place they are queued ([`send`], inside the action's transaction).

use crate::ServiceError;
use kereru_core::actor::escape_html;
use kereru_core::i18n::Locale;
use kereru_store::{DomainId, PgConn};

/// A mail's contents: subject, plain text, and the same as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Who sends: the tenant's name and its base URL (`https://host`).
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
}

fn link(site: Site<'_>, path: &str, param: &str, token: &str) -> String {
    format!("{}{path}?{param}={token}", site.base_url)
}

/// One mail: a greeting, paragraphs, one button-like link, a closing note.
fn compose(
    site: Site<'_>,
    subject: String,
    username: &str,
    paragraphs: &[&str],
    action: (&str, &str),
    note: &str,
) -> Mail {
    compose_in(Locale::En, site, subject, username, paragraphs, action, note)
}

/// [`compose`] with its own words (greeting, "or open this link") in `locale`.
fn compose_in(
    locale: Locale,
    site: Site<'_>,
    subject: String,
    username: &str,
    paragraphs: &[&str],
    action: (&str, &str),
    note: &str,
) -> Mail {
    let (label, url) = action;
    let hello = locale.format("Hello {name},", &[("name", username)]);
    let mut text = format!("{hello}\n\n");
    for paragraph in paragraphs {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    text.push_str(&format!("{label}:\n{url}\n\n{note}\n\n-- \n{} ({})\n", site.name, site.base_url));
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body style=\"font-family: system-ui, sans-serif; line-height: 1.5; \
         color: #1f2a2e\"><p>{}</p>",
        locale.code(),
        escape_html(&hello)
    );
    for paragraph in paragraphs {
        html.push_str(&format!("<p>{}</p>", escape_html(paragraph)));
    }
    html.push_str(&format!(
        "<p><a href=\"{url}\" style=\"display: inline-block; padding: .6em 1.1em; background: #2e6b5e; color: #fff; \
         border-radius: 6px; text-decoration: none; font-weight: 600\">{label}</a></p>\
         <p style=\"font-size: .9em; color: #56646a\">{open}</p>\
         <p style=\"font-size: .9em; color: #56646a\">{note}</p>\
         <p style=\"font-size: .9em; color: #56646a\">— {name}</p></body></html>",
        url = escape_html(url),
        open = escape_html(&locale.format("Or open this link: {url}", &[("url", url)])),
        label = escape_html(label),
        note = escape_html(note),
        name = escape_html(site.name),
    ));
    Mail { subject, text, html }
}

/// The language of a person's mails: the locale they chose, else English.
pub fn locale_of(chosen: Option<&str>) -> Locale {
    chosen.and_then(Locale::from_tag).unwrap_or_default()
}

/// Sent at sign-up: confirm the address before the first login.
pub fn confirmation(site: Site<'_>, locale: Locale, username: &str, token: &str) -> Mail {
    let name = [("site", site.name)];
    compose_in(
        locale,
        site,
        locale.format("Confirm your e-mail address for {site}", &name),
        username,
        &[&locale
            .format("Welcome to {site}! Please confirm that this is your e-mail address to finish signing up.", &name)],
        (locale.text("Confirm my address"), &link(site, "/auth/confirmation", "confirmation_token", token)),
        locale.text(
            "The link works for two days. If you did not sign up, ignore this mail: no account is made without it.",
        ),
    )
}

/// Sent on a password reset request.
pub fn password_reset(site: Site<'_>, locale: Locale, username: &str, token: &str) -> Mail {
    compose_in(
        locale,
        site,
        locale.format("Reset your password on {site}", &[("site", site.name)]),
        username,
        &[locale.text("Someone (we hope you) asked to reset the password of your account. Choose a new one here.")],
        (locale.text("Choose a new password"), &link(site, "/auth/password/edit", "reset_password_token", token)),
        locale.text(
            "The link works once, for one hour. If you did not ask, ignore this mail: your password stays as it is.",
        ),
    )
}

/// Sent to a new address: it becomes the account's once confirmed.
pub fn email_change(site: Site<'_>, username: &str, token: &str) -> Mail {
    compose(
        site,
        format!("Confirm your new e-mail address for {}", site.name),
        username,
        &["You asked to use this address for your account. Confirm it to make the change."],
        ("Confirm my new address", &link(site, "/auth/confirmation", "confirmation_token", token)),
        "The link works for two days. Until then your account keeps its old address.",
    )
}

/// Sent when the tenant's staff approve a sign-up.
pub fn approved(site: Site<'_>, username: &str) -> Mail {
    compose(
        site,
        format!("Your account on {} is approved", site.name),
        username,
        &["Good news: your account was approved. You can log in now."],
        ("Log in", &format!("{}/auth/sign_in", site.base_url)),
        "Welcome aboard!",
    )
}

/// Sent to the owner of a new site (a verified self-service claim): set the
/// first password of its admin account through the password-reset page.
pub fn owner_activation(site: Site<'_>, username: &str, token: &str, days: i64) -> Mail {
    compose(
        site,
        format!("Your site {} is ready: set your password", site.name),
        username,
        &[
            &format!("Your domain is verified and {} is set up, with you as its admin (@{username}).", site.name),
            "Choose the password of your admin account to log in.",
        ],
        ("Choose my password", &link(site, "/auth/password/edit", "reset_password_token", token)),
        &format!(
            "The link works once, for {days} days. Later, ask for a new one with \"Forgot your password?\" on the \
             sign-in page."
        ),
    )
}

/// Sent when the tenant's staff act on an account (Mastodon's warning mail):
/// what was done, and the moderator's note if any.
pub fn moderation(site: Site<'_>, username: &str, what: &str, note: &str) -> Mail {
    let note_line =
        if note.trim().is_empty() { String::new() } else { format!("The moderators' note: {}", note.trim()) };
    let mut paragraphs = vec![what];
    if !note_line.is_empty() {
        paragraphs.push(&note_line);
    }
    compose(
        site,
        format!("A moderation decision about your account on {}", site.name),
        username,
        &paragraphs,
        ("Read the server's rules", &format!("{}/about", site.base_url)),
        "If you think this is a mistake, reply to the server's staff.",
    )
}

/// Queues `mail` to `to` in the outbox, inside the caller's transaction ([`crate::mail::queue`]).
pub async fn send(conn: &mut PgConn, tenant: DomainId, to: &str, mail: &Mail) -> Result<(), ServiceError> {
    crate::mail::queue(conn, tenant, to, &mail.subject, &mail.text, Some(&mail.html)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_carry_the_link_and_escape_html() {
        let site = Site { name: "Tūī <Place>", base_url: "https://a.test" };
        let mail = confirmation(site, Locale::En, "alice", "TOKEN");
        assert!(mail.text.contains("https://a.test/auth/confirmation?confirmation_token=TOKEN"));
        assert!(mail.html.contains("Tūī &lt;Place&gt;"));
        assert!(!mail.html.contains("<Place>"));
        let reset = password_reset(site, Locale::En, "alice", "R");
        assert!(reset.text.contains("/auth/password/edit?reset_password_token=R"));
        assert!(email_change(site, "alice", "E").text.contains("confirmation_token=E"));
        assert!(approved(site, "alice").subject.contains("approved"));
    }

    #[test]
    fn a_person_who_chose_german_gets_german_mails_with_the_same_link() {
        let site = Site { name: "Tūī", base_url: "https://a.test" };
        assert_eq!(locale_of(Some("de-AT")), Locale::De);
        assert_eq!(locale_of(Some("pt")), Locale::En);
        assert_eq!(locale_of(None), Locale::En);
        let mail = confirmation(site, Locale::De, "alice", "TOKEN");
        assert_eq!(mail.subject, "Bestätige deine E-Mail-Adresse für Tūī");
        assert!(mail.text.starts_with("Hallo alice,\n\nWillkommen bei Tūī!"), "{}", mail.text);
        assert!(
            mail.text.contains("Meine Adresse bestätigen:\nhttps://a.test/auth/confirmation?confirmation_token=TOKEN")
        );
        assert!(mail.html.contains("lang=\"de\"") && mail.html.contains("Oder öffne diesen Link"), "{}", mail.html);
        let reset = password_reset(site, Locale::De, "alice", "R");
        assert_eq!(reset.subject, "Setze dein Passwort auf Tūī zurück");
        assert!(!reset.text.contains("Hello"), "{}", reset.text);
        // English stays as it was.
        assert_eq!(confirmation(site, Locale::En, "alice", "T").subject, "Confirm your e-mail address for Tūī");
    }
}
