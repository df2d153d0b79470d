//! The escalation ladder (提醒 → 催办 → 督办 → 通报 → 约谈) and the pure decision of which
//! rung is due for a task today.
//!
//! The service loads, per task, the effective [`Policy`], one or more [`Trigger`]s (the
//! current deadline, each periodic report due, a completion request awaiting verification),
//! the [`TaskState`] and the keys already recorded in the outbox, and asks [`due_rungs`].
//! Everything here is deterministic: no clock, no database.
//!
//! # Which rung fires (the "downtime" rule)
//!
//! For each trigger at most **one** rung is returned per sweep: the *current* rung, i.e.
//! the most serious rung whose date has come. Lower rungs that were never sent are skipped,
//! not sent late: after a two-week outage the agency gets one 督办 mail, not a burst of
//! 提醒 + 催办 + 督办 for the same deadline, and a "30 days left" reminder is never sent when
//! five days are left. Repeating rungs likewise send only their latest occurrence.
//!
//! Escalation after the due date is nevertheless **stepwise**: a post-due rung can only
//! become current once the post-due rung below it has actually been sent, and never
//! sooner after it than the policy spaces them. A plan imported months late therefore
//! starts at 催办 and climbs, instead of sending a 通报 to the leadership on day one.
//!
//! Different triggers of the same task (deadline vs. a monthly report) are separate
//! matters and are decided separately; the digest mail groups them per recipient.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::domain::ReportCadence;
use crate::domain::calendar::{DayCount, HolidayCalendar};

/// A rung of the ladder, from the mildest to the most serious (the derived order is the
/// order of seriousness).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 提醒: before a deadline, to the agency's contact people.
    Reminder,
    /// 催办: the date has passed without completion or report.
    Urging,
    /// 督办: a formal supervision notice from the leadership-group office.
    Supervision,
    /// 通报: circulated criticism (通报批评), visible to leadership.
    Notice,
    /// 约谈: leadership interviews the agency's leaders (约谈问责).
    Summons,
}

impl Level {
    /// All levels, mildest first.
    pub const ALL: [Level; 5] = [
        Level::Reminder,
        Level::Urging,
        Level::Supervision,
        Level::Notice,
        Level::Summons,
    ];

    /// Stable storage spelling (`reminder`, `urging`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Reminder => "reminder",
            Level::Urging => "urging",
            Level::Supervision => "supervision",
            Level::Notice => "notice",
            Level::Summons => "summons",
        }
    }

    /// The Chinese term shown to users (`提醒`, `催办`, …).
    #[must_use]
    pub fn chinese(self) -> &'static str {
        match self {
            Level::Reminder => "提醒",
            Level::Urging => "催办",
            Level::Supervision => "督办",
            Level::Notice => "通报",
            Level::Summons => "约谈",
        }
    }

    /// Inverse of [`Level::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Whether a rung of this level is a numbered official document (督办〔2025〕12号 …),
    /// see [`super::templates::format_doc_number`].
    #[must_use]
    pub fn is_numbered_document(self) -> bool {
        matches!(self, Level::Supervision | Level::Notice | Level::Summons)
    }
}

/// Who receives a rung. The service resolves each audience to mail addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Contact people (联络员) of the lead agencies (牵头单位).
    LeadContacts,
    /// Contact people of the participating agencies (参与/配合单位).
    ParticipantContacts,
    /// Contact people of the implementers (负责落实的县市区政府、管委会).
    Implementers,
    /// The responsible agency's head (主要负责人).
    AgencyHead,
    /// The responsible agency's deputy head in charge of the matter (分管负责人).
    DeputyInCharge,
    /// The leadership-group office (领导小组办公室).
    Office,
    /// Leadership (领导、分管领导).
    Leadership,
}

impl Audience {
    /// Stable storage spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::LeadContacts => "lead_contacts",
            Audience::ParticipantContacts => "participant_contacts",
            Audience::Implementers => "implementers",
            Audience::AgencyHead => "agency_head",
            Audience::DeputyInCharge => "deputy_in_charge",
            Audience::Office => "office",
            Audience::Leadership => "leadership",
        }
    }

    /// The Chinese term.
    #[must_use]
    pub fn chinese(self) -> &'static str {
        match self {
            Audience::LeadContacts => "牵头单位联络员",
            Audience::ParticipantContacts => "参与单位联络员",
            Audience::Implementers => "落实单位联络员",
            Audience::AgencyHead => "主要负责人",
            Audience::DeputyInCharge => "分管负责人",
            Audience::Office => "领导小组办公室",
            Audience::Leadership => "领导",
        }
    }
}

/// One step of a [`Policy`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rung {
    /// How serious this step is.
    pub level: Level,
    /// Offset from the trigger's anchor date: negative = before the due date, positive =
    /// after it, 0 = on the day.
    pub offset_days: i32,
    /// Whether `offset_days` (but not `repeat_every_days`) counts working days.
    #[serde(default)]
    pub day_count: DayCount,
    /// Who is told.
    pub audiences: Vec<Audience>,
    /// Send again every so many calendar days while this rung is the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_every_days: Option<u32>,
}

impl Rung {
    /// A rung without repetition.
    #[must_use]
    pub fn new(
        level: Level,
        offset_days: i32,
        day_count: DayCount,
        audiences: &[Audience],
    ) -> Self {
        Rung {
            level,
            offset_days,
            day_count,
            audiences: audiences.to_vec(),
            repeat_every_days: None,
        }
    }

    /// The same rung, repeated every `days` calendar days.
    #[must_use]
    pub fn repeating(mut self, days: u32) -> Self {
        self.repeat_every_days = Some(days);
        self
    }

    /// Whether the rung lies after the due date (urging and above in a normal ladder).
    #[must_use]
    pub fn is_post_due(&self) -> bool {
        self.offset_days > 0
    }

    /// A stable identity such as `reminder-30`, `urging+1w` (`w` = working days), used in
    /// dedupe keys instead of the rung's index so that an office editing a policy (adding
    /// a rung) does not renumber, and thus re-send or lose, rungs already sent.
    #[must_use]
    pub fn key(&self) -> String {
        let suffix = match self.day_count {
            DayCount::Calendar => "",
            DayCount::Working => "w",
        };
        format!("{}{:+}{}", self.level.as_str(), self.offset_days, suffix)
    }
}

/// Why a policy is rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// A policy needs at least one rung.
    #[error("a policy needs at least one rung")]
    Empty,
    /// Offsets must strictly increase from one rung to the next.
    #[error("rung {0}: offsets must strictly increase")]
    NotSorted(usize),
    /// After the due date a rung may not be milder than the one before it.
    #[error("rung {0}: after the due date levels may not decrease")]
    LevelDecreases(usize),
    /// A rung must be addressed to somebody.
    #[error("rung {0}: no audience")]
    NoAudience(usize),
    /// `repeat_every_days` must be at least 1.
    #[error("rung {0}: repeat_every_days must be at least 1")]
    ZeroRepeat(usize),
    /// `offset_days` must lie within ±[`MAX_OFFSET_DAYS`].
    #[error("rung {0}: offset_days must be between -{MAX_OFFSET_DAYS} and {MAX_OFFSET_DAYS}")]
    OffsetOutOfRange(usize),
    /// `repeat_every_days` may not exceed [`MAX_REPEAT_DAYS`].
    #[error("rung {0}: repeat_every_days must be between 1 and {MAX_REPEAT_DAYS}")]
    RepeatOutOfRange(usize),
}

/// The furthest a rung may lie from its anchor, in days (calendar or working): a year. Also
/// keeps every date computed from a policy far from chrono's representable range.
pub const MAX_OFFSET_DAYS: i32 = 366;
/// The longest repeat interval of a rung, in calendar days.
pub const MAX_REPEAT_DAYS: u32 = 366;

/// A validated escalation ladder. Stored as JSON (`{"rungs":[…]}`) globally, per plan and
/// per task; deserialisation validates, so a stored policy is always usable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPolicy")]
pub struct Policy {
    rungs: Vec<Rung>,
}

/// Unvalidated mirror of [`Policy`] for deserialisation.
#[derive(Deserialize)]
struct RawPolicy {
    rungs: Vec<Rung>,
}

impl TryFrom<RawPolicy> for Policy {
    type Error = PolicyError;
    fn try_from(raw: RawPolicy) -> Result<Self, Self::Error> {
        Policy::new(raw.rungs)
    }
}

/// Contacts of every agency on the task.
const ALL_CONTACTS: [Audience; 3] = [
    Audience::LeadContacts,
    Audience::ParticipantContacts,
    Audience::Implementers,
];

impl Policy {
    /// Validates and builds a policy.
    ///
    /// # Errors
    /// See [`PolicyError`].
    pub fn new(rungs: Vec<Rung>) -> Result<Self, PolicyError> {
        if rungs.is_empty() {
            return Err(PolicyError::Empty);
        }
        for (i, rung) in rungs.iter().enumerate() {
            if rung.audiences.is_empty() {
                return Err(PolicyError::NoAudience(i));
            }
            if rung.repeat_every_days == Some(0) {
                return Err(PolicyError::ZeroRepeat(i));
            }
            if rung.repeat_every_days.is_some_and(|d| d > MAX_REPEAT_DAYS) {
                return Err(PolicyError::RepeatOutOfRange(i));
            }
            if !(-MAX_OFFSET_DAYS..=MAX_OFFSET_DAYS).contains(&rung.offset_days) {
                return Err(PolicyError::OffsetOutOfRange(i));
            }
            if i > 0 {
                let prev = &rungs[i - 1];
                if rung.offset_days <= prev.offset_days {
                    return Err(PolicyError::NotSorted(i));
                }
                if rung.is_post_due() && prev.is_post_due() && rung.level < prev.level {
                    return Err(PolicyError::LevelDecreases(i));
                }
            }
        }
        Ok(Policy { rungs })
    }

    /// The rungs, sorted by offset.
    #[must_use]
    pub fn rungs(&self) -> &[Rung] {
        &self.rungs
    }

    /// The default ladder for task deadlines:
    ///
    /// | offset | level | to |
    /// |---|---|---|
    /// | −30 days | 提醒 | all contacts |
    /// | −7 days | 提醒 | all contacts |
    /// | −1 working day | 提醒 | all contacts |
    /// | +1 working day | 催办 | all contacts + 主要负责人 |
    /// | +7 days | 督办 | all contacts + office + 分管负责人 |
    /// | +30 days, then every 30 days | 通报 | leadership + 主要负责人 + lead contacts |
    ///
    /// The ±1 rungs count working days so that a Monday deadline is announced on Friday and
    /// urged on Tuesday, not over the weekend. 约谈 is a leadership decision and is not
    /// automatic; the monthly repeat of 通报 keeps a chronically late task visible.
    ///
    /// # Panics
    /// Never: the built-in ladder is valid (checked by the tests).
    #[must_use]
    pub fn default_ladder() -> Self {
        use Audience::{AgencyHead, DeputyInCharge, LeadContacts, Leadership, Office};
        let with = |extra: &[Audience]| -> Vec<Audience> {
            ALL_CONTACTS.iter().chain(extra).copied().collect()
        };
        Policy::new(vec![
            Rung::new(Level::Reminder, -30, DayCount::Calendar, &ALL_CONTACTS),
            Rung::new(Level::Reminder, -7, DayCount::Calendar, &ALL_CONTACTS),
            Rung::new(Level::Reminder, -1, DayCount::Working, &ALL_CONTACTS),
            Rung::new(Level::Urging, 1, DayCount::Working, &with(&[AgencyHead])),
            Rung::new(
                Level::Supervision,
                7,
                DayCount::Calendar,
                &with(&[Office, DeputyInCharge]),
            ),
            Rung::new(
                Level::Notice,
                30,
                DayCount::Calendar,
                &[Leadership, AgencyHead, LeadContacts],
            )
            .repeating(30),
        ])
        .expect("default ladder is valid")
    }

    /// The default ladder for periodic progress reports of ongoing tasks: 提醒 3 working
    /// days before the report is due, 催办 the first working day after, 督办 10 days after.
    /// Shorter than [`Policy::default_ladder`] because a monthly report cannot sensibly be
    /// announced 30 days ahead.
    ///
    /// # Panics
    /// Never: the built-in ladder is valid (checked by the tests).
    #[must_use]
    pub fn default_report_ladder() -> Self {
        use Audience::{AgencyHead, DeputyInCharge, Office};
        let with = |extra: &[Audience]| -> Vec<Audience> {
            ALL_CONTACTS.iter().chain(extra).copied().collect()
        };
        Policy::new(vec![
            Rung::new(Level::Reminder, -3, DayCount::Working, &ALL_CONTACTS),
            Rung::new(Level::Urging, 1, DayCount::Working, &with(&[AgencyHead])),
            Rung::new(
                Level::Supervision,
                10,
                DayCount::Calendar,
                &with(&[Office, DeputyInCharge]),
            ),
        ])
        .expect("default report ladder is valid")
    }

    /// The default ladder for completion requests the office has not verified: 提醒 after
    /// 3 working days, 催办 after 7 working days and then weekly. Addressed to the office
    /// (the agency is the one waiting here).
    ///
    /// # Panics
    /// Never: the built-in ladder is valid (checked by the tests).
    #[must_use]
    pub fn default_verification_ladder() -> Self {
        Policy::new(vec![
            Rung::new(Level::Reminder, 3, DayCount::Working, &[Audience::Office]),
            Rung::new(Level::Urging, 7, DayCount::Working, &[Audience::Office]).repeating(7),
        ])
        .expect("default verification ladder is valid")
    }

    /// Parses a stored policy.
    ///
    /// # Errors
    /// A message naming the JSON or validation problem.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The JSON stored in the database.
    ///
    /// # Panics
    /// Never: a policy is plain data.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy always serialises")
    }
}

/// The policy that applies to a task: the task's override, else the plan's, else the
/// global one. Overrides replace the whole ladder rather than merging rungs, so what an
/// office sees in an override is exactly what will be sent.
#[must_use]
pub fn effective_policy<'a>(
    global: &'a Policy,
    plan_override: Option<&'a Policy>,
    task_override: Option<&'a Policy>,
) -> &'a Policy {
    task_override.or(plan_override).unwrap_or(global)
}

/// Months in one reporting period of `cadence`.
fn months(cadence: ReportCadence) -> u32 {
    match cadence {
        ReportCadence::Monthly => 1,
        ReportCadence::Quarterly => 3,
        ReportCadence::HalfYearly => 6,
        ReportCadence::Yearly => 12,
    }
}

/// Reports are due this many working days after the period ends (the common
/// "每月/每季度结束后5个工作日内报送" rule): the period's last days are still being worked
/// and 国庆/春节 often follow a period end.
pub const REPORT_DUE_WORKING_DAYS: i32 = 5;

/// One reporting period of an ongoing task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPeriod {
    /// `2025-07`, `2025-Q3`, `2025-H2` or `2025`.
    pub label: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period.
    pub end: NaiveDate,
    /// The report is due on this day: [`REPORT_DUE_WORKING_DAYS`] working days after `end`.
    pub due: NaiveDate,
}

/// The reporting periods of `cadence` whose last day lies in `from..=to`, oldest first.
#[must_use]
pub fn report_periods(
    cadence: ReportCadence,
    from: NaiveDate,
    to: NaiveDate,
    cal: &HolidayCalendar,
) -> Vec<ReportPeriod> {
    let step = months(cadence);
    let mut out = Vec::new();
    // Start at the period containing `from`; periods are aligned on the calendar year.
    let first_month0 = (from.month0() / step) * step;
    let Some(mut start) = NaiveDate::from_ymd_opt(from.year(), first_month0 + 1, 1) else {
        return out;
    };
    while start <= to {
        let Some(next) = start.checked_add_months(chrono::Months::new(step)) else {
            break;
        };
        let end = next - Duration::days(1);
        if end >= from && end <= to {
            let label = match cadence {
                ReportCadence::Monthly => format!("{}-{:02}", start.year(), start.month()),
                ReportCadence::Quarterly => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
                ReportCadence::HalfYearly => {
                    format!("{}-H{}", start.year(), start.month0() / 6 + 1)
                }
                ReportCadence::Yearly => format!("{}", start.year()),
            };
            out.push(ReportPeriod {
                label,
                start,
                end,
                due: cal.add_working_days(end, REPORT_DUE_WORKING_DAYS),
            });
        }
        start = next;
    }
    out
}

/// What a ladder is measured from. The service fills these from the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// The task's current deadline (after an approved extension, the new one: the new date
    /// is part of the trigger key, so an extension re-arms the whole ladder).
    Deadline {
        /// The deadline.
        due: NaiveDate,
    },
    /// A periodic progress report (进展情况) of an ongoing task.
    ReportDue {
        /// Period label as produced by [`report_periods`], e.g. `2025-Q3`.
        period: String,
        /// The day the report is due.
        due: NaiveDate,
    },
    /// A completion request (申请办结) the office has left unverified; offsets count from
    /// the request and the office is the only audience.
    VerificationPending {
        /// When the agency asked to close the task.
        requested_at: NaiveDateTime,
    },
}

impl Trigger {
    /// The date rung offsets count from.
    #[must_use]
    pub fn anchor(&self) -> NaiveDate {
        match self {
            Trigger::Deadline { due } | Trigger::ReportDue { due, .. } => *due,
            Trigger::VerificationPending { requested_at } => requested_at.date(),
        }
    }

    /// A stable identity of the matter: `deadline:2025-06-30`, `report:2025-Q3`,
    /// `verify:20250701T093000`.
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Trigger::Deadline { due } => format!("deadline:{due}"),
            Trigger::ReportDue { period, .. } => format!("report:{period}"),
            Trigger::VerificationPending { requested_at } => {
                format!("verify:{}", requested_at.format("%Y%m%dT%H%M%S"))
            }
        }
    }
}

/// What the service knows about the task when deciding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskState {
    /// The task's id (used in dedupe keys).
    pub task_id: i64,
    /// Completed (办结/销号) or cancelled: nothing is sent.
    pub resolved: bool,
    /// A deadline extension request (延期申请) awaits a decision: the deadline ladder's
    /// post-due rungs (and any rung of level 催办 or above) are paused, reminders before
    /// the deadline are not. Report and verification triggers are unaffected.
    pub extension_pending: bool,
    /// A completion request (申请办结) awaits verification: like `extension_pending`, the
    /// agency is not urged about the deadline while the office has the ball.
    pub completion_pending: bool,
    /// When the task was last reopened (退回/重新打开; the service passes the instant in
    /// UTC). The trigger and dedupe keys carry it as `@r<instant>`, a new generation of
    /// keys: records of earlier generations no longer match any key, so the ladder starts
    /// again, and records of this generation count whatever their `fired_at` (a sweep
    /// dated a little before the reopen instant still writes a record of this generation).
    pub reopened_at: Option<NaiveDateTime>,
}

/// An outbox record already made for this task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredKey {
    /// The dedupe key as returned in [`DueRung::dedupe_key`].
    pub key: String,
    /// When it was recorded, in China local time (UTC+8): its `.date()` is the local day
    /// that the spacing between rungs is counted from, like `today`.
    pub fired_at: NaiveDateTime,
}

/// A rung that should be sent now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRung {
    /// Level of the rung.
    pub level: Level,
    /// Index of the rung in the policy (for display; the dedupe key does not use it).
    pub rung_index: usize,
    /// 1 for the first sending, 2, 3 … for repeats.
    pub occurrence: u32,
    /// The day this occurrence became due (on or before `today`).
    pub due_on: NaiveDate,
    /// Who is told (the office only, for a verification trigger).
    pub audiences: Vec<Audience>,
    /// The trigger's key, including the re-arm generation after a reopen.
    pub trigger_key: String,
    /// The outbox's uniqueness key: one record per key, ever.
    pub dedupe_key: String,
}

/// The outbox uniqueness key for one occurrence of one rung of one trigger of one task,
/// e.g. `task:42|deadline:2025-06-30|urging+1w|#1`.
///
/// `rung_key` is [`Rung::key`] rather than the rung's index so that policy edits do not
/// renumber rungs already sent.
#[must_use]
pub fn dedupe_key(task_id: i64, trigger_key: &str, rung_key: &str, occurrence: u32) -> String {
    format!("task:{task_id}|{trigger_key}|{rung_key}|#{occurrence}")
}

/// The rung of `policy` that is due today for `trigger`, if it has not been sent yet.
///
/// Returns at most one rung (see the module documentation for why lower rungs that were
/// never sent are skipped and why post-due rungs climb one step at a time). Nothing is
/// returned for a resolved task; post-due rungs of a deadline are paused while an
/// extension or a completion request is pending. `already_fired` are the outbox records
/// of this task (any trigger and generation; only keys of the current generation, see
/// [`TaskState::reopened_at`], can match).
#[must_use]
pub fn due_rungs(
    policy: &Policy,
    trigger: &Trigger,
    state: &TaskState,
    today: NaiveDate,
    cal: &HolidayCalendar,
    already_fired: &[FiredKey],
) -> Vec<DueRung> {
    if state.resolved {
        return Vec::new();
    }
    let trigger_key = match state.reopened_at {
        Some(at) => format!("{}@r{}", trigger.key(), at.format("%Y%m%dT%H%M%S")),
        None => trigger.key(),
    };
    // Which records count is decided by the key alone (its `@r…` generation), never by
    // comparing `fired_at` (the sweep's business clock) with the reopen instant.
    let fired: HashMap<&str, NaiveDateTime> = already_fired
        .iter()
        .map(|f| (f.key.as_str(), f.fired_at))
        .collect();
    let key_of = |rung: &Rung, occurrence: u32| {
        dedupe_key(state.task_id, &trigger_key, &rung.key(), occurrence)
    };

    let anchor = trigger.anchor();
    let rungs = policy.rungs();
    let mut nominal: Vec<NaiveDate> = rungs
        .iter()
        .map(|r| cal.add_days(anchor, r.offset_days, r.day_count))
        .collect();
    // Mixed day counts can put a later reminder's date before an earlier one's (−1 working
    // day before a deadline right after 国庆 lands before −7 calendar days). Before the due
    // date a later rung's date bounds the earlier ones, so the ladder never waits on a rung
    // it has already passed. (After it, the stepwise rule below orders the rungs.)
    for i in (0..nominal.len().saturating_sub(1)).rev() {
        if !rungs[i + 1].is_post_due() {
            nominal[i] = nominal[i].min(nominal[i + 1]);
        }
    }

    // Walk the ladder to find the current rung and the date it became current.
    let mut current: Option<(usize, NaiveDate)> = None;
    let mut prev_post_due: Option<usize> = None;
    for (i, rung) in rungs.iter().enumerate() {
        let mut start = nominal[i];
        if let Some(p) = prev_post_due.filter(|_| rung.is_post_due()) {
            // Stepwise: only after the rung below was sent, and spaced as the policy spaces
            // the nominal dates. The start must not change once this rung has been sent,
            // or its repeat occurrences would be renumbered; both inputs are past records,
            // so it does not.
            if let Some(prev_sent) = fired.get(key_of(&rungs[p], 1).as_str()) {
                // Mixed day counts can make the nominal gap zero or negative (+1 working
                // day after a deadline before 国庆 falls after +7 calendar days); a rung
                // never climbs on the day the one below it was sent.
                let spacing = (nominal[i] - nominal[p]).max(Duration::days(1));
                let climb = prev_sent
                    .date()
                    .checked_add_signed(spacing)
                    .unwrap_or(NaiveDate::MAX);
                start = start.max(climb);
            } else if let Some(own_sent) = fired.get(key_of(rung, 1).as_str()) {
                // Sent without the rung below on record (the policy was edited since):
                // it started when it was sent.
                start = own_sent.date();
            } else {
                break;
            }
        }
        if start > today {
            break;
        }
        current = Some((i, start));
        if rung.is_post_due() {
            prev_post_due = Some(i);
        }
    }
    let Some((index, start)) = current else {
        return Vec::new();
    };
    let rung = &rungs[index];

    let paused = matches!(trigger, Trigger::Deadline { .. })
        && (state.extension_pending || state.completion_pending)
        && (rung.is_post_due() || rung.level >= Level::Urging);
    if paused {
        return Vec::new();
    }

    let (occurrence, due_on) = match rung.repeat_every_days {
        Some(every) => {
            let every = i64::from(every);
            let n = (today - start).num_days() / every;
            let occurrence = u32::try_from(n + 1).unwrap_or(u32::MAX);
            let due_on = Duration::try_days(n.saturating_mul(every))
                .and_then(|d| start.checked_add_signed(d))
                .unwrap_or(today);
            (occurrence, due_on)
        }
        None => (1, start),
    };
    let dedupe_key = key_of(rung, occurrence);
    if fired.contains_key(dedupe_key.as_str()) {
        return Vec::new();
    }
    let audiences = match trigger {
        // The agency is waiting on the office here, whatever the policy says.
        Trigger::VerificationPending { .. } => vec![Audience::Office],
        _ => rung.audiences.clone(),
    };
    vec![DueRung {
        level: rung.level,
        rung_index: index,
        occurrence,
        due_on,
        audiences,
        trigger_key,
        dedupe_key,
    }]
}

#[cfg(test)]
mod tests;
