//! Outgoing e-mail (confirmation links, password resets): the worker that
//! drains the durable outbox (`kereru_store::mail_outbox`, filled inside
//! the transactions of the actions that cause mail), and the transports it
//! sends through — SMTP with lettre, or `.eml` files under the data
//! directory when no server is configured.
//!
//! Modules: `settings` (`[mail]` and the worker's pace), `message` (a row
//! as an RFC 5322 message), `transport` (SMTP or files), `worker` (the loop).

pub mod message;
pub mod settings;
pub mod transport;
pub mod worker;

pub use settings::{MailSettings, TlsMode, WorkerSettings};
pub use transport::{Transport, TransportError};
pub use worker::{Mailer, WorkerError, listener, run};

/// Why the mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
}
