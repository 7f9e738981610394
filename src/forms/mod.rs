//! Form variants per state: the schema under `forms/`, its checker, and the validation of
//! a citizen's answers. See `forms/README.md` for the file format.
//!
//! - [`Catalog::load`] reads and checks a whole tree; [`parse_upload`] checks one file.
//! - [`validate_step`] turns a step's POST into [`Answers`]; [`validate_all`] re-checks at
//!   submit; [`review`] lists the answers for "Angaben prüfen".
//! - [`render::StepFields`] renders the inputs of one step.

use std::fmt;

mod answers;
mod catalog;
pub mod countries;
pub mod followup_form;
mod groups;
mod kinds;
mod overlay;
mod raw;
pub mod render;
mod resolve;
mod resolved_check;
mod reveal;
mod review;
mod schema;
mod state_info;
mod validate;
pub mod values;
mod view;
mod visibility;

pub use answers::{
    AnswerValue, Answers, FieldError, FileContent, RawFile, RawStepInput, SpanValue, StepResult,
    UploadedFile,
};
pub use catalog::{parse_upload, Catalog};
pub use groups::{add_group_item, remove_group_item, GroupAction};
pub use kinds::registry::anchor_id;
pub use kinds::spec::input_base;
pub use kinds::NoKeys;
pub use review::{answer_rows, display_value, review, AnswerRow, ReviewRow, ReviewStep};
pub use schema::{
    Choice, Condition, ExitRule, Field, FieldKind, FieldRole, FormVariant, Referral, Step,
};
pub use state_info::{Office, PostalRange, Retention, Route, StateInfo};
pub use validate::{prune_hidden, validate_all, validate_step};
pub use values::FileType;
pub use visibility::condition_holds;

/// One problem found in a form file, shown as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

impl FormVariant {
    /// The same variant under another version number, its content hash recomputed (the
    /// version is part of the hash). Publishing numbers uploads this way.
    pub fn renumbered(mut self, version: u32) -> FormVariant {
        self.version = version;
        self.content_hash = catalog::content_hash(&self);
        self
    }
}

#[cfg(test)]
mod tests;
