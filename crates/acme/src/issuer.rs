//! One ACME order for one host: account (created once, stored), order,
//! challenge published in the database (and this node's resolver), validation,
//! finalization with a fresh key, certificate stored.

use crate::settings::{AcmeSettings, ChallengeKind};
use crate::{certs, db, resolver::CertResolver};
use chrono::{DateTime, Utc};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, CertificateIdentifier, ExternalAccountKey, Identifier,
    NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use kereru_store::Pool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("database: {0}")]
    Database(String),
    #[error("the ACME server: {0}")]
    Acme(#[from] instant_acme::Error),
    #[error("the CA offers none of the configured challenge types for {0}")]
    NoChallenge(String),
    #[error("the authorization for {host} is {status}")]
    Authorization { host: String, status: String },
    #[error("the order ended {0}")]
    Order(String),
    #[error("the issued certificate is unusable: {0}")]
    Certificate(#[from] certs::CertError),
    #[error("the stored ACME account is unreadable: {0}")]
    Account(String),
    #[error("the ACME server did not finish within {0:?}")]
    Timeout(Duration),
}

impl From<diesel::result::Error> for IssueError {
    fn from(error: diesel::result::Error) -> Self {
        IssueError::Database(error.to_string())
    }
}

impl From<kereru_store::StoreError> for IssueError {
    fn from(error: kereru_store::StoreError) -> Self {
        IssueError::Database(error.to_string())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for IssueError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        IssueError::Database(error.to_string())
    }
}

/// A renewal window suggested by the CA (RFC 9773), and when to ask again.
#[derive(Debug, Clone)]
pub struct SuggestedWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub retry_after: Duration,
}

/// The ACME problem type of an order whose `replaces` names a certificate already replaced.
const ALREADY_REPLACED: &str = "urn:ietf:params:acme:error:alreadyReplaced";

/// A certificate just issued, and the challenge that proved control (none
/// when the CA reused an earlier authorization).
pub struct Issued {
    pub cert: certs::LoadedCert,
    pub challenge: Option<ChallengeKind>,
}

pub struct Issuer {
    settings: Arc<AcmeSettings>,
    pool: Pool,
    resolver: Arc<CertResolver>,
    account: tokio::sync::Mutex<Option<Account>>,
}

impl Issuer {
    pub fn new(settings: Arc<AcmeSettings>, pool: Pool, resolver: Arc<CertResolver>) -> Issuer {
        Issuer { settings, pool, resolver, account: tokio::sync::Mutex::new(None) }
    }

    fn builder(&self) -> Result<instant_acme::AccountBuilder, IssueError> {
        Ok(match &self.settings.extra_root {
            Some(root) => Account::builder_with_root(root)?,
            None => Account::builder()?,
        })
    }

    /// The account for the configured directory: from the database, or created and stored.
    async fn account(&self) -> Result<Account, IssueError> {
        let mut cached = self.account.lock().await;
        if let Some(account) = cached.as_ref() {
            return Ok(account.clone());
        }
        let directory = &self.settings.directory;
        let stored = {
            let mut conn = self.pool.get().await?;
            db::account(&mut conn, directory).await?
        };
        let account = match stored {
            Some(json) => {
                let credentials: AccountCredentials =
                    serde_json::from_str(&json).map_err(|e| IssueError::Account(e.to_string()))?;
                self.builder()?.from_credentials(credentials).await?
            }
            None => {
                let contact: Vec<&str> = self.settings.contact.iter().map(String::as_str).collect();
                let eab =
                    self.settings.eab.as_ref().map(|eab| ExternalAccountKey::new(eab.key_id.clone(), &eab.hmac_key));
                let new = NewAccount { contact: &contact, terms_of_service_agreed: true, only_return_existing: false };
                let (account, credentials) = self.builder()?.create(&new, directory.clone(), eab.as_ref()).await?;
                let json = serde_json::to_string(&credentials).map_err(|e| IssueError::Account(e.to_string()))?;
                let mut conn = self.pool.get().await?;
                let kept = db::put_account(&mut conn, directory, &json).await?;
                if kept == json {
                    tracing::info!(directory = %directory, "created the ACME account");
                    account
                } else {
                    // Another node stored its account first: use that one everywhere.
                    let credentials: AccountCredentials =
                        serde_json::from_str(&kept).map_err(|e| IssueError::Account(e.to_string()))?;
                    self.builder()?.from_credentials(credentials).await?
                }
            }
        };
        *cached = Some(account.clone());
        Ok(account)
    }

    /// The renewal window the CA suggests for the leaf of `chain_pem`;
    /// `None` when its directory offers no renewal information.
    pub async fn renewal_info(&self, chain_pem: &str) -> Result<Option<SuggestedWindow>, IssueError> {
        let id = certs::ari_id(chain_pem)?;
        let account = self.account().await?;
        let fetch = account.renewal_info(&id);
        let (info, retry_after) = match tokio::time::timeout(Duration::from_secs(30), fetch).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(instant_acme::Error::Unsupported(_))) => return Ok(None),
            Ok(Err(error)) => return Err(error.into()),
            Err(_) => return Err(IssueError::Timeout(Duration::from_secs(30))),
        };
        let time = |t: i64| {
            DateTime::<Utc>::from_timestamp(t, 0)
                .ok_or_else(|| IssueError::Order("the suggested renewal window is out of range".into()))
        };
        Ok(Some(SuggestedWindow {
            start: time(info.suggested_window.start.unix_timestamp())?,
            end: time(info.suggested_window.end.unix_timestamp())?,
            retry_after,
        }))
    }

    /// Orders, validates and stores a certificate for `host`, within the order
    /// timeout. `replaces` names the certificate it renews (RFC 9773 §5), sent
    /// when the CA offers renewal information.
    pub async fn issue(
        &self,
        host: &str,
        replaces: Option<CertificateIdentifier<'static>>,
    ) -> Result<Issued, IssueError> {
        let timeout = self.settings.order_timeout;
        let result = match tokio::time::timeout(timeout, self.issue_inner(host, replaces)).await {
            Ok(result) => result,
            Err(_) => Err(IssueError::Timeout(timeout)),
        };
        // Challenges are answered only while their order runs.
        if let Ok(mut conn) = self.pool.get().await
            && let Err(error) = db::delete_challenges(&mut conn, host).await
        {
            tracing::warn!(host, "cannot remove the challenges: {error}");
        }
        self.resolver.remove_alpn(host);
        result
    }

    async fn issue_inner(
        &self,
        host: &str,
        replaces: Option<CertificateIdentifier<'static>>,
    ) -> Result<Issued, IssueError> {
        let account = self.account().await?;
        let identifiers = [Identifier::Dns(host.to_string())];
        let new_order = || {
            let order = NewOrder::new(&identifiers);
            match &self.settings.profile {
                Some(profile) => order.profile(profile),
                None => order,
            }
        };
        let mut order = match replaces {
            Some(id) => match account.new_order(&new_order().replaces(id)).await {
                // No renewal information at this CA (refused before anything is sent),
                // or the old certificate was replaced already: a plain order.
                Err(instant_acme::Error::Unsupported(_)) => account.new_order(&new_order()).await?,
                Err(instant_acme::Error::Api(problem)) if problem.r#type.as_deref() == Some(ALREADY_REPLACED) => {
                    tracing::info!(
                        host,
                        "the CA says the certificate was replaced already: ordering without `replaces`"
                    );
                    account.new_order(&new_order()).await?
                }
                other => other?,
            },
            None => account.new_order(&new_order()).await?,
        };
        let ttl = self.settings.order_timeout.as_secs().max(60) as i64;
        let mut used = None;
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization?;
            match authorization.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                other => {
                    return Err(IssueError::Authorization { host: host.to_string(), status: format!("{other:?}") });
                }
            }
            let kind = self
                .settings
                .challenges
                .iter()
                .copied()
                .find(|kind| authorization.challenges.iter().any(|c| c.r#type == kind.acme()))
                .ok_or_else(|| IssueError::NoChallenge(host.to_string()))?;
            let mut challenge =
                authorization.challenge(kind.acme()).ok_or_else(|| IssueError::NoChallenge(host.to_string()))?;
            let key_authorization = challenge.key_authorization().as_str().to_string();
            {
                let mut conn = self.pool.get().await?;
                db::put_challenge(&mut conn, host, kind.as_str(), &challenge.token, &key_authorization, ttl).await?;
            }
            if kind == ChallengeKind::TlsAlpn01 {
                let certified = certs::alpn_challenge_cert(host, &key_authorization)?;
                self.resolver.set_alpn(host, key_authorization, certified);
                // Other nodes load challenges on their sync loop: give them one round.
                tokio::time::sleep(self.settings.sync_interval + Duration::from_millis(200)).await;
            }
            tracing::info!(host, challenge = kind.as_str(), "challenge ready");
            used = Some(kind);
            challenge.set_ready().await?;
        }
        let retries = RetryPolicy::new()
            .initial_delay(Duration::from_millis(250))
            .backoff(1.5)
            .timeout(self.settings.order_timeout);
        let status = order.poll_ready(&retries).await?;
        if status != OrderStatus::Ready {
            let why = order.state().error.as_ref().map(|p| p.to_string()).unwrap_or_else(|| format!("{status:?}"));
            return Err(IssueError::Order(why));
        }
        let key_pem = order.finalize().await?;
        let chain_pem = order.poll_certificate(&retries).await?;
        let key_pkcs8 = certs::key_pem_to_pkcs8(&key_pem)?;
        let loaded = certs::load(host, &chain_pem, &key_pkcs8)?;
        let mut conn = self.pool.get().await?;
        db::save_certificate(&mut conn, host, &chain_pem, &key_pkcs8, loaded.not_before, loaded.not_after).await?;
        Ok(Issued { cert: loaded, challenge: used })
    }
}
