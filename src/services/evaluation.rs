//! Annual evaluation use cases (年度评估 / 考核): schemes, the inputs people supply
//! (indicator values, manual scores, manual adjustments), computing a year from the record,
//! publishing (results frozen), corrections (a new revision), reads and a leader's history.
//!
//! The scoring itself is pure and lives in [`crate::evaluation`]; this module only gathers
//! facts from the database and stores what the core returns.
//!
//! Authorisation: schemes, manual scores and adjustments, compute, publish and correct are
//! for the office; an indicator value only for staff of a data-source agency named by the
//! criterion; agency staff read their own agency's results, leaders and the office read all.

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
use crate::domain::{AuditAction, TaskStatus};
use crate::error::{AppError, AppResult};
use crate::evaluation::{
    self as core, AssignmentRole, CriterionKind, EvalError, EventFact, ReportFact, Scheme,
    SubjectInput, SubjectKind, SubjectRecord, SubjectResult, SupervisionFact, TaskFact,
};
use crate::notify::ladder;
use crate::services::audit::{self, Change};
use crate::services::snapshot;

/// The scheme used when none is named.
pub const DEFAULT_SCHEME: &str = "agency-performance";

/// Status of an evaluation revision.
pub const DRAFT: &str = "draft";
pub const COMPUTED: &str = "computed";
pub const PUBLISHED: &str = "published";

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

// ---------------------------------------------------------------------------------------
// Schemes

/// Stores the shipped schemes (agency-performance, jianwu-jiangtan-index) if absent.
pub async fn ensure_seed_schemes(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
    for json in [
        core::AGENCY_PERFORMANCE_JSON,
        core::JIANWU_JIANGTAN_INDEX_JSON,
    ] {
        let scheme = Scheme::from_json(json)?;
        let exists = evaluation_scheme::Entity::find()
            .filter(evaluation_scheme::Column::Name.eq(&scheme.name))
            .one(db)
            .await?
            .is_some();
        if !exists {
            insert_scheme(db, None, &scheme, now).await?;
        }
    }
    Ok(())
}

async fn insert_scheme(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    scheme: &Scheme,
    now: DateTime<Utc>,
) -> AppResult<evaluation_scheme::Model> {
    let model = evaluation_scheme::ActiveModel {
        name: Set(scheme.name.clone()),
        title: Set(scheme.title.clone()),
        definition: Set(serde_json::to_value(scheme).map_err(AppError::internal)?),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        viewer,
        Change::created(
            AuditAction::EvaluationSchemeCreate,
            "evaluation_scheme",
            model.id,
            &model,
        ),
        now,
    )
    .await?;
    Ok(model)
}

/// Creates or replaces (by name) a scheme from its JSON. Office only.
///
/// # Errors
/// FORBIDDEN for other roles; INVALID_INPUT when the JSON or the scheme is invalid (weights
/// of siblings not summing to 1, cycles, unknown parents …) — nothing is written then.
pub async fn save_scheme(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    json: &str,
    now: DateTime<Utc>,
) -> AppResult<evaluation_scheme::Model> {
    if let Some(v) = viewer {
        v.require_office()?;
    }
    if json.len() > 1_000_000 {
        return Err(AppError::invalid("scheme JSON is too large"));
    }
    let scheme = Scheme::from_json(json)?;
    let existing = evaluation_scheme::Entity::find()
        .filter(evaluation_scheme::Column::Name.eq(&scheme.name))
        .one(db)
        .await?;
    let Some(existing) = existing else {
        return insert_scheme(db, viewer, &scheme, now).await;
    };
    let before = snapshot(&existing);
    let mut am = existing.into_active_model();
    am.title = Set(scheme.title.clone());
    am.definition = Set(serde_json::to_value(&scheme).map_err(AppError::internal)?);
    am.updated_at = Set(now);
    let model = am.update(db).await?;
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::EvaluationSchemeUpdate,
            entity: "evaluation_scheme",
            entity_id: model.id,
            before: Some(before),
            after: Some(snapshot(&model)),
        },
        now,
    )
    .await?;
    Ok(model)
}

/// Parses a stored scheme.
pub fn parse_scheme(model: &evaluation_scheme::Model) -> AppResult<Scheme> {
    let scheme: Scheme =
        serde_json::from_value(model.definition.clone()).map_err(AppError::internal)?;
    Ok(scheme)
}

/// The scheme with this name.
///
/// # Errors
/// NOT_FOUND when there is none.
pub async fn scheme_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> AppResult<(evaluation_scheme::Model, Scheme)> {
    let model = evaluation_scheme::Entity::find()
        .filter(evaluation_scheme::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation scheme", name))?;
    let scheme = parse_scheme(&model)?;
    Ok((model, scheme))
}

pub async fn scheme_by_id(
    db: &impl ConnectionTrait,
    id: i64,
) -> AppResult<(evaluation_scheme::Model, Scheme)> {
    let model = evaluation_scheme::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation scheme", id))?;
    let scheme = parse_scheme(&model)?;
    Ok((model, scheme))
}

pub async fn list_schemes(db: &impl ConnectionTrait) -> AppResult<Vec<evaluation_scheme::Model>> {
    Ok(evaluation_scheme::Entity::find()
        .order_by_asc(evaluation_scheme::Column::Name)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------
// Evaluation revisions and the "published never changes" rule

/// The latest revision for a year and scheme, if any.
pub async fn latest_revision(
    db: &impl ConnectionTrait,
    year: i32,
    scheme_id: i64,
) -> AppResult<Option<evaluation::Model>> {
    Ok(evaluation::Entity::find()
        .filter(evaluation::Column::Year.eq(year))
        .filter(evaluation::Column::SchemeId.eq(scheme_id))
        .order_by_desc(evaluation::Column::Revision)
        .one(db)
        .await?)
}

/// Inputs of a year and scheme can change only while its latest revision is unpublished.
/// A change to an input of a *computed* revision sends it back to `draft`: its stored results
/// no longer follow from its inputs, so it must be recomputed before it can be published.
///
/// The latest revision is read with a row lock (`SELECT … FOR UPDATE` on PostgreSQL; SQLite
/// writers are serialised by `Db::write()`), so a concurrent `publish` (a conditional UPDATE
/// of that row) either commits first and is seen here, or waits until this input write has
/// committed: an input never changes under a published revision.
async fn ensure_writable(
    db: &impl ConnectionTrait,
    year: i32,
    scheme_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let latest = evaluation::Entity::find()
        .filter(evaluation::Column::Year.eq(year))
        .filter(evaluation::Column::SchemeId.eq(scheme_id))
        .order_by_desc(evaluation::Column::Revision)
        .lock_exclusive()
        .one(db)
        .await?;
    if let Some(e) = &latest
        && e.status == PUBLISHED
    {
        return Err(AppError::InvalidTransition(format!(
            "the {year} evaluation (revision {}) is published and cannot change; correct it first",
            e.revision
        )));
    }
    if let Some(e) = latest
        && e.status == COMPUTED
    {
        evaluation::Entity::update_many()
            .col_expr(evaluation::Column::Status, Expr::value(DRAFT))
            .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
            .filter(evaluation::Column::Id.eq(e.id))
            .filter(evaluation::Column::Status.eq(COMPUTED))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<evaluation::Model> {
    evaluation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation", id))
}

/// Evaluations, newest year and revision first, optionally of one year and/or scheme.
pub async fn list(
    db: &impl ConnectionTrait,
    year: Option<i32>,
    scheme_id: Option<i64>,
) -> AppResult<Vec<evaluation::Model>> {
    let mut q = evaluation::Entity::find();
    if let Some(y) = year {
        q = q.filter(evaluation::Column::Year.eq(y));
    }
    if let Some(s) = scheme_id {
        q = q.filter(evaluation::Column::SchemeId.eq(s));
    }
    Ok(q.order_by_desc(evaluation::Column::Year)
        .order_by_desc(evaluation::Column::Revision)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------
// Inputs

async fn agency_exists(db: &impl ConnectionTrait, id: i64) -> AppResult<agency::Model> {
    agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agency", id))
}

/// The registry agency a name in a scheme refers to: by canonical name or alias (as the
/// importer resolves names, [`crate::services::agencies::find_by_name`]), else through the
/// importer's normalised lookup (发展和改革委员会 = 发展改革委 …). `None` if unknown.
async fn resolve_agency_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> AppResult<Option<agency::Model>> {
    let name = name.trim();
    if let Some(a) = crate::services::agencies::find_by_name(db, name).await? {
        return Ok(Some(a));
    }
    let registry = crate::services::import::registry(db).await?;
    match registry.lookup(name) {
        Some(e) => crate::services::agencies::find_by_name(db, &e.name).await,
        None => Ok(None),
    }
}

/// An indicator value supplied by a data-source agency.
pub struct IndicatorInput {
    pub year: i32,
    pub scheme: String,
    pub criterion_key: String,
    /// The subject.
    pub agency_id: i64,
    pub value: f64,
    pub target: Option<f64>,
    pub note: Option<String>,
}

/// Enters (or replaces) an indicator value, in the name of the viewer's agency.
///
/// # Errors
/// FORBIDDEN unless the viewer is staff of an agency the criterion names as its data source
/// (each source name resolved through the agency registry: canonical name or alias); NOT_FOUND for an unknown scheme or subject;
/// INVALID_INPUT for a criterion that is not an indicator or a non-finite value;
/// INVALID_TRANSITION once the year's evaluation is published.
pub async fn set_indicator_value(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    input: IndicatorInput,
    now: DateTime<Utc>,
) -> AppResult<indicator_value::Model> {
    let source_id = viewer.require_agency_staff()?;
    check_year(input.year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, scheme) = scheme_by_name(db, &input.scheme).await?;
    let Some(CriterionKind::Indicator {
        source_agencies, ..
    }) = scheme.criterion(&input.criterion_key).map(|c| &c.kind)
    else {
        return Err(AppError::invalid(format!(
            "criterion {:?} is not an indicator of scheme {}",
            input.criterion_key, scheme.name
        )));
    };
    let source = agency_exists(db, source_id).await?;
    let mut is_source = false;
    for name in source_agencies {
        if resolve_agency_name(db, name)
            .await?
            .is_some_and(|a| a.id == source_id)
        {
            is_source = true;
            break;
        }
    }
    if !is_source {
        return Err(AppError::forbidden(format!(
            "the value of {:?} is supplied by {}, not by {}",
            input.criterion_key,
            source_agencies.join("、"),
            source.name
        )));
    }
    if !input.value.is_finite() || input.target.is_some_and(|t| !t.is_finite()) {
        return Err(AppError::invalid("indicator values must be finite numbers"));
    }
    let note = crate::domain::text::optional("note", input.note.as_deref(), 2000)?;
    let subject = agency_exists(db, input.agency_id).await?;
    if subject.id == source_id {
        return Err(AppError::forbidden(format!(
            "{} cannot enter the value of {:?} about itself: an agency is never the data source of its own evaluation",
            source.name, input.criterion_key
        )));
    }
    ensure_writable(db, input.year, scheme_model.id, now).await?;
    let existing = indicator_value::Entity::find()
        .filter(indicator_value::Column::Year.eq(input.year))
        .filter(indicator_value::Column::SchemeId.eq(scheme_model.id))
        .filter(indicator_value::Column::CriterionKey.eq(&input.criterion_key))
        .filter(indicator_value::Column::AgencyId.eq(input.agency_id))
        .one(db)
        .await?;
    let before = existing.as_ref().map(snapshot);
    let model = match existing {
        Some(m) => {
            let mut am = m.into_active_model();
            am.value = Set(input.value);
            am.target = Set(input.target);
            am.note = Set(note);
            am.entered_by = Set(viewer.user_id);
            am.source_agency_id = Set(source_id);
            am.updated_at = Set(now);
            am.update(db).await?
        }
        None => {
            indicator_value::ActiveModel {
                year: Set(input.year),
                scheme_id: Set(scheme_model.id),
                criterion_key: Set(input.criterion_key.clone()),
                agency_id: Set(input.agency_id),
                value: Set(input.value),
                target: Set(input.target),
                note: Set(note),
                entered_by: Set(viewer.user_id),
                source_agency_id: Set(source_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    audit::record(
        db,
        Some(viewer),
        Change {
            action: AuditAction::IndicatorValueSet,
            entity: "indicator_value",
            entity_id: model.id,
            before,
            after: Some(snapshot(&model)),
        },
        now,
    )
    .await?;
    Ok(model)
}

/// Enters (or replaces) a manual score (0–100, with a reason). Office only.
///
/// # Errors
/// FORBIDDEN for other roles; INVALID_INPUT for a criterion that is not manual, a score
/// outside 0–100 or an empty reason; INVALID_TRANSITION once published.
#[allow(clippy::too_many_arguments)]
pub async fn set_manual_score(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_name: &str,
    agency_id: i64,
    criterion_key: &str,
    score: f64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<manual_score::Model> {
    viewer.require_office()?;
    check_year(year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, scheme) = scheme_by_name(db, scheme_name).await?;
    if !matches!(
        scheme.criterion(criterion_key).map(|c| &c.kind),
        Some(CriterionKind::Manual { .. })
    ) {
        return Err(AppError::invalid(format!(
            "criterion {criterion_key:?} is not scored manually in scheme {}",
            scheme.name
        )));
    }
    if !score.is_finite() || !(0.0..=100.0).contains(&score) {
        return Err(AppError::invalid(format!("score {score} must be 0–100")));
    }
    let reason = crate::domain::text::required("reason", reason, 2000)?;
    agency_exists(db, agency_id).await?;
    ensure_writable(db, year, scheme_model.id, now).await?;
    let existing = manual_score::Entity::find()
        .filter(manual_score::Column::Year.eq(year))
        .filter(manual_score::Column::SchemeId.eq(scheme_model.id))
        .filter(manual_score::Column::AgencyId.eq(agency_id))
        .filter(manual_score::Column::CriterionKey.eq(criterion_key))
        .one(db)
        .await?;
    let before = existing.as_ref().map(snapshot);
    let model = match existing {
        Some(m) => {
            let mut am = m.into_active_model();
            am.score = Set(score);
            am.reason = Set(reason);
            am.entered_by = Set(viewer.user_id);
            am.updated_at = Set(now);
            am.update(db).await?
        }
        None => {
            manual_score::ActiveModel {
                year: Set(year),
                scheme_id: Set(scheme_model.id),
                agency_id: Set(agency_id),
                criterion_key: Set(criterion_key.to_owned()),
                score: Set(score),
                reason: Set(reason),
                entered_by: Set(viewer.user_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    audit::record(
        db,
        Some(viewer),
        Change {
            action: AuditAction::ManualScoreSet,
            entity: "manual_score",
            entity_id: model.id,
            before,
            after: Some(snapshot(&model)),
        },
        now,
    )
    .await?;
    Ok(model)
}

/// Adds a manual bonus (positive) or deduction (negative) with a reason. Office only.
///
/// # Errors
/// FORBIDDEN for other roles; INVALID_INPUT for a zero, non-finite or >100 amount or an
/// empty reason; INVALID_TRANSITION once published.
#[allow(clippy::too_many_arguments)]
pub async fn add_manual_adjustment(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_name: &str,
    agency_id: i64,
    amount: f64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<manual_adjustment::Model> {
    viewer.require_office()?;
    check_year(year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, _) = scheme_by_name(db, scheme_name).await?;
    if !amount.is_finite() || amount == 0.0 || amount.abs() > 100.0 {
        return Err(AppError::invalid(
            "an adjustment is a non-zero number of points within ±100",
        ));
    }
    let reason = crate::domain::text::required("reason", reason, 2000)?;
    agency_exists(db, agency_id).await?;
    ensure_writable(db, year, scheme_model.id, now).await?;
    let model = manual_adjustment::ActiveModel {
        year: Set(year),
        scheme_id: Set(scheme_model.id),
        agency_id: Set(agency_id),
        amount: Set(amount),
        reason: Set(reason),
        entered_by: Set(viewer.user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Some(viewer),
        Change::created(
            AuditAction::ManualAdjustmentCreate,
            "manual_adjustment",
            model.id,
            &model,
        ),
        now,
    )
    .await?;
    Ok(model)
}

pub async fn indicator_values(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_id: i64,
) -> AppResult<Vec<indicator_value::Model>> {
    let mut q = indicator_value::Entity::find()
        .filter(indicator_value::Column::Year.eq(year))
        .filter(indicator_value::Column::SchemeId.eq(scheme_id));
    if !viewer.can_read_all() {
        // Staff see what their agency supplied and what was supplied about it.
        use sea_orm::sea_query::ExprTrait as _;
        let own = viewer.require_agency_staff()?;
        q = q.filter(
            indicator_value::Column::AgencyId
                .eq(own)
                .or(indicator_value::Column::SourceAgencyId.eq(own)),
        );
    }
    Ok(q.order_by_asc(indicator_value::Column::Id).all(db).await?)
}

pub async fn manual_scores(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_id: i64,
) -> AppResult<Vec<manual_score::Model>> {
    let mut q = manual_score::Entity::find()
        .filter(manual_score::Column::Year.eq(year))
        .filter(manual_score::Column::SchemeId.eq(scheme_id));
    if !viewer.can_read_all() {
        q = q.filter(manual_score::Column::AgencyId.eq(viewer.require_agency_staff()?));
    }
    Ok(q.order_by_asc(manual_score::Column::Id).all(db).await?)
}

pub async fn manual_adjustments(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_id: i64,
) -> AppResult<Vec<manual_adjustment::Model>> {
    let mut q = manual_adjustment::Entity::find()
        .filter(manual_adjustment::Column::Year.eq(year))
        .filter(manual_adjustment::Column::SchemeId.eq(scheme_id));
    if !viewer.can_read_all() {
        q = q.filter(manual_adjustment::Column::AgencyId.eq(viewer.require_agency_staff()?));
    }
    Ok(q.order_by_asc(manual_adjustment::Column::Id)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------
// Facts from the record

/// Report periods of a cadence whose due date falls in `year`, with that due date — the
/// reminders' own periods ([`ladder::report_periods`]): a report is due
/// [`ladder::REPORT_DUE_WORKING_DAYS`] working days after its period ends, on the holiday
/// calendar in force, so the December (or Q4, H2, yearly) report of the year before is due
/// in this year and this year's is due in the next. Only periods that ended on or after
/// `from` (the day the task was created) count, as in the sweep.
fn report_periods(
    cadence: &str,
    year: i32,
    from: NaiveDate,
    cal: &HolidayCalendar,
) -> Vec<(String, NaiveDate)> {
    let (Some(cadence), Some(start), Some(end)) = (
        crate::domain::ReportCadence::parse(cadence).ok(),
        NaiveDate::from_ymd_opt(year - 1, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Vec::new();
    };
    ladder::report_periods(cadence, start.max(from), end, cal)
        .into_iter()
        .filter(|p| p.due.year() == year)
        .map(|p| (p.label, p.due))
        .collect()
}

/// The day each completed task was *completed* for the evaluation: the day its lead agency
/// asked to close it (申请办结) in the request the office then verified (销号), not the
/// day of the office's sign-off — an agency is not late because the office verified late.
/// Read from the audit trail (`task.request_completion` before the last `task.verify`);
/// tasks closed without a recorded request keep the verification day.
async fn completion_request_days(
    db: &impl ConnectionTrait,
    tasks: &HashMap<i64, task::Model>,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let completed: Vec<i64> = tasks
        .values()
        .filter(|t| TaskStatus::stored(&t.status) == TaskStatus::Completed)
        .map(|t| t.id)
        .collect();
    let mut out = HashMap::new();
    if completed.is_empty() {
        return Ok(out);
    }
    // Per task, in order: the last request seen, and the one current at each verification.
    let mut last_request: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for chunk in completed.chunks(500) {
        for e in audit_event::Entity::find()
            .filter(audit_event::Column::Entity.eq("task"))
            .filter(audit_event::Column::EntityId.is_in(chunk.to_vec()))
            .filter(
                audit_event::Column::Action.is_in(
                    [AuditAction::TaskRequestCompletion, AuditAction::TaskVerify]
                        .map(AuditAction::as_str),
                ),
            )
            .order_by_asc(audit_event::Column::At)
            .order_by_asc(audit_event::Column::Id)
            .all(db)
            .await?
        {
            if e.action == AuditAction::TaskRequestCompletion.as_str() {
                last_request.insert(e.entity_id, e.at);
            } else if let Some(r) = last_request.get(&e.entity_id) {
                out.insert(e.entity_id, china_day(*r));
            } else {
                out.remove(&e.entity_id);
            }
        }
    }
    Ok(out)
}

/// Whether a supervision record was addressed to (a contact of) `agency_id`: its
/// `recipients` are serialised recipients (written by the reminder sweep), each naming the agency
/// whose contact it is (`agency_id`; absent for the office and leadership).
fn addressed_to(recipients: &serde_json::Value, agency_id: i64) -> bool {
    recipients.as_array().is_some_and(|xs| {
        xs.iter()
            .any(|x| x.get("agency_id").and_then(serde_json::Value::as_i64) == Some(agency_id))
    })
}

/// Assembles one subject's facts for `year`: its tasks and roles, the progress reports due
/// on the tasks it leads (due dates as the reminders compute them, on `cal`), escalations
/// addressed to it on those tasks, returned completions, and the indicator values, manual
/// scores and adjustments entered for it.
pub async fn subject_input(
    db: &impl ConnectionTrait,
    year: i32,
    scheme_id: i64,
    subject: &agency::Model,
    cal: &HolidayCalendar,
) -> AppResult<SubjectInput> {
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::AgencyId.eq(subject.id))
        .all(db)
        .await?;
    let task_ids: Vec<i64> = assignments.iter().map(|a| a.task_id).collect();
    let tasks: HashMap<i64, task::Model> = if task_ids.is_empty() {
        HashMap::new()
    } else {
        task::Entity::find()
            .filter(task::Column::Id.is_in(task_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect()
    };
    let requested = completion_request_days(db, &tasks).await?;
    // The day a task counts as completed (see completion_request_days).
    let completed_on = |t: &task::Model| {
        t.completed_at
            .filter(|_| TaskStatus::stored(&t.status) == TaskStatus::Completed)
            .map(|at| {
                requested
                    .get(&t.id)
                    .copied()
                    .unwrap_or_else(|| china_day(at))
            })
    };
    let mut record = SubjectRecord {
        year,
        ..Default::default()
    };
    let mut seen = HashSet::new();
    let mut led: Vec<i64> = Vec::new();
    for a in &assignments {
        let (Some(t), Some(role)) = (tasks.get(&a.task_id), AssignmentRole::parse(&a.role).ok())
        else {
            continue;
        };
        if !seen.insert((t.id, a.role.clone())) {
            continue;
        }
        if role == AssignmentRole::Lead {
            led.push(t.id);
        }
        record.tasks.push(TaskFact {
            task_id: t.id,
            code: t.code.clone(),
            title: t.title.clone(),
            role,
            original_due: if t.ongoing { None } else { t.original_deadline },
            current_due: if t.ongoing { None } else { t.deadline },
            completed_on: completed_on(t),
            status: t.status.clone(),
            cancelled: TaskStatus::stored(&t.status) == TaskStatus::Cancelled,
        });
    }
    record.tasks.sort_by_key(|t| t.task_id);
    led.sort_unstable();
    led.dedup();

    if !led.is_empty() {
        // Progress reports due from the lead on tasks with a reporting cadence.
        let reports = progress_report::Entity::find()
            .filter(progress_report::Column::TaskId.is_in(led.clone()))
            .filter(progress_report::Column::AgencyId.eq(subject.id))
            .all(db)
            .await?;
        let mut first: HashMap<(i64, String), NaiveDate> = HashMap::new();
        for r in reports {
            let d = china_day(r.submitted_at);
            first
                .entry((r.task_id, r.period.clone()))
                .and_modify(|x| *x = (*x).min(d))
                .or_insert(d);
        }
        for id in &led {
            let t = &tasks[id];
            if TaskStatus::stored(&t.status) == TaskStatus::Cancelled {
                continue;
            }
            let Some(cadence) = t.report_cadence.as_deref() else {
                continue;
            };
            let created = china_day(t.created_at);
            let done = completed_on(t);
            for (period, due) in report_periods(cadence, year, created, cal) {
                // Nothing is due once the task was closed before the due date.
                if done.is_some_and(|d| d < due) {
                    continue;
                }
                record.reports.push(ReportFact {
                    task_id: t.id,
                    submitted_on: first.get(&(t.id, period.clone())).copied(),
                    period,
                    due,
                });
            }
        }
        // Escalations on the tasks it leads that were addressed to it: not those sent to
        // another (co-)lead only, nor the office's own reminders about unverified
        // completion requests (matter `verification`).
        for s in supervision_record::Entity::find()
            .filter(supervision_record::Column::TaskId.is_in(led.clone()))
            .filter(supervision_record::Column::Matter.ne("verification"))
            .order_by_asc(supervision_record::Column::Id)
            .all(db)
            .await?
        {
            if !addressed_to(&s.recipients, subject.id) {
                continue;
            }
            record.supervisions.push(SupervisionFact {
                id: s.id,
                task_id: Some(s.task_id),
                level: s.level,
                at: china_day(s.fired_at),
                doc_number: s.doc_number,
            });
        }
    }
    let mut events = Vec::new();
    if !led.is_empty() {
        for e in audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(AuditAction::TaskReturn.as_str()))
            .filter(audit_event::Column::Entity.eq("task"))
            .filter(audit_event::Column::EntityId.is_in(led.clone()))
            .order_by_asc(audit_event::Column::Id)
            .all(db)
            .await?
        {
            events.push(EventFact {
                id: e.id,
                event_type: "completion_returned".into(),
                at: china_day(e.at),
                task_id: Some(e.entity_id),
                note: None,
            });
        }
    }

    let mut input = SubjectInput {
        subject_id: subject.id,
        subject_name: subject.name.clone(),
        record,
        events,
        ..Default::default()
    };
    for v in indicator_value::Entity::find()
        .filter(indicator_value::Column::Year.eq(year))
        .filter(indicator_value::Column::SchemeId.eq(scheme_id))
        .filter(indicator_value::Column::AgencyId.eq(subject.id))
        .all(db)
        .await?
    {
        input.indicator_values.insert(
            v.criterion_key,
            core::IndicatorValue {
                value: v.value,
                target: v.target,
                note: v.note,
            },
        );
    }
    for m in manual_score::Entity::find()
        .filter(manual_score::Column::Year.eq(year))
        .filter(manual_score::Column::SchemeId.eq(scheme_id))
        .filter(manual_score::Column::AgencyId.eq(subject.id))
        .all(db)
        .await?
    {
        input.manual_scores.insert(
            m.criterion_key,
            core::ManualScore {
                score: m.score,
                reason: m.reason,
                by: Some(format!("user {}", m.entered_by)),
            },
        );
    }
    for m in manual_adjustment::Entity::find()
        .filter(manual_adjustment::Column::Year.eq(year))
        .filter(manual_adjustment::Column::SchemeId.eq(scheme_id))
        .filter(manual_adjustment::Column::AgencyId.eq(subject.id))
        .order_by_asc(manual_adjustment::Column::Id)
        .all(db)
        .await?
    {
        input.manual_adjustments.push(core::ManualAdjustment {
            points: m.amount,
            reason: m.reason,
            by: Some(format!("user {}", m.entered_by)),
        });
    }
    Ok(input)
}

/// Whether a task gives its agencies anything to be evaluated on in `year`: not cancelled,
/// not closed before 1 Jan, and either with a (judged or current) deadline on or before
/// 31 Dec, or ongoing and created by 31 Dec.
fn relevant_to(t: &task::Model, year: i32) -> bool {
    let (Some(start), Some(end)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return false;
    };
    if TaskStatus::stored(&t.status) == TaskStatus::Cancelled
        || t.completed_at
            .filter(|_| TaskStatus::stored(&t.status) == TaskStatus::Completed)
            .is_some_and(|c| china_day(c) < start)
    {
        return false;
    }
    if t.ongoing {
        return china_day(t.created_at) <= end;
    }
    t.original_deadline
        .into_iter()
        .chain(t.deadline)
        .any(|d| d <= end)
}

/// Default subjects of a scheme for `year`.
///
/// - With `subjects_under` (a provincial index of cities): the local governments whose
///   parent is that government in the registry; if there are none, the office must name the
///   subjects (INVALID_INPUT saying so) — the shipped 减污降碳协同指数 evaluates Zhejiang's
///   cities, which the seeded registry does not hold.
/// - Otherwise the agencies of the scheme's kind (local governments, or departments and
///   other non-group agencies) that have an assignment on a task relevant to the year
///   ([`relevant_to`]): an agency with nothing to be evaluated on is not ranked.
async fn default_subjects(
    db: &impl ConnectionTrait,
    scheme: &Scheme,
    year: i32,
) -> AppResult<Vec<agency::Model>> {
    if let Some(parent) = scheme.subjects_under.as_deref() {
        let children = match crate::services::agencies::find_by_name(db, parent).await? {
            Some(p) => {
                agency::Entity::find()
                    .filter(agency::Column::ParentId.eq(p.id))
                    .filter(agency::Column::Kind.eq("local_government"))
                    .order_by_asc(agency::Column::Id)
                    .all(db)
                    .await?
            }
            None => Vec::new(),
        };
        if children.is_empty() {
            return Err(AppError::invalid(format!(
                "scheme {} evaluates the governments under {parent}, and the agency registry holds none of them: name the subjects to evaluate",
                scheme.name
            )));
        }
        return Ok(children);
    }
    let relevant: HashSet<i64> = task::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|t| relevant_to(t, year))
        .map(|t| t.id)
        .collect();
    let mut with_tasks: HashSet<i64> = HashSet::new();
    for a in assignment::Entity::find().all(db).await? {
        if relevant.contains(&a.task_id) {
            with_tasks.insert(a.agency_id);
        }
    }
    let all = agency::Entity::find()
        .order_by_asc(agency::Column::Id)
        .all(db)
        .await?;
    Ok(all
        .into_iter()
        .filter(|a| with_tasks.contains(&a.id))
        .filter(|a| match scheme.subject_kind {
            SubjectKind::LocalGovernment => a.kind == "local_government",
            SubjectKind::Agency => a.kind != "local_government" && a.kind != "group",
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Compute, publish, correct

/// Computes (or recomputes) the year under a scheme: creates revision 1 as a draft if there
/// is none, then stores one result per subject and marks it computed. Manual inputs are
/// kept. `subjects` (agency ids) defaults to those of the previous computation, else to the
/// scheme's default subjects. `viewer` None = the system (CLI).
///
/// # Errors
/// FORBIDDEN unless office; NOT_FOUND for an unknown scheme or agency; INVALID_INPUT for a
/// bad year, no subjects or invalid inputs; INVALID_TRANSITION when published.
pub async fn compute(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    year: i32,
    scheme_name: Option<&str>,
    subjects: Option<Vec<i64>>,
    now: DateTime<Utc>,
) -> AppResult<evaluation::Model> {
    if let Some(v) = viewer {
        v.require_office()?;
    }
    check_year(year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, scheme) = scheme_by_name(db, scheme_name.unwrap_or(DEFAULT_SCHEME)).await?;
    let existing = latest_revision(db, year, scheme_model.id).await?;
    if let Some(e) = &existing
        && e.status == PUBLISHED
    {
        return Err(AppError::InvalidTransition(format!(
            "the {year} evaluation (revision {}) is published; its results never change — correct it to recompute",
            e.revision
        )));
    }
    let stored: Vec<i64> = existing
        .as_ref()
        .and_then(|e| serde_json::from_value(e.subjects.clone()).ok())
        .unwrap_or_default();
    let subject_ids = match subjects {
        Some(ids) => {
            if ids.len() > 1000 {
                return Err(AppError::invalid("too many subjects"));
            }
            let mut seen = HashSet::new();
            ids.into_iter().filter(|i| seen.insert(*i)).collect()
        }
        None => stored,
    };
    let agencies = if subject_ids.is_empty() {
        default_subjects(db, &scheme, year).await?
    } else {
        let mut v = Vec::new();
        for id in &subject_ids {
            v.push(agency_exists(db, *id).await?);
        }
        v
    };
    if agencies.is_empty() {
        return Err(AppError::invalid(format!(
            "no subjects to evaluate: no agency has a task relevant to {year}"
        )));
    }
    let cal = super::calendar::load_calendar(db).await?;
    let mut inputs = Vec::with_capacity(agencies.len());
    for a in &agencies {
        inputs.push(subject_input(db, year, scheme_model.id, a, &cal).await?);
    }
    let results = core::evaluate(&scheme, &inputs)?;

    let eval = match existing {
        Some(e) => e,
        None => {
            evaluation::ActiveModel {
                year: Set(year),
                scheme_id: Set(scheme_model.id),
                status: Set(DRAFT.into()),
                revision: Set(1),
                supersedes_id: Set(None),
                subjects: Set(serde_json::json!([])),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let before = snapshot(&eval);
    // The transition first, conditional on the row as it is now: if a publish committed
    // since the check above, nothing is written. On PostgreSQL this also locks the row, so a
    // concurrent publish waits until the new results are committed.
    let moved = evaluation::Entity::update_many()
        .col_expr(evaluation::Column::Status, Expr::value(COMPUTED))
        .col_expr(
            evaluation::Column::Subjects,
            Expr::value(serde_json::json!(subject_ids)),
        )
        .col_expr(evaluation::Column::ComputedAt, Expr::value(Some(now)))
        .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
        .filter(evaluation::Column::Id.eq(eval.id))
        .filter(evaluation::Column::Status.ne(PUBLISHED))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::InvalidTransition(format!(
            "the {year} evaluation (revision {}) was published meanwhile; its results never change — correct it to recompute",
            eval.revision
        )));
    }
    evaluation_result::Entity::delete_many()
        .filter(evaluation_result::Column::EvaluationId.eq(eval.id))
        .exec(db)
        .await?;
    // A correction keeps the leaders named by the revision it corrects.
    let mut leaders = HashMap::new();
    if let Some(prev) = eval.supersedes_id {
        for r in evaluation_result::Entity::find()
            .filter(evaluation_result::Column::EvaluationId.eq(prev))
            .all(db)
            .await?
        {
            leaders.insert(r.agency_id, r.leaders);
        }
    }
    store_results(db, eval.id, &results, &leaders).await?;
    let eval = get(db, eval.id).await?;
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::EvaluationCompute,
            entity: "evaluation",
            entity_id: eval.id,
            before: Some(before),
            after: Some(serde_json::json!({
                "evaluation": snapshot(&eval),
                "results": results.iter().map(|r| serde_json::json!({
                    "agency_id": r.subject_id, "score": core::round2(r.score),
                    "grade": r.grade, "rank": r.rank, "vetoed": r.vetoed,
                })).collect::<Vec<_>>(),
            })),
        },
        now,
    )
    .await?;
    Ok(eval)
}

/// Stores the results of a revision; `leaders` (by agency) are those carried over from
/// the revision a correction supersedes.
async fn store_results(
    db: &impl ConnectionTrait,
    evaluation_id: i64,
    results: &[SubjectResult],
    leaders: &HashMap<i64, serde_json::Value>,
) -> AppResult<()> {
    for r in results {
        evaluation_result::ActiveModel {
            evaluation_id: Set(evaluation_id),
            agency_id: Set(r.subject_id),
            subject_name: Set(r.subject_name.clone()),
            score: Set(r.score),
            grade: Set(r.grade.clone()),
            rank: Set(r.rank as i32),
            vetoed: Set(r.vetoed),
            breakdown: Set(serde_json::to_value(r).map_err(AppError::internal)?),
            leaders: Set(leaders
                .get(&r.subject_id)
                .cloned()
                .unwrap_or_else(|| serde_json::json!([]))),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A leader of an agency at publication (领导班子).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Leader {
    pub name: String,
    pub email: String,
    /// head (主要负责人) / deputy (分管负责人)
    pub role: String,
}

/// Publishes a computed revision: results are frozen and the agencies' leaders (contacts
/// with role head or deputy) are recorded with each result — except in a correction, whose
/// results keep the leaders of the revision it corrects (new subjects get today's).
///
/// A revision whose inputs changed after it was computed is back in `draft` (see
/// [`ensure_writable`]) and is refused: recompute it first.
///
/// # Errors
/// FORBIDDEN unless office; NOT_FOUND; INVALID_TRANSITION unless the revision is computed.
pub async fn publish(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<evaluation::Model> {
    if let Some(v) = viewer {
        v.require_office()?;
    }
    let eval = get(db, id).await?;
    if eval.status != COMPUTED {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} is {}; only a computed evaluation can be published{}",
            eval.status,
            if eval.status == DRAFT && eval.computed_at.is_some() {
                " (its inputs changed after it was computed: recompute it first)"
            } else {
                ""
            }
        )));
    }
    // The transition first, conditional on the status still being computed (a concurrent
    // publish or correction loses here); on PostgreSQL the row stays locked until commit, so
    // a concurrent compute or input write waits and then sees it published.
    let moved = evaluation::Entity::update_many()
        .col_expr(evaluation::Column::Status, Expr::value(PUBLISHED))
        .col_expr(evaluation::Column::PublishedAt, Expr::value(Some(now)))
        .col_expr(
            evaluation::Column::PublishedBy,
            Expr::value(viewer.map(|v| v.user_id)),
        )
        .col_expr(
            evaluation::Column::PublishedByName,
            Expr::value(Some(
                viewer.map_or_else(|| "system".to_string(), |v| v.actor_name()),
            )),
        )
        .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
        .filter(evaluation::Column::Id.eq(id))
        .filter(evaluation::Column::Status.eq(COMPUTED))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} changed meanwhile; only a computed evaluation can be published"
        )));
    }
    let results = evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(id))
        .all(db)
        .await?;
    for r in results {
        // A correction carries the leaders of the revision it corrects: they are the ones
        // the year's result is about, whoever holds the post now.
        if r.leaders.as_array().is_some_and(|l| !l.is_empty()) {
            continue;
        }
        let leaders: Vec<Leader> = contact::Entity::find()
            .filter(contact::Column::AgencyId.eq(r.agency_id))
            .filter(contact::Column::Role.is_in(["head", "deputy"]))
            .order_by_asc(contact::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| Leader {
                name: c.name,
                email: c.email,
                role: c.role,
            })
            .collect();
        let mut am = r.into_active_model();
        am.leaders = Set(serde_json::to_value(leaders).map_err(AppError::internal)?);
        am.update(db).await?;
    }
    let before = snapshot(&eval);
    let eval = get(db, id).await?;
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::EvaluationPublish,
            entity: "evaluation",
            entity_id: eval.id,
            before: Some(before),
            after: Some(snapshot(&eval)),
        },
        now,
    )
    .await?;
    Ok(eval)
}

/// Corrects a published revision: creates the next revision (computed, with a copy of the
/// results and of the leaders they name) recording who, when and why; the published one
/// stays readable and unchanged.
/// Change inputs and recompute the new revision, then publish it.
///
/// # Errors
/// FORBIDDEN unless office; NOT_FOUND; INVALID_INPUT for an empty reason;
/// INVALID_TRANSITION unless it is the latest revision and published.
pub async fn correct(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<evaluation::Model> {
    if let Some(v) = viewer {
        v.require_office()?;
    }
    let reason = crate::domain::text::required("reason", reason, 2000)?;
    let eval = get(db, id).await?;
    if eval.status != PUBLISHED {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} is {}; only a published evaluation is corrected (recompute a draft instead)",
            eval.status
        )));
    }
    let latest = latest_revision(db, eval.year, eval.scheme_id)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation", id))?;
    if latest.id != eval.id {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} was already corrected by revision {}",
            latest.revision
        )));
    }
    let next = evaluation::ActiveModel {
        year: Set(eval.year),
        scheme_id: Set(eval.scheme_id),
        status: Set(COMPUTED.into()),
        revision: Set(eval.revision + 1),
        supersedes_id: Set(Some(eval.id)),
        subjects: Set(eval.subjects.clone()),
        computed_at: Set(eval.computed_at),
        correction_reason: Set(Some(reason)),
        corrected_by: Set(viewer.map(|v| v.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for r in evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(eval.id))
        .order_by_asc(evaluation_result::Column::Id)
        .all(db)
        .await?
    {
        evaluation_result::ActiveModel {
            evaluation_id: Set(next.id),
            agency_id: Set(r.agency_id),
            subject_name: Set(r.subject_name),
            score: Set(r.score),
            grade: Set(r.grade),
            rank: Set(r.rank),
            vetoed: Set(r.vetoed),
            breakdown: Set(r.breakdown),
            leaders: Set(r.leaders),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    audit::record(
        db,
        viewer,
        Change::updated(
            AuditAction::EvaluationCorrect,
            "evaluation",
            next.id,
            &eval,
            &next,
        ),
        now,
    )
    .await?;
    Ok(next)
}

// ---------------------------------------------------------------------------------------
// Agency merge

/// Moves the evaluation rows of agency `source_id` to `target_id`, for a merge of the two
/// agencies (call it inside the merge's write transaction, before the source is deleted).
///
/// - Published results never change: if the source has a result in any published revision
///   the merge is refused with CONFLICT, and nothing is written.
/// - Results in unpublished (draft / computed) revisions move to the target, except where
///   the target already has a result in that revision (the source's is then dropped); those
///   revisions, and any whose subject list names the source, go back to `draft` with the
///   source replaced by the target in their subjects, so they must be recomputed (from the
///   merged record) before they can be published.
/// - Indicator values (as subject and as data source), manual scores and manual adjustments
///   move to the target; where the target already has a value or score for the same year,
///   scheme and criterion, the target's is kept and the source's is dropped.
///
/// On PostgreSQL the revisions holding the source's results are locked (`FOR UPDATE`), so a
/// concurrent publish either commits first (and the merge is refused) or waits for the merge.
///
/// # Errors
/// CONFLICT if the source has published results; INVALID_INPUT if source == target.
pub async fn reassign_agency(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    if source_id == target_id {
        return Err(AppError::invalid("cannot merge an agency into itself"));
    }
    // Revisions holding a result of the source, locked against a concurrent publish.
    let eval_ids: Vec<i64> = evaluation_result::Entity::find()
        .select_only()
        .column(evaluation_result::Column::EvaluationId)
        .filter(evaluation_result::Column::AgencyId.eq(source_id))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let with_results = if eval_ids.is_empty() {
        Vec::new()
    } else {
        evaluation::Entity::find()
            .filter(evaluation::Column::Id.is_in(eval_ids))
            .order_by_asc(evaluation::Column::Id)
            .lock_exclusive()
            .all(db)
            .await?
    };
    if let Some(p) = with_results.iter().find(|e| e.status == PUBLISHED) {
        return Err(AppError::Conflict(format!(
            "agency {source_id} has published evaluation results ({} revision {}); merge refused",
            p.year, p.revision
        )));
    }

    // Results in unpublished revisions: move, or drop where the target already has one.
    for e in &with_results {
        let target_has = evaluation_result::Entity::find()
            .filter(evaluation_result::Column::EvaluationId.eq(e.id))
            .filter(evaluation_result::Column::AgencyId.eq(target_id))
            .one(db)
            .await?
            .is_some();
        if target_has {
            evaluation_result::Entity::delete_many()
                .filter(evaluation_result::Column::EvaluationId.eq(e.id))
                .filter(evaluation_result::Column::AgencyId.eq(source_id))
                .exec(db)
                .await?;
        } else {
            evaluation_result::Entity::update_many()
                .col_expr(evaluation_result::Column::AgencyId, Expr::value(target_id))
                .filter(evaluation_result::Column::EvaluationId.eq(e.id))
                .filter(evaluation_result::Column::AgencyId.eq(source_id))
                .exec(db)
                .await?;
        }
    }
    // Unpublished revisions touched by the merge go back to draft, with the source replaced
    // by the target in their subjects.
    let touched: HashSet<i64> = with_results.iter().map(|e| e.id).collect();
    for e in evaluation::Entity::find()
        .filter(evaluation::Column::Status.ne(PUBLISHED))
        .all(db)
        .await?
    {
        let subjects: Vec<i64> = serde_json::from_value(e.subjects.clone()).unwrap_or_default();
        let names_source = subjects.contains(&source_id);
        if !names_source && !touched.contains(&e.id) {
            continue;
        }
        let mut seen = HashSet::new();
        let subjects: Vec<i64> = subjects
            .into_iter()
            .map(|a| if a == source_id { target_id } else { a })
            .filter(|a| seen.insert(*a))
            .collect();
        evaluation::Entity::update_many()
            .col_expr(evaluation::Column::Status, Expr::value(DRAFT))
            .col_expr(
                evaluation::Column::Subjects,
                Expr::value(serde_json::json!(subjects)),
            )
            .filter(evaluation::Column::Id.eq(e.id))
            .filter(evaluation::Column::Status.ne(PUBLISHED))
            .exec(db)
            .await?;
    }

    // Indicator values about the source: the target's own value for the same key wins.
    for v in indicator_value::Entity::find()
        .filter(indicator_value::Column::AgencyId.eq(source_id))
        .all(db)
        .await?
    {
        let clash = indicator_value::Entity::find()
            .filter(indicator_value::Column::Year.eq(v.year))
            .filter(indicator_value::Column::SchemeId.eq(v.scheme_id))
            .filter(indicator_value::Column::CriterionKey.eq(&v.criterion_key))
            .filter(indicator_value::Column::AgencyId.eq(target_id))
            .one(db)
            .await?
            .is_some();
        if clash {
            indicator_value::Entity::delete_by_id(v.id).exec(db).await?;
        } else {
            indicator_value::Entity::update_many()
                .col_expr(indicator_value::Column::AgencyId, Expr::value(target_id))
                .filter(indicator_value::Column::Id.eq(v.id))
                .exec(db)
                .await?;
        }
    }
    // Values the source supplied as data source.
    indicator_value::Entity::update_many()
        .col_expr(
            indicator_value::Column::SourceAgencyId,
            Expr::value(target_id),
        )
        .filter(indicator_value::Column::SourceAgencyId.eq(source_id))
        .exec(db)
        .await?;

    // Manual scores: the target's own score for the same key wins.
    for m in manual_score::Entity::find()
        .filter(manual_score::Column::AgencyId.eq(source_id))
        .all(db)
        .await?
    {
        let clash = manual_score::Entity::find()
            .filter(manual_score::Column::Year.eq(m.year))
            .filter(manual_score::Column::SchemeId.eq(m.scheme_id))
            .filter(manual_score::Column::CriterionKey.eq(&m.criterion_key))
            .filter(manual_score::Column::AgencyId.eq(target_id))
            .one(db)
            .await?
            .is_some();
        if clash {
            manual_score::Entity::delete_by_id(m.id).exec(db).await?;
        } else {
            manual_score::Entity::update_many()
                .col_expr(manual_score::Column::AgencyId, Expr::value(target_id))
                .filter(manual_score::Column::Id.eq(m.id))
                .exec(db)
                .await?;
        }
    }

    // Manual adjustments have no unique key: all move.
    manual_adjustment::Entity::update_many()
        .col_expr(manual_adjustment::Column::AgencyId, Expr::value(target_id))
        .filter(manual_adjustment::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads

/// Results of one revision in rank order; agency staff see only their own agency's, and
/// only in a published revision.
pub async fn results(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    evaluation_id: i64,
) -> AppResult<Vec<evaluation_result::Model>> {
    let mut q = evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(evaluation_id));
    if !viewer.can_read_all() {
        let own = viewer.require_agency_staff()?;
        // Staff read their agency's result once it is published, never a draft's or a
        // computed revision's (those may still change).
        if get(db, evaluation_id).await?.status != PUBLISHED {
            return Ok(Vec::new());
        }
        q = q.filter(evaluation_result::Column::AgencyId.eq(own));
    }
    Ok(q.order_by_asc(evaluation_result::Column::Rank)
        .order_by_asc(evaluation_result::Column::AgencyId)
        .all(db)
        .await?)
}

/// One line of a leader's history: the result of their agency in a published evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct LeaderHistoryEntry {
    pub leader: Leader,
    pub evaluation: evaluation::Model,
    pub result: evaluation_result::Model,
}

/// A leader's results across years, by contact email (case-insensitive) or name, from the
/// leader snapshots of published evaluations; per year and scheme only the latest published
/// revision counts. Agency staff see only entries of their own agency.
///
/// # Errors
/// INVALID_INPUT without an email or a name.
pub async fn leader_history(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    email: Option<&str>,
    name: Option<&str>,
) -> AppResult<Vec<LeaderHistoryEntry>> {
    let email = email
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let name = name.map(str::trim).filter(|s| !s.is_empty());
    if email.is_none() && name.is_none() {
        return Err(AppError::invalid("give a leader's email or name"));
    }
    let own = if viewer.can_read_all() {
        None
    } else {
        Some(viewer.require_agency_staff()?)
    };
    let published = evaluation::Entity::find()
        .filter(evaluation::Column::Status.eq(PUBLISHED))
        .order_by_asc(evaluation::Column::Year)
        .order_by_asc(evaluation::Column::Revision)
        .all(db)
        .await?;
    // Latest published revision per (year, scheme).
    let mut latest: BTreeMap<(i32, i64), evaluation::Model> = BTreeMap::new();
    for e in published {
        latest.insert((e.year, e.scheme_id), e);
    }
    let mut out = Vec::new();
    for e in latest.into_values() {
        for r in evaluation_result::Entity::find()
            .filter(evaluation_result::Column::EvaluationId.eq(e.id))
            .order_by_asc(evaluation_result::Column::Rank)
            .all(db)
            .await?
        {
            if own.is_some_and(|a| a != r.agency_id) {
                continue;
            }
            let leaders: Vec<Leader> =
                serde_json::from_value(r.leaders.clone()).unwrap_or_default();
            if let Some(l) = leaders.into_iter().find(|l| {
                email
                    .as_deref()
                    .is_some_and(|m| l.email.to_lowercase() == m)
                    || name.is_some_and(|n| l.name == n)
            }) {
                out.push(LeaderHistoryEntry {
                    leader: l,
                    evaluation: e.clone(),
                    result: r,
                });
            }
        }
    }
    Ok(out)
}

/// Year of a timestamp in China time (for defaults such as "last year").
pub fn local_year(at: DateTime<Utc>) -> i32 {
    china_day(at).year()
}

// ---------------------------------------------------------------------------------------
// Command line

/// `duban evaluate`: computes the year (unless its latest revision is published), publishes
/// it with `publish`, and renders the results as a table, CSV or JSON to `output` or stdout,
/// or as an .xlsx workbook to `output`. A CSV written to a file starts with a UTF-8 byte
/// order mark, so that Excel shows the Chinese names (stdout gets none, for pipes).
///
/// # Errors
/// INVALID_INPUT for an unknown format, xlsx without `output`, or bad inputs; those of
/// [`compute`] and [`publish`].
pub async fn run_cli(
    db: &crate::db::Db,
    year: i32,
    scheme: Option<&str>,
    publish_it: bool,
    format: &str,
    output: Option<&std::path::Path>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::evaluation::report::{self, Format, Row};
    let format = Format::parse(format).map_err(AppError::invalid)?;
    let name = scheme.unwrap_or(DEFAULT_SCHEME);
    let tx = db.write().await?;
    ensure_seed_schemes(&*tx, now).await?;
    let (scheme_model, _) = scheme_by_name(&*tx, name).await?;
    let mut eval = match latest_revision(&*tx, year, scheme_model.id).await? {
        Some(e) if e.status == PUBLISHED => {
            eprintln!(
                "the {year} evaluation (revision {}) is published: showing it unchanged",
                e.revision
            );
            e
        }
        _ => compute(&*tx, None, year, Some(name), None, now).await?,
    };
    if publish_it && eval.status != PUBLISHED {
        eval = publish(&*tx, None, eval.id, now).await?;
    }
    let rows: Vec<Row> = evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(eval.id))
        .order_by_asc(evaluation_result::Column::Rank)
        .order_by_asc(evaluation_result::Column::AgencyId)
        .all(&*tx)
        .await?
        .into_iter()
        .map(|r| Row {
            rank: r.rank.max(0) as u32,
            agency_id: r.agency_id,
            subject: r.subject_name,
            score: core::round2(r.score),
            grade: r.grade,
            vetoed: r.vetoed,
            breakdown: r.breakdown,
        })
        .collect();
    tx.commit().await?;
    let text = match format {
        // A workbook is binary: it goes to a file, never to the terminal.
        Format::Xlsx => {
            let Some(path) = output else {
                return Err(AppError::invalid(
                    "--format xlsx writes a file: give --output FILE.xlsx",
                ));
            };
            let bytes = report::xlsx(&format!("{year}"), &rows).map_err(AppError::internal)?;
            return std::fs::write(path, bytes)
                .map_err(|e| AppError::invalid(format!("cannot write {}: {e}", path.display())));
        }
        Format::Table => report::table(
            &format!(
                "{} — {year} (revision {}, {})",
                scheme_model.title, eval.revision, eval.status
            ),
            &rows,
        ),
        Format::Csv => report::csv(&rows),
        Format::Json => report::json(&rows),
    };
    match output {
        Some(path) if format == Format::Csv => std::fs::write(path, format!("\u{feff}{text}"))
            .map_err(|e| AppError::invalid(format!("cannot write {}: {e}", path.display())))?,
        Some(path) => std::fs::write(path, text)
            .map_err(|e| AppError::invalid(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}
