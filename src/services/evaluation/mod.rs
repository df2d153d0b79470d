//! Annual evaluation use cases (年度评估 / 考核): schemes, the inputs people supply
//! (indicator values, manual scores, manual adjustments), computing a year from the record,
//! publishing (results frozen), corrections (a new revision), reads and a leader's history.
//!
//! The scoring itself is pure and lives in [`crate::evaluation`]; this module only gathers
//! facts from the database and stores what the core returns.
//!
//! One file per job: [`schemes`], [`revisions`], [`inputs`], [`facts`] (gathered from the
//! record), [`lifecycle`] (compute, publish, correct), [`merge`] (an agency merge's step)
//! and [`reads`].
//!
//! Authorisation: schemes, manual scores and adjustments, compute, publish and correct are
//! for the office; an indicator value only for staff of a data-source agency named by the
//! criterion; agency staff read their own agency's results, leaders and the office read all.

mod facts;
mod inputs;
mod lifecycle;
mod merge;
mod reads;
mod revisions;
mod schemes;

pub use facts::*;
pub use inputs::*;
pub use lifecycle::*;
pub use merge::*;
pub use reads::*;
pub use revisions::*;
pub use schemes::*;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{
    agency, assignment, audit_event, contact, evaluation, evaluation_result, evaluation_scheme,
    indicator_value, manual_adjustment, manual_score, progress_report, supervision_record, task,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::auth::Viewer;
use crate::domain::calendar::HolidayCalendar;
use crate::domain::time::china_day;
use crate::domain::{AgencyKind, AuditAction, EvaluationStatus, TaskStatus};
use crate::error::{AppError, AppResult};
use crate::evaluation::{
    self as core, AssignmentRole, CriterionKind, EvalError, EventFact, ReportFact, Scheme,
    SubjectInput, SubjectKind, SubjectRecord, SubjectResult, SupervisionFact, TaskFact,
};
use crate::notify::ladder;
use crate::services::audit::{self, Change};
use crate::services::record::Audited;
use crate::services::snapshot;

/// The scheme used when none is named.
pub const DEFAULT_SCHEME: &str = "agency-performance";

/// The stored status of an evaluation revision. A value this release does not know reads
/// as draft: it is neither served as published nor publishable.
pub(crate) fn status_of(e: &evaluation::Model) -> EvaluationStatus {
    EvaluationStatus::parse(&e.status).unwrap_or(EvaluationStatus::Draft)
}

impl From<EvalError> for AppError {
    fn from(e: EvalError) -> Self {
        AppError::invalid(format!("{e} [{}]", e.detail_code()))
    }
}

fn check_year(year: i32) -> AppResult<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(AppError::invalid(format!("year {year} is out of range")))
    }
}
