//! `radio`: radio buttons over `options`; one answer. Errors link to the first option.

use super::choice::SingleChoice;
use crate::forms::schema::FieldKind;

pub(crate) const KIND: SingleChoice = SingleChoice {
    name: "radio",
    kind: |options| FieldKind::Radio { options },
    template: "radio",
    anchor: "-0",
};
