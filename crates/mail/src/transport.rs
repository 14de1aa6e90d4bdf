//! Where a built message goes: an SMTP server (lettre, on tokio with
//! rustls), or, with no server configured, an `.eml` file under the data
//! directory and one log line, so a local trial needs nothing set up.

use crate::settings::{MailSettings, TlsMode};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("mail.server {0:?}: {1}")]
    Settings(String, String),
    #[error("mail.user and mail.password go together")]
    Credentials,
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("writing {0}: {1}")]
    File(PathBuf, std::io::Error),
}

impl TransportError {
    /// Whether sending the same message again could succeed. An SMTP
    /// permanent (5xx) answer will not change; everything else may.
    pub fn is_permanent(&self) -> bool {
        matches!(self, TransportError::Smtp(error) if error.is_permanent())
    }
}

/// One transport per process, shared by the worker's sends.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Files(dir) => write!(f, "Transport::Files({})", dir.display()),
        }
    }
}

impl Transport {
    /// The transport `settings` ask for; connects to nothing yet. Call it
    /// inside the tokio runtime (the SMTP connection pool starts a task).
    pub fn new(settings: &MailSettings) -> Result<Transport, TransportError> {
        let Some(server) = settings.server.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Transport::Files(settings.files_dir.clone()));
        };
        let tls = match settings.tls {
            TlsMode::None => Tls::None,
            mode => {
                let parameters = TlsParameters::new(server.to_string())
                    .map_err(|e| TransportError::Settings(server.to_string(), e.to_string()))?;
                if mode == TlsMode::Tls { Tls::Wrapper(parameters) } else { Tls::Required(parameters) }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server)
            .port(settings.port())
            .tls(tls)
            .timeout(Some(settings.timeout));
        match (&settings.user, &settings.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => return Err(TransportError::Credentials),
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// A line for the log at start-up.
    pub fn describe(&self, settings: &MailSettings) -> String {
        match self {
            Transport::Smtp(_) => format!(
                "sending mail through {}:{} ({:?})",
                settings.server.as_deref().unwrap_or_default(),
                settings.port(),
                settings.tls
            ),
            Transport::Files(dir) => {
                format!("no [mail] server: mails are written as .eml files under {}", dir.display())
            }
        }
    }

    /// Sends `message`; `name` (unique per mail) names its file.
    pub async fn send(&self, message: &Message, name: &str) -> Result<(), TransportError> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message.clone()).await?;
                Ok(())
            }
            Transport::Files(dir) => {
                let path = write_file(dir, name, &message.formatted()).await?;
                tracing::info!("mail written to {} (no [mail] server configured)", path.display());
                Ok(())
            }
        }
    }
}

/// Writes `<dir>/<name>.eml` whole or not at all (a temporary file renamed).
async fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, TransportError> {
    let path = dir.join(format!("{name}.eml"));
    let partial = dir.join(format!(".{name}.eml.partial"));
    let failed = |e| TransportError::File(path.clone(), e);
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    tokio::fs::write(&partial, bytes).await.map_err(failed)?;
    tokio::fs::rename(&partial, &path).await.map_err(failed)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    // lettre's connection pool starts a task: it needs the runtime.
    #[tokio::test]
    async fn no_server_means_files_and_credentials_go_together() {
        let mut settings = MailSettings::files("/tmp/kereru-mail".into());
        assert!(matches!(Transport::new(&settings), Ok(Transport::Files(_))));
        settings.server = Some("  ".into());
        assert!(matches!(Transport::new(&settings), Ok(Transport::Files(_))), "blank is unset");
        settings.server = Some("smtp.example".into());
        assert!(matches!(Transport::new(&settings), Ok(Transport::Smtp(_))));
        settings.user = Some("kereru".into());
        assert!(matches!(Transport::new(&settings), Err(TransportError::Credentials)));
        settings.password = Some("secret".into());
        settings.tls = TlsMode::Tls;
        assert!(matches!(Transport::new(&settings), Ok(Transport::Smtp(_))));
    }
}
