//! One place for a test's setup: a builder for a "world" of tenants and
//! accounts in a fresh database, and the app serving them.
//!
//! ```ignore
//! let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
//! let alice = world.login("a.test", "alice").await;
//! ...
//! world.stop().await;
//! ```
//!
//! `seed()` instead of `start()` stops before the app starts, for tests that
//! change the database first (or need no app at all).

use crate::seed::{add_user, create_domain, new_domain};
use crate::session::Session;
use crate::{TestApp, TestDatabase, fresh_database};
use kereru_core::HostName;
use kereru_store::Pool;
use kereru_store::accounts::Account;
use kereru_store::domains::{Domain, NewDomain};
use kereru_store::roles::{self, Role};
use std::time::Duration;

/// What a world is made of; [`World::new`] starts one.
#[derive(Default)]
pub struct WorldBuilder {
    domains: Vec<NewDomain>,
    users: Vec<(String, String)>,
    /// (host, username, role, host admin) given to users after they are made.
    staff: Vec<(String, String, Role, bool)>,
    extra_hosts: Vec<String>,
    /// Read by `start_federated`, which adds the remote hosts to them.
    pub(crate) settings: Option<kereru_web::WebSettings>,
    heartbeat: Option<Duration>,
}

impl WorldBuilder {
    /// An active tenant on `host` with open registrations.
    pub fn tenant(self, host: &str) -> Self {
        self.domain(new_domain(host, None))
    }

    /// A tenant whose handles are on `host` and whose actors are served on `service_host`.
    pub fn tenant_with_service_host(self, host: &str, service_host: &str) -> Self {
        self.domain(new_domain(host, Some(service_host)))
    }

    /// A tenant as given (registration mode, state, ...); see [`new_domain`].
    pub fn domain(mut self, domain: NewDomain) -> Self {
        self.domains.push(domain);
        self
    }

    /// An approved account `username` on the tenant `host`, created after
    /// every tenant, in the order given.
    pub fn user(mut self, host: &str, username: &str) -> Self {
        self.users.push((host.to_string(), username.to_string()));
        self
    }

    /// An approved account `username` on `host` (as [`WorldBuilder::user`]) with `role` there.
    pub fn staff(mut self, host: &str, username: &str, role: Role) -> Self {
        self.staff.push((host.to_string(), username.to_string(), role, false));
        self.user(host, username)
    }

    /// An approved account `username` on `host` that administers the whole host (a user there).
    pub fn host_admin(mut self, host: &str, username: &str) -> Self {
        self.staff.push((host.to_string(), username.to_string(), Role::User, true));
        self.user(host, username)
    }

    /// One more host name the app's clients send to the app (one no tenant has).
    pub fn host(mut self, host: &str) -> Self {
        self.extra_hosts.push(host.to_string());
        self
    }

    /// The app's settings, instead of [`TestApp::settings`].
    pub fn settings(mut self, settings: kereru_web::WebSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// How often server-sent event streams send a heartbeat.
    pub fn heartbeat(mut self, heartbeat: Duration) -> Self {
        self.heartbeat = Some(heartbeat);
        self
    }

    /// A fresh database with the tenants and accounts in it; no app yet.
    pub async fn seed(self) -> Seeded {
        let database = fresh_database().await;
        let pool = database.pool();
        let mut domains = Vec::new();
        for domain in self.domains {
            domains.push(create_domain(&pool, domain).await);
        }
        let mut people = People { domains, accounts: Vec::new() };
        for (host, username) in &self.users {
            let domain = people.domain(host).clone();
            let account = add_user(&pool, &domain, username).await;
            people.accounts.push(account);
        }
        for (host, username, role, host_admin) in &self.staff {
            let tenant = people.domain(host).id;
            let account = people.account(host, username).id;
            let mut conn = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
            roles::set_role(&mut conn, tenant, account, *role).await.unwrap_or_else(|e| panic!("role: {e}"));
            roles::set_host_admin(&mut conn, tenant, account, *host_admin)
                .await
                .unwrap_or_else(|e| panic!("host admin: {e}"));
        }
        let mut hosts: Vec<String> = Vec::new();
        for domain in &people.domains {
            hosts.push(domain.account_host.to_string());
            hosts.extend(domain.service_host.as_ref().map(|host| host.to_string()));
        }
        hosts.extend(self.extra_hosts);
        Seeded { database, pool, people, hosts, settings: self.settings, heartbeat: self.heartbeat }
    }

    /// [`WorldBuilder::seed`], then the app serving every tenant's hosts.
    pub async fn start(self) -> World {
        self.seed().await.start().await
    }
}

/// The tenants and accounts a world was seeded with.
struct People {
    domains: Vec<Domain>,
    accounts: Vec<Account>,
}

impl People {
    fn domain(&self, host: &str) -> &Domain {
        let name = HostName::parse(host).unwrap_or_else(|e| panic!("host {host}: {e}"));
        self.domains
            .iter()
            .find(|domain| domain.account_host == name || domain.service_host.as_ref() == Some(&name))
            .unwrap_or_else(|| panic!("no tenant {host} in this world"))
    }

    fn account(&self, host: &str, username: &str) -> &Account {
        let domain = self.domain(host).id;
        self.accounts
            .iter()
            .find(|account| account.domain_id == Some(domain) && account.username.eq_ignore_ascii_case(username))
            .unwrap_or_else(|| panic!("no account {username} on {host} in this world"))
    }
}

/// A seeded database whose app has not started yet.
pub struct Seeded {
    pub database: TestDatabase,
    /// A pool on the database, for setup the API cannot do (yet).
    pub pool: Pool,
    people: People,
    hosts: Vec<String>,
    settings: Option<kereru_web::WebSettings>,
    heartbeat: Option<Duration>,
}

impl Seeded {
    pub fn domain(&self, host: &str) -> &Domain {
        self.people.domain(host)
    }

    pub fn account(&self, host: &str, username: &str) -> &Account {
        self.people.account(host, username)
    }

    /// Starts the app for every tenant's hosts (and any extra ones).
    pub async fn start(self) -> World {
        let hosts: Vec<&str> = self.hosts.iter().map(String::as_str).collect();
        let settings = self.settings.unwrap_or_else(TestApp::settings);
        let heartbeat = self.heartbeat.unwrap_or(kereru_web::streaming::HEARTBEAT);
        let app = TestApp::start_with_heartbeat(self.database, &hosts, settings, heartbeat).await;
        World { app, pool: self.pool, people: self.people, hosts: self.hosts }
    }
}

/// A running world: the app, a pool on its database, and who is in it.
pub struct World {
    pub app: TestApp,
    /// A pool on the app's database, for setup and checks the API cannot do.
    pub pool: Pool,
    people: People,
    hosts: Vec<String>,
}

impl World {
    /// An empty world to build on.
    #[allow(clippy::new_ret_no_self)] // the builder is the world before it exists
    pub fn new() -> WorldBuilder {
        WorldBuilder::default()
    }

    pub fn domain(&self, host: &str) -> &Domain {
        self.people.domain(host)
    }

    pub fn account(&self, host: &str, username: &str) -> &Account {
        self.people.account(host, username)
    }

    /// Every host name the app serves (the tenants' and any extra ones).
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// A client logged in as `username` on `host` (the password grant).
    pub async fn login(&self, host: &str, username: &str) -> Session {
        Session::login(&self.app, host, username).await
    }

    /// Another node: a second app on the same database, for the same hosts,
    /// with the default settings.
    pub async fn start_node(&self) -> TestApp {
        let hosts: Vec<&str> = self.hosts.iter().map(String::as_str).collect();
        TestApp::start(self.app.database.clone(), &hosts).await
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}
