//! Civil time in China. Deadlines, report periods and "today" are calendar days in China
//! Standard Time (UTC+8, no daylight saving); this is the one place that says so.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use crate::error::AppResult;

/// The offset of China Standard Time from UTC, in hours.
pub const CHINA_UTC_OFFSET_HOURS: i64 = 8;

/// The wall-clock time in China at the instant `at`.
pub fn china_local(at: DateTime<Utc>) -> NaiveDateTime {
    (at + Duration::hours(CHINA_UTC_OFFSET_HOURS)).naive_utc()
}

/// The calendar day in China at the instant `at`.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    china_local(at).date()
}

/// `YYYY-MM-DD` (09:00 China time that day) or an RFC 3339 instant.
///
/// # Errors
/// INVALID_INPUT for anything else.
pub fn parse_instant(s: &str) -> AppResult<DateTime<Utc>> {
    use chrono::TimeZone;
    if let Ok(d) = super::deadline::parse_day(s)
        && let Some(at) = d.and_hms_opt(1, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&at));
    }
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            crate::error::AppError::invalid(format!(
                "now must be YYYY-MM-DD or RFC 3339, got {s:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_china_day_turns_at_16_utc() {
        let before = Utc.with_ymd_and_hms(2025, 3, 1, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2025, 3, 1, 16, 0, 0).unwrap();
        assert_eq!(
            china_day(before),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        );
        assert_eq!(
            china_day(after),
            NaiveDate::from_ymd_opt(2025, 3, 2).unwrap()
        );
    }
}
