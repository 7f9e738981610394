//! The route table, in one place.

use actix_web::web;

pub mod assets;
pub mod health;
pub mod landing;
pub mod language;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(assets::configure)
        .configure(language::configure)
        .configure(landing::configure);
}
