//! Plain facts about one subject for the evaluated year, assembled by the service from the
//! database. Nothing here reads a clock: the record is judged as of 31 Dec of `year`.
use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything the scoring core needs about one subject (考核对象).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectInput {
    /// Agency id of the subject.
    pub subject_id: i64,
    /// Display name, e.g. 市生态环境局.
    pub subject_name: String,
    /// The record (tasks, reports, escalations) for the year.
    pub record: SubjectRecord,
    /// Indicator values keyed by criterion key (supplied by the data-source agencies).
    #[serde(default)]
    pub indicator_values: HashMap<String, IndicatorValue>,
    /// Manual scores keyed by criterion key.
    #[serde(default)]
    pub manual_scores: HashMap<String, ManualScore>,
    /// Events that adjustment rules may count (办结退回, 表扬 …).
    #[serde(default)]
    pub events: Vec<EventFact>,
    /// Manual bonus/deduction with a reason (not capped, except by the final 0–100 clamp).
    #[serde(default)]
    pub manual_adjustments: Vec<ManualAdjustment>,
}

/// The subject's record for the evaluated year.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectRecord {
    /// The evaluated year (考核年度).
    pub year: i32,
    /// Tasks the subject leads, joins or implements (one fact per task and role).
    #[serde(default)]
    pub tasks: Vec<TaskFact>,
    /// Progress reports due from the subject.
    #[serde(default)]
    pub reports: Vec<ReportFact>,
    /// Escalations received (提醒/催办/督办/通报/约谈).
    #[serde(default)]
    pub supervisions: Vec<SupervisionFact>,
}

/// The subject's role on a task: the assignment's role (牵头 / 参与 / 负责落实).
pub use crate::domain::AssignmentRole;

/// One task as seen by the subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskFact {
    /// Task id.
    pub task_id: i64,
    /// Outline code, e.g. 三(二)1.
    pub code: String,
    /// Task title.
    pub title: String,
    /// The subject's role.
    pub role: AssignmentRole,
    /// Deadline before the first approved extension (原定完成时限); `None` when never extended.
    pub original_due: Option<NaiveDate>,
    /// Current deadline; `None` for an ongoing task (持续推进).
    pub current_due: Option<NaiveDate>,
    /// Date the office closed it (销号), if completed.
    pub completed_on: Option<NaiveDate>,
    /// Status as stored (not_started / in_progress / … ), shown in evidence only.
    pub status: String,
    /// Cancelled tasks are ignored.
    #[serde(default)]
    pub cancelled: bool,
}

impl TaskFact {
    /// The deadline evaluations judge against: the original one when an extension was
    /// granted (按原定时间考核), else the current one.
    pub fn judged_due(&self) -> Option<NaiveDate> {
        self.original_due.or(self.current_due)
    }
}

/// One progress report due from the subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportFact {
    /// Task reported on.
    pub task_id: i64,
    /// Period, e.g. 2025-Q3.
    pub period: String,
    /// Due date of the report.
    pub due: NaiveDate,
    /// Submission date; `None` if never submitted.
    pub submitted_on: Option<NaiveDate>,
}

/// One escalation received (督办记录).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupervisionFact {
    /// Id of the supervision record (the evidence).
    pub id: i64,
    /// Task concerned.
    pub task_id: Option<i64>,
    /// reminder | urging | supervision | notice | summons (or the Chinese term).
    pub level: String,
    /// Date sent.
    pub at: NaiveDate,
    /// Document number (文号) of the notice, if any.
    #[serde(default)]
    pub doc_number: Option<String>,
}

/// Another event an adjustment rule may count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventFact {
    /// Id of the event record (e.g. audit event id).
    pub id: i64,
    /// Event type, e.g. `completion_returned` (办结退回), `commendation` (表扬).
    pub event_type: String,
    /// Date.
    pub at: NaiveDate,
    /// Task concerned, if any.
    #[serde(default)]
    pub task_id: Option<i64>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A value supplied by a data-source agency for an indicator criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    /// The value, in the criterion's unit.
    pub value: f64,
    /// This subject's own target; overrides the scheme's default target.
    #[serde(default)]
    pub target: Option<f64>,
    /// Who supplied it / remarks.
    #[serde(default)]
    pub note: Option<String>,
}

/// A score entered by a person for a manual criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualScore {
    /// Score 0–100.
    pub score: f64,
    /// Why (required, non-empty).
    pub reason: String,
    /// Who scored.
    #[serde(default)]
    pub by: Option<String>,
}

/// A manual bonus (positive) or deduction (negative) with a reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualAdjustment {
    /// Signed points.
    pub points: f64,
    /// Why (required, non-empty).
    pub reason: String,
    /// Who decided.
    #[serde(default)]
    pub by: Option<String>,
}
