//! What `[mail]` says, and how often the worker looks at the outbox.

use std::path::PathBuf;
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (a relay on the same host or network); default port 25.
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed; default port 587.
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS"); default port 465.
    Tls,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// Where mail goes. With no `server`, mails are written as `.eml` files
/// under `files_dir` and logged (the zero-config default).
#[derive(Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub server: Option<String>,
    /// Unset: the TLS mode's usual port.
    pub port: Option<u16>,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The From header of every mail, e.g. `"Kererū" <noreply@example.com>`.
    /// Unset: `"<tenant name>" <notifications@<tenant account host>>`.
    pub from: Option<String>,
    /// Where the files transport writes (`<data_dir>/mail`).
    pub files_dir: PathBuf,
    /// How long one SMTP exchange may take; keep it well below the worker's lease.
    pub timeout: Duration,
}

/// Everything but the password, which logs must not show.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from)
            .field("files_dir", &self.files_dir)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl MailSettings {
    /// No server: files under `files_dir`.
    pub fn files(files_dir: PathBuf) -> MailSettings {
        MailSettings {
            server: None,
            port: None,
            tls: TlsMode::default(),
            user: None,
            password: None,
            from: None,
            files_dir,
            timeout: Duration::from_secs(30),
        }
    }

    /// The port connected to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.tls.default_port())
    }
}

/// The worker's pace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// The outbox is looked at this often even without a notification
    /// (retries fall due this way).
    pub poll_interval: Duration,
    /// How long a claimed mail is held; longer than one send can take.
    pub lease: Duration,
    /// Mails claimed at once.
    pub batch: usize,
    /// The first retry waits this long, each following one twice as long ...
    pub retry_base: Duration,
    /// ... up to this.
    pub retry_max: Duration,
    /// After this many failed attempts a mail is given up (kept, with its error).
    pub max_attempts: i32,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            poll_interval: Duration::from_secs(15),
            lease: Duration::from_secs(120),
            batch: 10,
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(6 * 3600),
            max_attempts: 12,
        }
    }
}

impl WorkerSettings {
    /// The wait after failed attempt `attempt` (1 for the first).
    pub fn backoff(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(30);
        self.retry_base.saturating_mul(1u32 << doublings).min(self.retry_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let settings = WorkerSettings::default();
        assert_eq!(settings.backoff(1), Duration::from_secs(60));
        assert_eq!(settings.backoff(2), Duration::from_secs(120));
        assert_eq!(settings.backoff(4), Duration::from_secs(480));
        assert_eq!(settings.backoff(40), settings.retry_max);
        assert_eq!(settings.backoff(0), Duration::from_secs(60));
    }

    #[test]
    fn ports_follow_the_tls_mode() {
        let mut settings = MailSettings::files("/tmp/mail".into());
        assert_eq!(settings.port(), 587);
        settings.tls = TlsMode::Tls;
        assert_eq!(settings.port(), 465);
        settings.port = Some(2525);
        assert_eq!(settings.port(), 2525);
        settings.password = Some("secret".into());
        assert!(!format!("{settings:?}").contains("secret"));
    }
}
