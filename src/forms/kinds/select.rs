//! `select`: a drop-down list of `options`; one answer.

use super::choice::SingleChoice;
use crate::forms::schema::FieldKind;

pub(crate) const KIND: SingleChoice = SingleChoice {
    name: "select",
    kind: |options| FieldKind::Select { options },
    template: "select",
    anchor: "",
};
