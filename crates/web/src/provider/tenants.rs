//! Tenants: create, list, show, update, suspend, activate, delete (with a
//! grace period), restore, and the owner's activation mail. Owned by helper 3 (provider).

use super::Route;
use actix_web::web;

pub const ROUTES: &[Route] = &[];

pub fn routes(_cfg: &mut web::ServiceConfig) {}
