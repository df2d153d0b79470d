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

/// Where the plan's year was read from: shown as a convention when it was
/// not written in the title or the issue date, so an office can check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum YearSource {
    /// A single year in the title, or the issue date.
    Document,
    /// The year of the document's own number (`〔2018〕39号`).
    OwnNumber,
    /// [`crate::ParseOptions::plan_year`]: the office knows it (a task sheet
    /// without a title row).
    Given,
    /// The latest year of the documents it cites (`根据…（昆政发〔2016〕13号）`):
    /// a plan implementing a document is issued in that document's year or
    /// later, and its dates without a year (`5月底前`) follow it closely.
    Cited(String),
}

/// The plan's year and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PlanYear {
    pub year: i32,
    pub source: YearSource,
}

impl PlanYear {
    /// Words for the convention (`None` when the document states it).
    pub(super) fn explained(&self) -> Option<String> {
        let y = self.year;
        match &self.source {
            YearSource::Document => None,
            YearSource::OwnNumber => Some(format!(
                "dates without a year (6月底前) are in {y}, the year of the document's number"
            )),
            YearSource::Given => Some(format!(
                "the document names no year: dates without one (6月底前, 全年) are in {y}, the plan year given by the importing office"
            )),
            YearSource::Cited(n) => Some(format!(
                "the document names no year of its own: dates without one (6月底前) are taken to be in {y}, the year of the latest document it cites ({n}); check it"
            )),
        }
    }
}

fn number_year_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"[〔\[【(（]\s*((?:19|20)\d{2})\s*[〕\]】)）]\s*\d{1,4}\s*号")
            .expect("static regex")
    })
}

/// The plan's year, in order of certainty: the title or issue date
/// ([`plan_year`]), the document's own number, the year the caller gives, the
/// latest year of a document number it cites.
pub(super) fn read_plan_year(
    title: &str,
    issue: Option<chrono::NaiveDate>,
    own_number: Option<&str>,
    given: Option<i32>,
    text: &[String],
) -> Option<PlanYear> {
    let of_number = |n: &str| {
        number_year_re()
            .captures(n)
            .and_then(|c| c[1].parse::<i32>().ok())
    };
    if let Some(year) = plan_year(title, issue) {
        return Some(PlanYear {
            year,
            source: YearSource::Document,
        });
    }
    if let Some(year) = own_number.and_then(of_number) {
        return Some(PlanYear {
            year,
            source: YearSource::OwnNumber,
        });
    }
    if let Some(year) = given {
        return Some(PlanYear {
            year,
            source: YearSource::Given,
        });
    }
    text.iter()
        .flat_map(|l| {
            number_year_re()
                .find_iter(l)
                .map(|m| m.as_str().to_string())
        })
        .filter_map(|n| of_number(&n).map(|y| (y, n)))
        .max_by_key(|(y, _)| *y)
        .map(|(year, n)| PlanYear {
            year,
            source: YearSource::Cited(n),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_year_in_order_of_certainty() {
        let text = vec!["根据《…》（某政发〔2015〕3号）和（某政办〔2016〕7号）".to_string()];
        let read = |title: &str, number: Option<&str>, given: Option<i32>| {
            read_plan_year(title, None, number, given, &text).map(|p| (p.year, p.source))
        };
        assert_eq!(
            read("某市2024年工作要点", Some("某政发〔2023〕1号"), Some(2020)),
            Some((2024, YearSource::Document))
        );
        assert_eq!(
            read("某市工作要点", Some("某政发〔2023〕1号"), Some(2020)),
            Some((2023, YearSource::OwnNumber))
        );
        assert_eq!(
            read("某市工作要点", None, Some(2020)),
            Some((2020, YearSource::Given))
        );
        assert_eq!(
            read("某市工作要点", None, None),
            Some((2016, YearSource::Cited("〔2016〕7号".into())))
        );
        assert_eq!(read_plan_year("某市工作要点", None, None, None, &[]), None);
    }
}
