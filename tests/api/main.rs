//! One integration binary, as in zero-to-production: every test starts the real app.

mod file_modes;
mod filing;
mod followups;
mod helpers;
mod logs;

mod about;
mod audit;
mod citizen;
mod delivery;
mod delivery_support;
mod drafts_at_rest;
mod faults;
mod field_errors;
mod health;
mod hostile;
mod hostile_props;
mod inbox;
mod inbox_export;
mod inbox_key_rotation;
mod inbox_pages;
mod inbox_processes;
mod inbox_pull;
mod inbox_retention;
mod inbox_status;
mod inbox_support;
mod mail;
mod processes;
mod retention;
mod sealing;
mod staff;
mod staff_leave;
mod store_conformance;
mod timelimits;
