//! Loading `forms/`: shared steps, federal bases, states and their variants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned as S;

use super::raw::{Ctx, RawForm, RawStep, RawText, Resolved};
use super::schema::{FormVariant, Step};
use super::Problem;
use crate::i18n::I18nText;
use crate::state_code::StateCode;

/// A police office: the central desk or a Dienststelle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub id: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: Option<String>,
    pub web: Option<String>,
}

/// Inclusive range of five-digit postal codes; written "10115", "10115-10999" or a
/// prefix such as "13" (= 13000–13999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalRange {
    pub from: u32,
    pub to: u32,
}

impl PostalRange {
    pub fn parse(s: &str) -> Option<PostalRange> {
        let s = s.trim();
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if let Some((a, b)) = s.split_once('-') {
            let (a, b) = (a.trim(), b.trim());
            if a.len() == 5 && b.len() == 5 && digits(a) && digits(b) {
                let (from, to) = (a.parse().ok()?, b.parse().ok()?);
                return (from <= to).then_some(PostalRange { from, to });
            }
            return None;
        }
        if !digits(s) || s.len() > 5 {
            return None;
        }
        let pad = 10u32.pow(5 - s.len() as u32);
        let base: u32 = s.parse().ok()?;
        Some(PostalRange {
            from: base * pad,
            to: base * pad + pad - 1,
        })
    }

    pub fn contains(&self, code: u32) -> bool {
        (self.from..=self.to).contains(&code)
    }

    fn width(&self) -> u32 {
        self.to - self.from
    }
}

fn postal_number(code: &str) -> Option<u32> {
    super::values::parse_postal_code(code)?.parse().ok()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Route {
    pub postal_codes: PostalRange,
    pub office: String,
}

/// A state's `state.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateInfo {
    pub code: StateCode,
    pub name: I18nText,
    /// Form ids offered, in order.
    pub categories: Vec<String>,
    pub central_office: Office,
    pub offices: Vec<Office>,
    pub routes: Vec<Route>,
    /// Postal codes the state covers (for "I don't know my state").
    pub postal_codes: Vec<PostalRange>,
    pub privacy_url: String,
    pub accessibility_url: String,
    pub operations_email: Option<String>,
    /// How long the intake keeps this state's reports (`[retention]`).
    #[serde(default)]
    pub retention: Retention,
    /// Seal the client address and user agent into the report (evidence of misuse).
    #[serde(default)]
    pub seal_client_address: bool,
}

/// Days the intake keeps what it stored for a report; `[retention]` in `state.toml`,
/// overridable per state in the configuration. Undelivered reports are never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// The sealed envelope of a delivered report, counted from its receipt.
    pub envelope_days: u32,
    /// The index row, its delivery history (jobs, attempts, mail outbox), counted from
    /// the receipt.
    pub index_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            envelope_days: 30,
            index_days: 180,
        }
    }
}

impl StateInfo {
    /// The Dienststelle responsible for a postal code (narrowest matching route).
    pub fn office_for_postal_code(&self, code: &str) -> Option<&Office> {
        let n = postal_number(code)?;
        let route = self
            .routes
            .iter()
            .filter(|r| r.postal_codes.contains(n))
            .min_by_key(|r| r.postal_codes.width())?;
        self.offices.iter().find(|o| o.id == route.office)
    }

    pub fn central_office(&self) -> &Office {
        &self.central_office
    }

    fn coverage_width(&self, n: u32) -> Option<u32> {
        self.postal_codes
            .iter()
            .filter(|r| r.contains(n))
            .map(PostalRange::width)
            .min()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffice {
    id: S<String>,
    name: S<String>,
    address: S<String>,
    phone: S<String>,
    email: Option<S<String>>,
    web: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    postal_codes: S<Vec<S<String>>>,
    office: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    envelope_days: Option<u32>,
    index_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: RawText,
    categories: S<Vec<S<String>>>,
    privacy_url: S<String>,
    accessibility_url: S<String>,
    operations_email: Option<S<String>>,
    retention: Option<S<RawRetention>>,
    seal_client_address: Option<bool>,
    postal_codes: S<Vec<S<String>>>,
    central_office: RawOffice,
    offices: Vec<RawOffice>,
    routing: Vec<RawRoute>,
}

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
        // Shared step fragments.
        for path in list_toml(&dir.join("shared")) {
            cat.files += 1;
            let Some((p, src)) = read(&path, &mut problems) else {
                continue;
            };
            let mut ctx = Ctx::new(&p, &src);
            if let Some(raw) = ctx.parse::<RawStep>() {
                if let Some(step) = ctx.step(&raw, &BTreeMap::new(), false) {
                    let name = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    cat.shared.insert(format!("shared/{name}"), step);
                }
            }
            problems.append(&mut ctx.problems);
        }
        // Federal bases. A broken base is reported once, not again by each overlay.
        let mut broken_bases = BTreeSet::new();
        for path in list_toml(&dir.join("base")) {
            cat.files += 1;
            broken_bases.insert(format!("`extends` target `base/{}`", stem(&path)));
            let Some((p, src)) = read(&path, &mut problems) else {
                continue;
            };
            let mut ctx = Ctx::new(&p, &src);
            if let Some(raw) = ctx.parse::<RawForm>() {
                if let Some(r) = ctx.form(&raw, &cat.shared, &BTreeMap::new()) {
                    check_file_name(&mut ctx, &path, &r);
                    if ctx.problems.is_empty() {
                        broken_bases.remove(&format!("`extends` target `base/{}`", stem(&path)));
                    }
                    cat.bases.insert(format!("base/{}", r.id), r);
                }
            }
            problems.append(&mut ctx.problems);
        }
        // States.
        let mut dirs: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        dirs.sort();
        for sdir in dirs {
            let name = sdir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name == "base" || name == "shared" || name.starts_with('.') {
                continue;
            }
            let state_file = sdir.join("state.toml");
            let Ok(code) = StateCode::parse(&name) else {
                problems.push(Problem::new(
                    display(&sdir),
                    1,
                    "a state directory is named by its two-letter code",
                ));
                continue;
            };
            if !state_file.is_file() {
                problems.push(Problem::new(
                    display(&state_file),
                    1,
                    "state.toml is missing",
                ));
                continue;
            }
            cat.files += 1;
            let info = read(&state_file, &mut problems).and_then(|(p, src)| {
                let mut ctx = Ctx::new(&p, &src);
                let info = ctx
                    .parse::<RawState>()
                    .map(|raw| state_info(&mut ctx, code.clone(), &raw));
                problems.append(&mut ctx.problems);
                info.map(|i| (i, p, src))
            });
            let mut ids = BTreeSet::new();
            let mut seen: BTreeMap<(String, u32), String> = BTreeMap::new();
            for path in list_toml(&sdir) {
                if path == state_file {
                    continue;
                }
                cat.files += 1;
                // A failing file still counts as offering its form, to avoid follow-up errors.
                let file_id = stem(&path);
                ids.insert(
                    file_id
                        .split_once(".v")
                        .map_or(file_id.clone(), |(id, _)| id.to_string()),
                );
                let Some((p, src)) = read(&path, &mut problems) else {
                    continue;
                };
                let mut ctx = Ctx::new(&p, &src);
                if let Some(raw) = ctx.parse::<RawForm>() {
                    if let Some(r) = ctx.form(&raw, &cat.shared, &cat.bases) {
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
                        cat.variants.push(variant(&code, r, &src));
                    }
                }
                ctx.problems.retain(|p| {
                    !broken_bases
                        .iter()
                        .any(|b| p.message.starts_with(b.as_str()))
                });
                problems.append(&mut ctx.problems);
            }
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
                cat.states.insert(code, info);
            }
        }
        (cat, problems)
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

fn office(ctx: &mut Ctx, raw: &RawOffice, need_contact: bool) -> Office {
    for (v, what) in [
        (&raw.name, "name"),
        (&raw.address, "address"),
        (&raw.phone, "phone"),
    ] {
        if v.get_ref().trim().is_empty() {
            ctx.err(v.span(), format!("office `{what}` must not be empty"));
        }
    }
    if super::values::parse_phone(raw.phone.get_ref()).is_none()
        && !raw.phone.get_ref().trim().is_empty()
    {
        ctx.err(raw.phone.span(), "invalid phone number");
    }
    if let Some(e) = &raw.email {
        if super::values::parse_email(e.get_ref()).is_none() {
            ctx.err(e.span(), "invalid e-mail address");
        }
    }
    if let Some(w) = &raw.web {
        if super::values::parse_url(w.get_ref()).is_none() {
            ctx.err(w.span(), "invalid web address (http/https)");
        }
    }
    if need_contact && (raw.email.is_none() || raw.web.is_none()) {
        ctx.err(raw.id.span(), "the central office needs `email` and `web`");
    }
    Office {
        id: raw.id.get_ref().clone(),
        name: raw.name.get_ref().clone(),
        address: raw.address.get_ref().clone(),
        phone: raw.phone.get_ref().clone(),
        email: raw.email.as_ref().map(|e| e.get_ref().clone()),
        web: raw.web.as_ref().map(|e| e.get_ref().clone()),
    }
}

fn ranges(ctx: &mut Ctx, list: &S<Vec<S<String>>>) -> Vec<PostalRange> {
    if list.get_ref().is_empty() {
        ctx.err(list.span(), "`postal_codes` must not be empty");
    }
    let mut out = Vec::new();
    for s in list.get_ref() {
        match PostalRange::parse(s.get_ref()) {
            Some(r) => out.push(r),
            None => ctx.err(s.span(), format!("invalid postal code range `{}` (use \"10115\", \"10115-10999\" or a prefix like \"13\")", s.get_ref())),
        }
    }
    out
}

fn state_info(ctx: &mut Ctx, code: StateCode, raw: &RawState) -> StateInfo {
    let name = ctx.text(&raw.name);
    for u in [&raw.privacy_url, &raw.accessibility_url] {
        if super::values::parse_url(u.get_ref()).is_none() {
            ctx.err(u.span(), "invalid URL (http/https)");
        }
    }
    if let Some(e) = &raw.operations_email {
        if super::values::parse_email(e.get_ref()).is_none() {
            ctx.err(e.span(), "invalid e-mail address");
        }
    }
    let mut retention = Retention::default();
    if let Some(raw_retention) = &raw.retention {
        let r = raw_retention.get_ref();
        retention.envelope_days = r.envelope_days.unwrap_or(retention.envelope_days);
        retention.index_days = r.index_days.unwrap_or(retention.index_days);
        if retention.envelope_days == 0 || retention.envelope_days > retention.index_days {
            ctx.err(
                raw_retention.span(),
                "retention: envelope_days must be at least 1 and at most index_days",
            );
        }
    }
    let mut seen = BTreeSet::new();
    let mut categories = Vec::new();
    for c in raw.categories.get_ref() {
        if !seen.insert(c.get_ref().clone()) {
            ctx.err(c.span(), format!("duplicate category `{}`", c.get_ref()));
        }
        categories.push(c.get_ref().clone());
    }
    let coverage = ranges(ctx, &raw.postal_codes);
    let central = office(ctx, &raw.central_office, true);
    let mut office_ids = BTreeSet::new();
    let mut offices = Vec::new();
    for o in &raw.offices {
        if !office_ids.insert(o.id.get_ref().clone()) {
            ctx.err(
                o.id.span(),
                format!("duplicate office id `{}`", o.id.get_ref()),
            );
        }
        offices.push(office(ctx, o, false));
    }
    let mut routes = Vec::new();
    for r in &raw.routing {
        if !office_ids.contains(r.office.get_ref()) {
            ctx.err(
                r.office.span(),
                format!("routing names unknown office `{}`", r.office.get_ref()),
            );
        }
        ranges(ctx, &r.postal_codes);
        for s in r.postal_codes.get_ref() {
            let Some(range) = PostalRange::parse(s.get_ref()) else {
                continue;
            };
            let inside = coverage
                .iter()
                .any(|c| c.from <= range.from && range.to <= c.to);
            if !inside && !coverage.is_empty() {
                ctx.err(
                    s.span(),
                    format!(
                        "routing range `{}` lies outside the state's postal codes",
                        s.get_ref()
                    ),
                );
            }
            routes.push(Route {
                postal_codes: range,
                office: r.office.get_ref().clone(),
            });
        }
    }
    StateInfo {
        code,
        name,
        categories,
        central_office: central,
        offices,
        routes,
        postal_codes: coverage,
        privacy_url: raw.privacy_url.get_ref().clone(),
        accessibility_url: raw.accessibility_url.get_ref().clone(),
        operations_email: raw.operations_email.as_ref().map(|e| e.get_ref().clone()),
        retention,
        seal_client_address: raw.seal_client_address.unwrap_or(false),
    }
}
