//! Loading `forms/`: shared steps, federal bases, states and their variants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::raw::{Ctx, RawForm, RawStep, Resolved};
use super::schema::{FormVariant, Step};
use super::state_info::{postal_number, state_info, RawState, StateInfo};
use super::Problem;
use crate::i18n::I18nText;
use crate::state_code::StateCode;

/// Every state and every resolved variant under a forms directory.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    states: BTreeMap<StateCode, StateInfo>,
    variants: Vec<FormVariant>,
    bases: BTreeMap<String, Resolved>,
    shared: BTreeMap<String, Step>,
    files: usize,
}

fn list_toml(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Content hash over the canonical JSON of everything but the hash and the source.
pub(crate) fn content_hash(v: &FormVariant) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        state: &'a StateCode,
        id: &'a str,
        version: u32,
        category: &'a str,
        title: &'a I18nText,
        help: &'a I18nText,
        steps: &'a [Step],
    }
    let json = serde_json::to_vec(&Canonical {
        state: &v.state,
        id: &v.id,
        version: v.version,
        category: &v.category,
        title: &v.title,
        help: &v.help,
        steps: &v.steps,
    })
    .unwrap_or_default();
    hex::encode(ring::digest::digest(&ring::digest::SHA256, &json))
}

fn variant(state: &StateCode, r: Resolved, source: &str) -> FormVariant {
    let mut v = FormVariant {
        state: state.clone(),
        id: r.id,
        version: r.version,
        category: r.category,
        content_hash: String::new(),
        title: r.title,
        help: r.help,
        steps: r.steps,
        source_toml: source.to_string(),
    };
    v.content_hash = content_hash(&v);
    v
}

impl Catalog {
    /// Loads and checks a forms tree; any problem anywhere fails the load.
    pub fn load(dir: &Path) -> Result<Catalog, Vec<Problem>> {
        let (catalog, mut problems) = Self::load_lenient(dir);
        if problems.is_empty() {
            Ok(catalog)
        } else {
            problems.sort();
            problems.dedup();
            Err(problems)
        }
    }

    fn load_lenient(dir: &Path) -> (Catalog, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut cat = Catalog::default();
        if !dir.is_dir() {
            problems.push(Problem::new(display(dir), 1, "not a directory"));
            return (cat, problems);
        }
        cat.load_shared(dir, &mut problems);
        // A broken base is reported once, not again by each overlay.
        let broken_bases = cat.load_bases(dir, &mut problems);
        let mut dirs: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        dirs.sort();
        for sdir in dirs {
            cat.load_state(&sdir, &broken_bases, &mut problems);
        }
        (cat, problems)
    }

    /// Shared step fragments (`shared/<name>.toml`).
    fn load_shared(&mut self, dir: &Path, problems: &mut Vec<Problem>) {
        for path in list_toml(&dir.join("shared")) {
            self.files += 1;
            let Some((p, src)) = read(&path, problems) else {
                continue;
            };
            let mut ctx = Ctx::new(&p, &src);
            if let Some(raw) = ctx.parse::<RawStep>() {
                if let Some(step) = ctx.step(&raw, &BTreeMap::new(), false) {
                    let name = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.shared.insert(format!("shared/{name}"), step);
                }
            }
            problems.append(&mut ctx.problems);
        }
    }

    /// Federal bases; returns the `extends` messages of the broken ones.
    fn load_bases(&mut self, dir: &Path, problems: &mut Vec<Problem>) -> BTreeSet<String> {
        let mut broken_bases = BTreeSet::new();
        for path in list_toml(&dir.join("base")) {
            self.files += 1;
            broken_bases.insert(format!("`extends` target `base/{}`", stem(&path)));
            let Some((p, src)) = read(&path, problems) else {
                continue;
            };
            let mut ctx = Ctx::new(&p, &src);
            if let Some(raw) = ctx.parse::<RawForm>() {
                if let Some(r) = ctx.form(&raw, &self.shared, &BTreeMap::new()) {
                    check_file_name(&mut ctx, &path, &r);
                    if ctx.problems.is_empty() {
                        broken_bases.remove(&format!("`extends` target `base/{}`", stem(&path)));
                    }
                    self.bases.insert(format!("base/{}", r.id), r);
                }
            }
            problems.append(&mut ctx.problems);
        }
        broken_bases
    }

    /// One state directory: `state.toml` and the state's form files.
    fn load_state(
        &mut self,
        sdir: &Path,
        broken_bases: &BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) {
        let name = sdir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "base" || name == "shared" || name.starts_with('.') {
            return;
        }
        let state_file = sdir.join("state.toml");
        let Ok(code) = StateCode::parse(&name) else {
            problems.push(Problem::new(
                display(sdir),
                1,
                "a state directory is named by its two-letter code",
            ));
            return;
        };
        if !state_file.is_file() {
            problems.push(Problem::new(
                display(&state_file),
                1,
                "state.toml is missing",
            ));
            return;
        }
        self.files += 1;
        let info = read(&state_file, problems).and_then(|(p, src)| {
            let mut ctx = Ctx::new(&p, &src);
            let info = ctx
                .parse::<RawState>()
                .map(|raw| state_info(&mut ctx, code.clone(), &raw));
            problems.append(&mut ctx.problems);
            info.map(|i| (i, p, src))
        });
        let ids = self.load_state_forms(sdir, &state_file, &code, broken_bases, problems);
        if let Some((info, p, src)) = info {
            // Categories must name forms of this state.
            if let Ok(raw) = toml::from_str::<RawState>(&src) {
                let mut ctx = Ctx::new(&p, &src);
                for c in raw.categories.get_ref() {
                    if !ids.contains(c.get_ref()) {
                        ctx.err(
                            c.span(),
                            format!("category `{}` names no form of this state", c.get_ref()),
                        );
                    }
                }
                problems.append(&mut ctx.problems);
            }
            self.states.insert(code, info);
        }
    }

    /// The form files of one state; returns the form ids it offers.
    fn load_state_forms(
        &mut self,
        sdir: &Path,
        state_file: &Path,
        code: &StateCode,
        broken_bases: &BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        let mut seen: BTreeMap<(String, u32), String> = BTreeMap::new();
        for path in list_toml(sdir) {
            if path == state_file {
                continue;
            }
            self.files += 1;
            // A failing file still counts as offering its form, to avoid follow-up errors.
            let file_id = stem(&path);
            ids.insert(
                file_id
                    .split_once(".v")
                    .map_or(file_id.clone(), |(id, _)| id.to_string()),
            );
            let Some((p, src)) = read(&path, problems) else {
                continue;
            };
            let mut ctx = Ctx::new(&p, &src);
            if let Some(raw) = ctx.parse::<RawForm>() {
                if let Some(r) = ctx.form(&raw, &self.shared, &self.bases) {
                    check_file_name(&mut ctx, &path, &r);
                    if let Some(other) = seen.insert((r.id.clone(), r.version), p.clone()) {
                        ctx.err_line(
                            1,
                            format!(
                                "form `{}` version {} is also defined in {other}",
                                r.id, r.version
                            ),
                        );
                    }
                    ids.insert(r.id.clone());
                    self.variants.push(variant(code, r, &src));
                }
            }
            ctx.problems.retain(|p| {
                !broken_bases
                    .iter()
                    .any(|b| p.message.starts_with(b.as_str()))
            });
            problems.append(&mut ctx.problems);
        }
        ids
    }

    pub fn states(&self) -> impl Iterator<Item = &StateInfo> {
        self.states.values()
    }

    pub fn state(&self, code: &StateCode) -> Option<&StateInfo> {
        self.states.get(code)
    }

    /// Every variant of every state, all versions found.
    pub fn variants(&self) -> impl Iterator<Item = &FormVariant> {
        self.variants.iter()
    }

    /// The highest version of a state's form.
    pub fn variant(&self, state: &StateCode, form_id: &str) -> Option<&FormVariant> {
        self.variants
            .iter()
            .filter(|v| &v.state == state && v.id == form_id)
            .max_by_key(|v| v.version)
    }

    /// One exact version, for drafts and reports pinned to it.
    pub fn variant_version(
        &self,
        state: &StateCode,
        form_id: &str,
        version: u32,
    ) -> Option<&FormVariant> {
        self.variants
            .iter()
            .find(|v| &v.state == state && v.id == form_id && v.version == version)
    }

    /// The state whose coverage contains the postal code (narrowest range wins).
    pub fn state_for_postal_code(&self, code: &str) -> Option<&StateInfo> {
        let n = postal_number(code)?;
        self.states
            .values()
            .filter_map(|s| s.coverage_width(n).map(|w| (w, s)))
            .min_by_key(|(w, _)| *w)
            .map(|(_, s)| s)
    }

    /// Number of files read, for the checker's summary.
    /// A shared step fragment (`forms/shared/<name>.toml`).
    pub fn shared_step(&self, name: &str) -> Option<&Step> {
        self.shared.get(&format!("shared/{name}"))
    }

    pub fn file_count(&self) -> usize {
        self.files
    }
}

/// Checks a variant a state admin uploads, against the catalog's bases and shared steps.
pub fn parse_upload(
    state: &StateCode,
    file_name: &str,
    source: &str,
    catalog: &Catalog,
) -> Result<FormVariant, Vec<Problem>> {
    let mut ctx = Ctx::new(file_name, source);
    let resolved = ctx
        .parse::<RawForm>()
        .and_then(|raw| ctx.form(&raw, &catalog.shared, &catalog.bases));
    match resolved {
        Some(r) if ctx.problems.is_empty() => Ok(variant(state, r, source)),
        _ => {
            let mut p = ctx.problems;
            p.sort();
            p.dedup();
            Err(p)
        }
    }
}

fn read(path: &Path, problems: &mut Vec<Problem>) -> Option<(String, String)> {
    match std::fs::read_to_string(path) {
        Ok(src) => Some((display(path), src)),
        Err(e) => {
            problems.push(Problem::new(
                display(path),
                1,
                format!("cannot read file: {e}"),
            ));
            None
        }
    }
}

/// `<id>.toml` or `<id>.v<version>.toml`.
fn check_file_name(ctx: &mut Ctx, path: &Path, r: &Resolved) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ok = stem == r.id || stem == format!("{}.v{}", r.id, r.version);
    if !ok {
        ctx.err_line(
            1,
            format!(
                "file name must be `{0}.toml` or `{0}.v{1}.toml` for form `{0}` version {1}",
                r.id, r.version
            ),
        );
    }
}
