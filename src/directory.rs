//! Names and contacts of the state police desks and offices, as e-mails quote them.
//! The forms catalog provides the real directory; `FallbackDirectory` knows nothing and
//! lets callers fall back to generic wording.

use crate::i18n::Lang;

/// A desk or office as a citizen can reach it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub url: Option<String>,
}

pub trait Directory: Send + Sync {
    /// The state's online police desk ("Internetwache").
    fn desk(&self, state: &str) -> Option<Contact>;
    /// The office responsible for a report (`office_id` from the citizen flow).
    fn office(&self, state: &str, office_id: &str) -> Option<Contact>;
    /// The state's name in `lang`, e.g. "Berlin".
    fn state_name(&self, state: &str, lang: Lang) -> Option<String>;
}

/// Knows no names; e-mails then say "the police of BE".
#[derive(Debug, Clone, Copy, Default)]
pub struct FallbackDirectory;

impl Directory for FallbackDirectory {
    fn desk(&self, _state: &str) -> Option<Contact> {
        None
    }
    fn office(&self, _state: &str, _office_id: &str) -> Option<Contact> {
        None
    }
    fn state_name(&self, _state: &str, _lang: Lang) -> Option<String> {
        None
    }
}
