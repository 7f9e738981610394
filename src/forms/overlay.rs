//! Overlays: a state's variant that `extends` a base removes, adds and patches steps and
//! fields. A patch may only narrow constraints.

use std::collections::{BTreeMap, BTreeSet};

use super::kinds::field::parse_field;
use super::kinds::registry::of;
use super::raw::{Ctx, RawForm, RawPatch, Resolved};
use super::schema::{all_fields, Condition, Field, Step};

impl Ctx<'_> {
    pub(crate) fn overlay(
        &mut self,
        raw: &RawForm,
        r: &mut Resolved,
        shared: &BTreeMap<String, Step>,
    ) {
        self.remove_parts(raw, r);
        self.add_steps(raw, r, shared);
        self.add_fields(raw, r);
        self.patch_parts(raw, r);
    }

    fn remove_parts(&mut self, raw: &RawForm, r: &mut Resolved) {
        for s in raw.remove_steps.iter().flatten() {
            match r.steps.iter().position(|x| &x.id == s.get_ref()) {
                Some(i) => {
                    r.steps.remove(i);
                }
                None => self.err(
                    s.span(),
                    format!("remove_steps: unknown step `{}`", s.get_ref()),
                ),
            }
        }
        let mut removed = Vec::new();
        for f in raw.remove_fields.iter().flatten() {
            let found = r
                .steps
                .iter_mut()
                .any(|s| remove_field(&mut s.fields, f.get_ref()));
            if found {
                removed.push(f);
            } else {
                self.err(
                    f.span(),
                    format!("remove_fields: unknown field `{}`", f.get_ref()),
                );
            }
        }
        // A removed field must not be what another (inherited) field depends on.
        for f in removed {
            for (owner, cond) in conditions(&r.steps) {
                let mut refs = Vec::new();
                cond.fields(&mut refs);
                if refs.contains(&f.get_ref().as_str()) {
                    self.err(
                        f.span(),
                        format!(
                            "remove_fields: `{}` is still used in a condition of `{owner}`",
                            f.get_ref()
                        ),
                    );
                }
            }
        }
    }

    fn add_steps(&mut self, raw: &RawForm, r: &mut Resolved, shared: &BTreeMap<String, Step>) {
        for s in raw.add_steps.iter().flatten() {
            let Some(step) = self.step(s, shared, true) else {
                continue;
            };
            let pos = match &s.after {
                Some(a) => match r.steps.iter().position(|x| &x.id == a.get_ref()) {
                    Some(i) => i + 1,
                    None => {
                        self.err(
                            a.span(),
                            format!("add_steps: unknown step `{}` in `after`", a.get_ref()),
                        );
                        r.steps.len()
                    }
                },
                None => r.steps.len(),
            };
            r.steps.insert(pos, step);
        }
    }

    fn add_fields(&mut self, raw: &RawForm, r: &mut Resolved) {
        for f in raw.add_fields.iter().flatten() {
            let Some(step_id) = &f.step else {
                self.err(f.id.span(), "add_fields: each field needs `step`");
                continue;
            };
            let Some(field) = parse_field(self, f, false, true) else {
                continue;
            };
            let Some(step) = r.steps.iter_mut().find(|s| &s.id == step_id.get_ref()) else {
                self.err(
                    step_id.span(),
                    format!("add_fields: unknown step `{}`", step_id.get_ref()),
                );
                continue;
            };
            let pos = match &f.after {
                Some(a) => match step.fields.iter().position(|x| &x.id == a.get_ref()) {
                    Some(i) => i + 1,
                    None => {
                        self.err(
                            a.span(),
                            format!("add_fields: unknown field `{}` in `after`", a.get_ref()),
                        );
                        step.fields.len()
                    }
                },
                None => step.fields.len(),
            };
            step.fields.insert(pos, field);
        }
    }

    fn patch_parts(&mut self, raw: &RawForm, r: &mut Resolved) {
        for p in raw.patch_steps.iter().flatten() {
            let Some(step) = r.steps.iter_mut().find(|s| &s.id == p.step.get_ref()) else {
                self.err(
                    p.step.span(),
                    format!("patch_steps: unknown step `{}`", p.step.get_ref()),
                );
                continue;
            };
            if let Some(t) = &p.title {
                step.title = self.text(t);
            }
            if let Some(t) = &p.intro {
                step.intro = Some(self.text(t));
            }
        }
        for p in raw.patch.iter().flatten() {
            let Some(field) = r
                .steps
                .iter_mut()
                .find_map(|s| find_field_mut(&mut s.fields, p.field.get_ref()))
            else {
                self.err(
                    p.field.span(),
                    format!("patch: unknown field `{}`", p.field.get_ref()),
                );
                continue;
            };
            self.patch(p, field);
        }
    }

    fn patch(&mut self, p: &RawPatch, field: &mut Field) {
        if let Some(l) = &p.label {
            field.label = self.text(l);
        }
        if let Some(h) = &p.hint {
            field.hint = Some(self.text(h));
        }
        let kind = of(&field.kind);
        if let Some(req) = &p.required {
            if field.required && !*req.get_ref() {
                super::kinds::spec::widen(self, &field.id, req.span(), "required");
            }
            field.required = field.required || *req.get_ref();
        }
        let written = [
            ("max_length", p.max_length.as_ref().map(|v| v.span())),
            ("pattern", p.pattern.as_ref().map(|v| v.span())),
            ("not_in_future", p.not_in_future.as_ref().map(|v| v.span())),
            ("min", p.min.as_ref().map(|v| v.span())),
            ("max", p.max.as_ref().map(|v| v.span())),
            ("max_files", p.max_files.as_ref().map(|v| v.span())),
            ("max_size_kb", p.max_size_kb.as_ref().map(|v| v.span())),
            ("max_items", p.max_items.as_ref().map(|v| v.span())),
            ("min_items", p.min_items.as_ref().map(|v| v.span())),
        ];
        for (key, span) in written {
            if let Some(span) = span.filter(|_| !kind.keys().contains(&key)) {
                let message = format!("patch: `{key}` does not apply to type `{}`", kind.name());
                self.err(span, message);
            }
        }
        kind.patch(self, p, &field.id, &mut field.kind);
        self.patch_options(p, field);
    }

    /// `add_options`, `remove_options`, `relabel_options` of a kind with options.
    fn patch_options(&mut self, p: &RawPatch, field: &mut Field) {
        let has_option_ops =
            p.add_options.is_some() || p.remove_options.is_some() || p.relabel_options.is_some();
        if has_option_ops && field.kind.options().is_none() {
            let message = format!("patch: `{}` has no options", field.kind.name());
            self.err(p.field.span(), message);
            return;
        }
        for v in p.remove_options.iter().flatten() {
            let Some(opts) = field.kind.options_mut() else {
                break;
            };
            match opts.iter().position(|o| &o.value == v.get_ref()) {
                Some(i) => {
                    opts.remove(i);
                }
                None => self.err(
                    v.span(),
                    format!("remove_options: unknown option `{}`", v.get_ref()),
                ),
            }
        }
        for c in p.relabel_options.iter().flatten() {
            let label = self.text(&c.label);
            let Some(opts) = field.kind.options_mut() else {
                break;
            };
            match opts.iter_mut().find(|o| &o.value == c.value.get_ref()) {
                Some(o) => o.label = label,
                None => self.err(
                    c.value.span(),
                    format!("relabel_options: unknown option `{}`", c.value.get_ref()),
                ),
            }
        }
        if let Some(add) = &p.add_options {
            let mut seen: BTreeSet<String> = field
                .kind
                .options()
                .unwrap_or_default()
                .iter()
                .map(|o| o.value.clone())
                .collect();
            let new = self.choices(add, &mut seen);
            if let Some(opts) = field.kind.options_mut() {
                opts.extend(new);
            }
        }
        if field.kind.options().is_some_and(|o| o.is_empty()) {
            self.err(
                p.field.span(),
                format!("patch `{fid}`: no options left", fid = field.id),
            );
        }
    }
}

fn remove_field(fields: &mut Vec<Field>, id: &str) -> bool {
    if let Some(i) = fields.iter().position(|f| f.id == id) {
        fields.remove(i);
        return true;
    }
    fields.iter_mut().any(|f| {
        f.kind
            .sub_fields_mut()
            .is_some_and(|fields| remove_field(fields, id))
    })
}

fn find_field_mut<'a>(fields: &'a mut [Field], id: &str) -> Option<&'a mut Field> {
    for f in fields.iter_mut() {
        if f.id == id {
            return Some(f);
        }
        if let Some(fields) = f.kind.sub_fields_mut() {
            if let Some(found) = find_field_mut(fields, id) {
                return Some(found);
            }
        }
    }
    None
}

/// Every condition with the id of the step or field that owns it.
fn conditions(steps: &[Step]) -> Vec<(String, &Condition)> {
    let mut out = Vec::new();
    for s in steps {
        if let Some(c) = &s.show_if {
            out.push((s.id.clone(), c));
        }
    }
    for f in all_fields(steps) {
        if let Some(c) = &f.show_if {
            out.push((f.id.clone(), c));
        }
        for e in &f.exit_if {
            out.push((f.id.clone(), &e.when));
        }
    }
    out
}
