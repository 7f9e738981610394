//! Resolving a form file into `schema` types: steps, shared steps and overlays on a base.

use std::collections::BTreeMap;

use toml::Spanned as S;

use super::kinds::field::parse_field;
use super::raw::{Ctx, RawForm, RawStep, Resolved};
use super::schema::Step;
use crate::i18n::I18nText;

impl Ctx<'_> {
    /// Converts a step, resolving `use = "shared/<name>"` from `shared`.
    pub fn step(
        &mut self,
        raw: &RawStep,
        shared: &BTreeMap<String, Step>,
        placement: bool,
    ) -> Option<Step> {
        if !placement {
            if let Some(a) = &raw.after {
                self.err(a.span(), "`after` is only allowed in `add_steps`");
            }
        }
        if let Some(u) = &raw.use_ {
            let extra = raw.id.is_some()
                || raw.title.is_some()
                || raw.intro.is_some()
                || raw.show_if.is_some()
                || raw.fields.is_some();
            if extra {
                self.err(
                    u.span(),
                    "a step with `use` takes no other keys (except `after`)",
                );
            }
            return match shared.get(u.get_ref()) {
                Some(s) => Some(s.clone()),
                None => {
                    self.err(
                        u.span(),
                        format!(
                            "shared step `{}` does not exist (expected shared/<name>)",
                            u.get_ref()
                        ),
                    );
                    None
                }
            };
        }
        let (Some(id), Some(title)) = (&raw.id, &raw.title) else {
            let line = raw.id.as_ref().map(|i| self.line(i.span())).unwrap_or(1);
            self.err_line(line, "a step needs `id` and `title` (or `use`)");
            return None;
        };
        let mut at = self.at(id.span());
        let id = self.id(id, "step", false);
        let show_if = raw.show_if.as_ref().and_then(|c| {
            at.show_if_line = self.line(c.span());
            self.condition(c, None)
        });
        let mut fields = Vec::new();
        for f in raw.fields.iter().flatten() {
            if let Some(f) = parse_field(self, f, false, false) {
                fields.push(f);
            }
        }
        if fields.is_empty() {
            self.err_line(at.line, format!("step `{id}` has no fields"));
        }
        Some(Step {
            id,
            title: self.text(title.get_ref()),
            intro: raw.intro.as_ref().map(|t| self.text(t)),
            show_if,
            fields,
            at,
        })
    }

    pub(crate) fn version(&mut self, v: &S<i64>) -> u32 {
        self.int(v, "version", 1..=1_000_000) as u32
    }

    /// Resolves a form file: standalone, or an overlay on one of `bases`.
    pub fn form(
        &mut self,
        raw: &RawForm,
        shared: &BTreeMap<String, Step>,
        bases: &BTreeMap<String, Resolved>,
    ) -> Option<Resolved> {
        let id = self.id(&raw.id, "form", true);
        let version = self.version(&raw.version);
        let mut resolved = match &raw.extends {
            None => {
                let overlay_keys = [
                    raw.remove_steps
                        .as_ref()
                        .map(|v| v.first().map(|s| s.span())),
                    raw.remove_fields
                        .as_ref()
                        .map(|v| v.first().map(|s| s.span())),
                    raw.add_steps.as_ref().map(|_| None),
                    raw.add_fields.as_ref().map(|_| None),
                    raw.patch
                        .as_ref()
                        .map(|v| v.first().map(|p| p.field.span())),
                    raw.patch_steps
                        .as_ref()
                        .map(|v| v.first().map(|p| p.step.span())),
                ];
                if overlay_keys.iter().any(Option::is_some) {
                    self.err(raw.id.span(), "remove_*/add_*/patch* need `extends`");
                }
                let mut missing = Vec::new();
                if raw.category.is_none() {
                    missing.push("category");
                }
                if raw.title.is_none() {
                    missing.push("title");
                }
                if raw.help.is_none() {
                    missing.push("help");
                }
                if raw.steps.is_none() {
                    missing.push("steps");
                }
                if !missing.is_empty() {
                    self.err(
                        raw.id.span(),
                        format!("a form without `extends` needs {}", missing.join(", ")),
                    );
                    return None;
                }
                let mut steps = Vec::new();
                for s in raw.steps.iter().flat_map(|s| s.get_ref()) {
                    if let Some(s) = self.step(s, shared, false) {
                        steps.push(s);
                    }
                }
                Resolved {
                    id: id.clone(),
                    version,
                    category: String::new(),
                    title: I18nText::default(),
                    help: I18nText::default(),
                    steps,
                }
            }
            Some(ext) => {
                if let Some(s) = &raw.steps {
                    self.err(s.span(), "a form with `extends` changes steps with add_steps/remove_steps, not `steps`");
                }
                let Some(base) = bases.get(ext.get_ref()) else {
                    self.err(
                        ext.span(),
                        format!(
                            "`extends` target `{}` does not exist (expected base/<form_id>)",
                            ext.get_ref()
                        ),
                    );
                    return None;
                };
                let mut r = base.clone();
                r.id = id.clone();
                r.version = version;
                self.overlay(raw, &mut r, shared);
                r
            }
        };
        if let Some(c) = &raw.category {
            resolved.category = self.id(c, "category", true);
        }
        if let Some(t) = &raw.title {
            resolved.title = self.text(t);
        }
        if let Some(h) = &raw.help {
            resolved.help = self.text(h);
        }
        self.check_resolved(&resolved);
        Some(resolved)
    }
}
