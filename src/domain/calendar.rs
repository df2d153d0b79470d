//! Working days (工作日) under the PRC public-holiday calendar.
//!
//! Chinese offices count many deadlines in working days ("5个工作日内"), and the State
//! Council moves weekends around every year: a holiday (放假) can fall on a weekday, and a
//! weekend day can become a make-up working day (调休上班). A plain Monday–Friday rule is
//! therefore wrong several times a year, typically right around 春节 and 国庆 when
//! reminders matter most.
//!
//! The official calendar is shipped as `seeds/holidays.json` and embedded at compile time
//! ([`HolidayCalendar::prc_official`]). Dates outside the covered years fall back to the
//! plain weekend rule; [`HolidayCalendar::covers`] lets callers notice that.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The official calendar, embedded so the pure core needs no file access at run time.
const PRC_HOLIDAYS_JSON: &str = include_str!("../../seeds/holidays.json");

/// What the State Council decided about one date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: a day off, usually a weekday (weekend days inside a holiday break are listed
    /// too, which changes nothing for the working-day arithmetic).
    Holiday,
    /// 调休上班: a Saturday or Sunday that is a working day to make up for a holiday.
    MakeupWorkday,
}

/// One line of `seeds/holidays.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEntry {
    /// The date concerned.
    pub date: NaiveDate,
    /// Holiday or make-up working day.
    pub kind: DayKind,
    /// Festival name for display, e.g. `春节` or `春节调休`.
    #[serde(default)]
    pub name: String,
}

/// How a rung's or a rule's day offset is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// 自然日: every day counts.
    #[default]
    Calendar,
    /// 工作日: only working days count (weekends and holidays are skipped, 调休 days count).
    Working,
}

/// Why a calendar could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    /// The JSON text is not a list of entries.
    #[error("invalid holiday calendar JSON: {0}")]
    Json(String),
    /// The same date is listed both as a holiday and as a make-up working day.
    #[error("{0} is listed both as a holiday and as a make-up working day")]
    Conflict(NaiveDate),
    /// A make-up working day on a weekday is meaningless and almost certainly a typo.
    #[error("{0} is a make-up working day but not a weekend day")]
    MakeupOnWeekday(NaiveDate),
}

/// A set of holiday and make-up working day exceptions to the Monday–Friday week.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
    /// Years that have at least one entry: the data for such a year is assumed complete.
    years: BTreeSet<i32>,
}

impl HolidayCalendar {
    /// A calendar without exceptions: plain Monday–Friday working weeks.
    #[must_use]
    pub fn weekends_only() -> Self {
        Self::default()
    }

    /// Builds a calendar from `(date, kind)` pairs.
    ///
    /// # Errors
    /// [`CalendarError::Conflict`] when a date is given both kinds,
    /// [`CalendarError::MakeupOnWeekday`] for a make-up day that is not a Saturday/Sunday.
    pub fn new(
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
    ) -> Result<Self, CalendarError> {
        let mut cal = Self::default();
        for (date, kind) in days {
            if kind == DayKind::MakeupWorkday && !is_weekend(date) {
                return Err(CalendarError::MakeupOnWeekday(date));
            }
            match cal.exceptions.insert(date, kind) {
                Some(previous) if previous != kind => return Err(CalendarError::Conflict(date)),
                _ => {}
            }
            cal.years.insert(date.year());
        }
        Ok(cal)
    }

    /// Builds a calendar from entries as stored in `seeds/holidays.json`.
    ///
    /// # Errors
    /// As [`HolidayCalendar::new`].
    pub fn from_entries(entries: &[CalendarEntry]) -> Result<Self, CalendarError> {
        Self::new(entries.iter().map(|e| (e.date, e.kind)))
    }

    /// Parses the `seeds/holidays.json` format.
    ///
    /// # Errors
    /// [`CalendarError::Json`] on malformed input, otherwise as [`HolidayCalendar::new`].
    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        let entries: Vec<CalendarEntry> =
            serde_json::from_str(json).map_err(|e| CalendarError::Json(e.to_string()))?;
        Self::from_entries(&entries)
    }

    /// The official State Council calendar shipped with the crate (`seeds/holidays.json`).
    ///
    /// # Panics
    /// Never in practice: the embedded file is validated by this module's tests.
    #[must_use]
    pub fn prc_official() -> Self {
        Self::from_json(PRC_HOLIDAYS_JSON).expect("seeds/holidays.json is valid")
    }

    /// The entries of the embedded official calendar, with festival names.
    ///
    /// # Panics
    /// Never in practice: the embedded file is validated by this module's tests.
    #[must_use]
    pub fn prc_official_entries() -> Vec<CalendarEntry> {
        serde_json::from_str(PRC_HOLIDAYS_JSON).expect("seeds/holidays.json is valid")
    }

    /// Whether the calendar has data for `year`. Outside covered years only weekends are
    /// known, so a caller may want to warn the office that the calendar needs updating.
    #[must_use]
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The exception recorded for `date`, if any.
    #[must_use]
    pub fn kind_of(&self, date: NaiveDate) -> Option<DayKind> {
        self.exceptions.get(&date).copied()
    }

    /// Whether people work on `date`: Monday–Friday unless a holiday, or a make-up
    /// weekend day.
    #[must_use]
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.kind_of(date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::MakeupWorkday) => true,
            None => !is_weekend(date),
        }
    }

    /// The `n`-th working day after `date` (before it when `n` is negative). `date` itself
    /// is never counted, whether or not it is a working day, so `+1` from a Friday is the
    /// next Monday and `-1` from a Monday the previous Friday. `n == 0` returns `date`
    /// unchanged.
    ///
    /// Never panics and takes constant time beyond the calendar's exceptions: outside the
    /// listed dates whole weeks (five working days each) are skipped at once, and a result
    /// beyond chrono's range saturates at [`NaiveDate::MAX`] / [`NaiveDate::MIN`].
    #[must_use]
    pub fn add_working_days(&self, date: NaiveDate, n: i32) -> NaiveDate {
        let forward = n >= 0;
        let (step, limit) = if forward {
            (1, NaiveDate::MAX)
        } else {
            (-1, NaiveDate::MIN)
        };
        let mut remaining = n.unsigned_abs();
        let mut day = date;
        while remaining > 0 {
            // Between exceptions only weekends matter, and any seven consecutive days hold
            // exactly five working days: skip whole weeks up to the next exception.
            let next_exception = if forward {
                self.exceptions
                    .range((Bound::Excluded(day), Bound::Unbounded))
                    .next()
            } else {
                self.exceptions
                    .range((Bound::Unbounded, Bound::Excluded(day)))
                    .next_back()
            };
            let room = next_exception.map_or(u32::MAX, |(d, _)| {
                u32::try_from(((*d - day).num_days().abs() - 1) / 7).unwrap_or(u32::MAX)
            });
            let weeks = ((remaining - 1) / 5).min(room);
            if weeks > 0 {
                match Duration::try_weeks(i64::from(weeks) * step)
                    .and_then(|w| day.checked_add_signed(w))
                {
                    Some(d) => {
                        day = d;
                        remaining -= weeks * 5;
                        continue;
                    }
                    None => return limit,
                }
            }
            match day.checked_add_signed(Duration::days(step)) {
                Some(d) => day = d,
                None => return limit,
            }
            if self.is_working_day(day) {
                remaining -= 1;
            }
        }
        day
    }

    /// Offsets `date` by `n` days counted as `count` says. Saturates at
    /// [`NaiveDate::MAX`] / [`NaiveDate::MIN`] instead of overflowing.
    #[must_use]
    pub fn add_days(&self, date: NaiveDate, n: i32, count: DayCount) -> NaiveDate {
        match count {
            DayCount::Calendar => date
                .checked_add_signed(Duration::days(i64::from(n)))
                .unwrap_or(if n < 0 {
                    NaiveDate::MIN
                } else {
                    NaiveDate::MAX
                }),
            DayCount::Working => self.add_working_days(date, n),
        }
    }

    /// The first working day on or after `date` (a deadline falling on a holiday is often
    /// read as the next working day); [`NaiveDate::MAX`] at the end of chrono's range.
    #[must_use]
    pub fn next_working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        while !self.is_working_day(day) {
            match day.succ_opt() {
                Some(d) => day = d,
                None => return NaiveDate::MAX,
            }
        }
        day
    }

    /// Number of working days in the half-open range `(from, to]`; negative when `to` is
    /// before `from`. Inverse of [`HolidayCalendar::add_working_days`] on working days.
    #[must_use]
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = lo
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= hi)
            .filter(|d| self.is_working_day(*d))
            .count();
        sign * i64::try_from(count).unwrap_or(i64::MAX)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn shipped_calendar_parses_and_covers_2023_to_2026() {
        let cal = HolidayCalendar::prc_official();
        for year in 2023..=2026 {
            assert!(cal.covers(year), "{year} missing");
        }
        assert!(
            !cal.covers(2027),
            "2027 has not been announced; do not guess it"
        );
        let entries = HolidayCalendar::prc_official_entries();
        assert!(entries.iter().all(|e| !e.name.is_empty()));
        // Sorted and unique, so the file stays reviewable.
        assert!(entries.windows(2).all(|w| w[0].date < w[1].date));
    }

    #[test]
    fn shipped_calendar_matches_the_2025_notice() {
        use DayKind::{Holiday, MakeupWorkday};
        let cal = HolidayCalendar::prc_official();
        let expected = [
            (d(2025, 1, 1), Holiday),
            (d(2025, 1, 26), MakeupWorkday),
            (d(2025, 1, 28), Holiday),
            (d(2025, 2, 4), Holiday),
            (d(2025, 2, 8), MakeupWorkday),
            (d(2025, 4, 4), Holiday),
            (d(2025, 4, 27), MakeupWorkday),
            (d(2025, 5, 5), Holiday),
            (d(2025, 6, 2), Holiday),
            (d(2025, 9, 28), MakeupWorkday),
            (d(2025, 10, 8), Holiday),
            (d(2025, 10, 11), MakeupWorkday),
        ];
        for (date, kind) in expected {
            assert_eq!(cal.kind_of(date), Some(kind), "{date}");
        }
        // 2025 春节 break is exactly 1/28–2/4.
        assert!(cal.is_working_day(d(2025, 1, 27)));
        assert!(cal.is_working_day(d(2025, 2, 5)));
        // 2025 holidays off a weekday: 元旦1 + 春节6 + 清明1 + 劳动3 + 端午1 + 国庆6 = 18.
        let weekday_holidays = HolidayCalendar::prc_official_entries()
            .iter()
            .filter(|e| e.date.year() == 2025 && e.kind == Holiday && !is_weekend(e.date))
            .count();
        assert_eq!(weekday_holidays, 18);
    }

    #[test]
    fn shipped_calendar_makeup_days_per_year() {
        let entries = HolidayCalendar::prc_official_entries();
        let makeups = |y| {
            entries
                .iter()
                .filter(|e| e.date.year() == y && e.kind == DayKind::MakeupWorkday)
                .count()
        };
        assert_eq!(
            (makeups(2023), makeups(2024), makeups(2025), makeups(2026)),
            (7, 8, 5, 6)
        );
        let cal = HolidayCalendar::prc_official();
        // 2026: 元旦 1/1–1/3 with Sunday 1/4 worked; 春节 2/15–2/23.
        assert!(!cal.is_working_day(d(2026, 1, 2)));
        assert!(cal.is_working_day(d(2026, 1, 4)));
        assert!(cal.is_working_day(d(2026, 2, 14)));
        assert!(!cal.is_working_day(d(2026, 2, 23)));
        assert!(cal.is_working_day(d(2026, 2, 28)));
    }

    #[test]
    fn plain_weeks_without_exceptions() {
        let cal = HolidayCalendar::weekends_only();
        let friday = d(2025, 3, 7);
        assert_eq!(cal.add_working_days(friday, 1), d(2025, 3, 10));
        assert_eq!(cal.add_working_days(d(2025, 3, 10), -1), friday);
        assert_eq!(cal.add_working_days(friday, 0), friday);
        assert_eq!(cal.add_working_days(friday, 5), d(2025, 3, 14));
        // Counting from a Saturday: the Saturday itself is not counted.
        assert_eq!(cal.add_working_days(d(2025, 3, 8), 1), d(2025, 3, 10));
    }

    #[test]
    fn working_days_across_national_day_2025() {
        let cal = HolidayCalendar::prc_official();
        // Tue 30 Sep 2025 + 1 working day: 10/1–10/8 are off, so Thu 10/9.
        assert_eq!(cal.add_working_days(d(2025, 9, 30), 1), d(2025, 10, 9));
        // 10/9 Thu, 10/10 Fri, 10/11 Sat (调休 worked), then Mon 10/13.
        assert_eq!(cal.add_working_days(d(2025, 9, 30), 3), d(2025, 10, 11));
        assert_eq!(cal.add_working_days(d(2025, 9, 30), 4), d(2025, 10, 13));
        // Backwards across the break.
        assert_eq!(cal.add_working_days(d(2025, 10, 9), -1), d(2025, 9, 30));
        // Backwards onto the 调休 Sunday 9/28: 9/30, 9/29, 9/28.
        assert_eq!(cal.add_working_days(d(2025, 10, 9), -3), d(2025, 9, 28));
        assert_eq!(cal.working_days_between(d(2025, 9, 30), d(2025, 10, 13)), 4);
        assert_eq!(
            cal.working_days_between(d(2025, 10, 13), d(2025, 9, 30)),
            -4
        );
    }

    #[test]
    fn working_days_across_spring_festival_and_makeup_saturday_2025() {
        let cal = HolidayCalendar::prc_official();
        // Sun 1/26 is worked, Mon 1/27 is worked, 1/28–2/4 off.
        assert!(cal.is_working_day(d(2025, 1, 26)));
        assert_eq!(cal.add_working_days(d(2025, 1, 24), 1), d(2025, 1, 26));
        assert_eq!(cal.add_working_days(d(2025, 1, 24), 2), d(2025, 1, 27));
        assert_eq!(cal.add_working_days(d(2025, 1, 24), 3), d(2025, 2, 5));
        // Wed 2/5, Thu 2/6, Fri 2/7, Sat 2/8 (调休), Mon 2/10.
        assert_eq!(cal.add_working_days(d(2025, 2, 4), 4), d(2025, 2, 8));
        assert_eq!(cal.add_working_days(d(2025, 2, 4), 5), d(2025, 2, 10));
        assert_eq!(cal.add_working_days(d(2025, 2, 10), -1), d(2025, 2, 8));
    }

    #[test]
    fn add_days_dispatches_on_day_count() {
        let cal = HolidayCalendar::prc_official();
        let due = d(2025, 10, 10);
        assert_eq!(cal.add_days(due, -7, DayCount::Calendar), d(2025, 10, 3));
        // 10/9, 9/30, 9/29, 9/28 (调休 Sunday), 9/26, 9/25, 9/24.
        assert_eq!(cal.add_days(due, -7, DayCount::Working), d(2025, 9, 24));
        assert_eq!(cal.add_days(due, 2, DayCount::Working), d(2025, 10, 13));
    }

    #[test]
    fn next_working_day_skips_holidays() {
        let cal = HolidayCalendar::prc_official();
        assert_eq!(
            cal.next_working_day_on_or_after(d(2025, 10, 1)),
            d(2025, 10, 9)
        );
        assert_eq!(
            cal.next_working_day_on_or_after(d(2025, 10, 9)),
            d(2025, 10, 9)
        );
    }

    #[test]
    fn rejects_bad_data() {
        assert_eq!(
            HolidayCalendar::new([
                (d(2025, 1, 28), DayKind::Holiday),
                (d(2025, 1, 28), DayKind::MakeupWorkday)
            ]),
            Err(CalendarError::MakeupOnWeekday(d(2025, 1, 28)))
        );
        assert_eq!(
            HolidayCalendar::new([
                (d(2025, 1, 26), DayKind::MakeupWorkday),
                (d(2025, 1, 26), DayKind::Holiday)
            ]),
            Err(CalendarError::Conflict(d(2025, 1, 26)))
        );
        assert!(matches!(
            HolidayCalendar::from_json(r#"[{"date":"2025-13-01","kind":"holiday"}]"#),
            Err(CalendarError::Json(_))
        ));
        let ok = HolidayCalendar::from_json(
            r#"[{"date":"2025-01-26","kind":"makeup_workday","name":"春节调休"},
                {"date":"2025-01-28","kind":"holiday"}]"#,
        )
        .unwrap();
        assert!(ok.is_working_day(d(2025, 1, 26)));
        assert!(!ok.is_working_day(d(2025, 1, 28)));
    }

    #[test]
    fn extreme_offsets_saturate_quickly_instead_of_panicking() {
        let cal = HolidayCalendar::prc_official();
        let day = d(2025, 4, 2);
        for n in [i32::MAX, 1_000_000_000, 366, -366, -1_000_000_000, i32::MIN] {
            let _ = cal.add_days(day, n, DayCount::Calendar);
            let _ = cal.add_days(day, n, DayCount::Working);
            let _ = cal.add_days(NaiveDate::MAX, n, DayCount::Working);
            let _ = cal.add_days(NaiveDate::MIN, n, DayCount::Working);
        }
        assert_eq!(
            cal.add_days(day, i32::MAX, DayCount::Calendar),
            NaiveDate::MAX
        );
        assert_eq!(
            cal.add_days(day, i32::MIN, DayCount::Calendar),
            NaiveDate::MIN
        );
        assert_eq!(cal.add_working_days(day, i32::MAX), NaiveDate::MAX);
        assert_eq!(cal.add_working_days(day, i32::MIN), NaiveDate::MIN);
        let _ = cal.next_working_day_on_or_after(NaiveDate::MAX);
        // The week skipping agrees with counting day by day, inside and outside the
        // official data (which ends in 2026) and across 国庆 and 春节.
        let slow = |from: NaiveDate, n: i32| {
            let step = if n < 0 { -1 } else { 1 };
            let mut day = from;
            let mut left = n.unsigned_abs();
            while left > 0 {
                day += Duration::days(step);
                if cal.is_working_day(day) {
                    left -= 1;
                }
            }
            day
        };
        for from in [
            d(2025, 9, 26),
            d(2026, 12, 25),
            d(2027, 3, 6),
            d(2022, 12, 31),
        ] {
            for n in [-400, -37, -6, -5, 5, 6, 7, 11, 37, 250, 400] {
                assert_eq!(cal.add_working_days(from, n), slow(from, n), "{from} {n}");
            }
        }
    }
}
