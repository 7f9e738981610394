//! One step of the form: show it, and save what was posted.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::unavailable::step_unavailable;
use super::{draft_for, DraftFor, FormPath};
use crate::app_state::AppState;
use crate::clock::{local_display, local_now};
use crate::drafts::{Draft, DRAFT_COOKIE};
use crate::forms::render::StepFields;
use crate::forms::{
    input_base, validate_step, FieldError, FormVariant, GroupAction, RawStepInput, Referral,
};
use crate::http::errors::PageError;
use crate::http::page::{lang_cookie, PageContext};
use crate::http::response::{html, see_other};
use crate::i18n::{I18nText, Lang};

#[derive(serde::Deserialize)]
pub struct StepPath {
    state: String,
    form: String,
    step: String,
}

impl StepPath {
    fn form_path(&self) -> FormPath {
        FormPath {
            state: self.state.clone(),
            form: self.form.clone(),
        }
    }
}

pub struct SummaryError {
    pub href: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "citizen/step.html")]
struct StepPage {
    page: PageContext,
    form_title: String,
    step_title: String,
    step_intro: String,
    step_number: usize,
    step_count: usize,
    errors: Vec<SummaryError>,
    fields_html: String,
    multipart: bool,
    action: String,
    csrf: String,
    expires: String,
    time_limit: TimeLimit,
    /// The state police's own notices, for the footer (the consent step points there).
    state_name: String,
    privacy_url: String,
    accessibility_url: String,
}

/// What the time-limit block of a step needs besides the expiry as shown.
pub struct TimeLimit {
    /// Seconds until the draft expires, for the warning script (no client clock involved).
    pub expires_in_secs: i64,
    /// Seconds before expiry at which the script opens the dialog; 0 = no dialog.
    pub warn_before_secs: i64,
}

impl TimeLimit {
    fn of(app: &AppState, draft: &Draft) -> TimeLimit {
        TimeLimit {
            expires_in_secs: (draft.expires - Utc::now()).num_seconds().max(0),
            warn_before_secs: i64::from(app.settings.draft_warning_minutes) * 60,
        }
    }
}

#[derive(Template)]
#[template(path = "citizen/expired.html")]
struct ExpiredPage {
    page: PageContext,
    base: String,
    idle_minutes: u32,
}

#[derive(Template)]
#[template(path = "citizen/referral.html")]
struct ReferralPage {
    page: PageContext,
    title: String,
    body: String,
    back_href: String,
}

pub fn expired_page(
    app: &AppState,
    req: &HttpRequest,
    base: String,
) -> Result<HttpResponse, PageError> {
    let body = ExpiredPage {
        page: app.page(req),
        base,
        idle_minutes: app.settings.draft_idle_minutes,
    }
    .render()?;
    Ok(html(body, Vec::new()))
}

/// The open draft and its pinned form version, or the response that replaces the page.
pub async fn open_draft(
    app: &AppState,
    req: &HttpRequest,
    path: &FormPath,
) -> Result<Result<(Box<Draft>, std::sync::Arc<FormVariant>), HttpResponse>, PageError> {
    let (code, _) = path.state(app)?;
    match draft_for(app, req, &code, &path.form).await? {
        DraftFor::Active(draft) => {
            let variant = app
                .forms
                .pinned(&app.db, &draft.state, &draft.form_id, draft.form_version)
                .await?
                .ok_or(PageError::Invariant("pinned form version missing"))?;
            Ok(Ok((draft, variant)))
        }
        DraftFor::Expired => Ok(Err(expired_page(app, req, path.base())?)),
        DraftFor::None => Ok(Err(see_other(&path.base()))),
    }
}

/// Like [`open_draft`], but a draft already submitted sends the browser to its confirmation.
pub async fn open_unfiled_draft(
    app: &AppState,
    req: &HttpRequest,
    path: &FormPath,
) -> Result<Result<(Box<Draft>, std::sync::Arc<FormVariant>), HttpResponse>, PageError> {
    Ok(match open_draft(app, req, path).await? {
        Ok((draft, _)) if draft.case_number.is_some() => Err(to_confirmation(&path.base())),
        other => other,
    })
}

/// The redirect to the confirmation page of the form at `base`.
pub fn to_confirmation(base: &str) -> HttpResponse {
    see_other(&format!("{base}/bestaetigung"))
}

fn step_url(base: &str, variant: &FormVariant, index: usize) -> String {
    format!("{base}/schritt/{}", variant.steps[index].id)
}

pub fn summary(errors: &[FieldError], lang: Lang, href_base: &str) -> Vec<SummaryError> {
    errors
        .iter()
        .map(|e| SummaryError {
            href: format!("{href_base}#{}", e.input_id),
            message: e.message.get(lang).to_owned(),
        })
        .collect()
}

fn render_step(
    app: &AppState,
    req: &HttpRequest,
    base: &str,
    draft: &Draft,
    variant: &FormVariant,
    index: usize,
    errors: &[FieldError],
) -> Result<HttpResponse, PageError> {
    let page = app.page(req);
    let lang = page.lang;
    let visible = variant.visible_steps(&draft.payload.answers);
    let position = visible.iter().position(|i| *i == index).unwrap_or(0);
    let fields = StepFields::new(variant, index, &draft.payload.answers, errors, lang);
    let step = &variant.steps[index];
    let catalog = app.forms.catalog();
    let info = catalog.state(&draft.state).ok_or(PageError::NotFound)?;
    let fields_html = fields.to_html()?;
    draft_page(app, req, page, draft, |page, csrf, expires| StepPage {
        form_title: variant.title.get(lang).to_owned(),
        step_title: step.title.get(lang).to_owned(),
        step_intro: step
            .intro
            .as_ref()
            .map(|t| t.get(lang).to_owned())
            .unwrap_or_default(),
        step_number: position + 1,
        step_count: visible.len(),
        errors: summary(errors, lang, ""),
        fields_html,
        multipart: fields.needs_multipart(),
        action: step_url(base, variant, index),
        csrf,
        expires,
        time_limit: TimeLimit::of(app, draft),
        state_name: info.name.get(lang).to_owned(),
        privacy_url: info.privacy_url.clone(),
        accessibility_url: info.accessibility_url.clone(),
        page,
    })
}

/// Renders a page of the open `draft`: `make` gets the page context, a fresh CSRF token
/// (its cookie goes out with the page) and the draft's expiry as shown.
pub fn draft_page<T: Template>(
    app: &AppState,
    req: &HttpRequest,
    page: PageContext,
    draft: &Draft,
    make: impl FnOnce(PageContext, String, String) -> T,
) -> Result<HttpResponse, PageError> {
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let expires = local_display(draft.expires, Utc::now(), page.lang == Lang::De);
    let body = make(page, csrf, expires).render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<StepPath>,
) -> Result<HttpResponse, PageError> {
    let form_path = path.form_path();
    let (draft, variant) = match open_unfiled_draft(&app, &req, &form_path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let base = form_path.base();
    let visible = variant.visible_steps(&draft.payload.answers);
    match variant.step_index(&path.step) {
        Some(index) if visible.contains(&index) => {
            render_step(&app, &req, &base, &draft, &variant, index, &[])
        }
        _ => match visible.first() {
            Some(first) => Ok(see_other(&step_url(&base, &variant, *first))),
            None => Err(PageError::NotFound),
        },
    }
}

#[tracing::instrument(skip_all)]
pub async fn save(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<StepPath>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    // What can be judged without the body is judged first, so a stranger's upload is
    // refused before a byte of it is buffered.
    let form_path = path.form_path();
    form_path.state(&app)?;
    if !app.csrf.has_cookie(&req) {
        return Err(PageError::Forbidden);
    }
    if req.cookie(DRAFT_COOKIE).is_none() {
        return Ok(see_other(&form_path.base()));
    }
    let body = app.read_citizen_form(&req, payload).await?;
    let raw = body.input;
    let (mut draft, variant) = match open_unfiled_draft(&app, &req, &form_path).await {
        Ok(Ok(found)) => found,
        Ok(Err(response)) => return Ok(response),
        Err(e) => return kept_or(e, &app, &req, &raw),
    };
    let base = form_path.base();
    let Some(index) = variant.step_index(&path.step) else {
        return Err(PageError::NotFound);
    };
    let now = Utc::now();
    let mut result = validate_step(
        &variant,
        index,
        &raw,
        &draft.payload.answers,
        local_now(now),
    );
    draft.payload.answers = result.answers;
    if let Some(input) = body.oversized_file {
        // The rest of the step is kept; only the file is refused, with the limit named.
        let saved = match app.drafts.save(&app.db, &mut draft, now).await {
            Ok(saved) => saved,
            Err(e) => return kept_or(e.into(), &app, &req, &raw),
        };
        let Some(expires) = saved else {
            return Ok(to_confirmation(&base));
        };
        draft.expires = expires;
        let field_id = variant.steps[index]
            .fields
            .iter()
            .find(|f| input_base(None, &f.id) == input)
            .map_or_else(|| input.clone(), |f| f.id.clone());
        result.errors.retain(|e| e.input_id != input);
        let limit = app.settings.max_upload_mb;
        result.errors.insert(0, too_large(input, field_id, limit));
        let mut page = render_step(&app, &req, &base, &draft, &variant, index, &result.errors)?;
        *page.status_mut() = actix_web::http::StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(page);
    }
    let action = raw.first("action").unwrap_or("next").to_owned();

    let group_action = GroupAction::parse(&action);
    if let Some(group_action) = &group_action {
        group_action.apply(&variant, &mut draft.payload.answers);
    }
    // Every action saves: "later" remembers this step to come back to.
    if action == "later" {
        draft.payload.last_step = Some(variant.steps[index].id.clone());
    }
    let saved = match app.drafts.save(&app.db, &mut draft, now).await {
        Ok(saved) => saved,
        Err(e) => return kept_or(e.into(), &app, &req, &raw),
    };
    match saved {
        None => return Ok(to_confirmation(&base)),
        Some(expires) => draft.expires = expires,
    }

    if let Some(group_action) = &group_action {
        // "Add another"/"remove" re-show the step without judging unfinished entries, at
        // the new or the next item: a fragment moves there without JavaScript.
        let landing = group_action.landing(&draft.payload.answers);
        return Ok(see_other(&format!(
            "{}#{landing}",
            step_url(&base, &variant, index)
        )));
    }
    let visible = variant.visible_steps(&draft.payload.answers);
    match action.as_str() {
        // Saved as typed, errors and all; the step comes back in the other language.
        "lang" => {
            let lang = crate::http::page::request_lang(&req).other();
            let mut res = see_other(&step_url(&base, &variant, index));
            res.add_cookie(&lang_cookie(lang, app.settings.secure_cookies()))
                .map_err(|_| PageError::Invariant("language cookie"))?;
            return Ok(res);
        }
        // Saving renewed the idle expiry; the step is shown again with the new time, its
        // typed values as they were, without judging them.
        "extend" => return render_step(&app, &req, &base, &draft, &variant, index, &[]),
        "later" => return Ok(see_other(&format!("{base}/spaeter"))),
        _ => {}
    }
    if action == "back" {
        let position = visible.iter().position(|i| *i == index).unwrap_or(0);
        return Ok(match position.checked_sub(1).and_then(|p| visible.get(p)) {
            Some(prev) => see_other(&step_url(&base, &variant, *prev)),
            None => see_other(&base),
        });
    }
    if let Some(referral) = result.exit {
        return referral_page(&app, &req, &referral, step_url(&base, &variant, index));
    }
    if !result.errors.is_empty() {
        return render_step(&app, &req, &base, &draft, &variant, index, &result.errors);
    }
    let next = visible.iter().find(|i| **i > index);
    Ok(match next {
        Some(next) if !draft.payload.reached_review => see_other(&step_url(&base, &variant, *next)),
        _ => see_other(&format!("{base}/pruefen")),
    })
}

/// A database that cannot be reached gives the step's values back with a 503; any other
/// error stays what it is.
fn kept_or(
    err: PageError,
    app: &AppState,
    req: &HttpRequest,
    raw: &RawStepInput,
) -> Result<HttpResponse, PageError> {
    if err.is_unavailable() {
        step_unavailable(app, req, raw)
    } else {
        Err(err)
    }
}

fn too_large(input_id: String, field_id: String, max_mb: u32) -> FieldError {
    FieldError {
        input_id,
        field_id,
        message: I18nText::new(
            format!("Die Datei ist zu groß. Alle Dateien zusammen dürfen höchstens {max_mb} MB groß sein."),
            format!("The file is too large. All files together may be at most {max_mb} MB."),
        ),
    }
}

fn referral_page(
    app: &AppState,
    req: &HttpRequest,
    referral: &Referral,
    back_href: String,
) -> Result<HttpResponse, PageError> {
    let page = app.page(req);
    let lang = page.lang;
    let body = ReferralPage {
        title: referral.title.get(lang).to_owned(),
        body: referral.body.get(lang).to_owned(),
        back_href,
        page,
    }
    .render()?;
    Ok(html(body, Vec::new()))
}
