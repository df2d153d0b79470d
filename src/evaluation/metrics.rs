//! Computed criteria (系统自动计算指标): raw value, 0–100 score and evidence from a
//! [`SubjectRecord`]. See [`Metric`] for the definitions.
use std::collections::HashSet;

use chrono::NaiveDate;

use super::input::{AssignmentRole, SubjectRecord, TaskFact};
use super::result::{Evidence, EvidenceKind};
use super::scheme::{Metric, SupervisionLevel};

/// What a metric produced for one subject.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricOutcome {
    /// Raw value (a fraction for rates, a count of days or escalations otherwise);
    /// `None` when nothing was applicable.
    pub raw: Option<f64>,
    /// Whether there was anything to count in the year. A criterion with nothing to count
    /// is *not applicable*: the scoring spreads its weight over its applicable siblings
    /// instead of giving it full (or zero) marks.
    pub applicable: bool,
    /// Normalised score 0–100 (0 and meaningless when not applicable).
    pub score: f64,
    /// The records behind the value.
    pub evidence: Vec<Evidence>,
    /// Explanations and warnings.
    pub notes: Vec<String>,
}

/// The evaluated year as an inclusive date range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Year {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Year {
    pub fn new(year: i32) -> Option<Self> {
        Some(Self {
            start: NaiveDate::from_ymd_opt(year, 1, 1)?,
            end: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

/// Computes `metric` over `record` (the year is `record.year`, judged as of 31 Dec).
/// Returns `None` only if the year is not a valid calendar year.
pub fn compute(metric: &Metric, record: &SubjectRecord) -> Option<MetricOutcome> {
    let year = Year::new(record.year)?;
    Some(match metric {
        Metric::OnTimeCompletionRate => on_time(record, year),
        Metric::CompletionRate => completion(record, year, |r| r == AssignmentRole::Lead, "led"),
        Metric::ContributionRate => completion(
            record,
            year,
            |r| matches!(r, AssignmentRole::Participant | AssignmentRole::Implementer),
            "participated or implemented",
        ),
        Metric::OverdueTaskDays { points_per_day } => overdue(record, year, *points_per_day),
        Metric::ReportsOnTimeRate => reports(record, year),
        Metric::SupervisionReceived {
            level,
            points_per_item,
        } => supervisions(record, year, *level, *points_per_item),
    })
}

fn task_label(t: &TaskFact) -> String {
    format!("{} {}", t.code, t.title).trim().to_string()
}

/// " (original deadline; extended to …, 按原定时间考核)" when an extension was granted.
fn extended_note(t: &TaskFact) -> String {
    match (t.original_due, t.current_due) {
        (Some(o), Some(c)) if o != c => {
            format!(" (original deadline; extended to {c}, 按原定时间考核)")
        }
        _ => String::new(),
    }
}

/// Whether a led task could be overdue in the year: it has a judged deadline on or before
/// 31 Dec and was not closed before 1 Jan.
fn could_be_overdue(t: &TaskFact, year: Year) -> bool {
    t.role == AssignmentRole::Lead
        && !t.cancelled
        && t.judged_due().is_some_and(|d| d <= year.end)
        && !t.completed_on.is_some_and(|c| c < year.start)
}

fn date_or_none(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "not completed".to_string(), |d| format!("completed {d}"))
}

fn not_applicable(evidence: Vec<Evidence>, why: String) -> MetricOutcome {
    MetricOutcome {
        raw: None,
        applicable: false,
        score: 0.0,
        evidence,
        notes: vec![format!("not applicable: {why}")],
    }
}

fn rate_outcome(passed: usize, total: usize, evidence: Vec<Evidence>, what: &str) -> MetricOutcome {
    if total == 0 {
        return not_applicable(evidence, format!("no {what} in the year"));
    }
    let rate = passed as f64 / total as f64;
    MetricOutcome {
        raw: Some(rate),
        applicable: true,
        score: 100.0 * rate,
        evidence,
        notes: vec![format!("{passed} of {total} {what} = {:.2}%", rate * 100.0)],
    }
}

fn on_time(record: &SubjectRecord, year: Year) -> MetricOutcome {
    let mut evidence = Vec::new();
    let (mut passed, mut total) = (0, 0);
    for t in record
        .tasks
        .iter()
        .filter(|t| t.role == AssignmentRole::Lead && !t.cancelled)
    {
        let Some(due) = t.judged_due().filter(|d| year.contains(*d)) else {
            continue;
        };
        total += 1;
        let ok = t.completed_on.is_some_and(|c| c <= due);
        passed += usize::from(ok);
        let extended = extended_note(t);
        evidence.push(Evidence {
            kind: EvidenceKind::Task,
            id: t.task_id,
            favourable: ok,
            detail: format!(
                "{}: due {due}{extended}, {}: {}",
                task_label(t),
                date_or_none(t.completed_on),
                if ok { "on time" } else { "late" }
            ),
        });
    }
    rate_outcome(passed, total, evidence, "led tasks due completed on time")
}

fn completion(
    record: &SubjectRecord,
    year: Year,
    role: impl Fn(AssignmentRole) -> bool,
    what: &str,
) -> MetricOutcome {
    let mut evidence = Vec::new();
    let (mut passed, mut total) = (0, 0);
    for t in record.tasks.iter().filter(|t| role(t.role) && !t.cancelled) {
        // Judged against the original deadline (按原定时间考核), like the on-time rate.
        let Some(due) = t.judged_due().filter(|d| *d <= year.end) else {
            continue;
        };
        if t.completed_on.is_some_and(|c| c < year.start) {
            continue; // closed in an earlier year
        }
        total += 1;
        let ok = t.completed_on.is_some_and(|c| c <= year.end);
        passed += usize::from(ok);
        evidence.push(Evidence {
            kind: EvidenceKind::Task,
            id: t.task_id,
            favourable: ok,
            detail: format!(
                "{}: due {due}{}, {}",
                task_label(t),
                extended_note(t),
                if ok {
                    date_or_none(t.completed_on)
                } else {
                    "not completed by year end".to_string()
                }
            ),
        });
    }
    rate_outcome(
        passed,
        total,
        evidence,
        &format!("{what} tasks due by year end completed"),
    )
}

fn overdue(record: &SubjectRecord, year: Year, k: f64) -> MetricOutcome {
    if !record.tasks.iter().any(|t| could_be_overdue(t, year)) {
        return not_applicable(
            Vec::new(),
            format!(
                "no led task was due by 31 Dec {} and open in the year",
                year.start.format("%Y")
            ),
        );
    }
    let mut evidence = Vec::new();
    let mut days_total: i64 = 0;
    for t in record
        .tasks
        .iter()
        .filter(|t| t.role == AssignmentRole::Lead && !t.cancelled)
    {
        let Some(due) = t.judged_due() else { continue };
        // Overdue days are the days x with due < x ≤ completion (or 31 Dec), within the year.
        let Some(after_due) = due.succ_opt() else {
            continue;
        };
        let lo = after_due.max(year.start);
        let hi = t.completed_on.unwrap_or(year.end).min(year.end);
        let days = (hi - lo).num_days() + 1;
        if days <= 0 {
            continue;
        }
        days_total += days;
        evidence.push(Evidence {
            kind: EvidenceKind::Task,
            id: t.task_id,
            favourable: false,
            detail: format!(
                "{}: judged deadline {due}, {}: {days} overdue day(s) in {}",
                task_label(t),
                date_or_none(t.completed_on),
                year.start.format("%Y")
            ),
        });
    }
    let score = (100.0 - k * days_total as f64).max(0.0);
    MetricOutcome {
        raw: Some(days_total as f64),
        applicable: true,
        score,
        evidence,
        notes: vec![format!(
            "{days_total} overdue task-day(s); score = max(0, 100 − {k} × {days_total}) = {score:.2}"
        )],
    }
}

fn reports(record: &SubjectRecord, year: Year) -> MetricOutcome {
    let cancelled: HashSet<i64> = record
        .tasks
        .iter()
        .filter(|t| t.cancelled)
        .map(|t| t.task_id)
        .collect();
    let mut evidence = Vec::new();
    let (mut passed, mut total) = (0, 0);
    for r in &record.reports {
        if !year.contains(r.due) || cancelled.contains(&r.task_id) {
            continue;
        }
        total += 1;
        let ok = r.submitted_on.is_some_and(|s| s <= r.due);
        passed += usize::from(ok);
        evidence.push(Evidence {
            kind: EvidenceKind::Report,
            id: r.task_id,
            favourable: ok,
            detail: format!(
                "report {} due {}, {}",
                r.period,
                r.due,
                match r.submitted_on {
                    Some(s) if ok => format!("submitted {s}: on time"),
                    Some(s) => format!("submitted {s}: late"),
                    None => "not submitted".to_string(),
                }
            ),
        });
    }
    rate_outcome(
        passed,
        total,
        evidence,
        "progress reports due submitted on time",
    )
}

fn supervisions(
    record: &SubjectRecord,
    year: Year,
    level: SupervisionLevel,
    k: f64,
) -> MetricOutcome {
    let mut evidence = Vec::new();
    let mut notes = Vec::new();
    for s in record.supervisions.iter().filter(|s| year.contains(s.at)) {
        match SupervisionLevel::parse(&s.level) {
            Some(l) if l == level => evidence.push(Evidence {
                kind: EvidenceKind::Supervision,
                id: s.id,
                favourable: false,
                detail: format!(
                    "{} on {}{}{}",
                    level.chinese(),
                    s.at,
                    s.task_id
                        .map(|t| format!(" about task {t}"))
                        .unwrap_or_default(),
                    s.doc_number
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            }),
            Some(_) => {}
            None => notes.push(format!(
                "warning: supervision {} has unknown level {:?}; ignored",
                s.id, s.level
            )),
        }
    }
    let n = evidence.len();
    // Nothing could have been escalated: no led task due or open in the year, no report due.
    let exposed = record.tasks.iter().any(|t| could_be_overdue(t, year))
        || record.reports.iter().any(|r| year.contains(r.due))
        || record.tasks.iter().any(|t| {
            t.role == AssignmentRole::Lead
                && !t.cancelled
                && t.current_due.is_none()
                && !t.completed_on.is_some_and(|c| c < year.start)
        });
    if n == 0 && !exposed {
        notes.insert(
            0,
            format!(
                "not applicable: no led task or progress report that could be escalated in {}",
                year.start.format("%Y")
            ),
        );
        return MetricOutcome {
            raw: None,
            applicable: false,
            score: 0.0,
            evidence,
            notes,
        };
    }
    let score = (100.0 - k * n as f64).max(0.0);
    notes.insert(
        0,
        format!(
            "{n} {}({level:?}) received; score = max(0, 100 − {k} × {n}) = {score:.2}",
            level.chinese()
        ),
    );
    MetricOutcome {
        raw: Some(n as f64),
        applicable: true,
        score,
        evidence,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::input::{ReportFact, SupervisionFact};
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn task(
        id: i64,
        role: AssignmentRole,
        original: Option<&str>,
        current: Option<&str>,
        done: Option<&str>,
    ) -> TaskFact {
        TaskFact {
            task_id: id,
            code: format!("T{id}"),
            title: String::new(),
            role,
            original_due: original.map(d),
            current_due: current.map(d),
            completed_on: done.map(d),
            status: "in_progress".into(),
            cancelled: false,
        }
    }

    /// An extension was granted from 30 Jun to 30 Sep and the task closed on 15 Aug: it is
    /// within the new deadline but late against the original one (按原定时间考核).
    #[test]
    fn on_time_is_judged_against_the_original_deadline() {
        let rec = SubjectRecord {
            year: 2024,
            tasks: vec![
                task(
                    1,
                    AssignmentRole::Lead,
                    Some("2024-06-30"),
                    Some("2024-09-30"),
                    Some("2024-08-15"),
                ),
                task(
                    2,
                    AssignmentRole::Lead,
                    None,
                    Some("2024-06-30"),
                    Some("2024-06-30"),
                ),
            ],
            ..Default::default()
        };
        let o = compute(&Metric::OnTimeCompletionRate, &rec).unwrap();
        assert_eq!(o.raw, Some(0.5)); // 1 of 2
        assert!((o.score - 50.0).abs() < 1e-9);
        assert_eq!(o.evidence.len(), 2);
        assert_eq!((o.evidence[0].id, o.evidence[0].favourable), (1, false));
        assert!(o.evidence[0].detail.contains("extended to 2024-09-30"));
        assert_eq!((o.evidence[1].id, o.evidence[1].favourable), (2, true));
        // Completion rate (also on the original deadline): both completed by year end → 100%.
        let c = compute(&Metric::CompletionRate, &rec).unwrap();
        assert_eq!(c.raw, Some(1.0));
        // Overdue days also use the original deadline: 1 Jul … 15 Aug = 31 + 15 = 46 days.
        let od = compute(
            &Metric::OverdueTaskDays {
                points_per_day: 0.5,
            },
            &rec,
        )
        .unwrap();
        assert_eq!(od.raw, Some(46.0));
        assert!((od.score - 77.0).abs() < 1e-9); // 100 − 0.5 × 46
    }

    /// Scope rules: participants' tasks, cancelled tasks, other years, carried-over backlog.
    #[test]
    fn metric_scopes() {
        let mut cancelled = task(5, AssignmentRole::Lead, None, Some("2024-03-31"), None);
        cancelled.cancelled = true;
        let rec = SubjectRecord {
            year: 2024,
            tasks: vec![
                // Due 2023, still open: not in 2024 on-time rate; in 2024 completion rate
                // (open on 1 Jan, done 2024-02-10); overdue days in 2024: 1 Jan … 10 Feb = 41.
                task(
                    1,
                    AssignmentRole::Lead,
                    None,
                    Some("2023-12-31"),
                    Some("2024-02-10"),
                ),
                // Due 2024, never completed: overdue 1 Dec … 31 Dec = 31 days.
                task(2, AssignmentRole::Lead, None, Some("2024-11-30"), None),
                // Due 2025: out of every 2024 rate.
                task(3, AssignmentRole::Lead, None, Some("2025-06-30"), None),
                // Closed in 2023: out of the completion rate.
                task(
                    4,
                    AssignmentRole::Lead,
                    None,
                    Some("2023-06-30"),
                    Some("2023-05-01"),
                ),
                cancelled,
                // Participant / implementer tasks: contribution rate 1 of 2.
                task(
                    6,
                    AssignmentRole::Participant,
                    None,
                    Some("2024-05-31"),
                    Some("2024-05-20"),
                ),
                task(
                    7,
                    AssignmentRole::Implementer,
                    None,
                    Some("2024-10-31"),
                    None,
                ),
                // Ongoing task (no deadline): in no rate.
                task(8, AssignmentRole::Lead, None, None, None),
            ],
            reports: vec![
                ReportFact {
                    task_id: 2,
                    period: "2024-Q1".into(),
                    due: d("2024-04-10"),
                    submitted_on: Some(d("2024-04-10")),
                },
                ReportFact {
                    task_id: 2,
                    period: "2024-Q2".into(),
                    due: d("2024-07-10"),
                    submitted_on: Some(d("2024-07-12")),
                },
                ReportFact {
                    task_id: 2,
                    period: "2024-Q3".into(),
                    due: d("2024-10-10"),
                    submitted_on: None,
                },
                ReportFact {
                    task_id: 2,
                    period: "2024-Q4".into(),
                    due: d("2025-01-10"),
                    submitted_on: None,
                },
                ReportFact {
                    task_id: 5,
                    period: "2024-Q1".into(),
                    due: d("2024-04-10"),
                    submitted_on: None,
                },
            ],
            supervisions: vec![
                SupervisionFact {
                    id: 11,
                    task_id: Some(2),
                    level: "urging".into(),
                    at: d("2024-12-02"),
                    doc_number: None,
                },
                SupervisionFact {
                    id: 12,
                    task_id: Some(2),
                    level: "催办".into(),
                    at: d("2024-12-16"),
                    doc_number: None,
                },
                SupervisionFact {
                    id: 13,
                    task_id: Some(2),
                    level: "urging".into(),
                    at: d("2023-12-16"),
                    doc_number: None,
                },
                SupervisionFact {
                    id: 14,
                    task_id: Some(2),
                    level: "督办".into(),
                    at: d("2024-12-20"),
                    doc_number: Some("碳达峰办督〔2024〕3号".into()),
                },
                SupervisionFact {
                    id: 15,
                    task_id: None,
                    level: "scolding".into(),
                    at: d("2024-12-20"),
                    doc_number: None,
                },
            ],
        };
        let on = compute(&Metric::OnTimeCompletionRate, &rec).unwrap();
        assert_eq!(on.raw, Some(0.0)); // only task 2 is due in 2024, not done
        let comp = compute(&Metric::CompletionRate, &rec).unwrap();
        assert_eq!(comp.raw, Some(0.5)); // tasks 1 (done) and 2 (open)
        let od = compute(
            &Metric::OverdueTaskDays {
                points_per_day: 1.0,
            },
            &rec,
        )
        .unwrap();
        assert_eq!(od.raw, Some(72.0)); // 41 + 31
        assert!((od.score - 28.0).abs() < 1e-9);
        let rep = compute(&Metric::ReportsOnTimeRate, &rec).unwrap();
        assert_eq!(rep.raw, Some(1.0 / 3.0)); // Q1 on time; Q2 late; Q3 missing; Q4 due 2025
        let contrib = compute(&Metric::ContributionRate, &rec).unwrap();
        assert_eq!(contrib.raw, Some(0.5));
        let urg = compute(
            &Metric::SupervisionReceived {
                level: SupervisionLevel::Urging,
                points_per_item: 10.0,
            },
            &rec,
        )
        .unwrap();
        assert_eq!(urg.raw, Some(2.0)); // ids 11, 12 (13 is in 2023)
        assert_eq!(
            urg.evidence.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![11, 12]
        );
        assert!((urg.score - 80.0).abs() < 1e-9);
        assert!(urg.notes.iter().any(|n| n.contains("unknown level")));
    }

    /// An empty record has nothing to count: every metric is not applicable (it used to
    /// give full marks), with a note saying why.
    #[test]
    fn nothing_to_count_is_not_applicable() {
        let rec = SubjectRecord {
            year: 2024,
            ..Default::default()
        };
        for m in [
            Metric::OnTimeCompletionRate,
            Metric::CompletionRate,
            Metric::ContributionRate,
            Metric::ReportsOnTimeRate,
            Metric::OverdueTaskDays {
                points_per_day: 1.0,
            },
            Metric::SupervisionReceived {
                level: SupervisionLevel::Urging,
                points_per_item: 5.0,
            },
        ] {
            let o = compute(&m, &rec).unwrap();
            assert!(!o.applicable, "{m:?}");
            assert_eq!(o.raw, None, "{m:?}");
            assert!(
                o.notes[0].starts_with("not applicable"),
                "{m:?}: {:?}",
                o.notes
            );
        }
        // A led task due only next year: still nothing to count in 2024.
        let later = SubjectRecord {
            year: 2024,
            tasks: vec![task(
                1,
                AssignmentRole::Lead,
                None,
                Some("2025-06-30"),
                None,
            )],
            ..Default::default()
        };
        let od = compute(
            &Metric::OverdueTaskDays {
                points_per_day: 1.0,
            },
            &later,
        )
        .unwrap();
        assert!(!od.applicable);
        // An escalation received makes the supervision criterion applicable regardless.
        let urged = SubjectRecord {
            year: 2024,
            supervisions: vec![SupervisionFact {
                id: 1,
                task_id: Some(1),
                level: "urging".into(),
                at: d("2024-03-01"),
                doc_number: None,
            }],
            ..later
        };
        let s = compute(
            &Metric::SupervisionReceived {
                level: SupervisionLevel::Urging,
                points_per_item: 5.0,
            },
            &urged,
        )
        .unwrap();
        assert!(s.applicable);
        assert_eq!(s.raw, Some(1.0));
    }

    /// Completion and contribution rates judge against the original deadline too
    /// (按原定时间考核): a task due 30 Jun 2024, extended into 2025 and still open at the
    /// end of 2024, counts as not completed in 2024.
    #[test]
    fn completion_rates_use_the_original_deadline() {
        let rec = SubjectRecord {
            year: 2024,
            tasks: vec![
                task(
                    1,
                    AssignmentRole::Lead,
                    Some("2024-06-30"),
                    Some("2025-03-31"),
                    None,
                ),
                task(
                    2,
                    AssignmentRole::Lead,
                    None,
                    Some("2024-05-31"),
                    Some("2024-05-01"),
                ),
                task(
                    3,
                    AssignmentRole::Participant,
                    Some("2024-09-30"),
                    Some("2025-06-30"),
                    None,
                ),
            ],
            ..Default::default()
        };
        let c = compute(&Metric::CompletionRate, &rec).unwrap();
        assert_eq!(c.raw, Some(0.5)); // task 1 counts (not done), task 2 done
        assert!(c.evidence[0].detail.contains("extended to 2025-03-31"));
        let p = compute(&Metric::ContributionRate, &rec).unwrap();
        assert_eq!(p.raw, Some(0.0)); // task 3 counts, not done
    }
}
