//! Helpers once copied here now live in the harness library: set tests up
//! with `kereru_tests::World` (tenants, accounts, a running app) and log in
//! with `World::login` or `kereru_tests::Session`. This shim keeps test
//! files that still say `mod common;` compiling.

#![allow(dead_code, unused_imports)]

pub use kereru_tests::{Session, add_domain, add_user, fixture, new_domain, raw_status};
