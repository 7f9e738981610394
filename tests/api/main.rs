//! One integration binary, as in zero-to-production: every test starts the real app.

mod helpers;

mod health;
mod store_conformance;
