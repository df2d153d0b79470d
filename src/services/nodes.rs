//! Rows by global id (`node`, `nodes`): any type, in one statement per type, each row
//! returned only when the viewer could read it through the ordinary fields — an id that
//! names a row the viewer may not read is answered like one that names nothing, so ids
//! reveal nothing.

use std::collections::{HashMap, HashSet};

use entity::{
    agency, assignment, attachment, audit_event, contact, evaluation, evaluation_result,
    evaluation_scheme, extension_request, indicator_value, manual_adjustment, manual_score,
    outbox_message, plan, progress_report, supervision_record, target, task, user,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::Viewer;
use crate::domain::{AuditAction, EvaluationStatus, UserRole};
use crate::error::AppResult;

/// Most ids one `nodes` call may ask for.
pub const MAX_NODES: usize = 100;

/// A row of any type that has a global id, named by its GraphQL type.
#[derive(Clone, Debug)]
pub enum Row {
    Agency(agency::Model),
    Assignment(assignment::Model),
    Attachment(attachment::Model),
    AuditEvent(audit_event::Model),
    CompletionRequest(audit_event::Model),
    Contact(contact::Model),
    Evaluation(evaluation::Model),
    EvaluationResult(evaluation_result::Model),
    EvaluationScheme(evaluation_scheme::Model),
    ExtensionRequest(extension_request::Model),
    IndicatorValue(indicator_value::Model),
    ManualAdjustment(manual_adjustment::Model),
    ManualScore(manual_score::Model),
    OutboxMessage(outbox_message::Model),
    Plan(plan::Model),
    ProgressReport(progress_report::Model),
    SupervisionRecord(supervision_record::Model),
    Target(target::Model),
    Task(task::Model),
    User(user::Model),
}

/// The GraphQL type names a global id may carry.
pub const TYPES: &[&str] = &[
    "Agency",
    "Assignment",
    "Attachment",
    "AuditEvent",
    "CompletionRequest",
    "Contact",
    "Evaluation",
    "EvaluationResult",
    "EvaluationScheme",
    "ExtensionRequest",
    "IndicatorValue",
    "ManualAdjustment",
    "ManualScore",
    "OutboxMessage",
    "Plan",
    "ProgressReport",
    "SupervisionRecord",
    "Target",
    "Task",
    "User",
];

/// Reads `rows` of entity `E` by primary key.
async fn by_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    ids: &[i64],
    key: fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, E::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = E::find()
        .filter(column.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| (key(&m), m)).collect())
}

/// The rows for `(type, row id)` keys, in the order asked, `None` for an unknown type, a
/// missing row or a row the viewer may not read. One statement per type asked for, plus at
/// most two for the visibility of task items and evaluation results.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn load(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    keys: &[(String, i64)],
) -> AppResult<Vec<Option<Row>>> {
    let mut wanted: HashMap<&str, Vec<i64>> = HashMap::new();
    for (kind, id) in keys {
        wanted.entry(kind.as_str()).or_default().push(*id);
    }
    let ids = |k: &str| wanted.get(k).cloned().unwrap_or_default();
    let mut found: HashMap<(&'static str, i64), Row> = HashMap::new();
    macro_rules! fetch {
        ($name:literal, $entity:ident, $variant:ident) => {
            for (id, m) in
                by_ids::<$entity::Entity>(db, $entity::Column::Id, &ids($name), |m| m.id).await?
            {
                found.insert(($name, id), Row::$variant(m));
            }
        };
    }
    fetch!("Agency", agency, Agency);
    fetch!("Assignment", assignment, Assignment);
    fetch!("Attachment", attachment, Attachment);
    fetch!("AuditEvent", audit_event, AuditEvent);
    fetch!("CompletionRequest", audit_event, CompletionRequest);
    fetch!("Contact", contact, Contact);
    fetch!("Evaluation", evaluation, Evaluation);
    fetch!("EvaluationResult", evaluation_result, EvaluationResult);
    fetch!("EvaluationScheme", evaluation_scheme, EvaluationScheme);
    fetch!("ExtensionRequest", extension_request, ExtensionRequest);
    fetch!("IndicatorValue", indicator_value, IndicatorValue);
    fetch!("ManualAdjustment", manual_adjustment, ManualAdjustment);
    fetch!("ManualScore", manual_score, ManualScore);
    fetch!("OutboxMessage", outbox_message, OutboxMessage);
    fetch!("Plan", plan, Plan);
    fetch!("ProgressReport", progress_report, ProgressReport);
    fetch!("SupervisionRecord", supervision_record, SupervisionRecord);
    fetch!("Target", target, Target);
    fetch!("Task", task, Task);
    fetch!("User", user, User);

    let scope = Scope::of(db, viewer, found.values()).await?;
    Ok(keys
        .iter()
        .map(|(kind, id)| {
            let kind = TYPES.iter().find(|t| **t == kind.as_str())?;
            found
                .get(&(*kind, *id))
                .filter(|row| scope.may_read(viewer, row))
                .cloned()
        })
        .collect())
}

/// What visibility depends on beyond the row itself, read once for all rows asked for.
struct Scope {
    /// Tasks among those the rows belong to that the viewer's agency is assigned to.
    assigned: HashSet<i64>,
    /// Evaluations among those the rows belong to that are published.
    published: HashSet<i64>,
}

impl Scope {
    async fn of<'a>(
        db: &impl ConnectionTrait,
        viewer: &Viewer,
        rows: impl Iterator<Item = &'a Row>,
    ) -> AppResult<Self> {
        let mut scope = Scope {
            assigned: HashSet::new(),
            published: HashSet::new(),
        };
        // The office and leaders read everything; only staff need the lookups.
        if viewer.can_read_all() {
            return Ok(scope);
        }
        let mut tasks = Vec::new();
        let mut evaluations = Vec::new();
        for row in rows {
            match row {
                Row::AuditEvent(e) | Row::CompletionRequest(e) if e.entity == "task" => {
                    tasks.push(e.entity_id);
                }
                Row::Attachment(a) => tasks.push(a.task_id),
                Row::EvaluationResult(r) => evaluations.push(r.evaluation_id),
                _ => {}
            }
        }
        if let (Some(own), false) = (viewer.agency_id, tasks.is_empty()) {
            scope.assigned = assignment::Entity::find()
                .filter(assignment::Column::TaskId.is_in(tasks))
                .filter(assignment::Column::AgencyId.eq(own))
                .all(db)
                .await?
                .into_iter()
                .map(|a| a.task_id)
                .collect();
        }
        if !evaluations.is_empty() {
            scope.published = evaluation::Entity::find()
                .filter(evaluation::Column::Id.is_in(evaluations))
                .filter(evaluation::Column::Status.eq(EvaluationStatus::Published.as_str()))
                .all(db)
                .await?
                .into_iter()
                .map(|e| e.id)
                .collect();
        }
        Ok(scope)
    }

    /// The same rule as the row's ordinary fields apply (see each type's list or field).
    fn may_read(&self, v: &Viewer, row: &Row) -> bool {
        let all = v.can_read_all();
        let own = |agency: i64| v.agency_id == Some(agency);
        match row {
            // Open to every signed-in role, as `plans`, `tasks`, `agencies` and the lists
            // under a task are.
            Row::Agency(_)
            | Row::Assignment(_)
            | Row::Evaluation(_)
            | Row::EvaluationScheme(_)
            | Row::ExtensionRequest(_)
            | Row::Plan(_)
            | Row::ProgressReport(_)
            | Row::SupervisionRecord(_)
            | Row::Target(_)
            | Row::Task(_) => true,
            // `Agency.contacts`: the office, leaders and the agency's own staff.
            Row::Contact(c) => all || own(c.agency_id),
            // `Plan.createdBy` and `me`.
            Row::User(u) => all || u.id == v.user_id,
            // `Task.history`: assigned agencies' staff.
            Row::AuditEvent(e) => {
                all || (e.entity == "task" && self.assigned.contains(&e.entity_id))
            }
            Row::CompletionRequest(e) => {
                e.action == AuditAction::TaskRequestCompletion.as_str()
                    && e.entity == "task"
                    && (all || self.assigned.contains(&e.entity_id))
            }
            Row::Attachment(a) => all || self.assigned.contains(&a.task_id),
            // `Evaluation.results`: staff, their agency's, once published.
            Row::EvaluationResult(r) => {
                all || (own(r.agency_id) && self.published.contains(&r.evaluation_id))
            }
            // `indicatorValues`: what their agency supplied or what concerns it.
            Row::IndicatorValue(i) => all || own(i.agency_id) || own(i.source_agency_id),
            Row::ManualScore(m) => all || own(m.agency_id),
            Row::ManualAdjustment(m) => all || own(m.agency_id),
            // `outbox`: the office.
            Row::OutboxMessage(_) => v.role == UserRole::Office,
        }
    }
}
