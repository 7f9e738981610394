pub mod cli;
pub mod forms;
pub mod i18n;
pub mod state_code;
