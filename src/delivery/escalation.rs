//! Escalation of reports that were not delivered in time.

use chrono::{Duration, Utc};

use crate::config::Settings;
use crate::form_registry::directory::{ops_email, Directory};
use crate::store::{delivery as store, Db, StoreResult};

/// Escalates every report older than `IW_ESCALATE_AFTER_MINUTES` that is still undelivered:
/// an alert in the log (ids only), a counter in `/metrics`, `reports.escalated_at`, and an
/// `escalate` job e-mailing the state's `ops_email` when one is configured. Safe to run
/// on every instance at once: each report is escalated once.
pub async fn sweep(
    db: &Db,
    settings: &Settings,
    directory: &dyn Directory,
) -> StoreResult<Vec<store::Escalated>> {
    let now = Utc::now();
    let cutoff = now - Duration::minutes(i64::from(settings.escalate_after_minutes));
    let mail_states: Vec<String> = store::undelivered_states(db)
        .await?
        .into_iter()
        .filter(|state| ops_email(settings, directory, state).is_some())
        .collect();
    let escalated = store::escalate_overdue(
        db,
        cutoff,
        &mail_states,
        i64::from(settings.job_max_attempts),
        now,
    )
    .await?;
    for report in &escalated {
        tracing::warn!(
            alert = "report_undelivered",
            report_id = report.id,
            state = %report.state,
            after_minutes = settings.escalate_after_minutes,
            "report not delivered in time: escalated"
        );
        metrics::counter!("reports_escalated_total", "state" => report.state.clone()).increment(1);
    }
    if !escalated.is_empty() {
        crate::store::jobs::notify_local();
    }
    Ok(escalated)
}

/// For the admin pages: undelivered reports older than `IW_ESCALATE_AFTER_MINUTES`, oldest
/// first, for one state or all.
pub async fn overdue(
    db: &Db,
    settings: &Settings,
    state: Option<&str>,
) -> StoreResult<Vec<crate::store::reports::ReportRow>> {
    let cutoff = Utc::now() - Duration::minutes(i64::from(settings.escalate_after_minutes));
    store::overdue_reports(db, state, cutoff).await
}
