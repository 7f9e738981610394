//! One integration binary, as in zero-to-production: every test starts the real app.

mod filing;
mod helpers;
mod logs;

mod about;
mod citizen;
mod delivery;
mod delivery_support;
mod field_errors;
mod health;
mod inbox;
mod inbox_export;
mod inbox_pages;
mod inbox_processes;
mod inbox_pull;
mod inbox_status;
mod inbox_support;
mod mail;
mod processes;
mod sealing;
mod staff;
mod store_conformance;
