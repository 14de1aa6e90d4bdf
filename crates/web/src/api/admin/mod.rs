//! Mastodon's admin API (`/api/v1/admin/...`, `/api/v2/admin/accounts`), on
//! every tenant, scoped by the token's admin scopes and its person's role
//! ([`crate::staff::Staff`]). Each family of endpoints is a module with its
//! own `routes`.

pub mod accounts;
pub mod blocks;
pub mod reports;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(accounts::routes).configure(reports::routes).configure(blocks::routes);
}
