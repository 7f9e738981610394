//! The follow-up form of the status page (issue 14): a text and the evidence step's own
//! file field (`forms/shared/beweise.toml`), so uploads get exactly the same checks, limits
//! and messages as in the report form. Built as a one-step variant, so the step's reading,
//! validation and rendering are reused unchanged.

use super::catalog::Catalog;
use super::kinds::FieldKind;
use super::schema::{Field, FormVariant, Step};
use crate::i18n::I18nText;
use crate::state_code::StateCode;

/// Field id of the text.
pub const TEXT_FIELD: &str = "nachricht";
/// Field id of the uploads: the evidence step's file field.
pub const FILES_FIELD: &str = "beweise";
/// Longest text, in characters.
pub const TEXT_MAX: u32 = 4000;

/// The one-step variant, or `None` when the forms directory has no `shared/beweise` file
/// field (then the status page offers no follow-ups).
pub fn followup_variant(catalog: &Catalog, state: &StateCode) -> Option<FormVariant> {
    let evidence = catalog.shared_step("beweise")?;
    let files = evidence
        .fields
        .iter()
        .find(|f| f.id == FILES_FIELD && f.kind.takes_files())?
        .clone();
    // The kind as a form file would declare it (its params are the kind module's own).
    let kind: FieldKind =
        serde_json::from_value(serde_json::json!({"type": "textarea", "max_length": TEXT_MAX}))
            .ok()?;
    let text = Field {
        id: TEXT_FIELD.into(),
        kind,
        label: I18nText::new("Was möchten Sie ergänzen?", "What would you like to add?"),
        hint: Some(I18nText::new(
            "Zum Beispiel neue Hinweise, die Rahmennummer oder wo Sie etwas gefunden haben.",
            "For example new leads, the frame number or where you found something.",
        )),
        required: false,
        role: None,
        autocomplete: None,
        show_if: None,
        exit_if: Vec::new(),
        at: Default::default(),
    };
    Some(FormVariant {
        state: state.clone(),
        id: "nachreichen".into(),
        version: 1,
        category: "nachreichen".into(),
        content_hash: String::new(),
        title: I18nText::new("Informationen nachreichen", "Add information"),
        help: I18nText::new("", ""),
        steps: vec![Step {
            id: "nachreichen".into(),
            title: I18nText::new("Informationen nachreichen", "Add information"),
            intro: None,
            show_if: None,
            fields: vec![text, files],
            at: Default::default(),
        }],
        source_toml: String::new(),
    })
}
