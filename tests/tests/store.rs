//! The store's tenant rules, through its public functions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use kereru_core::{HostName, Username};
use kereru_store::accounts::{self, AccountError, NewLocalAccount};
use kereru_store::domains::{self, DomainError};
use kereru_tests::{add_domain, add_user, fresh_database, new_domain};

#[tokio::test]
async fn a_host_belongs_to_one_tenant_in_either_role() {
    let db = fresh_database().await;
    let pool = db.pool();
    let mut conn = pool.get().await.unwrap();
    domains::create(&mut conn, new_domain("example.test", Some("social.example.test"))).await.unwrap();
    for (host, service) in [
        ("example.test", None),
        ("social.example.test", None),
        ("other.test", Some("social.example.test")),
        ("other.test", Some("example.test")),
    ] {
        let result = domains::create(&mut conn, new_domain(host, service)).await;
        assert!(matches!(result, Err(DomainError::HostTaken(_))), "{host} {service:?}: {result:?}");
    }
    assert!(matches!(
        domains::create(&mut conn, new_domain("same.test", Some("same.test"))).await,
        Err(DomainError::SameHosts)
    ));
    // Nothing half-made: only the first domain exists, and other.test is free.
    assert_eq!(domains::list(&mut conn).await.unwrap().len(), 1);
    domains::create(&mut conn, new_domain("other.test", None)).await.unwrap();
}

#[tokio::test]
async fn usernames_are_unique_per_tenant_regardless_of_case() {
    let db = fresh_database().await;
    let pool = db.pool();
    let a = add_domain(&pool, "a.test", None).await;
    let b = add_domain(&pool, "b.test", None).await;
    add_user(&pool, &a, "alice").await;
    add_user(&pool, &b, "alice").await;
    let mut conn = pool.get().await.unwrap();
    let again = NewLocalAccount {
        username: Username::parse("ALICE").unwrap(),
        email: "other@mail.example".into(),
        password: "a long enough password".into(),
        role: kereru_store::roles::Role::User,
        approved: true,
        signup_reason: None,
        locale: None,
    };
    assert!(matches!(accounts::create_local(&mut conn, a.id, again).await, Err(AccountError::UsernameTaken(_))));
    let same_email = NewLocalAccount {
        username: Username::parse("alice2").unwrap(),
        email: "ALICE@mail.example".into(),
        password: "a long enough password".into(),
        role: kereru_store::roles::Role::User,
        approved: true,
        signup_reason: None,
        locale: None,
    };
    assert!(matches!(accounts::create_local(&mut conn, a.id, same_email).await, Err(AccountError::EmailTaken(_))));
    assert_eq!(accounts::list_local(&mut conn, a.id).await.unwrap().len(), 1);
    let found = accounts::find_local(&mut conn, a.id, "Alice").await.unwrap().unwrap();
    assert_eq!(found.domain_id, Some(a.id));
    assert!(accounts::find_local(&mut conn, b.id, "alice").await.unwrap().is_some_and(|x| x.id != found.id));
}

#[tokio::test]
async fn removing_a_domain_removes_its_accounts_and_frees_its_hosts() {
    let db = fresh_database().await;
    let pool = db.pool();
    let a = add_domain(&pool, "a.test", Some("s.a.test")).await;
    let b = add_domain(&pool, "b.test", None).await;
    add_user(&pool, &a, "alice").await;
    add_user(&pool, &b, "bob").await;
    let mut conn = pool.get().await.unwrap();
    domains::remove(&mut conn, a.id).await.unwrap();
    assert!(accounts::find_local(&mut conn, a.id, "alice").await.unwrap().is_none());
    assert!(accounts::find_local(&mut conn, b.id, "bob").await.unwrap().is_some());
    assert!(domains::find_by_host(&mut conn, &HostName::parse("s.a.test").unwrap()).await.unwrap().is_none());
    domains::create(&mut conn, new_domain("s.a.test", None)).await.unwrap();
    assert!(matches!(domains::remove(&mut conn, a.id).await, Err(DomainError::NotFound(_))));
}
