//! The mails a test world queued (the `mail_outbox` table), read as a person
//! reads their inbox: by recipient, and the links in them.

use crate::World;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;

#[derive(Debug, diesel::QueryableByName)]
pub struct Mail {
    #[diesel(sql_type = Text)]
    pub to_address: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
}

/// The mails `host`'s tenant queued, oldest first.
pub async fn outbox(world: &World, host: &str) -> Vec<Mail> {
    let mut conn = world.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    diesel::sql_query("SELECT to_address, subject, body_text FROM mail_outbox WHERE domain_id = $1 ORDER BY id")
        .bind::<BigInt, _>(world.domain(host).id.0)
        .load(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("mail_outbox: {e}"))
}

/// The path and query of the first link to `path` in the last mail to `to`.
pub async fn link_in_mail(world: &World, host: &str, to: &str, path: &str) -> String {
    let mails = outbox(world, host).await;
    let mail = mails.iter().rev().find(|m| m.to_address == to).unwrap_or_else(|| panic!("no mail to {to}"));
    let start = mail.body_text.find(path).unwrap_or_else(|| panic!("no {path} in {}", mail.body_text));
    mail.body_text[start..].split_whitespace().next().unwrap_or_default().to_string()
}
