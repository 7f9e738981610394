//! One integration binary, as in zero-to-production: every test starts the real app.

mod helpers;

mod delivery;
mod delivery_support;
mod health;
mod mail;
mod processes;
mod store_conformance;
