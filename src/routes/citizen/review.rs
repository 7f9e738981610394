//! "Angaben prüfen": every answer with a change link, then submit.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::step::{
    draft_page, open_draft, open_unfiled_draft, summary, to_confirmation, SummaryError,
};
use super::FormPath;
use crate::app_state::AppState;
use crate::clock::local_now;
use crate::forms::{answer_rows, review, validate_all, AnswerRow, FieldError, FormVariant};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::i18n::Lang;
use crate::reports::document::ClientEvidence;
use crate::reports::submission::{self, SubmitError};
use crate::telemetry::error_chain;

/// One step on "Angaben prüfen": its answers, one line each, each with its own change link
/// (`step_href#row.anchor`).
pub struct ReviewSection {
    pub title: String,
    pub step_href: String,
    pub rows: Vec<AnswerRow>,
}

#[derive(Template)]
#[template(path = "citizen/review.html")]
struct ReviewPage {
    page: PageContext,
    form_title: String,
    sections: Vec<ReviewSection>,
    errors: Vec<SummaryError>,
    unavailable: bool,
    action: String,
    csrf: String,
    expires: String,
}

pub fn sections(
    variant: &FormVariant,
    answers: &crate::forms::Answers,
    lang: Lang,
    base: &str,
) -> Vec<ReviewSection> {
    review(variant, answers, lang)
        .into_iter()
        .map(|s| ReviewSection {
            step_href: format!("{base}/schritt/{}", s.step_id),
            rows: s
                .rows
                .iter()
                .flat_map(|r| answer_rows(variant, answers, r, lang))
                .collect(),
            title: s.title,
        })
        .collect()
}

/// Error links on the review page point at the field on its own step.
fn review_summary(
    variant: &FormVariant,
    errors: &[FieldError],
    lang: Lang,
    base: &str,
) -> Vec<SummaryError> {
    let mut out = Vec::new();
    for e in errors {
        let step = variant.steps.iter().find(|s| {
            s.fields
                .iter()
                .any(|f| f.id == e.field_id || e.input_id.contains(&f.id))
        });
        let href_base = step
            .map(|s| format!("{base}/schritt/{}", s.id))
            .unwrap_or_default();
        out.extend(summary(std::slice::from_ref(e), lang, &href_base));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn render(
    app: &AppState,
    req: &HttpRequest,
    base: &str,
    variant: &FormVariant,
    draft: &crate::drafts::Draft,
    errors: &[FieldError],
    unavailable: bool,
) -> Result<HttpResponse, PageError> {
    let page = app.page(req);
    let lang = page.lang;
    draft_page(app, req, page, draft, |page, csrf, expires| ReviewPage {
        form_title: variant.title.get(lang).to_owned(),
        sections: sections(variant, &draft.payload.answers, lang, base),
        errors: review_summary(variant, errors, lang, base),
        unavailable,
        action: format!("{base}/absenden"),
        csrf,
        expires,
        page,
    })
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    let (mut draft, variant) = match open_unfiled_draft(&app, &req, &path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let base = path.base();
    let now = Utc::now();
    if !draft.payload.reached_review {
        draft.payload.reached_review = true;
        if let Ok(Some(expires)) = app.drafts.save(&app.db, &mut draft, now).await {
            draft.expires = expires;
        }
    }
    let errors = validate_all(&variant, &draft.payload.answers, local_now(now));
    render(&app, &req, &base, &variant, &draft, &errors, false)
}

#[derive(Deserialize)]
pub struct SubmitForm {
    csrf_token: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
    form: web::Form<SubmitForm>,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let (draft, variant) = match open_draft(&app, &req, &path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let base = path.base();
    let lang = crate::http::page::request_lang(&req);
    let client = client_evidence(&app, &req, &variant.state);
    match submission::submit(
        &app.submitter(),
        &draft,
        &variant,
        lang,
        Utc::now(),
        client.as_ref(),
    )
    .await
    {
        Ok(_) => Ok(to_confirmation(&base)),
        Err(SubmitError::Invalid(errors)) => {
            render(&app, &req, &base, &variant, &draft, &errors, false)
        }
        Err(e) => {
            // Nothing was stored (or the commit's answer was lost, and a retry finds the
            // case number); the draft and everything entered stay.
            tracing::error!(error = %error_chain(&e), "submit failed");
            let mut res = render(&app, &req, &base, &variant, &draft, &[], true)?;
            *res.status_mut() = actix_web::http::StatusCode::SERVICE_UNAVAILABLE;
            Ok(res)
        }
    }
}

/// The client address and user agent, when the state seals them into its reports
/// (`seal_client_address`: configuration, else `state.toml`). The address is the peer's;
/// behind a reverse proxy it is the proxy's until trusted proxies are configured.
fn client_evidence(
    app: &AppState,
    req: &HttpRequest,
    state: &crate::state_code::StateCode,
) -> Option<ClientEvidence> {
    let wanted = app
        .settings
        .police
        .get(state.as_str())
        .and_then(|p| p.seal_client_address)
        .or_else(|| {
            app.forms
                .catalog()
                .state(state)
                .map(|s| s.seal_client_address)
        })
        .unwrap_or(false);
    if !wanted {
        return None;
    }
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Some(ClientEvidence {
        // Through trusted proxies only, as the rate limit counts it.
        address: crate::client_addr::client_ip(req)
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        user_agent: user_agent.chars().take(512).collect(),
    })
}
