//! Names and contacts of the state police desks and offices, as e-mails quote them.
//! The forms catalog provides the real directory; `FallbackDirectory` knows nothing and
//! lets callers fall back to generic wording.

use crate::i18n::Lang;

/// A desk or office as a citizen can reach it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub url: Option<String>,
}

pub trait Directory: Send + Sync {
    /// The state's online police desk ("Internetwache").
    fn desk(&self, state: &str) -> Option<Contact>;
    /// The office responsible for a report (`office_id` from the citizen flow).
    fn office(&self, state: &str, office_id: &str) -> Option<Contact>;
    /// The state's name in `lang`, e.g. "Berlin".
    fn state_name(&self, state: &str, lang: Lang) -> Option<String>;
    /// Where escalations go when `[police.<state>] ops_email` is not configured.
    fn operations_email(&self, _state: &str) -> Option<String> {
        None
    }
}

/// The address escalations of `state` go to: the configured `ops_email`, else the
/// directory's operations address.
pub fn ops_email(
    settings: &crate::config::Settings,
    directory: &dyn Directory,
    state: &str,
) -> Option<String> {
    settings
        .police
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(state))
        .and_then(|(_, p)| p.ops_email.clone())
        .or_else(|| directory.operations_email(state))
        .filter(|m| !m.trim().is_empty())
}

/// Knows no names; e-mails then say "the police of BE".
#[derive(Debug, Clone, Copy, Default)]
pub struct FallbackDirectory;

impl Directory for FallbackDirectory {
    fn desk(&self, _state: &str) -> Option<Contact> {
        None
    }
    fn office(&self, _state: &str, _office_id: &str) -> Option<Contact> {
        None
    }
    fn state_name(&self, _state: &str, _lang: Lang) -> Option<String> {
        None
    }
}

/// The directory of the forms catalog (`forms/<state>/state.toml`): the central office is
/// the desk, the offices are the Dienststellen.
#[derive(Debug, Clone, Default)]
pub struct CatalogDirectory {
    states: std::collections::BTreeMap<String, StateEntry>,
}

#[derive(Debug, Clone)]
struct StateEntry {
    name: crate::i18n::I18nText,
    operations_email: Option<String>,
    desk: Contact,
    offices: Vec<(String, Contact)>,
}

fn contact(office: &crate::forms::Office) -> Contact {
    Contact {
        name: office.name.clone(),
        email: office.email.clone(),
        phone: Some(office.phone.clone()).filter(|p| !p.trim().is_empty()),
        url: office.web.clone(),
    }
}

impl CatalogDirectory {
    pub fn from_catalog(catalog: &crate::forms::Catalog) -> CatalogDirectory {
        let states = catalog
            .states()
            .map(|s| {
                let entry = StateEntry {
                    name: s.name.clone(),
                    operations_email: s.operations_email.clone(),
                    desk: contact(s.central_office()),
                    offices: std::iter::once(s.central_office())
                        .chain(&s.offices)
                        .map(|o| (o.id.clone(), contact(o)))
                        .collect(),
                };
                (s.code.as_str().to_ascii_lowercase(), entry)
            })
            .collect();
        CatalogDirectory { states }
    }

    fn state(&self, state: &str) -> Option<&StateEntry> {
        self.states.get(&state.to_ascii_lowercase())
    }
}

impl Directory for CatalogDirectory {
    fn desk(&self, state: &str) -> Option<Contact> {
        self.state(state).map(|s| s.desk.clone())
    }
    fn office(&self, state: &str, office_id: &str) -> Option<Contact> {
        self.state(state)?
            .offices
            .iter()
            .find(|(id, _)| id == office_id)
            .map(|(_, c)| c.clone())
    }
    fn state_name(&self, state: &str, lang: Lang) -> Option<String> {
        self.state(state).map(|s| s.name.get(lang).to_string())
    }
    fn operations_email(&self, state: &str) -> Option<String> {
        self.state(state)?.operations_email.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_names_desks_and_offices() {
        let catalog = crate::forms::Catalog::load(std::path::Path::new("forms"))
            .expect("the shipped forms load");
        let dir = CatalogDirectory::from_catalog(&catalog);
        assert_eq!(
            dir.desk("be").unwrap().name,
            "Internetwache der Polizei Berlin"
        );
        assert_eq!(
            dir.office("BE", "dir3").unwrap().name,
            "Polizeidirektion 3 (Ost)"
        );
        assert_eq!(dir.state_name("be", Lang::En).as_deref(), Some("Berlin"));
        assert!(dir.office("be", "nonexistent").is_none());
        assert!(dir.desk("xx").is_none());
        assert!(dir.operations_email("be").is_some());
    }
}
