//! A tenant's usage: `/tenants/{host}/usage`. Owned by helper 4 (quotas): it adds the handlers, their `ROUTES` and their paths in
//! `docs/provider-openapi.json`.

use super::Route;
use actix_web::web;

pub const ROUTES: &[Route] = &[];

pub fn routes(_cfg: &mut web::ServiceConfig) {}
