//! Police delivery. Until the queue's delivery adapters land, only the receipt format
//! (shared by push delivery and the pull API) lives here.

pub mod receipt;
