//! A world other servers talk to, for inbox tests: the app with its
//! tenants, the remote stand-in answering for the other servers' host
//! names, the client those servers post with (it signs, and reaches the
//! app's hosts), and an inbound worker that processes what the inboxes
//! stored (nothing else runs it in a test app).
//!
//! ```ignore
//! let world = World::new().tenant("a.test").user("a.test", "alice")
//!     .start_federated(&["remote.test"], &[]).await;
//! let mallory = world.remote.actor("remote.test", "mallory");
//! assert_eq!(world.post("http://a.test/inbox", &activity, &mallory.signer).await, 202);
//! world.process().await;
//! ```

use crate::TestApp;
use crate::inbox::{RawKind, RawPeer};
use crate::remote::{RemoteActor, RemoteServer};
use crate::session::Session;
use crate::world::{World, WorldBuilder};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kereru_core::Scheme;
use kereru_core::signatures::Signer;
use kereru_delivery::http::{FetchSettings, Fetcher};
use kereru_service::federation::inbound::worker::{InboundSettings, InboundWorker};
use kereru_store::schema::{inbound_activities, statuses};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A running world with other servers; derefs to its [`World`].
pub struct FederatedWorld {
    pub world: World,
    /// Serves the other servers' documents and counts what Kererū fetched.
    pub remote: RemoteServer,
    /// The client other servers post with: signs, and reaches the app's hosts.
    pub sender: Fetcher,
    /// Processes stored activities, with the app's outbound settings.
    pub worker: Arc<InboundWorker>,
    /// Accepts connections for the silent hosts and never answers.
    _silent: Option<RawPeer>,
}

impl WorldBuilder {
    /// [`WorldBuilder::start`], with the app's outbound client sending
    /// `remote_hosts` to the remote stand-in and `silent_hosts` to a peer
    /// that never answers (on top of the settings given, if any).
    pub async fn start_federated(mut self, remote_hosts: &[&str], silent_hosts: &[&str]) -> FederatedWorld {
        let remote = RemoteServer::start().await;
        let mut settings = self.settings.take().unwrap_or_else(TestApp::settings);
        for host in remote_hosts {
            settings.fetch.resolve.insert(host.to_string(), remote.addr);
        }
        let silent = if silent_hosts.is_empty() { None } else { Some(RawPeer::start(RawKind::Silent).await) };
        if let Some(peer) = &silent {
            for host in silent_hosts {
                settings.fetch.resolve.insert(host.to_string(), peer.addr);
            }
        }
        let processor_fetcher =
            Arc::new(Fetcher::new(&settings.fetch).unwrap_or_else(|e| panic!("processor fetcher: {e}")));
        let world = self.settings(settings).start().await;
        let sender = Fetcher::new(&FetchSettings {
            allow_private_addresses: true,
            system_dns: false,
            resolve: world.hosts().iter().map(|host| (host.clone(), world.app.addr)).collect(),
            // Longer than the app's own fetch deadline, which a request may wait out.
            timeout: Duration::from_secs(30),
            ..FetchSettings::default()
        })
        .unwrap_or_else(|e| panic!("sender: {e}"));
        let worker =
            InboundWorker::new(world.app.database.pool(), processor_fetcher, Scheme::Http, InboundSettings::default());
        FederatedWorld { world, remote, sender, worker, _silent: silent }
    }
}

impl std::ops::Deref for FederatedWorld {
    type Target = World;

    fn deref(&self) -> &World {
        &self.world
    }
}

impl FederatedWorld {
    /// Posts `body` to `inbox`, signed by `signer`; the answer's status.
    pub async fn post(&self, inbox: &str, body: &str, signer: &Arc<Signer>) -> u16 {
        self.sender
            .post_activity(inbox, Arc::from(body), Arc::clone(signer))
            .await
            .unwrap_or_else(|e| panic!("POST {inbox}: {e}"))
            .status
    }

    /// Activities the inboxes stored.
    pub async fn stored(&self) -> i64 {
        let mut conn = self.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
        inbound_activities::table.count().get_result(&mut conn).await.unwrap_or_else(|e| panic!("count: {e}"))
    }

    pub async fn statuses_with_uri(&self, uri: &str) -> i64 {
        let mut conn = self.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
        statuses::table
            .filter(statuses::uri.eq(uri))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("count: {e}"))
    }

    /// Processes everything stored (one round suffices for a handful of activities).
    pub async fn process(&self) {
        self.worker.round().await.unwrap_or_else(|e| panic!("inbound round: {e}"));
    }

    /// The tenant on `tenant` blocks the domain `host`.
    pub async fn block(&self, tenant: &str, host: &str) {
        let mut conn = self.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
        kereru_store::domain_blocks::add(&mut conn, Some(self.domain(tenant).id), host)
            .await
            .unwrap_or_else(|e| panic!("block {host}: {e}"));
    }

    /// `session`'s account (whose actor is `follower`) follows `actor`
    /// through the client API, and `actor`'s server accepts. Returns what
    /// the follow request answered.
    pub async fn follow_accepted(&self, session: &Session, follower: &str, actor: &RemoteActor) -> Value {
        self.remote.put(
            &actor.host,
            "/.well-known/webfinger",
            json!({"subject": format!("acct:{}@{}", actor.name, actor.host),
                   "links": [{"rel": "self", "type": "application/activity+json", "href": actor.id}]}),
        );
        let found = session
            .get_json(&format!("/api/v2/search?q={}@{}&resolve=true&type=accounts", actor.name, actor.host))
            .await;
        let id = found["accounts"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{actor} not found: {found}", actor = actor.id));
        let answered = session.post_json(&format!("/api/v1/accounts/{id}/follow"), &[]).await;
        let accept = json!({"id": format!("{}#accepts/1", actor.id), "type": "Accept", "actor": actor.id,
            "object": {"type": "Follow", "actor": follower, "object": actor.id}});
        assert_eq!(self.post(&format!("{follower}/inbox"), &accept.to_string(), &actor.signer).await, 202);
        self.process().await;
        let relationship = session.get_json(&format!("/api/v1/accounts/relationships?id[]={id}")).await;
        assert_eq!(relationship[0]["following"], true, "{relationship}");
        answered
    }

    pub async fn stop(self) {
        self.remote.stop().await;
        self.world.stop().await;
    }
}
