pub mod cli;
pub mod i18n;
pub mod state_code;
