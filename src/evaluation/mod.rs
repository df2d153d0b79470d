//! Annual evaluation (年度评估 / 考核): the pure scoring core.
//!
//! No database, clock or I/O: the service loads a [`Scheme`] (stored as JSON, see
//! [`scheme`]) and, per subject, a [`SubjectInput`] of plain facts, then calls
//! [`evaluate`]. The result per subject is a score (0–100, unrounded), a grade (等次),
//! a rank, a veto flag (一票否决) and a breakdown tree answering "why 72?".
//!
//! * [`scheme`] — the scheme format and its validation;
//! * [`input`] — the facts supplied per subject;
//! * [`metrics`] — criteria computed from the record (按时完成率, 逾期天数 …);
//! * [`scoring`] — the weighted tree, indicators, manual scores, adjustments, clamp;
//! * [`grading`] — grades, quotas and ranks across subjects;
//! * [`result`] — the output types.
pub mod grading;
pub mod input;
pub mod metrics;
pub mod report;
pub mod result;
pub mod scheme;
pub mod scoring;

use std::collections::HashSet;

pub use input::{
    AssignmentRole, EventFact, IndicatorValue, ManualAdjustment, ManualScore, ReportFact,
    SubjectInput, SubjectRecord, SupervisionFact, TaskFact,
};
pub use result::{
    AppliedAdjustment, CriterionResult, Evidence, EvidenceKind, SubjectResult, round2,
};
pub use scheme::{
    AdjustmentEffect, AdjustmentRule, CriterionDef, CriterionKind, Direction, GradeBand,
    GradeQuota, Metric, QuotaTies, RankingMethod, Scheme, SubjectKind, SupervisionLevel, Trigger,
};

/// The shipped default scheme for member agencies (JSON).
pub const AGENCY_PERFORMANCE_JSON: &str =
    include_str!("../../seeds/schemes/agency-performance.json");
/// The shipped 减污降碳协同指数 (seed 002, 附件2) for cities (JSON).
pub const JIANWU_JIANGTAN_INDEX_JSON: &str =
    include_str!("../../seeds/schemes/jianwu-jiangtan-index.json");

/// Errors of scheme validation and evaluation. All are the caller's fault, so
/// [`EvalError::code`] is `INVALID_INPUT` (the service's GraphQL error code);
/// [`EvalError::detail_code`] is a finer stable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The scheme JSON could not be parsed.
    #[error("scheme JSON is invalid: {message}")]
    InvalidJson {
        /// serde_json's message.
        message: String,
    },
    /// A scheme-level problem (empty, grades, quotas).
    #[error("invalid scheme: {message}")]
    InvalidScheme {
        /// What is wrong.
        message: String,
    },
    /// Two criteria share a key.
    #[error("duplicate criterion key {key:?}")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// A criterion names a parent that does not exist.
    #[error("criterion {key:?} names unknown parent {parent:?}")]
    UnknownParent {
        /// The criterion.
        key: String,
        /// The missing parent key.
        parent: String,
    },
    /// The parent links form a cycle.
    #[error("criteria form a cycle: {}", keys.join(" → "))]
    Cycle {
        /// Keys on the cycle, each the child of the next.
        keys: Vec<String>,
    },
    /// Sibling weights do not sum to 1.
    #[error("weights of {} sum to {sum}, not 1 ({})", parent.as_deref().map_or("the root criteria".to_string(), |p| format!("the children of {p:?}")), keys.join(", "))]
    WeightSum {
        /// Parent key; `None` for the roots.
        parent: Option<String>,
        /// The actual sum.
        sum: f64,
        /// The siblings.
        keys: Vec<String>,
    },
    /// One criterion is malformed.
    #[error("criterion {key:?}: {message}")]
    InvalidCriterion {
        /// The criterion.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// One adjustment rule is malformed.
    #[error("adjustment rule {key:?}: {message}")]
    InvalidRule {
        /// The rule.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A subject's input is malformed (unknown criterion, score out of range …).
    #[error("subject {subject_id}: {message}")]
    InvalidSubject {
        /// The subject.
        subject_id: i64,
        /// What is wrong.
        message: String,
    },
}

impl EvalError {
    /// The service-wide error code: always `INVALID_INPUT`.
    pub fn code(&self) -> &'static str {
        "INVALID_INPUT"
    }

    /// A finer stable code for clients and tests.
    pub fn detail_code(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "SCHEME_INVALID_JSON",
            Self::InvalidScheme { .. } => "SCHEME_INVALID",
            Self::DuplicateKey { .. } => "SCHEME_DUPLICATE_KEY",
            Self::UnknownParent { .. } => "SCHEME_UNKNOWN_PARENT",
            Self::Cycle { .. } => "SCHEME_CYCLE",
            Self::WeightSum { .. } => "SCHEME_WEIGHT_SUM",
            Self::InvalidCriterion { .. } => "SCHEME_INVALID_CRITERION",
            Self::InvalidRule { .. } => "SCHEME_INVALID_RULE",
            Self::InvalidSubject { .. } => "SUBJECT_INVALID",
        }
    }
}

/// Evaluates all subjects with one scheme: validates the scheme and the inputs, scores
/// each subject ([`scoring`]), then assigns grades, quotas and ranks across them
/// ([`grading`]). Results come back in input order.
///
/// Errors: an invalid scheme; duplicate subject ids; subjects of different years or an
/// invalid year; a manual score or indicator value for an unknown criterion or one of
/// another kind; a manual score outside 0–100 or without a reason; a non-finite value;
/// a manual adjustment without a reason.
pub fn evaluate(
    scheme: &Scheme,
    subjects: &[SubjectInput],
) -> Result<Vec<SubjectResult>, EvalError> {
    let tree = scheme.tree()?;
    validate_subjects(scheme, subjects)?;
    let mut results = subjects
        .iter()
        .map(|s| scoring::score_subject(scheme, &tree, s))
        .collect::<Result<Vec<_>, _>>()?;
    grading::grade_and_rank(scheme, &mut results);
    Ok(results)
}

fn validate_subjects(scheme: &Scheme, subjects: &[SubjectInput]) -> Result<(), EvalError> {
    let mut ids = HashSet::new();
    let year = subjects.first().map(|s| s.record.year);
    for s in subjects {
        let err = |message: String| EvalError::InvalidSubject {
            subject_id: s.subject_id,
            message,
        };
        if !ids.insert(s.subject_id) {
            return Err(err("subject listed twice".into()));
        }
        if Some(s.record.year) != year {
            return Err(err(format!(
                "year {} differs from {} of the other subjects",
                s.record.year,
                year.unwrap_or_default()
            )));
        }
        if metrics::Year::new(s.record.year).is_none() {
            return Err(err(format!("invalid year {}", s.record.year)));
        }
        for (key, m) in &s.manual_scores {
            match scheme.criterion(key).map(|c| &c.kind) {
                Some(CriterionKind::Manual { .. }) => {}
                Some(_) => return Err(err(format!("criterion {key:?} is not scored manually"))),
                None => return Err(err(format!("manual score for unknown criterion {key:?}"))),
            }
            if !m.score.is_finite() || !(0.0..=100.0).contains(&m.score) {
                return Err(err(format!(
                    "manual score {} for {key:?} must be 0–100",
                    m.score
                )));
            }
            if m.reason.trim().is_empty() {
                return Err(err(format!("manual score for {key:?} needs a reason")));
            }
        }
        for (key, v) in &s.indicator_values {
            match scheme.criterion(key).map(|c| &c.kind) {
                Some(CriterionKind::Indicator { .. }) => {}
                Some(_) => return Err(err(format!("criterion {key:?} is not an indicator"))),
                None => {
                    return Err(err(format!(
                        "indicator value for unknown criterion {key:?}"
                    )));
                }
            }
            if !v.value.is_finite() || v.target.is_some_and(|t| !t.is_finite()) {
                return Err(err(format!("indicator {key:?} needs finite numbers")));
            }
        }
        for m in &s.manual_adjustments {
            if !m.points.is_finite() {
                return Err(err("manual adjustment points must be finite".into()));
            }
            if m.reason.trim().is_empty() {
                return Err(err("a manual adjustment needs a reason".into()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
