//! The case number, what happens next, and a printable copy: only in the browser session
//! that filed the report, because a case number is never a credential.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::review::{sections, ReviewSection};
use super::step::open_draft;
use super::FormPath;
use crate::app_state::AppState;
use crate::clock::local_display;
use crate::forms::FieldRole;
use crate::forms::{Office, StateInfo};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::i18n::Lang;
use crate::reports::case_number::CaseNumber;
use crate::store::reports as stored_reports;

#[derive(Template)]
#[template(path = "citizen/confirmation.html")]
struct ConfirmationPage {
    page: PageContext,
    form_title: String,
    case_number: String,
    office_name: String,
    office_address: String,
    office_phone: String,
    desk_name: String,
    desk_phone: String,
    desk_email: String,
    email_given: bool,
    print_href: String,
    state_href: String,
    available_until: String,
}

#[derive(Template)]
#[template(path = "citizen/print.html")]
struct PrintPage {
    page: PageContext,
    form_title: String,
    form_version: u32,
    case_number: String,
    state_name: String,
    office_name: String,
    sections: Vec<ReviewSection>,
}

/// A draft this session has already filed, with its case number.
struct FiledDraft {
    draft: Box<crate::drafts::Draft>,
    variant: std::sync::Arc<crate::forms::FormVariant>,
    case_number: CaseNumber,
}

/// The submitted draft of this browser session, or where to send it instead.
async fn submitted(
    app: &AppState,
    req: &HttpRequest,
    path: &FormPath,
) -> Result<Result<FiledDraft, HttpResponse>, PageError> {
    let (draft, variant) = match open_draft(app, req, path).await? {
        Ok(found) => found,
        Err(response) => return Ok(Err(response)),
    };
    match draft.case_number.clone() {
        Some(case_number) => Ok(Ok(FiledDraft {
            draft,
            variant,
            case_number,
        })),
        None => Ok(Err(see_other(&format!("{}/pruefen", path.base())))),
    }
}

/// The office the stored report was routed to, as the e-mail names it: read from the
/// report, not computed again, so a later catalog change cannot make the two disagree.
/// An office the catalog no longer lists falls back to the central office.
async fn filed_office<'a>(
    app: &AppState,
    info: &'a StateInfo,
    case_number: &CaseNumber,
) -> Result<&'a Office, PageError> {
    let report = stored_reports::get_by_case_number(&app.db, case_number)
        .await?
        .ok_or(PageError::NotFound)?;
    let office = report.office_id.as_deref().and_then(|id| {
        std::iter::once(&info.central_office)
            .chain(&info.offices)
            .find(|o| o.id == id)
    });
    Ok(office.unwrap_or(&info.central_office))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    let FiledDraft {
        draft,
        variant,
        case_number,
    } = match submitted(&app, &req, &path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let base = path.base();
    let (_, info) = path.state(&app)?;
    let office = filed_office(&app, info, &case_number).await?;
    let page = app.page(&req);
    let lang = page.lang;
    let desk = &info.central_office;
    let body = ConfirmationPage {
        form_title: variant.title.get(lang).to_owned(),
        case_number: case_number.to_string(),
        office_name: office.name.clone(),
        office_address: office.address.clone(),
        office_phone: office.phone.clone(),
        desk_name: desk.name.clone(),
        desk_phone: desk.phone.clone(),
        desk_email: desk.email.clone().unwrap_or_default(),
        email_given: variant
            .role_value(&draft.payload.answers, FieldRole::ReporterEmail)
            .is_some(),
        print_href: format!("{base}/ausdruck"),
        state_href: format!("/{}", info.code),
        available_until: local_display(draft.expires, Utc::now(), lang == Lang::De),
        page,
    }
    .render()?;
    Ok(html(body, Vec::new()))
}

#[tracing::instrument(skip_all)]
pub async fn print(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    let FiledDraft {
        draft,
        variant,
        case_number,
    } = match submitted(&app, &req, &path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let base = path.base();
    let (_, info) = path.state(&app)?;
    let office = filed_office(&app, info, &case_number).await?;
    let page = app.page(&req);
    let lang = page.lang;
    let body = PrintPage {
        form_title: variant.title.get(lang).to_owned(),
        form_version: variant.version,
        case_number: case_number.to_string(),
        state_name: info.name.get(lang).to_owned(),
        office_name: office.name.clone(),
        sections: sections(&variant, &draft.payload.answers, lang, &base),
        page,
    }
    .render()?;
    Ok(html(body, Vec::new()))
}
