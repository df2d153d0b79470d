//! The demo world's script (pure): from the seeded tasks and a fixed seed, what happens on
//! which day of 2025 — who reports, who asks to close a task or to move its deadline, how
//! the office decides. No database and no clock; [`super::run`] carries it out.
//!
//! The generator is ChaCha8 ([`rand_chacha::ChaCha8Rng`]) seeded with [`SEED`]: its output
//! is specified by the algorithm, not by the `rand` version (unlike `StdRng`), so the same
//! seed gives the same script — and the same database — on every machine and every run.
//! Every draw happens in a fixed order (agencies, then tasks, by id).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::calendar::HolidayCalendar;

/// The seed of the demo world. Change it and the world changes (the tests then check the
/// new one: nothing in them is written for this seed).
pub const SEED: u64 = 20_251_231;

/// What the script needs to know of a task.
#[derive(Clone, Debug)]
pub struct TaskSeed {
    pub id: i64,
    pub deadline: Option<NaiveDate>,
    pub ongoing: bool,
    /// Lead agencies with a demo staff account, lowest id first: the first one handles
    /// completion and extension requests, every one of them reports.
    pub leads: Vec<i64>,
}

/// How the office schedules a task the plan left undated (no deadline, not ongoing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// 持续推进: ongoing, reported every half year.
    HalfYearly,
    /// A completion date within 2025.
    Due(NaiveDate),
}

/// One thing somebody does on a task.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Staff of `agency` report progress (进展情况).
    Report {
        agency: i64,
        period: String,
        percent: i32,
        text: String,
    },
    /// The acting lead asks to close the task (申请办结).
    RequestCompletion { note: String },
    /// The office verifies and closes it (销号).
    Verify,
    /// The office sends it back (退回).
    Return { reason: String },
    /// The acting lead asks for a later deadline (延期申请).
    RequestExtension { to: NaiveDate, reason: String },
    /// The office decides the pending request.
    DecideExtension { approve: bool, note: String },
}

/// An action on a day; `seq` orders the actions of one day (and is unique).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub on: NaiveDate,
    pub seq: u32,
    pub task_id: i64,
    pub action: Action,
}

/// The whole script.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// 0.0 (never does anything) … 1.0 (always on time), per agency.
    pub diligence: BTreeMap<i64, f64>,
    /// The office's schedule for undated tasks, set on [`schedule_day`].
    pub schedules: BTreeMap<i64, Schedule>,
    /// In order of day, then `seq`.
    pub events: Vec<Event>,
    /// The days the reminder sweep runs (every Monday).
    pub sweeps: Vec<NaiveDate>,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The day the seeded plans are imported and the accounts created.
pub fn start_day() -> NaiveDate {
    ymd(2025, 1, 2)
}
/// The day the office schedules the undated tasks.
pub fn schedule_day() -> NaiveDate {
    ymd(2025, 1, 6)
}
/// The last day anything happens before the evaluation (the Q4 reports are in by then).
pub fn last_day() -> NaiveDate {
    ymd(2026, 1, 16)
}
/// The office enters its review scores and computes the 2025 evaluation.
pub fn evaluation_day() -> NaiveDate {
    ymd(2026, 1, 19)
}
/// … and publishes it.
pub fn publication_day() -> NaiveDate {
    ymd(2026, 1, 21)
}

/// The office's review score (领导小组办公室评议, 0–100) of an agency of diligence `d`.
pub fn review_score(d: f64, jitter: f64) -> f64 {
    ((55.0 + 42.0 * d + jitter).clamp(0.0, 100.0) * 10.0).round() / 10.0
}

const QUARTERS: [(u32, u32); 4] = [(3, 31), (6, 30), (9, 30), (12, 31)];

fn end_of_month(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1) - Duration::days(1)
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    diligence: BTreeMap<i64, f64>,
    cal: &'a HolidayCalendar,
    seq: u32,
    events: Vec<Event>,
}

impl Gen<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }
    fn days(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }
    fn work(&self, d: NaiveDate) -> NaiveDate {
        self.cal.next_working_day_on_or_after(d)
    }
    fn push(&mut self, on: NaiveDate, task_id: i64, action: Action) {
        self.seq += 1;
        self.events.push(Event {
            on,
            seq: self.seq,
            task_id,
            action,
        });
    }
    /// The day a report of the period ending `end` is due (as the reminders compute it).
    fn due(&self, end: NaiveDate) -> NaiveDate {
        self.cal
            .add_working_days(end, crate::notify::ladder::REPORT_DUE_WORKING_DAYS)
    }

    /// Reports of `agency` (diligence `d`) on a task for the periods that end before
    /// `until`: on time, late or missing.
    fn reports(
        &mut self,
        task_id: i64,
        agency: i64,
        d: f64,
        periods: &[(String, NaiveDate)],
        until: NaiveDate,
    ) {
        for (n, (period, end)) in periods.iter().enumerate() {
            let due = self.due(*end);
            let on = if self.chance(d) {
                let k = self.days(1, 4);
                self.work(*end + Duration::days(k)).min(due)
            } else if self.chance(0.6) {
                let k = self.days(3, 25);
                self.work(due + Duration::days(k))
            } else {
                continue;
            };
            if on >= until || on > last_day() {
                continue;
            }
            let step = i32::try_from(n).unwrap_or(0) + 1;
            let share = 90 / i32::try_from(periods.len()).unwrap_or(1).max(1);
            let percent =
                (step * share + i32::try_from(self.days(-6, 6)).unwrap_or(0)).clamp(5, 95);
            let note = PROGRESS_NOTES[self.rng.random_range(0..PROGRESS_NOTES.len())];
            self.push(
                on,
                task_id,
                Action::Report {
                    agency,
                    period: period.clone(),
                    percent,
                    text: format!("{period}进展：{note}（演示数据）"),
                },
            );
        }
    }

    /// A completion request on `on` (with the final report that goes with it), then the
    /// office's review: verified, or returned and resubmitted, then verified.
    fn complete(&mut self, task_id: i64, agency: i64, on: NaiveDate) {
        let report = |month: u32, text: &str| Action::Report {
            agency,
            period: format!("{}-{month:02}", on.year()),
            percent: 100,
            text: text.to_owned(),
        };
        self.push(
            on,
            task_id,
            report(
                on.month(),
                "各项工作已按要求完成，佐证材料已整理（演示数据）",
            ),
        );
        self.push(
            on,
            task_id,
            Action::RequestCompletion {
                note: "已完成全部工作，申请办结，佐证材料见附件（演示数据）".into(),
            },
        );
        // The office mostly answers within a few working days; now and then it is slow
        // (and is reminded by the sweep).
        let wait = if self.chance(0.1) {
            self.days(6, 9)
        } else {
            self.days(1, 4)
        };
        let decided = self.cal.add_working_days(on, wait as i32);
        if self.chance(0.25) {
            let reason = RETURN_REASONS[self.rng.random_range(0..RETURN_REASONS.len())];
            self.push(
                decided,
                task_id,
                Action::Return {
                    reason: format!("{reason}（演示数据）"),
                },
            );
            let k = self.days(5, 15);
            let again = self.work(decided + Duration::days(k));
            self.push(
                again,
                task_id,
                Action::Report {
                    agency,
                    period: format!("{}-{:02}", again.year(), again.month()),
                    percent: 100,
                    text: "已按退回意见补充佐证材料（演示数据）".into(),
                },
            );
            self.push(
                again,
                task_id,
                Action::RequestCompletion {
                    note: "已按要求补充材料，再次申请办结（演示数据）".into(),
                },
            );
            let w = self.days(1, 3);
            let verified = self.cal.add_working_days(again, w as i32);
            self.push(verified, task_id, Action::Verify);
        } else {
            self.push(decided, task_id, Action::Verify);
        }
    }

    /// A task with a deadline `due`, handled by `agency` of diligence `d`.
    fn deadline_task(&mut self, t: &TaskSeed, agency: i64, d: f64, due: NaiveDate) {
        let earliest = start_day() + Duration::days(30);
        // When the acting lead asks to close it (None: not in the simulated year).
        let mut finish: Option<NaiveDate> = None;
        let overdue_already = due < start_day();
        if !overdue_already && due > ymd(2025, 12, 31) {
            // Due later (2030): reports only.
        } else if !overdue_already && self.chance(d) {
            let k = self.days(5, 40);
            finish = Some(self.work((due - Duration::days(k)).max(earliest)).min(due));
        } else if overdue_already || self.chance(0.5) {
            // Asks for more time before the deadline (or at once, when it is already past).
            let asked = if overdue_already {
                let k = self.days(4, 20);
                self.work(start_day() + Duration::days(k))
            } else {
                let k = self.days(5, 20);
                self.work((due - Duration::days(k)).max(schedule_day() + Duration::days(3)))
            };
            let to = if overdue_already {
                ymd(2025, 6, 30)
            } else {
                let m = due.month0() + 3;
                end_of_month(due.year() + i32::try_from(m / 12).unwrap_or(0), m % 12 + 1)
            };
            let reason = EXTENSION_REASONS[self.rng.random_range(0..EXTENSION_REASONS.len())];
            self.push(
                asked,
                t.id,
                Action::RequestExtension {
                    to,
                    reason: format!("{reason}（演示数据）"),
                },
            );
            let w = self.days(2, 4);
            let decided = self.cal.add_working_days(asked, w as i32);
            let approve = self.chance(0.55);
            self.push(
                decided,
                t.id,
                Action::DecideExtension {
                    approve,
                    note: if approve {
                        "理由充分，同意延期（演示数据）".into()
                    } else {
                        "理由不充分，请按原定时限完成（演示数据）".into()
                    },
                },
            );
            if approve {
                if self.chance((d + 0.3).min(1.0)) {
                    let k = self.days(3, 20);
                    finish = Some(
                        self.work(to - Duration::days(k))
                            .max(decided + Duration::days(1)),
                    );
                }
            } else if self.chance(0.6) {
                let k = self.days(10, 60);
                finish = Some(self.work(due.max(decided) + Duration::days(k)));
            }
        } else if self.chance(0.7) {
            let k = self.days(5, 75);
            finish = Some(self.work(due + Duration::days(k)));
        }
        // Late enough that a return and a resubmission still end before the evaluation.
        let finish = finish.filter(|f| *f <= ymd(2025, 12, 10));
        let until = finish.unwrap_or(last_day() + Duration::days(1));
        // The acting lead reports at mid-year (a task with a deadline has no cadence: the
        // reminders do not ask for it, so it does not count in the evaluation either).
        self.reports(
            t.id,
            agency,
            (d + 0.2).min(1.0),
            &[("2025-H1".to_owned(), ymd(2025, 6, 30))],
            until,
        );
        if let Some(f) = finish {
            self.complete(t.id, agency, f);
        }
    }
}

/// Writes the script for `tasks` (any order; they are taken by id), the agencies that act
/// (every lead with a demo account), on the working-day calendar `cal`.
pub fn write(tasks: &[TaskSeed], cal: &HolidayCalendar, seed: u64) -> Script {
    let mut tasks: Vec<TaskSeed> = tasks.to_vec();
    tasks.sort_by_key(|t| t.id);
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        diligence: BTreeMap::new(),
        cal,
        seq: 0,
        events: Vec::new(),
    };
    let mut agencies: Vec<i64> = tasks.iter().flat_map(|t| t.leads.iter().copied()).collect();
    agencies.sort_unstable();
    agencies.dedup();
    for a in agencies {
        let tier: f64 = g.rng.random();
        let base = if tier < 0.3 {
            0.97
        } else if tier < 0.65 {
            0.82
        } else if tier < 0.85 {
            0.6
        } else {
            0.3
        };
        let jitter: f64 = g.rng.random_range(-0.03..0.03);
        g.diligence.insert(a, (base + jitter).clamp(0.0, 1.0));
    }
    let diligence = g.diligence.clone();
    let mut schedules = BTreeMap::new();
    for t in tasks.iter().filter(|t| !t.leads.is_empty()) {
        if t.deadline.is_none() && !t.ongoing {
            let s = if g.chance(0.5) {
                Schedule::HalfYearly
            } else {
                let (m, d) = [(4, 30), (6, 30), (8, 31), (9, 30), (10, 31), (11, 30)]
                    [g.rng.random_range(0..6)];
                Schedule::Due(ymd(2025, m, d))
            };
            schedules.insert(t.id, s);
        }
    }
    for t in tasks.iter().filter(|t| !t.leads.is_empty()) {
        let agency = t.leads[0];
        let d = diligence[&agency];
        let (ongoing, due) = match schedules.get(&t.id) {
            Some(Schedule::HalfYearly) => (true, None),
            Some(Schedule::Due(d)) => (false, Some(*d)),
            None => (t.ongoing, t.deadline),
        };
        match (ongoing, due) {
            (true, _) => {
                let periods: Vec<(String, NaiveDate)> =
                    if matches!(schedules.get(&t.id), Some(Schedule::HalfYearly)) {
                        vec![
                            ("2025-H1".into(), ymd(2025, 6, 30)),
                            ("2025-H2".into(), ymd(2025, 12, 31)),
                        ]
                    } else {
                        QUARTERS
                            .iter()
                            .enumerate()
                            .map(|(q, (m, d))| (format!("2025-Q{}", q + 1), ymd(2025, *m, *d)))
                            .collect()
                    };
                // Every lead answers for its own reports (each is evaluated on them).
                for &lead in &t.leads {
                    let dl = g.diligence[&lead];
                    g.reports(t.id, lead, dl, &periods, last_day() + Duration::days(1));
                }
            }
            (false, Some(due)) => g.deadline_task(t, agency, d, due),
            (false, None) => {}
        }
    }
    let mut events = g.events;
    events.sort_by_key(|e| (e.on, e.seq));
    let mut sweeps = Vec::new();
    let mut day = ymd(2025, 1, 6);
    while day <= last_day() {
        sweeps.push(day);
        day += Duration::days(7);
    }
    Script {
        diligence,
        schedules,
        events,
        sweeps,
    }
}

const PROGRESS_NOTES: [&str; 6] = [
    "已制定年度工作计划，分解落实到责任科室",
    "重点项目按计划推进，阶段性目标基本完成",
    "已召开专题推进会，协调解决存在的问题",
    "完成现场调研和数据摸底，正在编制实施细则",
    "配套政策已印发，正在组织宣传培训",
    "项目建设完成过半，资金已拨付到位",
];

const RETURN_REASONS: [&str; 4] = [
    "佐证材料不完整，请补充相关文件和数据",
    "完成情况与方案要求不符，请说明差距",
    "缺少量化指标完成情况，请补充",
    "请附会议纪要和验收材料",
];

const EXTENSION_REASONS: [&str; 3] = [
    "项目审批流程较长，需延长完成时限",
    "受资金到位时间影响，工程进度滞后",
    "上级政策调整，需重新论证实施方案",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks() -> Vec<TaskSeed> {
        (1..=40)
            .map(|id| TaskSeed {
                id,
                deadline: match id % 4 {
                    0 => None,
                    1 => Some(ymd(2025, 12, 31)),
                    2 => Some(ymd(2023, 12, 31)),
                    _ => Some(ymd(2030, 12, 31)),
                },
                ongoing: id % 8 == 0,
                leads: vec![id % 7 + 1],
            })
            .collect()
    }

    #[test]
    fn the_same_seed_writes_the_same_script() {
        let cal = HolidayCalendar::prc_official();
        let a = write(&tasks(), &cal, SEED);
        let b = write(&tasks(), &cal, SEED);
        assert_eq!(a.events, b.events);
        assert_eq!(a.schedules, b.schedules);
        let c = write(&tasks(), &cal, SEED + 1);
        assert_ne!(a.events, c.events);
    }

    #[test]
    fn every_task_moves_in_an_order_its_status_machine_allows() {
        let cal = HolidayCalendar::prc_official();
        let s = write(&tasks(), &cal, SEED);
        assert!(
            s.events
                .windows(2)
                .all(|w| (w[0].on, w[0].seq) < (w[1].on, w[1].seq))
        );
        let mut by_task: BTreeMap<i64, Vec<&Action>> = BTreeMap::new();
        for e in &s.events {
            by_task.entry(e.task_id).or_default().push(&e.action);
        }
        for actions in by_task.values() {
            let (mut requested, mut closed, mut pending_ext) = (false, false, false);
            for a in actions {
                assert!(!closed, "nothing happens to a closed task: {actions:?}");
                match a {
                    Action::Report { .. } => assert!(!requested, "{actions:?}"),
                    Action::RequestCompletion { .. } => requested = true,
                    Action::Verify => {
                        assert!(requested);
                        closed = true;
                    }
                    Action::Return { .. } => {
                        assert!(requested);
                        requested = false;
                    }
                    Action::RequestExtension { .. } => {
                        assert!(!pending_ext);
                        pending_ext = true;
                    }
                    Action::DecideExtension { .. } => {
                        assert!(pending_ext);
                        pending_ext = false;
                    }
                }
            }
        }
    }
}
