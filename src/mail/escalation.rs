//! The operators' alert about a report that was not delivered in time.

use lettre::message::{header::ContentType, Mailbox};
use lettre::Message;

use super::{mask_address, MailError, Mailer};
use crate::config::Settings;
use crate::form_registry::directory::{ops_email, Directory};
use crate::store::{jobs::Job, reports, Db};

/// Runs one `escalate` job: mails the state's `ops_email` with the case number and age.
/// Returns false when the state has no `ops_email` (any more) or the report has arrived.
#[tracing::instrument(skip_all, fields(job_id = job.id, report_id = job.report_id))]
pub async fn run(
    db: &Db,
    mailer: &Mailer,
    settings: &Settings,
    directory: &dyn Directory,
    job: &Job,
) -> Result<bool, MailError> {
    let report = reports::get_by_id(db, job.report_id)
        .await?
        .ok_or(MailError::UnknownReport(job.report_id))?;
    if report.status == "delivered" {
        return Ok(false);
    }
    let Some(ops) = ops_email(settings, directory, report.state.as_str()) else {
        return Ok(false);
    };
    let to: Mailbox = ops.trim().parse().map_err(|_| MailError::Address)?;
    let from = super::sender(settings)?;
    let body = format!(
        "Report {case} (state {state}) was submitted at {submitted} and has not been \
         delivered to the police system after {minutes} minutes.\n\n\
         Check the delivery endpoint and the dead letters (`internetwache queue status`).\n\
         Requeue with `internetwache queue retry --dead` once the endpoint works again.\n",
        case = report.case_number,
        state = report.state.upper(),
        submitted = report.submitted_at.to_rfc3339(),
        minutes = settings.escalate_after_minutes,
    );
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(format!(
            "[Internetwache] Undelivered report {} ({})",
            report.case_number,
            report.state.upper()
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(body)?;
    mailer.send(message).await?;
    tracing::info!(report_id = job.report_id, to = %mask_address(&ops), "escalation e-mail sent");
    Ok(true)
}
