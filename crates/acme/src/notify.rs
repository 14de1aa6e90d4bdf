//! New certificates reach every node at once: [`db::save_certificate`]
//! sends `NOTIFY kereru_certificates, '<host>'` in the transaction that
//! stores one, and each node keeps one [`kereru_store::listen::Listener`]
//! on that channel. The sync loop's polling stays as the fallback: a
//! notification sent while the listener was reconnecting is missed, so every
//! (re)connect is followed by a full sync round.
//!
//! [`db::save_certificate`]: crate::db::save_certificate

use kereru_store::listen::{ListenError, Listener};

/// The channel new certificates are announced on; the payload is the host.
pub const CHANNEL: &str = "kereru_certificates";
/// How the listener's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "kereru-certificates";

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("bad database URL for the certificate listener: {0}")]
    BadUrl(String),
}

/// The listener for the database at `database_url`, checked now so that a
/// bad URL fails at start-up rather than in a background task.
pub fn listener(database_url: &str) -> Result<Listener, NotifyError> {
    Listener::new(database_url, APPLICATION_NAME, "certificate listener", &[CHANNEL]).map_err(|error| match error {
        ListenError::BadUrl(detail) => NotifyError::BadUrl(detail),
        // The channel is a constant: this is a bug, reported as clearly as a bad URL would be.
        ListenError::BadChannel(_) => NotifyError::BadUrl(error.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_at_once() {
        assert!(matches!(listener("postgres://localhost:notaport/kereru"), Err(NotifyError::BadUrl(_))));
        assert!(listener("postgres://localhost/kereru").is_ok());
    }
}
