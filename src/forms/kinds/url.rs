//! `url`: a web address (http or https).

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::FieldKind;
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "url",
    kind: || FieldKind::Url(NoKeys {}),
    parse: v::parse_url,
    de: "Bitte eine Adresse mit http:// oder https:// angeben.",
    en: "enter an address starting with http:// or https://.",
    input_type: "url",
    inputmode: "",
    maxlength: 0,
    roles: &[],
};
