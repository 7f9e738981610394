//! The triage forms of the report page (status, assign, re-route, note), each with CSRF,
//! posted to `/posteingang/{case}/{action}` and handled by one dispatcher. A clerk sets
//! status, writes notes and assigns reports to themselves; assigning to others and
//! re-routing (also by handing over to another office) are for leads and admins. A refused
//! action shows the report page again with the reason in an error summary: 403 (audited as
//! `inbox_refused`) when the role may not, 400 when the entry is wrong.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::report::render_report;
use super::{check_csrf, office_of, page, report_for, require, INBOX_PATH};
use crate::http::errors::PageError;
use crate::http::response::see_other;
use crate::http::staff_session::StaffError;
use crate::i18n::Lang;
use crate::inbox::context::Inbox;
use crate::inbox::status::{self, StatusError};
use crate::inbox::triage::Status;
use crate::inbox::triage_actions::{self, ActionError};
use crate::staff::Principal;
use crate::store::inbox::InboxReportRow;
use crate::store::StoreError;

/// Audit action of a triage action the account's role may not take.
pub const ACTION_REFUSED: &str = "inbox_refused";

#[derive(Deserialize)]
pub struct ActionForm {
    csrf_token: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    note: String,
}

/// A triage action, by the last segment of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Status,
    Assign,
    Reroute,
    Note,
}

impl FromStr for Action {
    type Err = PageError;

    fn from_str(s: &str) -> Result<Action, PageError> {
        match s {
            "status" => Ok(Action::Status),
            "zuweisen" => Ok(Action::Assign),
            "weiterleiten" => Ok(Action::Reroute),
            "notiz" => Ok(Action::Note),
            _ => Err(PageError::NotFound),
        }
    }
}

/// What one action did: done, or refused with a status and a message for the clerk.
enum Outcome {
    Done,
    Refused(StatusCode, String),
}

fn refused(lang: Lang, de: &str, en: &str) -> Outcome {
    Outcome::Refused(StatusCode::BAD_REQUEST, lang.t(de, en).to_owned())
}

/// Runs the action of the path for the signed-in account on its report; back to the
/// report page.
#[tracing::instrument(skip_all)]
pub async fn act(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&inbox, &req).await?;
    let form = form.into_inner();
    check_csrf(&inbox, &req, form.csrf_token.as_deref())?;
    let (raw_case, raw_action) = path.into_inner();
    let (case_number, row) = report_for(&inbox, &principal, &raw_case).await?;
    let action: Action = raw_action.parse()?;
    let lang = page(&inbox, &req).lang;
    let case = case_number.as_str();
    let outcome = if permitted(&principal, &row, action, &form) {
        perform(&inbox, &principal.actor, case, action, &form, lang).await?
    } else {
        let object = format!("{case} {raw_action}");
        inbox
            .receiver
            .audit_as(
                &principal.actor,
                ACTION_REFUSED,
                &row.state,
                &object,
                Utc::now(),
            )
            .await?;
        Outcome::Refused(
            StatusCode::FORBIDDEN,
            lang.t(
                "Anderen zuweisen und an eine andere Dienststelle weiterleiten oder abgeben dürfen nur Teamleitung und Verwaltung.",
                "Only leads and admins may assign to others and re-route or hand over to another office.",
            )
            .to_owned(),
        )
    };
    match outcome {
        Outcome::Done => Ok(see_other(&format!("{INBOX_PATH}/{case}"))),
        Outcome::Refused(code, message) => {
            let mut res = render_report(&inbox, &req, case, message).await?;
            *res.status_mut() = code;
            Ok(res)
        }
    }
}

/// Whether the account's role allows `action` on `row`: a clerk assigns only to
/// themselves (or clears their own assignment), never re-routes, and hands over only to
/// the office the report is with.
fn permitted(
    principal: &Principal,
    row: &InboxReportRow,
    action: Action,
    form: &ActionForm,
) -> bool {
    if principal.routes() {
        return true;
    }
    let me = principal.actor.as_str();
    match action {
        Action::Note => true,
        Action::Reroute => false,
        Action::Assign => match form.assignee.trim() {
            "" => row.assigned_to.as_deref().is_none_or(|a| a == me),
            someone => someone == me,
        },
        Action::Status => {
            let office = form.office.trim();
            let hands_over = form
                .status
                .parse::<Status>()
                .is_ok_and(|s| s.needs_office());
            !hands_over || office.is_empty() || office_of(row) == Some(office)
        }
    }
}

async fn perform(
    inbox: &Inbox,
    clerk: &str,
    case: &str,
    action: Action,
    form: &ActionForm,
    lang: Lang,
) -> Result<Outcome, StoreError> {
    let receiver = &inbox.receiver;
    match action {
        Action::Status => change_status(inbox, clerk, case, form, lang).await,
        Action::Assign => {
            let assignee = Some(form.assignee.trim()).filter(|a| !a.is_empty());
            if assignee.is_some_and(|a| a.len() > 100) {
                return Ok(refused(
                    lang,
                    "Der Name ist zu lang.",
                    "The name is too long.",
                ));
            }
            let done = triage_actions::assign(receiver, clerk, case, assignee).await;
            action_outcome(done, lang)
        }
        Action::Reroute => {
            let done = triage_actions::reroute(receiver, clerk, case, &form.office).await;
            action_outcome(done, lang)
        }
        Action::Note => {
            let added = triage_actions::add_note(receiver, clerk, case, &form.note).await;
            action_outcome(added.map(|_| ()), lang)
        }
    }
}

fn action_outcome(result: Result<(), ActionError>, lang: Lang) -> Result<Outcome, StoreError> {
    match result {
        Ok(()) => Ok(Outcome::Done),
        Err(ActionError::Store(e)) => Err(e),
        Err(ActionError::Invalid(_)) => Ok(refused(
            lang,
            "Die Eingabe ist leer oder zu lang.",
            "The entry is empty or too long.",
        )),
        Err(_) => Ok(refused(
            lang,
            "Der Bericht wurde nicht gefunden.",
            "The report was not found.",
        )),
    }
}

async fn change_status(
    inbox: &Inbox,
    clerk: &str,
    case: &str,
    form: &ActionForm,
    lang: Lang,
) -> Result<Outcome, StoreError> {
    let Ok(next) = form.status.parse::<Status>() else {
        return Ok(refused(
            lang,
            "Bitte wählen Sie einen Status.",
            "Please choose a status.",
        ));
    };
    let office = Some(form.office.as_str());
    match status::change(&inbox.receiver, clerk, case, next, office, Utc::now()).await {
        Ok(()) => Ok(Outcome::Done),
        Err(StatusError::Store(e)) => Err(e),
        Err(StatusError::OfficeRequired) => Ok(refused(
            lang,
            "Für „abgegeben“ nennen Sie bitte die Dienststelle.",
            "For “handed over” please name the office.",
        )),
        Err(StatusError::NotAllowed { .. }) => Ok(refused(
            lang,
            "Dieser Statuswechsel ist nicht möglich.",
            "This status change is not possible.",
        )),
        Err(StatusError::Concurrent) => Ok(refused(
            lang,
            "Der Bericht wurde inzwischen geändert. Bitte prüfen Sie den Status erneut.",
            "The report changed meanwhile. Please check its status again.",
        )),
        Err(StatusError::NotFound) => Ok(refused(
            lang,
            "Der Bericht wurde nicht gefunden.",
            "The report was not found.",
        )),
    }
}
