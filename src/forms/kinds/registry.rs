//! From a field's [`FieldKind`] (or a TOML type name) to its kind's behaviour, for every
//! kind the `field_kinds!` list in `kinds/mod.rs` registers.

use super::spec::Kind;
use super::FieldKind;
use crate::forms::schema::Field;

dispatch_to_kinds!();

/// The kind registered under a TOML type name.
pub(crate) fn named(name: &str) -> Option<&'static dyn Kind> {
    let at = FieldKind::NAMES.iter().position(|n| *n == name)?;
    KINDS.get(at).copied()
}

/// The names of all kinds, for messages and docs.
pub(crate) fn names() -> Vec<&'static str> {
    FieldKind::NAMES.to_vec()
}

/// The id the error summary links to for a field with this base.
pub fn anchor_id(field: &Field, base: &str) -> String {
    format!("{base}{}", of(&field.kind).anchor_suffix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_answers_to_its_registered_name() {
        assert_eq!(KINDS.len(), FieldKind::NAMES.len());
        for (kind, name) in KINDS.iter().zip(FieldKind::NAMES) {
            assert_eq!(kind.name(), *name);
        }
    }
}
