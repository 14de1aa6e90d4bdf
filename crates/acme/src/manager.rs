//! The loops: every node syncs certificates, active hosts and TLS-ALPN-01
//! challenges from the database into its resolver; issuing nodes look for
//! active hosts without a valid certificate (or due for renewal) and order
//! one, a host at a time under a lease, within the global order rate limit.

use crate::issuer::Issuer;
use crate::resolver::CertResolver;
use crate::settings::{AcmeSettings, ari_recheck_after, ari_renewal_time, renewal_due};
use crate::{certs, db};
use chrono::{DateTime, Utc};
use kereru_store::Pool;
use kereru_store::listen::{Listener, Notice};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a node may hold a host's issuing lease before another may take over.
const LEASE_SECONDS: i64 = 300;

/// The shortest time between two issuer scans, however many handshakes ask.
const HINT_SPACING: Duration = Duration::from_secs(1);

/// Renewal information is asked for at most this many certificates per issuer round.
const ARI_BATCH: i64 = 50;

/// A certificate whose renewal information could not be fetched is asked about again after this.
const ARI_RETRY_SECONDS: i64 = 600;

/// Certificates are loaded again if issued this long before the newest one
/// seen: a row stamped earlier may commit after a later one was read.
const SYNC_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

pub struct CertManager {
    settings: Arc<AcmeSettings>,
    pool: Pool,
    resolver: Arc<CertResolver>,
    wanted: mpsc::Receiver<String>,
    listen: Option<Listener>,
}

/// The running loops; `stop` ends them.
pub struct ManagerHandle {
    tasks: Vec<JoinHandle<()>>,
    pub resolver: Arc<CertResolver>,
}

impl ManagerHandle {
    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for ManagerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl CertManager {
    pub fn new(settings: AcmeSettings, pool: Pool) -> CertManager {
        let (tx, wanted) = mpsc::channel(64);
        CertManager {
            settings: Arc::new(settings),
            pool,
            resolver: Arc::new(CertResolver::with_wanted(tx)),
            wanted,
            listen: None,
        }
    }

    /// Also `LISTEN`s for new certificates on the database at `database_url`,
    /// loading each as soon as any node stores it (polling stays as the fallback).
    pub fn with_notifications(mut self, database_url: &str) -> Result<CertManager, crate::notify::NotifyError> {
        self.listen = Some(crate::notify::listener(database_url)?);
        Ok(self)
    }

    pub fn resolver(&self) -> Arc<CertResolver> {
        self.resolver.clone()
    }

    /// Loads everything once (so that serving starts with every stored
    /// certificate), then spawns the loops on the current runtime.
    pub async fn start(self) -> ManagerHandle {
        let mut sync = Sync {
            pool: self.pool.clone(),
            resolver: self.resolver.clone(),
            own_hosts: self.settings.own_hosts.clone(),
            seen: HashMap::new(),
            since: None,
        };
        sync.round().await;
        let interval = self.settings.sync_interval;
        let mut tasks = Vec::new();
        let mut notices = match self.listen {
            Some(listener) => {
                let (tx, rx) = mpsc::channel(256);
                tasks.push(tokio::spawn(listener.run(tx)));
                Some(rx)
            }
            None => None,
        };
        tasks.push(tokio::spawn(async move {
            let mut next_round = tokio::time::Instant::now() + interval;
            loop {
                let notice = match notices.as_mut() {
                    Some(receiver) => tokio::select! {
                        notice = receiver.recv() => notice.ok_or(()),
                        () = tokio::time::sleep_until(next_round) => Err(()),
                    },
                    None => {
                        tokio::time::sleep_until(next_round).await;
                        Err(())
                    }
                };
                match notice {
                    Ok(Notice::Notification { payload: host, .. }) => sync.load(&host).await,
                    // A (re)connected listener may have missed announcements: a full round.
                    Ok(Notice::Listening) => sync.round().await,
                    Ok(Notice::Lost) => {}
                    Err(()) => {
                        if notices.as_ref().is_some_and(|r| r.is_closed() && r.is_empty()) {
                            notices = None;
                        }
                        if tokio::time::Instant::now() >= next_round {
                            sync.round().await;
                            next_round = tokio::time::Instant::now() + interval;
                        }
                    }
                }
            }
        }));
        if self.settings.issue {
            let issuer = Issuer::new(self.settings.clone(), self.pool.clone(), self.resolver.clone());
            let looper =
                IssueLoop { settings: self.settings.clone(), pool: self.pool, resolver: self.resolver.clone(), issuer };
            let wanted = self.wanted;
            tasks.push(tokio::spawn(looper.run(wanted)));
        }
        ManagerHandle { tasks, resolver: self.resolver }
    }
}

struct Sync {
    pool: Pool,
    resolver: Arc<CertResolver>,
    /// Served beside the active tenants' hosts (`AcmeSettings::own_hosts`).
    own_hosts: Vec<String>,
    /// issued_at of the certificate loaded per host.
    seen: HashMap<String, DateTime<Utc>>,
    since: Option<DateTime<Utc>>,
}

impl Sync {
    async fn round(&mut self) {
        if let Err(error) = self.try_round().await {
            // The database being away never stops serving what is loaded.
            tracing::warn!("certificate sync: {error}");
        }
    }

    async fn try_round(&mut self) -> Result<(), crate::issuer::IssueError> {
        let mut conn = self.pool.get().await?;
        let active = self.active(&mut conn).await?;
        self.resolver.set_active(active);
        for stored in db::certificates_since(&mut conn, self.since.map(|s| s - SYNC_OVERLAP)).await? {
            self.since = Some(self.since.map_or(stored.issued_at, |s| s.max(stored.issued_at)));
            self.apply(&mut conn, stored).await;
        }
        let challenges = db::challenges(&mut conn, "tls-alpn-01").await?;
        let hosts: HashSet<String> = challenges.iter().map(|c| c.host.clone()).collect();
        self.resolver.retain_alpn(&hosts);
        for challenge in challenges {
            if self.resolver.alpn_key_authorization(&challenge.host).as_deref()
                == Some(challenge.key_authorization.as_str())
            {
                continue;
            }
            match certs::alpn_challenge_cert(&challenge.host, &challenge.key_authorization) {
                Ok(certified) => self.resolver.set_alpn(&challenge.host, challenge.key_authorization, certified),
                Err(error) => tracing::warn!(host = %challenge.host, "challenge certificate: {error}"),
            }
        }
        Ok(())
    }
}

impl Sync {
    /// The names handshakes are answered for: every active tenant's hosts and this deployment's own.
    async fn active(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
    ) -> Result<HashSet<String>, crate::issuer::IssueError> {
        let mut active: HashSet<String> = db::active_hosts(conn).await?.into_iter().collect();
        active.extend(self.own_hosts.iter().cloned());
        Ok(active)
    }

    /// Loads `host`'s certificate now (it was just announced), with the set of
    /// active hosts: the host may have become a tenant since the last round.
    async fn load(&mut self, host: &str) {
        let result = async {
            let mut conn = self.pool.get().await?;
            if !self.resolver.is_active(host) {
                let active = self.active(&mut conn).await?;
                self.resolver.set_active(active);
            }
            if let Some(stored) = db::certificate(&mut conn, host).await? {
                self.apply(&mut conn, stored).await;
            }
            Ok::<(), crate::issuer::IssueError>(())
        }
        .await;
        if let Err(error) = result {
            // The next polling round tries again.
            tracing::warn!(host, "loading an announced certificate: {error}");
        }
    }

    /// Serves `stored` unless it is the one already loaded; drops it if corrupt.
    async fn apply(&mut self, conn: &mut diesel_async::AsyncPgConnection, stored: db::StoredCert) {
        if self.seen.get(&stored.host) == Some(&stored.issued_at) {
            return;
        }
        self.seen.insert(stored.host.clone(), stored.issued_at);
        match certs::load(&stored.host, &stored.chain_pem, &stored.key_pkcs8) {
            Ok(loaded) => {
                tracing::info!(host = %stored.host, not_after = %loaded.not_after, "certificate loaded");
                self.resolver.insert(&stored.host, loaded.certified);
            }
            Err(error) => {
                // Not served; the issuer sees no certificate and orders a new one.
                tracing::error!(host = %stored.host, "stored certificate is corrupt: {error}");
                self.resolver.remove(&stored.host);
                let _ = db::note_problem(conn, &stored.host, &format!("stored certificate is corrupt: {error}")).await;
            }
        }
    }
}

struct IssueLoop {
    settings: Arc<AcmeSettings>,
    pool: Pool,
    resolver: Arc<CertResolver>,
    issuer: Issuer,
}

impl IssueLoop {
    async fn run(self, mut wanted: mpsc::Receiver<String>) {
        loop {
            if let Err(error) = self.round().await {
                tracing::warn!("certificate issuer: {error}");
            }
            // Until the next scan, or earlier when a handshake asks for an active
            // host — but hints never bring more than one scan a second.
            let started = tokio::time::Instant::now();
            let _ = tokio::time::timeout(self.settings.check_interval, wanted.recv()).await;
            tokio::time::sleep_until(started + HINT_SPACING.min(self.settings.check_interval)).await;
            while wanted.try_recv().is_ok() {}
        }
    }

    /// Hosts due now: active, no loaded certificate or renewal time reached, back-off passed.
    async fn due(&self) -> Result<Vec<String>, crate::issuer::IssueError> {
        let mut conn = self.pool.get().await?;
        let now = Utc::now();
        let mut statuses = db::active_host_status(&mut conn).await?;
        statuses.extend(db::host_status(&mut conn, &self.settings.own_hosts).await?);
        Ok(statuses
            .into_iter()
            .filter(|s| s.next_attempt_at.is_none_or(|at| at <= now))
            .filter(|s| match (s.not_before, s.not_after) {
                (Some(from), Some(to)) => {
                    renewal_due(now, from, to, s.ari_renew_at) || !self.resolver.has_certificate(&s.host)
                }
                _ => true,
            })
            .map(|s| s.host)
            .collect())
    }

    /// Asks the CA for the renewal window of stored certificates whose last
    /// answer has expired (RFC 9773), and records the time picked inside it.
    async fn check_renewal_info(&self) -> Result<(), crate::issuer::IssueError> {
        let checks = {
            let mut conn = self.pool.get().await?;
            db::claim_ari_checks(&mut conn, ARI_BATCH, ARI_RETRY_SECONDS).await?
        };
        for check in checks {
            match self.issuer.renewal_info(&check.chain_pem).await {
                Ok(Some(window)) => {
                    let renew_at = ari_renewal_time(window.start, window.end, random_fraction());
                    let again = ari_recheck_after(window.retry_after).as_secs() as i64;
                    tracing::info!(
                        host = %check.host, start = %window.start, end = %window.end,
                        renew_at = ?renew_at, "renewal window suggested by the CA"
                    );
                    let mut conn = self.pool.get().await?;
                    db::set_ari(&mut conn, &check.host, check.issued_at, renew_at, again).await?;
                }
                Ok(None) => {
                    // The CA offers no renewal information: by lifetime; ask again in a day.
                    let mut conn = self.pool.get().await?;
                    db::set_ari(&mut conn, &check.host, check.issued_at, None, 86_400).await?;
                }
                // The claim stays as the retry time.
                Err(error) => tracing::warn!(host = %check.host, "renewal information: {error}"),
            }
        }
        Ok(())
    }

    async fn round(&self) -> Result<(), crate::issuer::IssueError> {
        if let Err(error) = self.check_renewal_info().await {
            tracing::warn!("renewal information: {error}");
        }
        for host in self.due().await? {
            let mut conn = self.pool.get().await?;
            let node = &self.settings.node;
            if !db::try_lease(&mut conn, &host, node, LEASE_SECONDS).await? {
                continue;
            }
            // Another node may have issued it between the scan and the lease.
            let stored = db::certificate(&mut conn, &host).await?;
            if let Some(stored) = &stored
                && !renewal_due(Utc::now(), stored.not_before, stored.not_after, stored.ari_renew_at)
                && let Ok(loaded) = certs::load(&host, &stored.chain_pem, &stored.key_pkcs8)
            {
                self.resolver.insert(&host, loaded.certified);
                db::release_unused(&mut conn, &host, node).await?;
                continue;
            }
            // The certificate this order renews, for the CA's records (RFC 9773 §5).
            let replaces = stored.as_ref().and_then(|s| certs::ari_id(&s.chain_pem).ok());
            let dns = crate::dns::check(self.settings.resolver, &host, &self.settings.public_addresses).await;
            if !dns.ok() {
                tracing::warn!(host, "not ordering: DNS for {host} {dns}");
                db::release_failure(&mut conn, &host, node, &format!("DNS: {host} {dns}")).await?;
                continue;
            }
            // The provider's `tenant.dns_ready`, once per host (recorded with the event).
            let (addresses, checked) = match &dns {
                crate::dns::DnsCheck::PointsHere(found) => (found.iter().map(|a| a.to_string()).collect(), true),
                _ => (Vec::new(), false),
            };
            if let Err(error) = kereru_store::webhooks::events::dns_ready(&mut conn, &host, &addresses, checked).await {
                tracing::warn!(host, "recording that DNS is ready: {error}");
            }
            let limit = self.settings.max_orders_per_hour;
            let Some(order) = db::reserve_order(&mut conn, &host, node, limit).await? else {
                tracing::warn!("the ACME order limit ({limit} an hour, all nodes together) is reached; waiting");
                db::release_unused(&mut conn, &host, node).await?;
                return Ok(());
            };
            drop(conn);
            let started = std::time::Instant::now();
            tracing::info!(host, "ordering a certificate");
            let result = self.issuer.issue(&host, replaces).await;
            let mut conn = self.pool.get().await?;
            kereru_metrics::acme_order(result.is_ok());
            match result {
                Ok(issued) => {
                    let seconds = started.elapsed().as_secs_f64();
                    tracing::info!(host, not_after = %issued.cert.not_after, seconds, "certificate issued");
                    self.resolver.insert(&host, issued.cert.certified);
                    let by = issued.challenge.map(|c| c.as_str()).unwrap_or("an earlier authorization");
                    db::finish_order(&mut conn, order, &format!("issued by {by} in {seconds:.1} s")).await?;
                    db::release_success(&mut conn, &host, node).await?;
                }
                Err(error) => {
                    tracing::warn!(host, "certificate order failed: {error}");
                    db::finish_order(&mut conn, order, &format!("failed: {error}")).await?;
                    db::release_failure(&mut conn, &host, node, &error.to_string()).await?;
                }
            }
        }
        Ok(())
    }
}

/// A uniformly random number in `[0, 1]` (the point of a renewal window to renew at).
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    // A failing OS RNG gives the window's start: renewing early is safe.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
}

/// For tests and tools: waits until `resolver` serves `host`, up to `deadline`.
pub async fn wait_for_certificate(resolver: &CertResolver, host: &str, deadline: Duration) -> bool {
    let until = tokio::time::Instant::now() + deadline;
    while tokio::time::Instant::now() < until {
        if resolver.get(host).is_some() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
