//! The routes of the public pages and the timelines (the post and profile
//! pages answer on the ActivityPub routes, by content negotiation).

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/about", web::get().to(super::front::about_page))
        .route("/public/local", web::get().to(super::timelines::local))
        .route("/tags/{name}", web::get().to(super::timelines::tag))
        .route("/home", web::get().to(super::timelines::home))
        .route("/notifications", web::get().to(super::timelines::notifications_page));
}
