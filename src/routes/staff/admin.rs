//! State admin pages: form variants (upload, preview, publish, retire), the delivery
//! queue with requeue, and the audit log.
//!
//! Publishing numbers the new version `max + 1` of that form, whatever `version` the
//! uploaded file says: versions are the database's to give, and a number can never be
//! reused with other content.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{check_csrf, nav, require, require_post, StaffError, StaffNav};
use crate::app_state::AppState;
use crate::clock::local_display;
use crate::forms::render::StepFields;
use crate::forms::{parse_upload, Answers, FormVariant, Problem};
use crate::http::csrf::CSRF_FIELD;
use crate::http::errors::PageError;
use crate::http::form_body::{self, BodyError};
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::i18n::Lang;
use crate::staff::{action, audit, audited, Principal, Role};
use crate::state_code::StateCode;
use crate::store::audit::{self as store_audit, Audited};
use crate::store::forms::{self as store_forms, NewFormVersion, Origin, Registration};
use crate::store::staff as store_staff;

#[tracing::instrument(skip_all)]
pub async fn home(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, StaffError> {
    require(&app, &req, &[Role::Admin, Role::Operator]).await?;
    Ok(see_other("/verwaltung/formulare"))
}

/// The one state an admin works on.
fn own_state(principal: &Principal) -> Result<StateCode, StaffError> {
    principal
        .state
        .clone()
        .ok_or_else(|| PageError::Forbidden.into())
}

/// Renders an admin page: `make` gets the page context and the staff navigation, whose
/// cookie (the CSRF token) goes out with the page.
fn staff_page<T: Template>(
    app: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    make: impl FnOnce(PageContext, StaffNav) -> T,
) -> Result<HttpResponse, StaffError> {
    let (nav, cookies) = nav(app, req, principal);
    let body = make(app.page(req), nav).render()?;
    Ok(html(body, cookies))
}

/// The audit entry of an admin's change to `object` in their state.
fn audited_change<'a>(
    app: &'a AppState,
    principal: &'a Principal,
    action: &'a str,
    state: &'a StateCode,
    object: &'a str,
) -> Audited<'a> {
    audited(
        &app.audit_key,
        &principal.actor,
        action,
        Some(state.as_str()),
        Some(object),
    )
}

pub struct VersionView {
    pub state: String,
    pub form_id: String,
    pub version: i64,
    pub category: String,
    pub status: &'static str,
    pub origin: String,
    pub created: String,
    pub created_by: String,
    pub can_retire: bool,
}

#[derive(Template)]
#[template(path = "staff/variants.html")]
struct VariantsPage {
    page: PageContext,
    nav: StaffNav,
    versions: Vec<VersionView>,
    can_edit: bool,
}

#[tracing::instrument(skip_all)]
pub async fn variants(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Admin, Role::Operator]).await?;
    let german = app.page(&req).lang == Lang::De;
    let states: Vec<String> = app
        .forms
        .catalog()
        .states()
        .filter(|s| principal.sees(&s.code))
        .map(|s| s.code.to_string())
        .collect();
    let mut versions = Vec::new();
    for state in states {
        let rows = store_forms::all_for_state(&app.db, &state).await?;
        for row in &rows {
            let max = rows
                .iter()
                .filter(|r| r.form_id == row.form_id)
                .map(|r| r.version)
                .max()
                .unwrap_or(row.version);
            let status = match (row.version == max, row.retired_at.is_some()) {
                (true, false) => "live",
                (true, true) => "retired",
                (false, _) => "older",
            };
            versions.push(VersionView {
                state: row.state.clone(),
                form_id: row.form_id.clone(),
                version: row.version,
                category: row.category.clone(),
                status,
                origin: row.origin.clone(),
                created: local_display(row.created_at, Utc::now(), german),
                created_by: row.created_by.clone().unwrap_or_default(),
                can_retire: status == "live" && principal.role == Role::Admin,
            });
        }
    }
    let can_edit = principal.role == Role::Admin;
    staff_page(&app, &req, &principal, |page, nav| VariantsPage {
        page,
        nav,
        versions,
        can_edit,
    })
}

#[derive(Template)]
#[template(path = "staff/upload.html")]
struct UploadPage {
    page: PageContext,
    nav: StaffNav,
    source: String,
    problems: Vec<String>,
}

fn upload_page(
    app: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    source: String,
    problems: Vec<String>,
) -> Result<HttpResponse, StaffError> {
    staff_page(app, req, principal, |page, nav| UploadPage {
        page,
        nav,
        source,
        problems,
    })
}

#[tracing::instrument(skip_all)]
pub async fn upload_form(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Admin]).await?;
    upload_page(&app, &req, &principal, String::new(), Vec::new())
}

pub struct StepPreview {
    pub title: String,
    pub intro: String,
    pub fields_html: String,
}

#[derive(Template)]
#[template(path = "staff/preview.html")]
struct PreviewPage {
    page: PageContext,
    nav: StaffNav,
    title: String,
    form_id: String,
    version: i64,
    steps: Vec<StepPreview>,
    /// The TOML to publish; empty when showing a stored version.
    source: String,
    stored: bool,
}

/// The preview of `variant` as version `version` with its TOML `source`: `stored`, or
/// checked and ready to publish.
fn preview_page(
    app: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    variant: &FormVariant,
    (version, stored): (i64, bool),
    source: String,
) -> Result<HttpResponse, StaffError> {
    let lang = app.page(req).lang;
    let steps = step_previews(variant, lang)?;
    staff_page(app, req, principal, |page, nav| PreviewPage {
        page,
        nav,
        title: variant.title.get(lang).to_owned(),
        form_id: variant.id.clone(),
        version,
        steps,
        source,
        stored,
    })
}

fn step_previews(variant: &FormVariant, lang: Lang) -> Result<Vec<StepPreview>, StaffError> {
    let answers = Answers::default();
    variant
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            Ok(StepPreview {
                title: step.title.get(lang).to_owned(),
                intro: step
                    .intro
                    .as_ref()
                    .map(|t| t.get(lang).to_owned())
                    .unwrap_or_default(),
                fields_html: StepFields::new(variant, i, &answers, &[], lang).to_html()?,
            })
        })
        .collect()
}

/// The TOML from the file input, or else from the text area. A file that is not text
/// gives a message in the page's language, shown like a problem in the file.
fn uploaded_source(
    raw: &crate::forms::RawStepInput,
    lang: Lang,
) -> Result<(String, String), String> {
    if let Some(file) = raw.files.iter().find(|f| f.input_name == "file") {
        let text = String::from_utf8(file.bytes.clone()).map_err(|_| {
            lang.t(
                "Die Datei ist keine Textdatei in UTF-8. Wählen Sie die TOML-Datei der Formularvariante.",
                "The file is not UTF-8 text. Choose the form variant's TOML file.",
            )
            .to_owned()
        })?;
        let name = std::path::Path::new(&file.file_name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload.toml".into());
        return Ok((name, text));
    }
    Ok((
        "upload.toml".into(),
        raw.first("source").unwrap_or_default().to_owned(),
    ))
}

/// Records an upload: the variant it parsed to, or `rejected`.
async fn audit_upload(
    app: &AppState,
    principal: &Principal,
    state: &StateCode,
    outcome: &str,
) -> Result<(), StaffError> {
    audit(
        &app.db,
        &app.audit_key,
        &principal.actor,
        action::UPLOAD,
        Some(state.as_str()),
        Some(outcome),
    )
    .await?;
    Ok(())
}

fn problem_lines(problems: &[Problem], lang: Lang) -> Vec<String> {
    problems
        .iter()
        .map(|p| format!("{} {}: {}", lang.t("Zeile", "Line"), p.line, p.message))
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn upload(
    req: HttpRequest,
    app: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Admin]).await?;
    let lang = app.page(&req).lang;
    let too_large = |app: &AppState| {
        format!(
            "{} {} MB.",
            lang.t(
                "Die Datei ist zu groß. Erlaubt sind höchstens",
                "The file is too large. The limit is"
            ),
            app.settings.max_upload_mb
        )
    };
    let body = match form_body::read(
        &req,
        payload,
        app.settings.max_upload_mb,
        app.body_deadline(),
    )
    .await
    {
        Ok(body) => body,
        Err(BodyError::TooLarge(_)) => {
            return upload_page(&app, &req, &principal, String::new(), vec![too_large(&app)]);
        }
        Err(e) => return Err(PageError::from(e).into()),
    };
    if body.oversized_file.is_some() {
        return upload_page(&app, &req, &principal, String::new(), vec![too_large(&app)]);
    }
    let raw = body.input;
    check_csrf(&app, &req, raw.first(CSRF_FIELD))?;
    let state = own_state(&principal)?;
    let (file_name, source) = match uploaded_source(&raw, lang) {
        Ok(upload) => upload,
        Err(message) => return upload_page(&app, &req, &principal, String::new(), vec![message]),
    };
    match parse_upload(&state, &file_name, &source, app.forms.catalog()) {
        Err(problems) => {
            audit_upload(&app, &principal, &state, "rejected").await?;
            upload_page(
                &app,
                &req,
                &principal,
                source,
                problem_lines(&problems, lang),
            )
        }
        Ok(variant) => {
            audit_upload(&app, &principal, &state, &variant.id).await?;
            let next = store_forms::max_version(&app.db, state.as_str(), &variant.id)
                .await?
                .unwrap_or(0)
                + 1;
            preview_page(&app, &req, &principal, &variant, (next, false), source)
        }
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf_token: Option<String>,
    #[serde(default)]
    source: String,
}

#[tracing::instrument(skip_all)]
pub async fn publish(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<PublishForm>,
) -> Result<HttpResponse, StaffError> {
    let principal = require_post(&app, &req, &[Role::Admin], form.csrf_token.as_deref()).await?;
    let state = own_state(&principal)?;
    let lang = app.page(&req).lang;
    let variant = match parse_upload(&state, "upload.toml", &form.source, app.forms.catalog()) {
        Ok(v) => v,
        Err(problems) => {
            return upload_page(
                &app,
                &req,
                &principal,
                form.source.clone(),
                problem_lines(&problems, lang),
            )
        }
    };
    // Another admin may publish the same form at the same moment: take the next number.
    for _ in 0..5 {
        let next = store_forms::max_version(&app.db, state.as_str(), &variant.id)
            .await?
            .unwrap_or(0)
            + 1;
        let numbered = variant
            .clone()
            .renumbered(u32::try_from(next).map_err(PageError::internal)?);
        let definition = serde_json::to_string(&numbered).map_err(PageError::internal)?;
        let new = NewFormVersion {
            state: state.as_str(),
            form_id: &numbered.id,
            version: next,
            content_hash: &numbered.content_hash,
            category: &numbered.category,
            definition: &definition,
            origin: Origin::Upload,
            created_by: Some(&principal.actor),
        };
        let object = format!("{} v{next}", numbered.id);
        let audited = audited_change(&app, &principal, action::PUBLISH, &state, &object);
        if store_forms::register(&app.db, &new, Utc::now(), Some(&audited)).await?
            == Registration::Registered
        {
            tracing::info!(state = %state, form = %numbered.id, version = next, "form variant published");
            return Ok(see_other("/verwaltung/formulare"));
        }
    }
    Err(PageError::Invariant("could not number the new version").into())
}

#[derive(Deserialize)]
pub struct VersionPath {
    state: String,
    form: String,
    version: i64,
}

#[tracing::instrument(skip_all)]
pub async fn show_version(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Admin, Role::Operator]).await?;
    let state = StateCode::parse(&path.state).map_err(|_| PageError::NotFound)?;
    if !principal.sees(&state) {
        return Err(PageError::NotFound.into());
    }
    let variant = app
        .forms
        .pinned(&app.db, &state, &path.form, path.version)
        .await?
        .ok_or(PageError::NotFound)?;
    let version = (i64::from(variant.version), true);
    let source = variant.source_toml.clone();
    preview_page(&app, &req, &principal, &variant, version, source)
}

#[derive(Deserialize)]
pub struct FormOnlyPath {
    state: String,
    form: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn retire(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormOnlyPath>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, StaffError> {
    let principal = require_post(&app, &req, &[Role::Admin], form.csrf_token.as_deref()).await?;
    let state = own_state(&principal)?;
    if state.as_str() != path.state {
        return Err(PageError::NotFound.into());
    }
    if store_forms::max_version(&app.db, state.as_str(), &path.form)
        .await?
        .is_none()
    {
        return Err(PageError::NotFound.into());
    }
    let audited = audited_change(&app, &principal, action::RETIRE, &state, &path.form);
    store_forms::retire(&app.db, state.as_str(), &path.form, Utc::now(), &audited).await?;
    Ok(see_other("/verwaltung/formulare"))
}

pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub status: String,
    pub attempts: String,
    pub run_at: String,
    pub last_error: String,
    pub case_number: String,
}

/// A report still undelivered after `IW_ESCALATE_AFTER_MINUTES`.
pub struct OverdueView {
    pub case_number: String,
    pub state: String,
    pub category: String,
    pub office: String,
    pub submitted: String,
    pub escalated: bool,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    page: PageContext,
    nav: StaffNav,
    jobs: Vec<JobView>,
    overdue: Vec<OverdueView>,
    escalate_after_minutes: u32,
    can_requeue: bool,
}

#[tracing::instrument(skip_all)]
pub async fn queue(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Admin, Role::Operator]).await?;
    let german = app.page(&req).lang == Lang::De;
    let jobs = store_staff::open_jobs(&app.db, principal.state_filter().as_deref(), 500)
        .await?
        .into_iter()
        .map(|j| JobView {
            id: j.id,
            kind: j.kind,
            state: j.state.to_uppercase(),
            status: j.status,
            attempts: format!("{}/{}", j.attempts, j.max_attempts),
            run_at: local_display(j.run_at, Utc::now(), german),
            last_error: j.last_error.unwrap_or_default(),
            case_number: j.case_number,
        })
        .collect();
    let overdue = crate::delivery::escalation::overdue(
        &app.db,
        &app.settings,
        principal.state_filter().as_deref(),
    )
    .await?
    .into_iter()
    .map(|r| OverdueView {
        case_number: r.case_number.to_string(),
        state: r.state.upper(),
        category: r.category,
        office: r.office_id.unwrap_or_default(),
        submitted: local_display(r.submitted_at, Utc::now(), german),
        escalated: r.escalated_at.is_some(),
    })
    .collect();
    let escalate_after_minutes = app.settings.escalate_after_minutes;
    let can_requeue = principal.role == Role::Admin;
    staff_page(&app, &req, &principal, |page, nav| QueuePage {
        page,
        nav,
        jobs,
        overdue,
        escalate_after_minutes,
        can_requeue,
    })
}

#[derive(Deserialize)]
pub struct JobPath {
    job: i64,
}

#[tracing::instrument(skip_all)]
pub async fn requeue(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<JobPath>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, StaffError> {
    let principal = require_post(&app, &req, &[Role::Admin], form.csrf_token.as_deref()).await?;
    let state = store_staff::job_state(&app.db, path.job)
        .await?
        .filter(|s| principal.sees(s))
        .ok_or(PageError::NotFound)?;
    let object = path.job.to_string();
    let audited = audited_change(&app, &principal, action::REQUEUE, &state, &object);
    crate::store::jobs::requeue(&app.db, path.job, Utc::now(), Some(&audited)).await?;
    Ok(see_other("/verwaltung/warteschlange"))
}

pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub state: String,
    pub object: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    page: PageContext,
    nav: StaffNav,
    entries: Vec<AuditView>,
}

#[tracing::instrument(skip_all)]
pub async fn audit_log(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Admin, Role::Operator]).await?;
    let german = app.page(&req).lang == Lang::De;
    let entries = store_audit::recent(&app.db, principal.state_filter().as_deref(), 200)
        .await?
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            at: crate::clock::local_timestamp(&r.at, german),
            actor: r.actor,
            action: r.action,
            state: r.state.unwrap_or_default().to_uppercase(),
            object: r.object.unwrap_or_default(),
        })
        .collect();
    staff_page(&app, &req, &principal, |page, nav| AuditPage {
        page,
        nav,
        entries,
    })
}
