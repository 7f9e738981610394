//! `postal_code`: a German postal code (five digits).

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::{FieldKind, FieldRole};
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "postal_code",
    kind: || FieldKind::PostalCode(NoKeys {}),
    parse: v::parse_postal_code,
    de: "Eine Postleitzahl hat 5 Ziffern.",
    en: "a postal code has 5 digits.",
    input_type: "text",
    inputmode: "numeric",
    maxlength: 5,
    roles: &[FieldRole::ReporterPostalCode, FieldRole::ScenePostalCode],
};
