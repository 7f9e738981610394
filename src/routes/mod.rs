//! The route table, in one place.

use actix_web::web;

pub mod assets;
mod citizen;
pub mod health;
pub mod landing;
pub mod language;
pub mod staff;
pub mod status_events;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(assets::configure)
        .configure(language::configure)
        .configure(landing::configure)
        // Before the citizen routes, whose `/{state}/...` patterns would shadow these.
        .configure(staff::configure)
        .configure(status_events::configure)
        // Last: its `/{state}/...` patterns would shadow fixed paths registered after it.
        .configure(citizen::configure);
}
