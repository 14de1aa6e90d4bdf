//! Webhook registrations: `/webhooks`, `/webhooks/{id}`, `/webhooks/{id}/test`. Owned by helper 5 (webhooks): it adds the handlers, their `ROUTES` and their paths in
//! `docs/provider-openapi.json`.

use super::Route;
use actix_web::web;

pub const ROUTES: &[Route] = &[];

pub fn routes(_cfg: &mut web::ServiceConfig) {}
