//! `radio`: radio buttons over `options`; one answer. Errors link to the first option.

use super::choice::{Options, SingleChoice, RADIOS_HTML};
use super::spec::Missing;
use crate::forms::schema::FieldKind;

pub type Params = Options;

pub(crate) const KIND: SingleChoice = SingleChoice {
    name: "radio",
    kind: |options| FieldKind::Radio(Options { options }),
    template: RADIOS_HTML,
    anchor: "-0",
    missing: Missing::Pick,
};
