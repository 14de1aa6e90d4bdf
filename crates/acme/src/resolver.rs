//! The SNI resolver: certificates of active tenant hosts from memory, the
//! TLS-ALPN-01 challenge certificates, and nothing for any other name. It
//! never touches the database: a flood of handshakes with random names costs
//! a hash lookup each.

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;

#[derive(Debug, Default)]
struct Maps {
    /// Active tenant hosts (account and service hosts).
    active: HashSet<String>,
    certs: HashMap<String, Arc<CertifiedKey>>,
    /// Host → (key authorization, challenge certificate).
    alpn: HashMap<String, (String, Arc<CertifiedKey>)>,
}

#[derive(Debug)]
pub struct CertResolver {
    maps: RwLock<Maps>,
    /// Active hosts seen in handshakes without a certificate, for the issuer.
    wanted: Option<mpsc::Sender<String>>,
}

impl CertResolver {
    /// A resolver that tells nobody about hosts missing a certificate.
    pub fn new() -> CertResolver {
        CertResolver { maps: RwLock::default(), wanted: None }
    }

    /// A resolver that sends active hosts without a certificate to `wanted`
    /// (best effort: a full channel drops the hint, the issuer's scan finds them anyway).
    pub fn with_wanted(wanted: mpsc::Sender<String>) -> CertResolver {
        CertResolver { maps: RwLock::default(), wanted: Some(wanted) }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_active(&self, hosts: HashSet<String>) {
        self.write().active = hosts;
    }

    pub fn is_active(&self, host: &str) -> bool {
        self.read().active.contains(host)
    }

    pub fn insert(&self, host: &str, certified: Arc<CertifiedKey>) {
        self.write().certs.insert(host.to_string(), certified);
    }

    pub fn remove(&self, host: &str) {
        self.write().certs.remove(host);
    }

    /// The certificate served for `host`, if any.
    pub fn get(&self, host: &str) -> Option<Arc<CertifiedKey>> {
        let maps = self.read();
        if !maps.active.contains(host) {
            return None;
        }
        maps.certs.get(host).cloned()
    }

    pub fn has_certificate(&self, host: &str) -> bool {
        self.read().certs.contains_key(host)
    }

    /// The key authorization of the TLS-ALPN-01 challenge loaded for `host`.
    pub fn alpn_key_authorization(&self, host: &str) -> Option<String> {
        self.read().alpn.get(host).map(|(key_authorization, _)| key_authorization.clone())
    }

    pub fn set_alpn(&self, host: &str, key_authorization: String, certified: Arc<CertifiedKey>) {
        self.write().alpn.insert(host.to_string(), (key_authorization, certified));
    }

    pub fn remove_alpn(&self, host: &str) {
        self.write().alpn.remove(host);
    }

    /// Keeps only the challenges of `hosts`.
    pub fn retain_alpn(&self, hosts: &HashSet<String>) {
        self.write().alpn.retain(|host, _| hosts.contains(host));
    }

    fn resolve_name(&self, name: &str, acme_tls: bool) -> Option<Arc<CertifiedKey>> {
        let host = name.trim_end_matches('.').to_ascii_lowercase();
        if acme_tls {
            return self.read().alpn.get(&host).map(|(_, certified)| certified.clone());
        }
        let maps = self.read();
        if !maps.active.contains(&host) {
            return None;
        }
        if let Some(certified) = maps.certs.get(&host) {
            return Some(certified.clone());
        }
        drop(maps);
        if let Some(wanted) = &self.wanted {
            let _ = wanted.try_send(host);
        }
        None
    }
}

impl Default for CertResolver {
    fn default() -> Self {
        CertResolver::new()
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = client_hello.server_name()?;
        let acme_tls = client_hello.alpn().is_some_and(|mut protocols| protocols.any(|p| p == crate::ACME_TLS_ALPN));
        self.resolve_name(name, acme_tls)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn cert(host: &str) -> Arc<CertifiedKey> {
        crate::certs::alpn_challenge_cert(host, "x").unwrap()
    }

    #[test]
    fn only_active_hosts_with_a_certificate_get_one_and_only_active_hosts_are_wanted() {
        let (tx, mut rx) = mpsc::channel(4);
        let resolver = CertResolver::with_wanted(tx);
        resolver.set_active(["a.test".to_string(), "b.test".to_string()].into());
        resolver.insert("a.test", cert("a.test"));
        resolver.insert("gone.test", cert("gone.test"));
        assert!(resolver.resolve_name("A.test.", false).is_some());
        assert!(resolver.resolve_name("gone.test", false).is_none(), "not active: no certificate");
        assert!(resolver.resolve_name("random.example", false).is_none());
        assert!(rx.try_recv().is_err(), "unknown names start nothing");
        assert!(resolver.resolve_name("b.test", false).is_none());
        assert_eq!(rx.try_recv().ok().as_deref(), Some("b.test"));
    }

    #[test]
    fn acme_tls_handshakes_get_the_challenge_certificate_only() {
        let resolver = CertResolver::new();
        resolver.set_active(["a.test".to_string()].into());
        resolver.insert("a.test", cert("a.test"));
        assert!(resolver.resolve_name("a.test", true).is_none());
        let challenge = cert("a.test");
        resolver.set_alpn("a.test", "k".into(), challenge.clone());
        let served = resolver.resolve_name("a.test", true).unwrap();
        assert!(Arc::ptr_eq(&served, &challenge));
        resolver.retain_alpn(&HashSet::new());
        assert!(resolver.resolve_name("a.test", true).is_none());
    }
}
