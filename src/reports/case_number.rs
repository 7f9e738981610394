//! Case numbers: `BE-K7M3-Q9XD-R2HP-7`.
//!
//! Layout: two-letter state prefix, 12 random symbols from a 31-symbol
//! alphabet without look-alikes (no 0/O, 1/I/L), in groups of four, then one
//! check symbol. 31^12 ≈ 7.9·10^17 values per state.
//!
//! Check: with positions p = 0..14 over prefix, body and check symbol,
//! weights w_p = p + 1 and values v_p, the number is valid iff
//! Σ w_p·v_p ≡ 0 (mod 31). 31 is prime and every weight is non-zero and
//! distinct mod 31, so a single substitution (change w·Δv ≠ 0) and a swap of
//! two adjacent, different symbols (change (w_p − w_{p+1})·Δv = ±Δv ≠ 0) always
//! break the sum. Body symbols take their alphabet index; prefix letters take
//! the same value where the letter is in the alphabet, and I, L, O (never in
//! the body) take 0, 1, 2. Thus the value of a letter does not depend on its
//! position, which keeps swaps across the prefix/body border detectable.

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const BODY_LEN: usize = 12;
const GROUP: usize = 4;
const MODULUS: u32 = 31;
/// Prefix + body + check symbol.
const COMPACT_LEN: usize = 2 + BODY_LEN + 1;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CaseNumberError {
    #[error("the case number is empty")]
    Empty,
    #[error("a case number has {expected} letters and digits, this one has {found}")]
    WrongLength { expected: usize, found: usize },
    #[error("a case number starts with the two letters of a state, e.g. BE")]
    InvalidPrefix,
    #[error("character {position} is not used in case numbers (0, 1, I, L and O never occur)")]
    InvalidCharacter { position: usize },
    #[error("the case number contains a typing error (check symbol does not match)")]
    CheckFailed,
    #[error("a state code is two letters A-Z")]
    InvalidState,
    #[error("the random number generator failed")]
    Random,
}

/// A validated case number, stored in its display form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseNumber(String);

fn body_value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

fn prefix_value(c: u8) -> Option<u32> {
    match c {
        b'I' => Some(0),
        b'L' => Some(1),
        b'O' => Some(2),
        b'A'..=b'Z' => body_value(c),
        _ => None,
    }
}

fn weight(position: usize) -> u32 {
    position as u32 + 1
}

/// Σ w_p·v_p mod 31 over the given leading symbols (prefix first).
fn partial_sum(prefix: &[u8; 2], body: &[u32]) -> Option<u32> {
    let mut sum = 0u32;
    for (p, &c) in prefix.iter().enumerate() {
        sum += weight(p) * prefix_value(c)?;
    }
    for (i, &v) in body.iter().enumerate() {
        sum += weight(2 + i) * v;
    }
    Some(sum % MODULUS)
}

/// Modular inverse by Fermat (31 is prime).
fn inverse(x: u32) -> u32 {
    let mut result = 1;
    for _ in 0..MODULUS - 2 {
        result = result * x % MODULUS;
    }
    result
}

fn check_value(prefix: &[u8; 2], body: &[u32]) -> Option<u32> {
    let s = partial_sum(prefix, body)?;
    let w = weight(COMPACT_LEN - 1);
    Some((MODULUS - s) % MODULUS * inverse(w) % MODULUS)
}

fn render(prefix: &[u8; 2], body: &[u32], check: u32) -> String {
    let mut out = String::with_capacity(COMPACT_LEN + 4);
    out.push(prefix[0] as char);
    out.push(prefix[1] as char);
    for (i, &v) in body.iter().enumerate() {
        if i % GROUP == 0 {
            out.push('-');
        }
        out.push(ALPHABET[v as usize] as char);
    }
    out.push('-');
    out.push(ALPHABET[check as usize] as char);
    out
}

impl CaseNumber {
    /// A fresh random case number for `state` (two letters, any case).
    pub fn generate(state: &str) -> Result<Self, CaseNumberError> {
        let prefix = parse_state(state)?;
        let rng = SystemRandom::new();
        let mut body = [0u32; BODY_LEN];
        let mut filled = 0;
        let mut buf = [0u8; 32];
        while filled < BODY_LEN {
            rng.fill(&mut buf).map_err(|_| CaseNumberError::Random)?;
            // Rejection sampling: 248 = 8·31 keeps every symbol equally likely.
            for &b in buf.iter().filter(|&&b| b < 248) {
                if filled == BODY_LEN {
                    break;
                }
                body[filled] = u32::from(b) % MODULUS;
                filled += 1;
            }
        }
        let check = check_value(&prefix, &body).ok_or(CaseNumberError::InvalidState)?;
        Ok(CaseNumber(render(&prefix, &body, check)))
    }

    /// Parses what a citizen typed: case, spaces, dashes and dots are forgiven.
    pub fn parse(input: &str) -> Result<Self, CaseNumberError> {
        let compact: Vec<u8> = input
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'-' | b'.' | b'_' | b'\t' | b'/'))
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(CaseNumberError::Empty);
        }
        if compact.len() != COMPACT_LEN {
            return Err(CaseNumberError::WrongLength {
                expected: COMPACT_LEN,
                found: input.chars().filter(|c| c.is_alphanumeric()).count(),
            });
        }
        let prefix = [compact[0], compact[1]];
        if !prefix.iter().all(u8::is_ascii_uppercase) {
            return Err(CaseNumberError::InvalidPrefix);
        }
        let mut values = [0u32; BODY_LEN + 1];
        for (i, &c) in compact[2..].iter().enumerate() {
            values[i] =
                body_value(c).ok_or(CaseNumberError::InvalidCharacter { position: i + 3 })?;
        }
        let (body, check) = values.split_at(BODY_LEN);
        if check_value(&prefix, body) != Some(check[0]) {
            return Err(CaseNumberError::CheckFailed);
        }
        Ok(CaseNumber(render(&prefix, body, check[0])))
    }

    /// The display form, e.g. `BE-K7M3-Q9XD-R2HP-7`.
    /// A stand-in for logs and spans: the first 12 hex digits of the SHA-256 of the number.
    /// Lets a log line be matched to a report by whoever has the number, without showing it.
    pub fn log_id(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        hex::encode(&digest.as_ref()[..6])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The upper-case state prefix, e.g. `BE`.
    pub fn state(&self) -> &str {
        &self.0[..2]
    }
}

fn parse_state(state: &str) -> Result<[u8; 2], CaseNumberError> {
    let b = state.trim().as_bytes();
    if b.len() != 2 || !b.iter().all(u8::is_ascii_alphabetic) {
        return Err(CaseNumberError::InvalidState);
    }
    Ok([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()])
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseNumber({})", self.0)
    }
}

impl FromStr for CaseNumber {
    type Err = CaseNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseNumber::parse(s)
    }
}

impl AsRef<str> for CaseNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for CaseNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CaseNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CaseNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn compact(n: &CaseNumber) -> Vec<u8> {
        n.as_str().bytes().filter(|&b| b != b'-').collect()
    }

    #[test]
    fn format_and_parse_tolerance() {
        let n = CaseNumber::generate("be").expect("generate");
        assert_eq!(n.state(), "BE");
        assert_eq!(n.as_str().len(), 19);
        assert!(n.as_str().starts_with("BE-"));
        let typed = n.as_str().to_lowercase().replace('-', " ");
        assert_eq!(CaseNumber::parse(&typed), Ok(n.clone()));
        let squashed: String = n.as_str().chars().filter(|&c| c != '-').collect();
        assert_eq!(CaseNumber::parse(&squashed), Ok(n.clone()));
        assert_eq!(CaseNumber::parse(&format!(" --{}-- ", n)), Ok(n.clone()));
        let json = serde_json::to_string(&n).expect("ser");
        assert_eq!(json, format!("\"{n}\""));
        assert_eq!(serde_json::from_str::<CaseNumber>(&json).expect("de"), n);
        assert!(serde_json::from_str::<CaseNumber>("\"BE-2222\"").is_err());
        assert_eq!(CaseNumber::parse(""), Err(CaseNumberError::Empty));
        assert!(matches!(
            CaseNumber::parse("BE-1234"),
            Err(CaseNumberError::WrongLength { .. })
        ));
        assert_eq!(
            CaseNumber::generate("B1"),
            Err(CaseNumberError::InvalidState)
        );
        assert_eq!(
            CaseNumber::generate("BER"),
            Err(CaseNumberError::InvalidState)
        );
    }

    #[test]
    fn one_million_unique_and_valid() {
        let n = 1_000_000;
        let states = ["BE", "BY", "NW", "NI", "SN", "HH", "IL", "OL"];
        let mut seen = HashSet::with_capacity(n);
        for i in 0..n {
            let c = CaseNumber::generate(states[i % states.len()]).expect("generate");
            assert_eq!(CaseNumber::parse(c.as_str()).as_ref(), Ok(&c));
            assert!(seen.insert(c), "duplicate case number");
        }
        assert_eq!(seen.len(), n);
        println!(
            "{} case numbers generated, {} unique, all parsed",
            n,
            seen.len()
        );
    }

    #[test]
    fn every_substitution_and_adjacent_swap_is_rejected() {
        let letters: Vec<u8> = (b'A'..=b'Z').collect();
        // I, L and O only occur in prefixes; cover them too.
        let states = ["BE", "IL", "OZ"];
        let (mut subs, mut swaps) = (0u64, 0u64);
        for round in 0..300 {
            let n = CaseNumber::generate(states[round % states.len()]).expect("generate");
            let c = compact(&n);
            for pos in 0..c.len() {
                let candidates: &[u8] = if pos < 2 { &letters } else { ALPHABET };
                for &other in candidates.iter().filter(|&&o| o != c[pos]) {
                    let mut t = c.clone();
                    t[pos] = other;
                    let s = String::from_utf8(t).expect("ascii");
                    assert!(CaseNumber::parse(&s).is_err(), "substitution accepted: {s}");
                    subs += 1;
                }
            }
            for pos in 0..c.len() - 1 {
                if c[pos] == c[pos + 1] {
                    continue;
                }
                let mut t = c.clone();
                t.swap(pos, pos + 1);
                let s = String::from_utf8(t).expect("ascii");
                assert!(CaseNumber::parse(&s).is_err(), "swap accepted: {s}");
                swaps += 1;
            }
        }
        println!("300 numbers: {subs} substitutions and {swaps} adjacent swaps, all rejected");
    }

    #[test]
    fn swaps_across_prefix_border_are_rejected_for_all_letter_pairs() {
        // Every prefix letter against every alphabet letter in the first body slot.
        let mut checked = 0;
        for a in b'A'..=b'Z' {
            for &b in ALPHABET
                .iter()
                .filter(|c| c.is_ascii_uppercase() && **c != a)
            {
                let prefix = [b'B', a];
                let mut body = [0u32; BODY_LEN];
                body[0] = body_value(b).expect("in alphabet");
                let check = check_value(&prefix, &body).expect("valid prefix");
                let valid = render(&prefix, &body, check);
                assert!(CaseNumber::parse(&valid).is_ok());
                let mut t: Vec<u8> = valid.bytes().filter(|&x| x != b'-').collect();
                t.swap(1, 2);
                assert!(CaseNumber::parse(&String::from_utf8(t).expect("ascii")).is_err());
                checked += 1;
            }
        }
        assert!(checked > 500);
    }
}
