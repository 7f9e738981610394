//! `licence_plate`: a German number plate.

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::FieldKind;
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "licence_plate",
    kind: || FieldKind::LicencePlate(NoKeys {}),
    parse: v::parse_licence_plate,
    de: "Bitte ein Kennzeichen wie B-AB 1234 angeben.",
    en: "enter a number plate like B-AB 1234.",
    input_type: "text",
    inputmode: "",
    maxlength: 14,
    roles: &[],
};
