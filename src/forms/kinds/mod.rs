//! One module per field kind, and the one list that registers them. A kind owns its
//! schema keys (its `Params`) and their checks, how it reads a POST, validates, shows on
//! review and renders; see [`spec::Kind`].
//!
//! To add a kind: write `<kind>.rs` with `pub struct Params` (its schema keys, or
//! `pub type Params = NoKeys;`) and `pub(crate) const KIND` (its [`spec::Kind`]), and add
//! one line `<kind> => <Variant>,` to the `field_kinds!` list below. If it renders
//! differently from a one-line input, its `Kind::template` names its own template.
//!
//! This file only declares the [`FieldKind`] type; the dispatch to the kinds' behaviour
//! is in [`registry`], so the schema can hold a `FieldKind` without depending on it.

mod bounds;
mod choice;
pub(crate) mod field;
pub(crate) mod field_view;
pub(crate) mod spec;
mod typed_text;

use serde::{Deserialize, Serialize};

/// The `Params` of a kind that takes no schema keys besides the common ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoKeys {}

/// Declares the kinds: for each line `module => Variant`, the module, the [`FieldKind`]
/// variant holding the module's `Params` (stored as `{"type": "module", ...params}`) and
/// its name; and `dispatch_to_kinds!`, which [`registry`] expands to reach each module's
/// `KIND`.
macro_rules! field_kinds {
    ($($module:ident => $variant:ident,)*) => {
        $(mod $module;)*

        /// A field's kind with its own schema keys.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum FieldKind {
            $($variant($module::Params),)*
        }

        impl FieldKind {
            /// The names used in TOML (`type = "..."`), in the order `forms check` lists them.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($module),)*];

            /// The name used in TOML.
            pub fn name(&self) -> &'static str {
                match self {
                    $(FieldKind::$variant(_) => stringify!($module),)*
                }
            }
        }

        macro_rules! dispatch_to_kinds {
            () => {
                /// The behaviour of a field's kind.
                pub(crate) fn of(kind: &FieldKind) -> &'static dyn Kind {
                    match kind {
                        $(FieldKind::$variant(_) => &super::$module::KIND,)*
                    }
                }

                /// Every kind, in the order of [`FieldKind::NAMES`].
                static KINDS: &[&dyn Kind] = &[$(&super::$module::KIND,)*];
            };
        }
    };
}

field_kinds! {
    text => Text,
    textarea => Textarea,
    email => Email,
    phone => Phone,
    date => Date,
    time => Time,
    time_span => TimeSpan,
    select => Select,
    radio => Radio,
    checkboxes => Checkboxes,
    yes_no => YesNo,
    number => Number,
    money => Money,
    postal_code => PostalCode,
    country => Country,
    iban => Iban,
    licence_plate => LicencePlate,
    vin => Vin,
    frame_number => FrameNumber,
    url => Url,
    file => File,
    group => Group,
    memorable_date => MemorableDate,
}

pub(crate) mod registry;
