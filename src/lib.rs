pub mod case_number;
pub mod cli;
pub mod crypto;
pub mod report_document;
