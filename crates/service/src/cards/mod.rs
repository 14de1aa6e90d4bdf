//! Link preview cards (Mastodon's PreviewCard): a status's first link
//! ([`parse::first_link`]) is queued in the transaction that stores the
//! status ([`enqueue`]), local or remote, and fetched afterwards by the
//! worker ([`worker`]) through the SSRF-safe client, so the status answers
//! without its card first, as Mastodon's. Pages are parsed by html5ever
//! (the `scraper` crate), cached per URL.

pub mod parse;
pub mod worker;

use diesel_async::AsyncPgConnection;
use kereru_store::{StatusId, StoreError};

/// Queues the card of a status whose content (sanitized HTML) is `content`, if it links anywhere.
pub async fn enqueue(conn: &mut AsyncPgConnection, status: StatusId, content: &str) -> Result<(), StoreError> {
    match parse::first_link(content) {
        Some(url) => kereru_store::cards::enqueue(conn, status, &url).await,
        None => Ok(()),
    }
}
