//! The report page: every answer with its label in step order, as the citizen saw it on
//! the review page (the sealed document carries labels and display text), attachments,
//! the form version, notes and the triage forms. Also the print view and attachment
//! downloads. Opening is audited by `inbox::reading`; prints and attachments by
//! `inbox::triage_actions`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::{nav, page, report_for, require, ClerkNav};
use crate::clock::local_display;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::html;
use crate::http::staff_session::StaffError;
use crate::i18n::Lang;
use crate::inbox::case_file;
use crate::inbox::context::Inbox;
use crate::inbox::opening::OpenedReport;
use crate::inbox::reading::{self, ReadError};
use crate::inbox::triage::Status;
use crate::inbox::triage_actions::{self, ActionError};
use crate::reports::document::{Answer, ReportDocument};
use crate::store::inbox::{self as store, InboxReportRow};

/// A repeatable group's entries as a small table.
pub struct GroupTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub struct AnswerView {
    pub label: String,
    pub display: String,
    pub table: Option<GroupTable>,
}

pub struct StepView {
    pub title: String,
    pub answers: Vec<AnswerView>,
}

pub struct AttachmentView {
    pub index: usize,
    pub filename: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    pub image: bool,
}

pub struct NoteView {
    pub author: String,
    pub at: String,
    pub body: String,
}

/// What the report page and the print view show of an opened report.
pub struct ReportView {
    pub case_number: String,
    pub form_title: String,
    pub form_id: String,
    pub form_version: u32,
    pub content_hash: String,
    pub submitted: String,
    pub received: String,
    pub status: String,
    pub office: String,
    pub assignee: String,
    pub steps: Vec<StepView>,
    pub attachments: Vec<AttachmentView>,
}

/// Image types shown inline; everything else is a download.
const INLINE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A group answer (a list of objects) as a table; `None` for every other answer. The
/// columns and their labels come from the document; a document sealed before it carried
/// them shows the field ids of the first entry.
fn group_table(answer: &Answer) -> Option<GroupTable> {
    let entries = answer.value.as_array()?;
    let first = entries.first()?.as_object()?;
    let (ids, headers): (Vec<String>, Vec<String>) = if answer.columns.is_empty() {
        first.keys().map(|k| (k.clone(), k.clone())).unzip()
    } else {
        answer
            .columns
            .iter()
            .map(|c| (c.field_id.clone(), c.label.clone()))
            .unzip()
    };
    let rows = entries
        .iter()
        .filter_map(|e| e.as_object())
        .map(|e| {
            ids.iter()
                .map(|id| e.get(id).map(text_of).unwrap_or_default())
                .collect()
        })
        .collect();
    Some(GroupTable { headers, rows })
}

fn steps(doc: &ReportDocument) -> Vec<StepView> {
    let mut steps: Vec<StepView> = Vec::new();
    for a in &doc.answers {
        // An upload's value is a list of file references, not a group: it shows as the
        // citizen saw it on the review page ("rad.png (1 KB)").
        let upload = doc.attachments.iter().any(|f| f.field_id == a.field_id);
        let view = AnswerView {
            label: a.label.clone(),
            display: a.display.clone(),
            table: if upload { None } else { group_table(a) },
        };
        match steps.last_mut() {
            Some(step) if step.title == a.step_title => step.answers.push(view),
            _ => steps.push(StepView {
                title: a.step_title.clone(),
                answers: vec![view],
            }),
        }
    }
    steps
}

pub fn view_of(opened: &OpenedReport, row: &InboxReportRow, german: bool) -> ReportView {
    let doc = &opened.document;
    let now = Utc::now();
    ReportView {
        case_number: row.case_number.clone(),
        form_title: doc.form.title.clone(),
        form_id: doc.form.id.clone(),
        form_version: doc.form.version,
        content_hash: doc.form.content_hash.clone(),
        submitted: local_display(doc.submitted_at, now, german),
        received: local_display(row.received_at, now, german),
        status: row
            .status
            .parse::<Status>()
            .map(|s| s.label(german).to_owned())
            .unwrap_or_else(|_| row.status.clone()),
        office: row
            .status_office_id
            .clone()
            .or_else(|| {
                doc.office
                    .as_ref()
                    .map(|o| format!("{} ({})", o.name, o.id))
            })
            .unwrap_or_else(|| "–".into()),
        assignee: row.assigned_to.clone().unwrap_or_else(|| "–".into()),
        steps: steps(doc),
        attachments: doc
            .attachments
            .iter()
            .enumerate()
            .map(|(index, a)| AttachmentView {
                index,
                filename: a.filename.clone(),
                mime_type: a.mime_type.clone(),
                size: a.size,
                sha256: a.sha256.clone(),
                image: INLINE_IMAGES.contains(&a.mime_type.as_str()),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "inbox/report.html")]
struct ReportPage {
    page: PageContext,
    nav: ClerkNav,
    report: ReportView,
    unreadable: String,
    /// Retention deleted the envelope: the page shows the index only, and says so.
    envelope_deleted: bool,
    next_statuses: Vec<(&'static str, &'static str)>,
    notes: Vec<NoteView>,
    /// What the citizen added later (issue 14), in sequence.
    followups: Vec<FollowupView>,
    error: String,
}

/// One follow-up on the report page.
pub struct FollowupView {
    pub seq: i64,
    pub received: String,
    pub text: String,
    pub files: Vec<AttachmentView>,
    /// Why it cannot be shown; empty when it opened.
    pub unreadable: String,
}

fn followup_view(f: &crate::inbox::followups::Followup, german: bool) -> FollowupView {
    let received = local_display(f.received_at, Utc::now(), german);
    match &f.opened {
        Ok(doc) => FollowupView {
            seq: f.seq,
            received,
            text: doc.text.clone(),
            files: doc
                .files
                .iter()
                .enumerate()
                .map(|(index, file)| AttachmentView {
                    index,
                    filename: file.name.clone(),
                    mime_type: file.media_type.clone(),
                    size: file.size,
                    sha256: file.sha256.clone(),
                    image: INLINE_IMAGES.contains(&file.media_type.as_str()),
                })
                .collect(),
            unreadable: String::new(),
        },
        Err(why) => FollowupView {
            seq: f.seq,
            received,
            text: String::new(),
            files: Vec::new(),
            unreadable: why.clone(),
        },
    }
}

fn page_error(e: ActionError) -> StaffError {
    match e {
        ActionError::NotFound | ActionError::Read(ReadError::NotFound) => {
            PageError::NotFound.into()
        }
        ActionError::Invalid(reason) => PageError::BadRequest(reason).into(),
        ActionError::Read(ReadError::Unreadable(_)) => {
            PageError::BadRequest("the report cannot be opened").into()
        }
        ActionError::Read(ReadError::EnvelopeDeleted) => {
            PageError::BadRequest("the envelope was deleted after its retention period").into()
        }
        ActionError::Read(ReadError::Store(e)) | ActionError::Store(e) => e.into(),
    }
}

/// The report page, with `error` above the triage forms when an action was refused.
pub async fn render_report(
    inbox: &Inbox,
    req: &HttpRequest,
    raw_case: &str,
    error: String,
) -> Result<HttpResponse, StaffError> {
    let principal = require(inbox, req).await?;
    let (case_number, row) = report_for(inbox, &principal, raw_case).await?;
    let page_ctx = page(inbox, req);
    let german = page_ctx.lang == Lang::De;
    let envelope_deleted = row.envelope_deleted_at.is_some();
    let (report, unreadable) =
        match reading::view(&inbox.receiver, &principal.actor, case_number.as_str()).await {
            Ok(opened) => (view_of(&opened, &row, german), String::new()),
            Err(ReadError::Unreadable(why)) => (empty_view(&row, german), why.0),
            Err(ReadError::EnvelopeDeleted) => (empty_view(&row, german), String::new()),
            Err(e) => return Err(page_error(ActionError::Read(e))),
        };
    let current = row.status.parse::<Status>().ok();
    let next_statuses = Status::ALL
        .into_iter()
        .filter(|s| current.is_some_and(|c| c.may_become(*s)))
        .map(|s| (s.as_str(), s.label(german)))
        .collect();
    let notes = store::notes(inbox.receiver.db(), row.id)
        .await?
        .into_iter()
        .map(|n| NoteView {
            author: n.author,
            at: local_display(n.created_at, Utc::now(), german),
            body: n.body,
        })
        .collect();
    let followups = crate::inbox::followups::of_case(&inbox.receiver, case_number.as_str())
        .await?
        .iter()
        .map(|f| followup_view(f, german))
        .collect();
    let (nav, cookies) = nav(inbox, req, &principal);
    let body = ReportPage {
        followups,
        page: page_ctx,
        nav,
        report,
        unreadable,
        envelope_deleted,
        next_statuses,
        notes,
        error,
    }
    .render()?;
    Ok(html(body, cookies))
}

/// The index columns of a report that cannot be opened ("nicht lesbar").
fn empty_view(row: &InboxReportRow, german: bool) -> ReportView {
    let dash = || "–".to_owned();
    ReportView {
        case_number: row.case_number.clone(),
        form_title: dash(),
        form_id: dash(),
        form_version: 0,
        content_hash: dash(),
        submitted: dash(),
        received: local_display(row.received_at, Utc::now(), german),
        status: row.status.clone(),
        office: row.status_office_id.clone().unwrap_or_else(dash),
        assignee: row.assigned_to.clone().unwrap_or_else(dash),
        steps: Vec::new(),
        attachments: Vec::new(),
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
) -> Result<HttpResponse, StaffError> {
    render_report(&inbox, &req, &path, String::new()).await
}

#[derive(Template)]
#[template(path = "inbox/print.html")]
struct PrintPage {
    page: PageContext,
    report: ReportView,
}

/// The report of the path opened for printing (audited as a print): its view, the opened
/// document and the page context.
async fn printed(
    inbox: &Inbox,
    req: &HttpRequest,
    raw_case: &str,
) -> Result<(ReportView, OpenedReport, PageContext), StaffError> {
    let principal = require(inbox, req).await?;
    let (case_number, row) = report_for(inbox, &principal, raw_case).await?;
    let opened = triage_actions::print(&inbox.receiver, &principal.actor, case_number.as_str())
        .await
        .map_err(page_error)?;
    let page_ctx = page(inbox, req);
    let view = view_of(&opened, &row, page_ctx.lang == Lang::De);
    Ok((view, opened, page_ctx))
}

/// A print view without navigation or forms (audited as a print).
#[tracing::instrument(skip_all)]
pub async fn print(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
) -> Result<HttpResponse, StaffError> {
    let (report, _, page) = printed(&inbox, &req, &path).await?;
    let body = PrintPage { report, page }.render()?;
    Ok(html(body, Vec::new()))
}

/// The case-file PDF (audited as a print).
#[tracing::instrument(skip_all)]
pub async fn pdf(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
) -> Result<HttpResponse, StaffError> {
    let (view, opened, _) = printed(&inbox, &req, &path).await?;
    let file_name = format!("attachment; filename=\"{}.pdf\"", view.case_number);
    let bytes = web::block(move || case_file::pdf(&opened.document, &view.received, &view.status))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, file_name))
        .body(bytes))
}

/// A file name safe in a `Content-Disposition` header.
fn header_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if cleaned.is_empty() {
        "anhang".into()
    } else {
        cleaned
    }
}

/// A file of a follow-up, with the report's scope check and the same sandboxed answer as
/// the report's own attachments.
#[tracing::instrument(skip_all)]
pub async fn followup_file(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&inbox, &req).await?;
    let (raw_case, raw_seq, raw_index) = path.into_inner();
    let (case_number, _) = report_for(&inbox, &principal, &raw_case).await?;
    let seq: i64 = raw_seq.parse().map_err(|_| PageError::NotFound)?;
    let index: usize = raw_index.parse().map_err(|_| PageError::NotFound)?;
    let (file, bytes) = crate::inbox::followups::file(
        &inbox.receiver,
        &principal.actor,
        case_number.as_str(),
        seq,
        index,
    )
    .await
    .map_err(page_error)?;
    Ok(sandboxed(&file.media_type, &file.name, bytes))
}

/// The answer for a downloaded file: images inline with their own (allow-listed) type,
/// everything else as an opaque download; sandboxed, never cached.
fn sandboxed(media_type: &str, file_name: &str, bytes: Vec<u8>) -> HttpResponse {
    let image = INLINE_IMAGES.contains(&media_type);
    let (content_type, disposition) = if image {
        (media_type, "inline")
    } else {
        ("application/octet-stream", "attachment")
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "{disposition}; filename=\"{}\"",
                header_file_name(file_name)
            ),
        ))
        .body(bytes)
}

/// One attachment, checked against its SHA-256, in a sandboxed response: images inline
/// with their own (allow-listed) type, everything else as an opaque download.
#[tracing::instrument(skip_all)]
pub async fn attachment(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&inbox, &req).await?;
    let (raw_case, raw_index) = path.into_inner();
    let (case_number, _) = report_for(&inbox, &principal, &raw_case).await?;
    let index: usize = raw_index.parse().map_err(|_| PageError::NotFound)?;
    let (meta, bytes) = triage_actions::attachment(
        &inbox.receiver,
        &principal.actor,
        case_number.as_str(),
        index,
    )
    .await
    .map_err(page_error)?;
    Ok(sandboxed(&meta.mime_type, &meta.filename, bytes))
}
