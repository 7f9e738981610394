//! Reports: the case number a citizen is promised, the document sealed to the police, and
//! turning a finished draft into a stored, sealed, queued report.

pub mod case_number;
pub mod document;
pub mod followup;
pub mod followup_submission;
pub mod status;
pub mod status_code;
pub mod submission;
