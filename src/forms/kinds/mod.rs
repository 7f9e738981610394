//! One module per field kind, and the one list that registers them. A kind owns its
//! schema keys and their checks, how it reads a POST, validates, shows on review and
//! renders; see [`spec::Kind`]. To add a kind: write `<kind>.rs`, add its variant to
//! `schema::FieldKind`, list it in [`KINDS`] (and give it a template if it renders
//! differently from a one-line input).

mod bounds;
mod checkboxes;
mod choice;
mod country;
mod date;
mod email;
pub(crate) mod field;
pub(crate) mod field_view;
mod file;
mod frame_number;
mod group;
mod iban;
mod licence_plate;
mod memorable_date;
mod money;
mod number;
mod phone;
mod postal_code;
mod radio;
mod select;
pub(crate) mod spec;
mod text;
mod textarea;
mod time;
mod time_span;
mod typed_text;
mod url;
mod vin;
mod yes_no;

use crate::forms::schema::{Field, FieldKind};
use spec::Kind;

/// Every kind, in the order `forms check` lists them.
static KINDS: [&dyn Kind; 23] = [
    &text::Text,
    &textarea::Textarea,
    &email::KIND,
    &phone::KIND,
    &date::Date,
    &time::Time,
    &time_span::TimeSpan,
    &select::KIND,
    &radio::KIND,
    &checkboxes::Checkboxes,
    &yes_no::YesNo,
    &number::Number,
    &money::Money,
    &postal_code::KIND,
    &country::Country,
    &iban::KIND,
    &licence_plate::KIND,
    &vin::KIND,
    &frame_number::KIND,
    &url::KIND,
    &file::File,
    &group::Group,
    &memorable_date::MemorableDate,
];

/// The kind registered under a TOML type name.
pub(crate) fn named(name: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// The names of all kinds, for messages and docs.
pub(crate) fn names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name()).collect()
}

/// The behaviour of a field's kind.
pub(crate) fn of(kind: &FieldKind) -> &'static dyn Kind {
    // Every variant's name is registered; `kinds_are_registered` in the tests checks it.
    named(kind.name()).unwrap_or(&text::Text)
}

/// The id the error summary links to for a field with this base.
pub fn anchor_id(field: &Field, base: &str) -> String {
    format!("{base}{}", of(&field.kind).anchor_suffix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_registered() {
        assert_eq!(names(), FieldKind::NAMES.to_vec());
    }
}
