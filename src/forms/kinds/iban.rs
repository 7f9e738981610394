//! `iban`: an IBAN, checked by its check digits.

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::FieldKind;
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "iban",
    kind: || FieldKind::Iban(NoKeys {}),
    parse: v::parse_iban,
    de: "Das ist keine gültige IBAN (Prüfziffer oder Länge falsch).",
    en: "this is not a valid IBAN (check digits or length wrong).",
    input_type: "text",
    inputmode: "",
    maxlength: 42,
    roles: &[],
};
