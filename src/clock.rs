//! Local time in Germany, for "not in the future" checks and the times citizens see.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Europe::Berlin;

/// The start of a `YYYY-MM-DD` day in Berlin, for date filters; `None` if it is no date.
pub fn local_day_start(s: &str) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let day = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let local = chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()?;
    Some(local.with_timezone(&Utc))
}

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

/// A stored RFC 3339 timestamp as German local time to the second, for logs staff read:
/// "28.11.2026, 14:05:09" (German) / "28/11/2026, 14:05:09". Text that is not RFC 3339
/// is shown as stored rather than hidden.
pub fn local_timestamp(stored: &str, german: bool) -> String {
    match DateTime::parse_from_rfc3339(stored) {
        Ok(at) => {
            let local = at.with_timezone(&Berlin);
            let format = if german {
                "%d.%m.%Y, %H:%M:%S"
            } else {
                "%d/%m/%Y, %H:%M:%S"
            };
            local.format(format).to_string()
        }
        Err(_) => stored.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{local_display, local_timestamp};
    use chrono::{DateTime, Utc};

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn shows_the_date_only_when_berlin_is_on_another_day() {
        // 22:34 UTC on 1 December is 23:34 in Berlin; 30 minutes later it is the 2nd there.
        let now = utc("2026-12-01T22:34:00Z");
        let next_day = utc("2026-12-01T23:04:00Z");
        assert_eq!(local_display(next_day, now, true), "02.12.2026, 00:04");
        assert_eq!(local_display(next_day, now, false), "02/12/2026, 00:04");
        // Different UTC days, one Berlin day: the time alone.
        let after_utc_midnight = utc("2026-12-02T00:10:00Z");
        let before_it = utc("2026-12-01T23:30:00Z");
        assert_eq!(local_display(after_utc_midnight, before_it, true), "01:10");
    }

    #[test]
    fn shows_berlin_time_to_the_second() {
        // 15:04 UTC in November is 16:04 in Berlin (CET); the microseconds are dropped.
        let stored = "2026-11-28T15:04:09.123456Z";
        assert_eq!(local_timestamp(stored, true), "28.11.2026, 16:04:09");
        assert_eq!(local_timestamp(stored, false), "28/11/2026, 16:04:09");
        // Summer time: UTC+2.
        assert_eq!(
            local_timestamp("2026-07-01T10:00:00.5Z", true),
            "01.07.2026, 12:00:00"
        );
    }

    #[test]
    fn keeps_unparseable_text() {
        assert_eq!(local_timestamp("gestern", true), "gestern");
    }
}
