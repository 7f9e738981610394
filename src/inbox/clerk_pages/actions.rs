//! The triage forms of the report page (status, assign, re-route, note), each with CSRF.
//! A refused action shows the report page again with the reason in an error summary.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::report::render_report;
use super::{check_csrf, page, report_for, require, INBOX_PATH};
use crate::http::response::see_other;
use crate::http::staff_session::StaffError;
use crate::i18n::Lang;
use crate::inbox::context::Inbox;
use crate::inbox::status::{self, StatusError};
use crate::inbox::triage::Status;
use crate::inbox::triage_actions::{self, ActionError};
use crate::store::StoreError;

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

/// What one action did: done, or refused with a message for the clerk.
enum Outcome {
    Done,
    Refused(String),
}

fn refused(lang: Lang, de: &str, en: &str) -> Outcome {
    Outcome::Refused(lang.t(de, en).to_owned())
}

/// Runs `act` for the signed-in clerk on the report in the path; back to the report page.
async fn run<F, Fut>(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
    act: F,
) -> Result<HttpResponse, StaffError>
where
    F: FnOnce(web::Data<Inbox>, String, String, ActionForm, Lang) -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, StoreError>>,
{
    let principal = require(&inbox, &req).await?;
    let form = form.into_inner();
    check_csrf(&inbox, &req, form.csrf_token.as_deref())?;
    let (case_number, _) = report_for(&inbox, &principal, &path).await?;
    let lang = page(&inbox, &req).lang;
    let case = case_number.as_str().to_owned();
    match act(inbox.clone(), principal.actor, case.clone(), form, lang).await? {
        Outcome::Done => Ok(see_other(&format!("{INBOX_PATH}/{case}"))),
        Outcome::Refused(message) => {
            render_report(&inbox, &req, &case, message)
                .await
                .map(|mut res| {
                    *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
                    res
                })
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

#[tracing::instrument(skip_all)]
pub async fn status(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, StaffError> {
    run(
        req,
        inbox,
        path,
        form,
        |inbox, clerk, case, form, lang| async move {
            let Ok(next) = form.status.parse::<Status>() else {
                return Ok(refused(
                    lang,
                    "Bitte wählen Sie einen Status.",
                    "Please choose a status.",
                ));
            };
            let office = Some(form.office.as_str());
            match status::change(&inbox.receiver, &clerk, &case, next, office, Utc::now()).await {
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
        },
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn assign(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, StaffError> {
    run(
        req,
        inbox,
        path,
        form,
        |inbox, clerk, case, form, lang| async move {
            let assignee = Some(form.assignee.trim()).filter(|a| !a.is_empty());
            if assignee.is_some_and(|a| a.len() > 100) {
                return Ok(refused(
                    lang,
                    "Der Name ist zu lang.",
                    "The name is too long.",
                ));
            }
            action_outcome(
                triage_actions::assign(&inbox.receiver, &clerk, &case, assignee).await,
                lang,
            )
        },
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn reroute(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, StaffError> {
    run(
        req,
        inbox,
        path,
        form,
        |inbox, clerk, case, form, lang| async move {
            action_outcome(
                triage_actions::reroute(&inbox.receiver, &clerk, &case, &form.office).await,
                lang,
            )
        },
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn note(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, StaffError> {
    run(
        req,
        inbox,
        path,
        form,
        |inbox, clerk, case, form, lang| async move {
            let added = triage_actions::add_note(&inbox.receiver, &clerk, &case, &form.note).await;
            action_outcome(added.map(|_| ()), lang)
        },
    )
    .await
}
