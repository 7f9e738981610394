//! `select`: a drop-down list of `options`; one answer.

use super::choice::{Options, SingleChoice, SELECT_HTML};
use super::spec::Missing;
use crate::forms::schema::FieldKind;

pub type Params = Options;

pub(crate) const KIND: SingleChoice = SingleChoice {
    name: "select",
    kind: |options| FieldKind::Select(Options { options }),
    template: SELECT_HTML,
    anchor: "",
    missing: Missing::Choose,
};
