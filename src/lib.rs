pub mod cli;
pub mod crypto;
