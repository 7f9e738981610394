//! `email`: an e-mail address.

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::{FieldKind, FieldRole};
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "email",
    kind: || FieldKind::Email(NoKeys {}),
    parse: v::parse_email,
    de: "Bitte eine E-Mail-Adresse wie name@example.de angeben.",
    en: "enter an e-mail address like name@example.com.",
    input_type: "email",
    inputmode: "",
    maxlength: 0,
    roles: &[FieldRole::ReporterEmail],
};
