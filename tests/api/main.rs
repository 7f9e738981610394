//! One integration binary, as in zero-to-production: every test starts the real app.

mod filing;
mod helpers;

mod citizen;
mod field_errors;
mod health;
mod sealing;
mod staff;
mod store_conformance;
