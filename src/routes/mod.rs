//! The route table, in one place.

use actix_web::web;

mod citizen;
pub mod health;
pub mod landing;
pub mod language;
pub mod staff;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(assets)
        .configure(language::configure)
        .configure(landing::configure)
        // Before the citizen routes, whose `/{state}/...` patterns would shadow these.
        .configure(staff::configure)
        // Last: its `/{state}/...` patterns would shadow fixed paths registered after it.
        .configure(citizen::configure);
}

/// The embedded stylesheet and script, under content-hashed URLs.
fn assets(cfg: &mut web::ServiceConfig) {
    use crate::http::assets;
    cfg.route("/static/app.css", web::get().to(assets::stylesheet))
        .route("/static/app.js", web::get().to(assets::script));
}
