//! The resolved form schema: what a variant looks like after its base, shared steps and
//! overlay have been applied. This is what is stored (as JSON) and validated against.

use serde::{Deserialize, Serialize};

pub use crate::forms::kinds::FieldKind;
use crate::i18n::I18nText;
use crate::state_code::StateCode;

/// One immutable form version of one state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormVariant {
    pub state: StateCode,
    pub id: String,
    pub version: u32,
    pub category: String,
    /// SHA-256 (hex) over the canonical JSON of the resolved variant.
    pub content_hash: String,
    pub title: I18nText,
    pub help: I18nText,
    pub steps: Vec<Step>,
    /// The TOML file this variant came from, kept for admins.
    pub source_toml: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: I18nText,
    pub intro: Option<I18nText>,
    pub show_if: Option<Condition>,
    pub fields: Vec<Field>,
    #[serde(skip)]
    pub(crate) at: At,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Field {
    pub id: String,
    pub kind: FieldKind,
    pub label: I18nText,
    pub hint: Option<I18nText>,
    pub required: bool,
    pub role: Option<FieldRole>,
    /// HTML autocomplete token; defaults from the role.
    pub autocomplete: Option<String>,
    pub show_if: Option<Condition>,
    pub exit_if: Vec<ExitRule>,
    #[serde(skip)]
    pub(crate) at: At,
}

/// Where a schema element was written (for checker messages); not serialised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct At {
    pub path: String,
    pub line: usize,
    pub show_if_line: usize,
    pub exit_if_line: usize,
}

/// One option of a select, radio or checkboxes field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: I18nText,
}

/// A condition over answers. Inside a repeatable group, a field of the same item is
/// looked up first, then the top-level answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The field's value equals `value` (for checkboxes: `value` is ticked).
    Equals {
        field: String,
        value: String,
    },
    In {
        field: String,
        values: Vec<String>,
    },
    IsSet {
        field: String,
    },
    Not(Box<Condition>),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    pub(crate) fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::Equals { field, .. }
            | Condition::In { field, .. }
            | Condition::IsSet { field } => out.push(field),
            Condition::Not(c) => c.fields(out),
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.fields(out)),
        }
    }
}

/// Ends the flow: the citizen is told to call 110 or go to a station, for example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRule {
    pub when: Condition,
    pub referral: Referral,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub title: I18nText,
    pub body: I18nText,
}

/// What the service itself uses a field for (e-mail, routing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    ReporterKind,
    ReporterName,
    ReporterFirstName,
    ReporterEmail,
    ReporterPhone,
    ReporterStreet,
    ReporterPostalCode,
    ReporterCity,
    ReporterBirthDate,
    ReporterCountry,
    SceneKind,
    SceneStreet,
    ScenePostalCode,
    SceneCity,
    IncidentTime,
    Description,
    Consent,
}

impl FieldRole {
    pub fn parse(name: &str) -> Option<FieldRole> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// Whether only certain field kinds can carry this role (e-mail, postal code, ...);
    /// the kinds name the ones they take.
    pub fn needs_specific_kind(self) -> bool {
        matches!(
            self,
            FieldRole::ReporterEmail
                | FieldRole::ReporterPhone
                | FieldRole::ReporterPostalCode
                | FieldRole::ScenePostalCode
                | FieldRole::ReporterBirthDate
                | FieldRole::IncidentTime
                | FieldRole::SceneKind
                | FieldRole::ReporterKind
                | FieldRole::Consent
        )
    }

    /// The autocomplete token a reporter field gets unless the schema names one.
    pub fn autocomplete(self) -> Option<&'static str> {
        Some(match self {
            FieldRole::ReporterName => "family-name",
            FieldRole::ReporterFirstName => "given-name",
            FieldRole::ReporterEmail => "email",
            FieldRole::ReporterPhone => "tel",
            FieldRole::ReporterStreet => "address-line1",
            FieldRole::ReporterPostalCode => "postal-code",
            FieldRole::ReporterCity => "address-level2",
            FieldRole::ReporterBirthDate => "bday",
            FieldRole::ReporterCountry => "country",
            _ => return None,
        })
    }
}

impl FormVariant {
    pub fn step(&self, index: usize) -> Option<&Step> {
        self.steps.get(index)
    }

    pub fn step_index(&self, step_id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == step_id)
    }

    /// A top-level field or a field inside a group, by id.
    pub fn field(&self, field_id: &str) -> Option<&Field> {
        fn find<'a>(fields: &'a [Field], id: &str) -> Option<&'a Field> {
            for f in fields {
                if f.id == id {
                    return Some(f);
                }
                if let Some(found) = find(f.kind.sub_fields(), id) {
                    return Some(found);
                }
            }
            None
        }
        self.steps.iter().find_map(|s| find(&s.fields, field_id))
    }

    /// Whether any field of this variant takes file uploads.
    pub fn has_files(&self) -> bool {
        self.steps.iter().any(|s| s.has_files())
    }
}

impl Step {
    pub fn has_files(&self) -> bool {
        fn any(fields: &[Field]) -> bool {
            fields
                .iter()
                .any(|f| f.kind.takes_files() || any(f.kind.sub_fields()))
        }
        any(&self.fields)
    }
}

/// Every field of these steps, group sub-fields after their group.
pub(crate) fn all_fields(steps: &[Step]) -> Vec<&Field> {
    let mut out = Vec::new();
    for s in steps {
        for f in &s.fields {
            out.push(f);
            out.extend(f.kind.sub_fields());
        }
    }
    out
}
