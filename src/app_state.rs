//! Shared state of one running instance, as the HTTP handlers see it. A low module: it
//! imports the parts it holds and nothing that handles requests, so routes and domain code
//! can both depend on it without a circle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::{web, HttpRequest};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Settings;
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::police_keys::PoliceKeys;
use crate::drafts::DraftService;
use crate::form_registry::directory::Directory;
use crate::form_registry::FormRegistry;
use crate::http::assets::Assets;
use crate::http::csrf::{CsrfKey, CSRF_FIELD};
use crate::http::errors::PageError;
use crate::http::form_body::{self, FormBody};
use crate::http::page::PageContext;
use crate::http::rate_limit::RateLimit;
use crate::http::status_limits::StatusLimits;
use crate::i18n::Lang;
use crate::queue::Services;
use crate::store::Db;

/// Whether the database has been created and migrated. Pages render either way;
/// `/readyz` and anything that stores data need it.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub(crate) fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Shared state of one running instance.
pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub readiness: Readiness,
    pub metrics: PrometheusHandle,
    pub assets: Assets,
    /// Names of state desks and offices for e-mails (from the forms catalog).
    pub directory: Arc<dyn Directory>,
    /// What queue jobs need; also the pull API's receipt check (`delivery::accept_receipt`).
    pub services: Arc<Services>,
    pub forms: FormRegistry,
    pub police_keys: PoliceKeys,
    pub drafts: DraftService,
    pub csrf: CsrfKey,
    /// Also registered on its own, so the rate-limit middleware needs nothing else.
    pub rate_limit: web::Data<RateLimit>,
    /// Per-address and per-case limits of the citizen's status look-up.
    pub status_limits: StatusLimits,
    /// Per-address limit of resume-code attempts (`IW_STATUS_ATTEMPTS_PER_HOUR` as well).
    pub resume_limits: StatusLimits,
    /// Key of the audit log's HMAC chain.
    pub audit_key: AuditKey,
    /// Bounds the filings sealed at once (`reports::submission::sealing_slots`).
    pub sealing: tokio::sync::Semaphore,
}

impl AppState {
    pub fn page(&self, req: &HttpRequest) -> PageContext {
        PageContext::new(req, &self.assets, self.demo_mode())
    }

    /// A citizen's form POST (answers and files): read within the upload limit and the body
    /// deadline, refused unless its CSRF token matches.
    pub async fn read_citizen_form(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<FormBody, PageError> {
        let max_mb = self.settings.max_upload_mb;
        let body = form_body::read(req, payload, max_mb, self.body_deadline()).await?;
        if !self.csrf.verify(req, body.input.first(CSRF_FIELD)) {
            return Err(PageError::Forbidden);
        }
        Ok(body)
    }

    /// How long a client may take to send a request body (`IW_BODY_DEADLINE_SECS`).
    pub fn body_deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.settings.body_deadline_secs)
    }

    /// Sign-in limits of the intake's staff pages; every staff role is served here.
    pub fn session_policy(&self) -> crate::staff::sessions::SessionPolicy {
        use crate::staff::Role;
        crate::staff::sessions::SessionPolicy {
            max_failures: self.settings.sign_in_max_failures,
            lockout_minutes: self.settings.sign_in_lockout_minutes,
            session_max_hours: self.settings.staff_session_max_hours,
            session_idle_minutes: self.settings.staff_session_idle_minutes,
            roles: &[Role::Clerk, Role::Admin, Role::Operator],
        }
    }

    /// True while any state's reports are sealed to generated demo keys.
    pub fn demo_mode(&self) -> bool {
        self.police_keys.is_demo()
    }

    /// What filing a report needs from this instance.
    pub fn submitter(&self) -> crate::reports::submission::Submitter<'_> {
        crate::reports::submission::Submitter {
            db: &self.db,
            catalog: self.forms.catalog(),
            police_keys: &self.police_keys,
            address_keys: &self.services.keyring,
            max_attempts: self.settings.job_max_attempts,
            sealing: &self.sealing,
        }
    }

    /// What adding a follow-up needs from this instance.
    pub fn followup_adder(&self) -> crate::reports::followup_submission::FollowupAdder<'_> {
        crate::reports::followup_submission::FollowupAdder {
            db: &self.db,
            police_keys: &self.police_keys,
            per_day: self.settings.followups_per_day,
            max_attempts: self.settings.job_max_attempts,
        }
    }

    /// (code, name) of every state offered, by name.
    pub fn state_names(&self, lang: Lang) -> Vec<(String, String)> {
        let mut names: Vec<_> = self
            .forms
            .catalog()
            .states()
            .map(|s| (s.code.to_string(), s.name.get(lang).to_owned()))
            .collect();
        names.sort_by(|a, b| a.1.cmp(&b.1));
        names
    }
}
