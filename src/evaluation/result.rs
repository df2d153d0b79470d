//! The output of an evaluation: per subject a score, grade, rank, veto and a breakdown
//! that answers "why 72?".
use serde::{Deserialize, Serialize};

/// The result for one subject (考核结果).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubjectResult {
    /// Subject (agency) id.
    pub subject_id: i64,
    /// Subject name.
    pub subject_name: String,
    /// Final score: weighted score + adjustments, clamped to 0–100. Not rounded; use
    /// [`round2`] for display (grades, quotas and ranks compare the rounded value).
    pub score: f64,
    /// Σ of the criteria contributions, before adjustments.
    pub weighted_score: f64,
    /// Σ of the applied adjustment amounts (rules and manual).
    pub adjustment_total: f64,
    /// Whether weighted score + adjustments fell outside 0–100 and was clamped.
    pub clamped: bool,
    /// Final grade label (等次).
    pub grade: String,
    /// Grade by thresholds alone (before veto and quota).
    pub threshold_grade: String,
    /// Why the final grade differs from the threshold grade, if it does.
    pub grade_note: Option<String>,
    /// Rank (1 = best); vetoed subjects rank after all others.
    pub rank: u32,
    /// Vetoed (一票否决): forced to the lowest grade.
    pub vetoed: bool,
    /// Reasons for the veto.
    pub veto_reasons: Vec<String>,
    /// Breakdown tree, roots in scheme order.
    pub criteria: Vec<CriterionResult>,
    /// Adjustments applied (rules with at least one event, and manual ones).
    pub adjustments: Vec<AppliedAdjustment>,
    /// Warnings (missing values, unknown levels …), also attached to the criteria.
    pub warnings: Vec<String>,
}

/// One criterion in the breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// Criterion key.
    pub key: String,
    /// Criterion title.
    pub title: String,
    /// group / computed / indicator / manual.
    pub kind: String,
    /// The measured value: a rate as a fraction (0.75), a number of days or escalations,
    /// the indicator value, the manual score; `None` for groups or missing values.
    pub raw_value: Option<f64>,
    /// Normalised score 0–100 (for a group, the weighted mean of its children).
    pub score: f64,
    /// Weight among siblings as applied: the scheme's weight, or — when some siblings were
    /// not applicable — the scheme's weight divided by the sum of the applicable siblings'
    /// weights (0 for a criterion that is not applicable).
    pub weight: f64,
    /// The scheme's weight, present only when it differs from `weight` because a sibling
    /// (or this criterion) was not applicable and its weight was spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_weight: Option<f64>,
    /// Whether there was anything to count (a computed criterion with nothing in the year,
    /// or a group all of whose children are so, is not applicable; the notes say why).
    #[serde(default = "applicable_default")]
    pub applicable: bool,
    /// Product of the weights from the root down to this criterion.
    pub effective_weight: f64,
    /// effective_weight × score: points this criterion adds to the total.
    pub contribution: f64,
    /// Records that produced the value.
    pub evidence: Vec<Evidence>,
    /// Explanations and warnings.
    pub notes: Vec<String>,
    /// Veto triggered by this criterion, with its reason.
    pub veto: Option<String>,
    /// Sub-criteria.
    pub children: Vec<CriterionResult>,
}

fn applicable_default() -> bool {
    true
}

/// What kind of record an evidence id refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A task id.
    Task,
    /// A progress report (id = task id; the period is in the detail).
    Report,
    /// A supervision record id.
    Supervision,
    /// An event id.
    Event,
}

/// One record behind a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Record kind.
    pub kind: EvidenceKind,
    /// Record id.
    pub id: i64,
    /// Whether it counts in the subject's favour (on time, completed) or against it.
    pub favourable: bool,
    /// Human explanation, e.g. "三(二)1 推进…: due 2024-06-30 (original), completed 2024-07-10, late".
    pub detail: String,
}

/// An adjustment applied to the total.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppliedAdjustment {
    /// Rule key; `None` for a manual adjustment.
    pub rule_key: Option<String>,
    /// Rule title or the manual reason.
    pub title: String,
    /// Number of events counted (1 for a manual adjustment).
    pub events: u32,
    /// Signed amount before the rule cap.
    pub uncapped_amount: f64,
    /// Signed amount applied.
    pub amount: f64,
    /// Whether the cap limited it.
    pub capped: bool,
    /// The counted events.
    pub evidence: Vec<Evidence>,
    /// The manual reason, or a note.
    pub reason: Option<String>,
}

/// Rounds to 2 decimals (for display and for grade/rank/quota comparisons).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The score in hundredths, the unit grades, quotas and ranks compare.
pub(crate) fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}
