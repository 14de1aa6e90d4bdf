//! The client's DNS resolver: the `resolve` table first, then (if enabled)
//! the system resolver, and only addresses the [`AddressPolicy`] allows are
//! handed to the connector. Because the check happens on the very addresses
//! the connection is made to, a name that resolves to a public address when
//! checked and a private one when used (DNS rebinding) cannot slip through.

use super::address::AddressPolicy;
use super::{FetchCounters, Refusal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub(super) struct GuardedResolver {
    pub(super) table: Arc<HashMap<String, SocketAddr>>,
    pub(super) policy: AddressPolicy,
    pub(super) system_dns: bool,
    pub(super) counters: Arc<FetchCounters>,
}

/// Host names as the table keys them: ASCII lower case, no trailing dot.
pub(super) fn table_key(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = table_key(name.as_str());
        let table = Arc::clone(&self.table);
        let policy = self.policy;
        let system_dns = self.system_dns;
        let counters = Arc::clone(&self.counters);
        Box::pin(async move {
            let found: Vec<SocketAddr> = match table.get(&host) {
                Some(addr) => vec![*addr],
                None if system_dns => match tokio::net::lookup_host((host.as_str(), 0)).await {
                    Ok(addrs) => addrs.collect(),
                    Err(error) => return Err(error.into()),
                },
                None => {
                    counters.count_refused();
                    return Err(Refusal::NotResolvable(host).into());
                }
            };
            let allowed: Vec<SocketAddr> = found.iter().copied().filter(|addr| policy.allows(addr.ip())).collect();
            match found.first() {
                Some(first) if allowed.is_empty() => {
                    counters.count_refused();
                    tracing::debug!(%host, address = %first.ip(), "refused: not a public address");
                    Err(Refusal::Address { host, ip: first.ip() }.into())
                }
                _ => {
                    let addrs: Addrs = Box::new(allowed.into_iter());
                    Ok(addrs)
                }
            }
        })
    }
}
