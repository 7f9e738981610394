//! Checks that need the whole resolved form: duplicate ids, roles, condition references.

use std::collections::{BTreeMap, BTreeSet};

use super::kinds::registry::of;
use super::raw::{Ctx, Resolved};
use super::schema::{all_fields, At, Condition, Field, FieldRole, Step};
use super::Problem;

impl Ctx<'_> {
    /// Checks that need the whole resolved form: duplicate ids, condition references, roles.
    pub fn check_resolved(&mut self, r: &Resolved) {
        if r.steps.is_empty() {
            self.err_line(1, "a form needs at least one step");
        }
        let mut step_ids = BTreeSet::new();
        for s in &r.steps {
            if !step_ids.insert(s.id.as_str()) {
                self.problem_at(&s.at, s.at.line, format!("duplicate step id `{}`", s.id));
            }
        }
        self.check_ids_and_roles(&r.steps);
        for s in &r.steps {
            if let Some(c) = &s.show_if {
                self.check_condition(&r.steps, &s.at, s.at.show_if_line, c, &[]);
            }
            for f in &s.fields {
                self.check_field_conditions(&r.steps, f, &[]);
                let fields = f.kind.sub_fields();
                for sub in fields {
                    self.check_field_conditions(&r.steps, sub, fields);
                }
            }
        }
    }

    /// Field ids are unique; each role is given once, to a kind that can carry it.
    fn check_ids_and_roles(&mut self, steps: &[Step]) {
        let mut all: BTreeMap<&str, &Field> = BTreeMap::new();
        let mut roles: BTreeMap<FieldRole, &str> = BTreeMap::new();
        for f in all_fields(steps) {
            if all.insert(f.id.as_str(), f).is_some() {
                self.problem_at(&f.at, f.at.line, format!("duplicate field id `{}`", f.id));
            }
            let Some(role) = f.role else { continue };
            if let Some(prev) = roles.insert(role, &f.id) {
                let message = format!("role already given to field `{prev}`");
                self.problem_at(&f.at, f.at.line, message);
            }
            let kind = of(&f.kind);
            let fits = if role.needs_specific_kind() {
                kind.roles().contains(&role)
            } else {
                kind.takes_plain_roles()
            };
            if !fits {
                let message = format!("role does not fit field type `{}`", f.kind.name());
                self.problem_at(&f.at, f.at.line, message);
            }
        }
    }

    fn check_field_conditions(&mut self, steps: &[Step], f: &Field, siblings: &[Field]) {
        if let Some(c) = &f.show_if {
            self.check_condition(steps, &f.at, f.at.show_if_line, c, siblings);
        }
        for e in &f.exit_if {
            self.check_condition(steps, &f.at, f.at.exit_if_line, &e.when, siblings);
        }
    }

    /// Every referenced field exists, and compared values are real options.
    fn check_condition(
        &mut self,
        steps: &[Step],
        at: &At,
        line: usize,
        cond: &Condition,
        siblings: &[Field],
    ) {
        let mut stack = vec![cond];
        while let Some(c) = stack.pop() {
            let (field, values): (&str, Vec<&String>) = match c {
                Condition::Equals { field, value } => (field, vec![value]),
                Condition::In { field, values } => (field, values.iter().collect()),
                Condition::IsSet { field } => (field, vec![]),
                Condition::Not(inner) => {
                    stack.push(inner);
                    continue;
                }
                Condition::All(cs) | Condition::Any(cs) => {
                    stack.extend(cs.iter());
                    continue;
                }
            };
            let target = siblings.iter().find(|f| f.id == field).or_else(|| {
                steps
                    .iter()
                    .flat_map(|s| s.fields.iter())
                    .find(|f| f.id == field)
            });
            let Some(target) = target else {
                let message = format!("condition refers to unknown field `{field}`");
                self.problem_at(at, line, message);
                continue;
            };
            let Some(allowed) = of(&target.kind).condition_values(&target.kind) else {
                continue;
            };
            for v in values {
                if !allowed.contains(&v.as_str()) {
                    self.problem_at(at, line, format!("condition compares `{field}` with `{v}`, which is not one of its options ({})", allowed.join(", ")));
                }
            }
        }
    }

    /// Problems about inherited elements are reported only where they were written in
    /// this file or a shared fragment, never against a base the overlay did not break.
    fn problem_at(&mut self, at: &At, line: usize, message: String) {
        let path = if at.path.is_empty() {
            self.path
        } else {
            at.path.as_str()
        };
        if path != self.path && !at.path.contains("/shared/") && !at.path.starts_with("shared/") {
            return;
        }
        self.problems.push(Problem {
            path: path.to_string(),
            line: line.max(1),
            message,
        });
    }
}
