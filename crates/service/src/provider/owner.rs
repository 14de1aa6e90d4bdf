//! The first admin account of a tenant made through the provisioning API:
//! created with no password anyone knows (a random one, never shown) and
//! unconfirmed, and an activation link mailed to the owner. The link is a
//! password-reset link with a longer life ([`ACTIVATION_DAYS`]), so the
//! existing `/auth/password/edit` page sets the password, confirms the
//! address and ends nothing else. Until then the account cannot sign in.

use super::ProvisionError;
use crate::account_mails::{self, Mail};
use diesel_async::AsyncPgConnection;
use kereru_core::actor::escape_html;
use kereru_core::{Scheme, Username};
use kereru_store::account_security::{self as security, Purpose};
use kereru_store::accounts::{self, AccountError, NewLocalAccount};
use kereru_store::domains::Domain;
use kereru_store::roles::Role;
use kereru_store::{AccountId, oauth};

/// How long an activation link works.
pub const ACTIVATION_DAYS: i64 = 7;

/// The owner's username when the request names none.
pub const DEFAULT_USERNAME: &str = "admin";

/// The mail with the activation link (pure: site name, base URL, username, token).
pub fn activation_mail(site_name: &str, base_url: &str, username: &str, token: &str) -> Mail {
    let url = format!("{base_url}/auth/password/edit?reset_password_token={token}");
    let subject = format!("Your new site {site_name} is ready: activate your admin account");
    let text = format!(
        "Hello {username},\n\n{site_name} ({base_url}) has been set up for you, with you as its admin.\n\
         Choose your password to activate your account:\n{url}\n\n\
         The link works for {ACTIVATION_DAYS} days. If it has run out, ask your hosting provider to send a new one.\n\n\
         -- \n{site_name} ({base_url})\n"
    );
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family: system-ui, sans-serif; line-height: 1.5\">\
         <p>Hello {u},</p><p>{n} ({b}) has been set up for you, with you as its admin.</p>\
         <p><a href=\"{l}\">Choose your password to activate your account</a></p>\
         <p style=\"font-size: .9em\">Or open this link: {l}</p>\
         <p style=\"font-size: .9em\">The link works for {ACTIVATION_DAYS} days. If it has run out, ask your hosting \
         provider to send a new one.</p></body></html>",
        u = escape_html(username),
        n = escape_html(site_name),
        b = escape_html(base_url),
        l = escape_html(&url),
    );
    Mail { subject, text, html }
}

/// Creates the owner's admin account on `domain` and queues its activation
/// mail; runs inside the caller's transaction.
pub async fn create(
    conn: &mut AsyncPgConnection,
    domain: &Domain,
    scheme: Scheme,
    email: &str,
    username: Option<&str>,
) -> Result<AccountId, ProvisionError> {
    let username = Username::parse(username.unwrap_or(DEFAULT_USERNAME))
        .map_err(|e| ProvisionError::field("owner_username", e.to_string()))?;
    let new = NewLocalAccount {
        username,
        email: email.to_string(),
        // Nobody knows it: the owner chooses theirs through the activation link.
        password: oauth::new_secret(),
        role: Role::Admin,
        approved: true,
        signup_reason: None,
        locale: None,
    };
    let account = accounts::create_local(conn, domain.id, new).await.map_err(|e| match e {
        AccountError::UsernameTaken(_) => ProvisionError::field("owner_username", e.to_string()),
        AccountError::EmailTaken(_) => ProvisionError::field("owner_email", e.to_string()),
        AccountError::Store(e) => e.into(),
        other => ProvisionError::field("owner_username", other.to_string()),
    })?;
    security::set_unconfirmed(conn, domain.id, account.id).await?;
    send_activation(conn, domain, scheme, account.id, email, &account.username).await?;
    Ok(account.id)
}

/// Queues a fresh activation link (earlier ones stop working); inside the caller's transaction.
pub async fn send_activation(
    conn: &mut AsyncPgConnection,
    domain: &Domain,
    scheme: Scheme,
    account: AccountId,
    email: &str,
    username: &str,
) -> Result<(), ProvisionError> {
    security::expire_tokens(conn, domain.id, account, Purpose::PasswordReset).await?;
    let lifetime = chrono::Duration::days(ACTIVATION_DAYS);
    let token =
        security::issue_token_lasting(conn, domain.id, account, Purpose::PasswordReset, email, lifetime).await?;
    let mail = activation_mail(&domain.name, &domain.urls(scheme).base(), username, &token);
    account_mails::send(conn, domain.id, email, &mail).await?;
    Ok(())
}

/// The owner's account (the login with the tenant's owner e-mail) and whether it is activated.
pub async fn find(conn: &mut AsyncPgConnection, domain: &Domain) -> Result<Option<Owner>, ProvisionError> {
    let Some(email) = &domain.owner_email else { return Ok(None) };
    let Some(account) = security::account_by_email(conn, domain.id, email).await? else { return Ok(None) };
    let Some(login) = security::login(conn, domain.id, account).await? else { return Ok(None) };
    let username = security::username(conn, domain.id, account).await?;
    Ok(Some(Owner { account, username, email: login.email.clone(), activated: login.confirmed() }))
}

/// A tenant's owner account, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub account: AccountId,
    pub username: String,
    pub email: String,
    /// The activation link was followed (a password was chosen).
    pub activated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_carries_the_link_and_escapes() {
        let mail = activation_mail("Sea <b>", "https://a.test", "admin", "TOKEN");
        assert!(mail.text.contains("https://a.test/auth/password/edit?reset_password_token=TOKEN"));
        assert!(mail.html.contains("Sea &lt;b&gt;"));
        assert!(!mail.html.contains("<b>"));
    }
}
