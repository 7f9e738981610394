//! One integration binary, as in zero-to-production: every test starts the real app.

mod filing;
mod helpers;
mod logs;

mod citizen;
mod field_errors;
mod health;
mod sealing;
mod store_conformance;
