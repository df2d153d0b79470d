//! Deadlines with precision: plans say 到2025年 (a year), 2026年12月 (a month) or a day.

use chrono::{Datelike, NaiveDate};

use crate::error::AppError;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Year,
    Month,
    Day,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "year" => Some(Precision::Year),
            "month" => Some(Precision::Month),
            "day" => Some(Precision::Day),
            _ => None,
        }
    }
}

/// Years a deadline or date may name: a plan's horizon, not an arbitrary calendar (a typo
/// such as `0205` or `20255` is refused rather than stored).
pub const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// A deadline: the last day of the named period plus how precisely it was stated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub date: NaiveDate,
    pub precision: Precision,
}

impl Deadline {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; a year or month means its last day.
    ///
    /// # Errors
    /// `INVALID_INPUT` for anything else, including impossible dates such as `2025-02-30`.
    pub fn parse(input: &str) -> Result<Self, AppError> {
        let d = Self::parse_any_year(input)?;
        if YEARS.contains(&d.date.year()) {
            Ok(d)
        } else {
            Err(AppError::invalid(format!(
                "deadline {input:?} is outside the years {}–{}",
                YEARS.start(),
                YEARS.end()
            )))
        }
    }

    /// The same forms for any year (a date bound such as `9999-12-31` in a filter).
    fn parse_any_year(input: &str) -> Result<Self, AppError> {
        let s = input.trim();
        let bad = || {
            AppError::invalid(format!(
                "malformed deadline {input:?}: expected YYYY, YYYY-MM or YYYY-MM-DD"
            ))
        };
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Result<u32, AppError> {
            if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        match parts.as_slice() {
            [y] => {
                let y = num(y, 4)? as i32;
                let date = NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(bad)?;
                Ok(Deadline {
                    date,
                    precision: Precision::Year,
                })
            }
            [y, m] => {
                let (y, m) = (num(y, 4)? as i32, num(m, 2)?);
                Ok(Deadline {
                    date: last_day_of_month(y, m).ok_or_else(bad)?,
                    precision: Precision::Month,
                })
            }
            [y, m, d] => {
                let date = NaiveDate::from_ymd_opt(num(y, 4)? as i32, num(m, 2)?, num(d, 2)?)
                    .ok_or_else(bad)?;
                Ok(Deadline {
                    date,
                    precision: Precision::Day,
                })
            }
            _ => Err(bad()),
        }
    }

    /// The deadline as written at its precision: `2025`, `2025-12` or `2025-12-31`.
    pub fn display(&self) -> String {
        match self.precision {
            Precision::Year => format!("{}", self.date.year()),
            Precision::Month => format!("{}-{:02}", self.date.year(), self.date.month()),
            Precision::Day => self.date.format("%Y-%m-%d").to_string(),
        }
    }
}

pub fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    NaiveDate::from_ymd_opt(year, month, 1)?;
    first_next.pred_opt()
}

/// Parses a plain ISO day (`YYYY-MM-DD`), the form the API uses for `now` and date ranges.
pub fn parse_day(input: &str) -> Result<NaiveDate, AppError> {
    let d = Deadline::parse_any_year(input)?;
    if d.precision != Precision::Day {
        return Err(AppError::invalid(format!(
            "malformed date {input:?}: expected YYYY-MM-DD"
        )));
    }
    Ok(d.date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_a_plans_horizon_are_refused() {
        for bad in ["0000", "0205-01", "1899-12-31", "2101"] {
            assert_eq!(
                Deadline::parse(bad).unwrap_err().code(),
                "INVALID_INPUT",
                "{bad}"
            );
        }
        assert!(Deadline::parse("1990").is_ok());
        assert!(Deadline::parse("2100-12-31").is_ok());
    }

    #[test]
    fn year_month_day() {
        assert_eq!(
            Deadline::parse("2025").unwrap().date,
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
        let m = Deadline::parse("2024-02").unwrap();
        assert_eq!(m.date, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(m.precision, Precision::Month);
        assert_eq!(m.display(), "2024-02");
        assert_eq!(
            Deadline::parse("2026-12-01").unwrap().precision,
            Precision::Day
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "25",
            "2025-13",
            "2025-02-30",
            "2025/12/31",
            "２０２５",
            "2025-1-1",
            "abcd",
            "2025-12-31-1",
        ] {
            assert!(Deadline::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(parse_day("2025").is_err());
    }
}
