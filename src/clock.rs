//! Local time in Germany, for "not in the future" checks and the times citizens see.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Europe::Berlin;

pub fn local_now(now: DateTime<Utc>) -> NaiveDateTime {
    now.with_timezone(&Berlin).naive_local()
}

/// "14:05" on the same day, otherwise "28.11.2026, 14:05" (German) / "28/11/2026, 14:05".
pub fn local_display(at: DateTime<Utc>, now: DateTime<Utc>, german: bool) -> String {
    let local = at.with_timezone(&Berlin);
    if local.date_naive() == now.with_timezone(&Berlin).date_naive() {
        local.format("%H:%M").to_string()
    } else if german {
        local.format("%d.%m.%Y, %H:%M").to_string()
    } else {
        local.format("%d/%m/%Y, %H:%M").to_string()
    }
}
