//! `phone`: a telephone number.

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::{FieldKind, FieldRole};
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "phone",
    kind: || FieldKind::Phone(NoKeys {}),
    parse: v::parse_phone,
    de: "Bitte eine Telefonnummer aus Ziffern angeben, z. B. 030 1234567.",
    en: "enter a phone number in digits, e.g. +49 30 1234567.",
    input_type: "tel",
    inputmode: "",
    maxlength: 0,
    roles: &[FieldRole::ReporterPhone],
};
