//! "Informationen nachreichen" (issue 14): within a look-up session, the citizen adds a text
//! and files to their case. The fields are the evidence step's (`forms::followup_form`), so
//! the checks and messages are the same; the result is sealed as its own document
//! (`reports::followup_submission`). The citizen sees what they just added, never the report.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::session;
use crate::app_state::AppState;
use crate::forms::followup_form::{followup_variant, FILES_FIELD, TEXT_FIELD};
use crate::forms::render::StepFields;
use crate::forms::{validate_step, AnswerValue, Answers, FieldError, FormVariant};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::i18n::I18nText;
use crate::reports::case_number::CaseNumber;
use crate::reports::followup::FollowupFile;
use crate::reports::followup_submission::{add as add_followup, Added, Addition, FollowupError};
use crate::routes::citizen::step::{summary, SummaryError};

pub const PATH: &str = "/status/nachreichen";

#[derive(Template)]
#[template(path = "status/followup.html")]
struct FollowupPage {
    page: PageContext,
    csrf: String,
    case_number: String,
    errors: Vec<SummaryError>,
    fields_html: String,
    /// Files were chosen but the form came back: a file input cannot be refilled, and
    /// nothing is kept unsealed on the server, so the citizen must choose them again.
    files_dropped: bool,
}

/// One added file as the confirmation lists it.
struct AddedFile {
    name: String,
    size_kb: u64,
}

#[derive(Template)]
#[template(path = "status/followup_added.html")]
struct AddedPage {
    page: PageContext,
    csrf: String,
    case_number: String,
    seq: u32,
    text_chars: usize,
    files: Vec<AddedFile>,
}

fn variant_for(app: &AppState, case_number: &CaseNumber) -> Result<FormVariant, PageError> {
    let state = crate::state_code::StateCode::parse(case_number.state())
        .map_err(|_| PageError::NotFound)?;
    followup_variant(app.forms.catalog(), &state).ok_or(PageError::NotFound)
}

fn render_form(
    app: &AppState,
    req: &HttpRequest,
    case_number: &CaseNumber,
    answers: &Answers,
    errors: &[FieldError],
    files_dropped: bool,
) -> Result<HttpResponse, PageError> {
    let variant = variant_for(app, case_number)?;
    let page = app.page(req);
    let fields_html = StepFields::new(&variant, 0, answers, errors, page.lang).to_html()?;
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let body = FollowupPage {
        errors: summary(errors, page.lang, ""),
        page,
        csrf,
        case_number: case_number.to_string(),
        fields_html,
        files_dropped,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some(case_number) = session::current(&app.services.keyring, &req, Utc::now()) else {
        return Ok(see_other("/status"));
    };
    render_form(&app, &req, &case_number, &Answers::default(), &[], false)
}

fn problem(field: &str, de: String, en: String) -> FieldError {
    FieldError {
        input_id: crate::forms::input_base(None, field),
        field_id: field.to_owned(),
        message: I18nText::new(de, en),
    }
}

#[tracing::instrument(skip_all)]
pub async fn add(
    req: HttpRequest,
    app: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.has_cookie(&req) {
        return Err(PageError::Forbidden);
    }
    let now = Utc::now();
    let Some(case_number) = session::current(&app.services.keyring, &req, now) else {
        return Ok(see_other("/status"));
    };
    let body = app.read_citizen_form(&req, payload).await?;
    let raw = body.input;
    let variant = variant_for(&app, &case_number)?;
    let result = validate_step(
        &variant,
        0,
        &raw,
        &Answers::default(),
        crate::clock::local_now(now),
    );
    let mut errors = result.errors;
    let answers = result.answers;
    let oversized = body.oversized_file.is_some();
    if let Some(input) = body.oversized_file {
        let limit = app.settings.max_upload_mb;
        errors.retain(|e| e.input_id != input);
        errors.insert(0, problem(
            FILES_FIELD,
            format!("Die Datei ist zu groß. Alle Dateien zusammen dürfen höchstens {limit} MB groß sein."),
            format!("The file is too large. All files together may be at most {limit} MB."),
        ));
    }
    let text = answers.text(TEXT_FIELD).unwrap_or("").trim().to_owned();
    let files: Vec<FollowupFile> = match answers.get(FILES_FIELD) {
        Some(AnswerValue::Files(files)) => files
            .iter()
            // A follow-up's files are this request's uploads: their bytes are in place.
            .filter_map(|f| {
                f.bytes()
                    .map(|bytes| FollowupFile::of(&f.file_name, &f.mime_type, bytes))
            })
            .collect(),
        _ => Vec::new(),
    };
    let files_chosen =
        oversized || !files.is_empty() || errors.iter().any(|e| e.field_id == FILES_FIELD);
    if errors.is_empty() && text.is_empty() && files.is_empty() {
        errors.push(problem(
            TEXT_FIELD,
            "Schreiben Sie, was Sie ergänzen möchten, oder wählen Sie eine Datei aus.".into(),
            "Write what you would like to add, or choose a file.".into(),
        ));
    }
    if !errors.is_empty() {
        let mut res = render_form(&app, &req, &case_number, &answers, &errors, files_chosen)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let added_files: Vec<AddedFile> = files
        .iter()
        .map(|f| AddedFile {
            name: f.name.clone(),
            size_kb: f.size.div_ceil(1024),
        })
        .collect();
    let text_chars = text.chars().count();
    match add_followup(
        &app.followup_adder(),
        &case_number,
        Addition { text, files },
        now,
    )
    .await
    {
        Ok(Added::Stored { seq }) => {
            let (csrf, cookie) = app.csrf.issue(&req, app.settings.secure_cookies());
            let body = AddedPage {
                page: app.page(&req),
                csrf,
                case_number: case_number.to_string(),
                seq,
                text_chars,
                files: added_files,
            }
            .render()?;
            Ok(html(body, cookie.into_iter().collect()))
        }
        Ok(Added::OverLimit) => {
            let per_day = app.settings.followups_per_day;
            let error = problem(
                TEXT_FIELD,
                format!("Zu diesem Vorgang können Sie höchstens {per_day}-mal in 24 Stunden etwas nachreichen. Ihr Text steht noch im Feld; versuchen Sie es morgen wieder oder wenden Sie sich an eine Polizeidienststelle."),
                format!("You can add information to this case at most {per_day} times in 24 hours. Your text is still in the field; try again tomorrow or contact a police station."),
            );
            let mut res = render_form(&app, &req, &case_number, &answers, &[error], files_chosen)?;
            *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            Ok(res)
        }
        Err(FollowupError::NoReport) => Ok(see_other("/status/vorgang")),
        Err(FollowupError::Store(e)) => Err(e.into()),
        Err(e) => Err(PageError::internal(e)),
    }
}
