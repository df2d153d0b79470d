//! The plan's year, for dates written without one (`6月底前`).

use std::sync::OnceLock;

use regex::Regex;

use crate::deadline::Deadline;

/// The year a plan is about: a single year in its title (`2024年工作要点`), else the
/// year it was issued. A title naming a span (`（2021—2030年）`, `2021-2025年`) is about
/// no one year, so the issue year counts.
pub(super) fn plan_year(title: &str, issue: Option<chrono::NaiveDate>) -> Option<i32> {
    static R: OnceLock<Regex> = OnceLock::new();
    static SPAN: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("static regex"));
    let span = SPAN.get_or_init(|| {
        Regex::new(r"(?:19|20)\d{2}\s*年?\s*[-—–~～至到]+\s*(?:19|20)\d{2}").expect("static regex")
    });
    let single = if span.is_match(title) {
        None
    } else {
        re.captures(title).and_then(|c| c[1].parse().ok())
    };
    single.or_else(|| issue.map(|d| chrono::Datelike::year(&d)))
}

/// A deadline found without a year (`6月底前`) in the plan's year, when the
/// text named no other.
pub(super) fn with_plan_year(
    found: (Option<Deadline>, bool),
    text: &str,
    year: Option<i32>,
) -> (Option<Deadline>, bool) {
    match (found, year) {
        ((None, false), Some(y)) => match crate::deadline::yearless_deadline(text, y) {
            Some(d) => (Some(d), false),
            None => (None, false),
        },
        // `2017年6月底前…、9月底前…、11月底前全部下达`: dates without a year
        // after a dated one of the same text are in that year.
        ((Some(d), false), _) if d.year_value() == year.unwrap_or(d.year_value()) => {
            match crate::deadline::yearless_deadline(text, d.year_value()) {
                Some(y) if y.date > d.date => (Some(y), false),
                _ => found,
            }
        }
        _ => found,
    }
}
