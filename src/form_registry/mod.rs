//! Form variants: files seed, the database rules.
//!
//! At start every file variant whose (state, form, version, hash) is new is registered. What
//! is live is whatever the database says, so every instance serves the same set; versions are
//! immutable, so resolved definitions are cached by key for ever.

pub mod directory;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::Utc;

use crate::forms::{Catalog, FormVariant};
use crate::state_code::StateCode;
use crate::store::forms::{self as store_forms, NewFormVersion, Origin, Registration};
use crate::store::{Db, StoreError, StoreResult};

type VersionKey = (String, String, i64);

pub struct FormRegistry {
    catalog: Catalog,
    cache: RwLock<HashMap<VersionKey, Arc<FormVariant>>>,
}

/// What seeding did, for the start-up log.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub registered: usize,
    pub unchanged: usize,
    /// Files whose content changed while their version did not; the stored version stays.
    pub refused: Vec<String>,
}

impl FormRegistry {
    pub fn new(catalog: Catalog) -> Self {
        FormRegistry {
            catalog,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// States, offices and the bases uploads extend; these come from files only.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub async fn seed(&self, db: &Db) -> StoreResult<SeedReport> {
        let mut report = SeedReport::default();
        let now = Utc::now();
        for variant in self.catalog.variants() {
            let definition = serde_json::to_string(variant)
                .map_err(|e| StoreError::corrupt("form variant does not serialize", e))?;
            let new = NewFormVersion {
                state: variant.state.as_str(),
                form_id: &variant.id,
                version: i64::from(variant.version),
                content_hash: &variant.content_hash,
                category: &variant.category,
                definition: &definition,
                origin: Origin::File,
                created_by: None,
            };
            match store_forms::register(db, &new, now).await? {
                Registration::Registered => report.registered += 1,
                Registration::Unchanged => report.unchanged += 1,
                Registration::Conflict { .. } => {
                    tracing::error!(
                        state = %variant.state,
                        form = %variant.id,
                        version = variant.version,
                        "form file changed but its version did not; refused, the stored version stays live. Raise `version` in the file."
                    );
                    report.refused.push(format!(
                        "{}/{} v{}",
                        variant.state, variant.id, variant.version
                    ));
                }
            }
        }
        Ok(report)
    }

    /// A specific version, as drafts and reports are pinned to it.
    pub async fn pinned(
        &self,
        db: &Db,
        state: &StateCode,
        form_id: &str,
        version: i64,
    ) -> StoreResult<Option<Arc<FormVariant>>> {
        let key = (state.to_string(), form_id.to_owned(), version);
        if let Some(hit) = self.cache.read().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(Some(hit));
        }
        let Some(row) = store_forms::get(db, state.as_str(), form_id, version).await? else {
            return Ok(None);
        };
        let variant: FormVariant = serde_json::from_str(&row.definition).map_err(|e| {
            StoreError::corrupt(format!("stored form {state}/{form_id} v{version}"), e)
        })?;
        let variant = Arc::new(variant);
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(key, variant.clone());
        }
        Ok(Some(variant))
    }

    /// The version a new draft of this form starts on, if the form is offered.
    pub async fn live(
        &self,
        db: &Db,
        state: &StateCode,
        form_id: &str,
    ) -> StoreResult<Option<Arc<FormVariant>>> {
        let keys = store_forms::live_keys(db).await?;
        match keys
            .into_iter()
            .find(|(s, f, _)| s == state && f == form_id)
        {
            Some((s, f, v)) => self.pinned(db, &s, &f, v).await,
            None => Ok(None),
        }
    }

    /// The live forms of a state: first in the order its state file lists them, then any
    /// uploaded ones it does not list.
    pub async fn live_for_state(
        &self,
        db: &Db,
        state: &StateCode,
    ) -> StoreResult<Vec<Arc<FormVariant>>> {
        let keys: Vec<_> = store_forms::live_keys(db)
            .await?
            .into_iter()
            .filter(|(s, _, _)| s == state)
            .collect();
        let order: Vec<String> = self
            .catalog
            .state(state)
            .map(|s| s.categories.clone())
            .unwrap_or_default();
        let mut variants = Vec::new();
        for (s, f, v) in keys {
            if let Some(variant) = self.pinned(db, &s, &f, v).await? {
                variants.push(variant);
            }
        }
        variants.sort_by_key(|v| {
            (
                order
                    .iter()
                    .position(|id| *id == v.id)
                    .unwrap_or(usize::MAX),
                v.id.clone(),
            )
        });
        Ok(variants)
    }
}
