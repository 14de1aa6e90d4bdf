//! Tenants and accounts written straight into a test's database, as the
//! `kereru domain` and `kereru user` commands would.

use kereru_core::{HostName, Username};
use kereru_store::Pool;
use kereru_store::accounts::{self, Account, NewLocalAccount};
use kereru_store::domains::{self, Domain, DomainState, NewDomain, Registrations};

/// Every seeded account's password.
pub const PASSWORD: &str = "a long enough password";

/// An active tenant with open registrations.
pub fn new_domain(host: &str, service_host: Option<&str>) -> NewDomain {
    let parse = |host: &str| HostName::parse(host).unwrap_or_else(|e| panic!("host {host}: {e}"));
    NewDomain {
        account_host: parse(host),
        service_host: service_host.map(parse),
        state: DomainState::Active,
        registrations: Registrations::Open,
        name: None,
        owner_email: None,
    }
}

pub async fn add_domain(pool: &Pool, host: &str, service_host: Option<&str>) -> Domain {
    create_domain(pool, new_domain(host, service_host)).await
}

pub async fn create_domain(pool: &Pool, domain: NewDomain) -> Domain {
    let mut conn = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    let host = domain.account_host.to_string();
    domains::create(&mut conn, domain).await.unwrap_or_else(|e| panic!("domain {host}: {e}"))
}

/// An approved, non-admin account `username` on `domain`, with [`PASSWORD`]
/// and the address `username@mail.example`.
pub async fn add_user(pool: &Pool, domain: &Domain, username: &str) -> Account {
    let mut conn = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    accounts::create_local(
        &mut conn,
        domain.id,
        NewLocalAccount {
            username: Username::parse(username).unwrap_or_else(|e| panic!("username {username}: {e}")),
            email: format!("{username}@mail.example"),
            password: PASSWORD.into(),
            role: kereru_store::roles::Role::User,
            approved: true,
            signup_reason: None,
            locale: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("account {username}: {e}"))
}
