//! Assignments (office): which agency answers for a task in which role (牵头 / 参与 / 负责落实).

#[allow(clippy::wildcard_imports)]
use super::*;

pub struct AssignmentInput {
    pub task_id: i64,
    pub agency_id: i64,
    pub role: AssignmentRole,
    pub note: Option<String>,
    pub sub_deadline: Option<NaiveDate>,
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing assignment (or a record it
/// names); INVALID_INPUT for input that breaks a rule (lengths, ranges, references); CONFLICT
/// when someone else changed it first; INTERNAL on database errors.
pub async fn assign(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: AssignmentInput,
    now: DateTime<Utc>,
) -> AppResult<assignment::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    get(db, input.task_id).await?;
    agencies::get(db, input.agency_id).await?;
    if is_assigned(db, input.task_id, input.agency_id, Some(input.role)).await? {
        return Err(AppError::Conflict(
            "the agency already has this role on the task".into(),
        ));
    }
    let row = assignment::ActiveModel {
        task_id: Set(input.task_id),
        agency_id: Set(input.agency_id),
        role: Set(input.role.as_str().into()),
        note: Set(text::optional("note", input.note.as_deref(), text::MEDIUM)?),
        sub_deadline: Set(input.sub_deadline),
        created_at: Set(now),
        ..Default::default()
    };
    record::insert(db, viewer, AuditAction::AssignmentCreate, row, now).await
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing assignment (or a record it
/// names); INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL
/// on database errors.
pub async fn update_assignment(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    role: AssignmentRole,
    note: Option<String>,
    sub_deadline: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> AppResult<assignment::Model> {
    viewer.require_office()?;
    let before = record::find::<assignment::Entity>(db, id).await?;
    let mut am: assignment::ActiveModel = before.clone().into();
    am.role = Set(role.as_str().into());
    am.note = Set(text::optional("note", note.as_deref(), text::MEDIUM)?);
    am.sub_deadline = Set(sub_deadline);
    record::update(
        db,
        Actor::User(viewer),
        AuditAction::AssignmentUpdate,
        &before,
        am,
        now,
    )
    .await
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing assignment (or a record it
/// names); CONFLICT while other records still refer to it; INTERNAL on database errors.
pub async fn unassign(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<assignment::Model> {
    viewer.require_office()?;
    let before = record::find::<assignment::Entity>(db, id).await?;
    record::delete::<assignment::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::AssignmentDelete,
        before,
        now,
    )
    .await
}

/// Moves the source agency's assignments to the target (part of an agency merge), dropping
/// those that would duplicate one the target holds on the same task in the same role.
/// Returns a snapshot of the dropped assignments, for the merge's audit event.
///
/// # Errors
/// INTERNAL on database errors.
pub(in crate::services) async fn move_assignments(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<serde_json::Value> {
    let target_pairs: Vec<(i64, String)> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::TaskId)
        .column(assignment::Column::Role)
        .filter(assignment::Column::AgencyId.eq(target_id))
        .into_tuple()
        .all(db)
        .await?;
    let source_assignments = assignment::Entity::find()
        .filter(assignment::Column::AgencyId.eq(source_id))
        .all(db)
        .await?;
    let dupes: Vec<i64> = source_assignments
        .iter()
        .filter(|a| {
            target_pairs
                .iter()
                .any(|(t, r)| *t == a.task_id && *r == a.role)
        })
        .map(|a| a.id)
        .collect();
    // Kept for the audit event: the duplicates disappear, the rest move.
    let dropped: Vec<&assignment::Model> = source_assignments
        .iter()
        .filter(|a| dupes.contains(&a.id))
        .collect();
    let dropped_json = snapshot(&dropped);
    if !dupes.is_empty() {
        assignment::Entity::delete_many()
            .filter(assignment::Column::Id.is_in(dupes))
            .exec(db)
            .await?;
    }
    assignment::Entity::update_many()
        .col_expr(assignment::Column::AgencyId, Expr::value(target_id))
        .filter(assignment::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(dropped_json)
}
