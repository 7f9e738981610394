//! A state's `state.toml`: its name, categories, offices and postal-code routing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use toml::Spanned as S;

use super::raw::{Ctx, RawText};
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

pub(crate) fn postal_number(code: &str) -> Option<u32> {
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

    pub(crate) fn coverage_width(&self, n: u32) -> Option<u32> {
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
pub(crate) struct RawState {
    name: RawText,
    pub(crate) categories: S<Vec<S<String>>>,
    privacy_url: S<String>,
    accessibility_url: S<String>,
    operations_email: Option<S<String>>,
    postal_codes: S<Vec<S<String>>>,
    central_office: RawOffice,
    offices: Vec<RawOffice>,
    routing: Vec<RawRoute>,
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

pub(crate) fn state_info(ctx: &mut Ctx, code: StateCode, raw: &RawState) -> StateInfo {
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
    }
}
