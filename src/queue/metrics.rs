//! Queue depth and overdue reports as Prometheus gauges, read fresh on every scrape.

use chrono::{Duration, Utc};

use crate::config::Settings;
use crate::store::{delivery, jobs, Db, StoreResult};

const STATUSES: [&str; 5] = ["pending", "running", "waiting", "done", "dead"];

/// Sets `queue_jobs{state,kind,status}` and `reports_overdue{state}`.
pub async fn record(db: &Db, settings: &Settings) -> StoreResult<()> {
    let counts = jobs::counts(db).await?;
    let mut groups: Vec<(&str, &str)> = counts
        .iter()
        .map(|c| (c.state.as_str(), c.kind.as_str()))
        .collect();
    groups.dedup();
    // Every status of a known group is written, so a drained status reads 0, not stale.
    for (state, kind) in groups {
        for status in STATUSES {
            let n = counts
                .iter()
                .find(|c| {
                    c.state.as_str() == state && c.kind.as_str() == kind && c.status == status
                })
                .map_or(0, |c| c.count);
            ::metrics::gauge!("queue_jobs", "state" => state.to_string(), "kind" => kind.to_string(), "status" => status)
                .set(n as f64);
        }
    }
    let cutoff = Utc::now() - Duration::minutes(i64::from(settings.escalate_after_minutes));
    let overdue = delivery::overdue_counts(db, cutoff).await?;
    for state in settings.police.keys() {
        if !overdue.iter().any(|(s, _)| s == state) {
            ::metrics::gauge!("reports_overdue", "state" => state.clone()).set(0.0);
        }
    }
    for (state, n) in overdue {
        ::metrics::gauge!("reports_overdue", "state" => state).set(n as f64);
    }
    Ok(())
}
