//! `vin`: a vehicle identification number.

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::FieldKind;
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "vin",
    kind: || FieldKind::Vin(NoKeys {}),
    parse: v::parse_vin,
    de: "Eine Fahrzeug-Identifizierungsnummer hat 17 Zeichen (ohne I, O, Q).",
    en: "a vehicle identification number has 17 characters (no I, O, Q).",
    input_type: "text",
    inputmode: "",
    maxlength: 20,
    roles: &[],
};
