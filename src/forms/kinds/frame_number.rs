//! `frame_number`: a bicycle frame number.

use super::NoKeys;
use super::typed_text::TypedText;
use crate::forms::schema::FieldKind;
use crate::forms::values as v;

pub type Params = NoKeys;

pub(crate) const KIND: TypedText = TypedText {
    name: "frame_number",
    kind: || FieldKind::FrameNumber(NoKeys {}),
    parse: v::parse_frame_number,
    de: "4 bis 30 Zeichen: Buchstaben, Ziffern, - / .",
    en: "4 to 30 characters: letters, digits, - / .",
    input_type: "text",
    inputmode: "",
    maxlength: 30,
    roles: &[],
};
