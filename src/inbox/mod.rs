//! The police side (`internetwache inbox`): runs inside the police network with its own
//! configuration ([`settings`]), database (the same store layer and migrations as the
//! intake) and the states' private keys ([`keyring`]).
//!
//! - [`receiver`]: the one receiving side of the delivery protocol (push and pull store
//!   through it; `police-sim` wraps it with fault injection).
//! - [`push`]: the push endpoint's checks and answers; [`pull`] fetches from the intake's
//!   pull API with [`pull_client`] (shared with `internetwache clerk pull`).
//! - [`opening`]: opens an envelope with the key its key id names and checks its metadata;
//!   failures become visible "nicht lesbar" items.
//! - [`triage`]: the index extracted at receive time and the clerks' status flow.
//! - [`reading`]: a clerk opens the full report (key held in memory, audited);
//!   [`triage_actions`]: assign, re-route, notes, attachment download, print (audited).
//! - [`status`], [`status_message`]: status changes and the signed, coarse status sent
//!   back to the intake.
//! - [`export`]: the VBS export bundle, to the drop folder or through the export API.
//! - [`case_file`]: the report as a PDF for the case file.
//! - [`retention`]: deletes envelopes, exports and later the index once their days are up.
//! - [`clerk_pages`]: the clerks' pages (sign-in, Posteingang, report page, triage forms).
//! - [`context`]: start-up and what the HTTP side and the workers share; [`server`]: HTTP.

pub mod case_file;
pub mod clerk_pages;
pub mod context;
pub mod export;
pub mod export_api;
pub mod followups;
pub mod keyring;
pub mod opening;
pub mod pull;
pub mod pull_client;
pub mod push;
pub mod reading;
pub mod receiver;
pub mod retention;
pub mod server;
pub mod settings;
pub mod status;
pub mod status_message;
pub mod triage;
pub mod triage_actions;
