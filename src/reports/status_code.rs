//! The status code a citizen gets with the case number: `K7M3-Q9XD-R2HP-W4ZT-8NB5`.
//!
//! 19 random symbols from the case numbers' 31-symbol alphabet without look-alikes
//! (no 0/O, 1/I/L), 31^19 ≈ 2^94, then one check symbol; typed in groups of four. With
//! weights w_p = p + 1 over the 20 positions, a code is valid iff Σ w_p·v_p ≡ 0 (mod 31):
//! a single substitution and a swap of two adjacent symbols always break the sum.
//!
//! Only a labelled hash (HMAC-SHA256 keyed with a fixed label, over case number and code)
//! is stored; comparing it is constant-time. Debug never shows the code.

use std::fmt;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::crypto::constant_time_eq;
use crate::reports::case_number::{CaseNumber, ALPHABET};

const RANDOM_LEN: usize = 19;
const LEN: usize = RANDOM_LEN + 1;
const GROUP: usize = 4;
const MODULUS: u32 = 31;
const HASH_LABEL: &[u8] = b"internetwache/status-code/v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusCodeError {
    #[error("a status code has {expected} letters and digits, this one has {found}")]
    WrongLength { expected: usize, found: usize },
    #[error("character {position} is not used in status codes (0, 1, I, L and O never occur)")]
    InvalidCharacter { position: usize },
    #[error("the status code contains a typing error (check symbol does not match)")]
    CheckFailed,
    #[error("the random number generator failed")]
    Random,
}

/// A well-formed status code in its display form.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusCode(String);

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StatusCode(..)")
    }
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

fn weighted_sum(values: &[u32]) -> u32 {
    values
        .iter()
        .enumerate()
        .map(|(p, v)| (p as u32 + 1) * v)
        .sum::<u32>()
        % MODULUS
}

/// The symbol that makes the sum over all 20 positions zero.
fn check_value(body: &[u32]) -> u32 {
    let s = weighted_sum(body);
    let w = LEN as u32;
    // w^(31-2) is w's inverse mod 31 (Fermat).
    let inverse = (0..MODULUS - 2).fold(1, |acc, _| acc * w % MODULUS);
    (MODULUS - s) % MODULUS * inverse % MODULUS
}

fn render(values: &[u32]) -> String {
    let mut out = String::with_capacity(LEN + LEN / GROUP);
    for (i, &v) in values.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            out.push('-');
        }
        out.push(ALPHABET[v as usize] as char);
    }
    out
}

impl StatusCode {
    pub fn generate() -> Result<Self, StatusCodeError> {
        let rng = SystemRandom::new();
        let mut values = Vec::with_capacity(LEN);
        let mut buf = [0u8; 32];
        while values.len() < RANDOM_LEN {
            rng.fill(&mut buf).map_err(|_| StatusCodeError::Random)?;
            // Rejection sampling: 248 = 8·31 keeps every symbol equally likely.
            values.extend(
                buf.iter()
                    .filter(|&&b| b < 248)
                    .map(|&b| u32::from(b) % MODULUS)
                    .take(RANDOM_LEN - values.len()),
            );
        }
        values.push(check_value(&values));
        Ok(StatusCode(render(&values)))
    }

    /// Parses what a citizen typed: case, spaces and dashes are forgiven.
    pub fn parse(input: &str) -> Result<Self, StatusCodeError> {
        let compact: Vec<u8> = input
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'-' | b'.' | b'_' | b'\t'))
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if compact.len() != LEN {
            return Err(StatusCodeError::WrongLength {
                expected: LEN,
                found: compact.len(),
            });
        }
        let values = compact
            .iter()
            .enumerate()
            .map(|(i, &c)| value(c).ok_or(StatusCodeError::InvalidCharacter { position: i + 1 }))
            .collect::<Result<Vec<u32>, _>>()?;
        if weighted_sum(&values) != 0 {
            return Err(StatusCodeError::CheckFailed);
        }
        Ok(StatusCode(render(&values)))
    }

    /// The display form, for the confirmation page, the printable copy and the e-mail.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored: hex HMAC-SHA256 under a fixed label over case number and code.
    pub fn hash(&self, case_number: &CaseNumber) -> String {
        labelled_hash(case_number.as_str(), &self.0)
    }

    /// Whether this code hashes to `stored` for `case_number`, in constant time.
    pub fn matches(&self, case_number: &CaseNumber, stored: &str) -> bool {
        constant_time_eq(self.hash(case_number).as_bytes(), stored.as_bytes())
    }
}

fn labelled_hash(case_number: &str, code: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, HASH_LABEL);
    let message = [case_number.as_bytes(), b"\n", code.as_bytes()].concat();
    hex::encode(hmac::sign(&key, &message).as_ref())
}

/// A hash no code produces for an unknown case number, so a look-up of an unknown case
/// does the same work as a wrong code: one HMAC and one full comparison.
pub fn unknown_case_hash() -> String {
    labelled_hash("", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_and_differ() {
        let a = StatusCode::generate().expect("code");
        let b = StatusCode::generate().expect("code");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 24);
        assert_eq!(StatusCode::parse(a.expose()).expect("parse"), a);
        let typed = a.expose().to_lowercase().replace('-', " ");
        assert_eq!(StatusCode::parse(&typed).expect("parse"), a);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn typing_errors_are_caught() {
        let code = StatusCode::generate().expect("code");
        let compact: Vec<u8> = code.expose().bytes().filter(|&b| b != b'-').collect();
        for i in 0..compact.len() {
            for &c in ALPHABET.iter().filter(|&&c| c != compact[i]) {
                let mut t = compact.clone();
                t[i] = c;
                let s = String::from_utf8(t).expect("ascii");
                assert_eq!(StatusCode::parse(&s), Err(StatusCodeError::CheckFailed));
            }
            if i + 1 < compact.len() && compact[i] != compact[i + 1] {
                let mut t = compact.clone();
                t.swap(i, i + 1);
                let s = String::from_utf8(t).expect("ascii");
                assert!(StatusCode::parse(&s).is_err(), "swap at {i} accepted");
            }
        }
        assert!(matches!(
            StatusCode::parse("K7M3"),
            Err(StatusCodeError::WrongLength { .. })
        ));
        assert!(matches!(
            StatusCode::parse("O7M3-Q9XD-R2HP-W4ZT-8NB5"),
            Err(StatusCodeError::InvalidCharacter { position: 1 })
        ));
    }

    #[test]
    fn hash_is_bound_to_the_case_number() {
        let code = StatusCode::generate().expect("code");
        let a = CaseNumber::generate("be").expect("case");
        let b = CaseNumber::generate("be").expect("case");
        let stored = code.hash(&a);
        assert_eq!(stored.len(), 64);
        assert!(code.matches(&a, &stored));
        assert!(!code.matches(&b, &stored));
        let other = StatusCode::generate().expect("code");
        assert!(!other.matches(&a, &stored));
        assert!(!code.matches(&a, &unknown_case_hash()));
    }
}
