//! The two-letter code of a German state (`be`, `bb`, `mv`, ...).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A lower-case two-letter state code. Which states exist is data (`forms/<state>/`);
/// this type only guarantees the shape, so it is safe in URLs and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StateCode(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a state code is two letters, such as \"be\"")]
pub struct InvalidStateCode;

/// First path segments of the fixed routes. A state code is the first segment of the
/// citizen's `/{state}/...` URLs, so none of these may ever be one (the routes test checks
/// that every fixed route's first segment is listed here).
pub const RESERVED_PATH_WORDS: &[&str] = &[
    "abmelden",
    "anmelden",
    "api",
    "barrierefreiheit",
    "datenschutz",
    "gebaerdensprache",
    "healthz",
    "leichte-sprache",
    "melden",
    "metrics",
    "polizei",
    "readyz",
    "sprache",
    "static",
    "status",
    "verwaltung",
];

impl StateCode {
    pub fn parse(input: &str) -> Result<StateCode, InvalidStateCode> {
        let code = input.trim().to_ascii_lowercase();
        if RESERVED_PATH_WORDS.contains(&code.as_str()) {
            return Err(InvalidStateCode);
        }
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(StateCode(code))
        } else {
            Err(InvalidStateCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Upper-case form used in case numbers and official texts.
    pub fn upper(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

impl TryFrom<String> for StateCode {
    type Error = InvalidStateCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        StateCode::parse(&value)
    }
}

impl From<StateCode> for String {
    fn from(code: StateCode) -> String {
        code.0
    }
}

impl AsRef<str> for StateCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so width and alignment work as for the plain string (CLI tables).
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_two_letters_case_insensitively() {
        assert_eq!(StateCode::parse("BE").unwrap().as_str(), "be");
        assert!(StateCode::parse("b3").is_err());
        assert!(StateCode::parse("ber").is_err());
        assert!(StateCode::parse("../").is_err());
    }
}
