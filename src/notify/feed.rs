//! The iCalendar feed of an agency's deadlines, served at `GET /ical/{token}.ics`.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::ical::{CalendarEvent, render_calendar};
use crate::domain::AssignmentRole;
use crate::error::{AppError, AppResult};
use crate::services::light::open_sql;
use crate::services::query_all;

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    code: String,
    title: String,
    deadline: NaiveDate,
    role: String,
    plan_title: String,
    version: i32,
    updated_at: DateTime<Utc>,
}

/// The feed for the agency owning `token`, or NOT_FOUND.
///
/// # Errors
/// NOT_FOUND for an unknown token; INTERNAL on database errors.
pub async fn render_for_token(
    db: &impl ConnectionTrait,
    token: &str,
    public_url: &str,
) -> AppResult<String> {
    let agency_id = super::store::agency_for_token(db, token)
        .await?
        .ok_or_else(|| AppError::NotFound("unknown calendar".into()))?;
    let agency = crate::services::agencies::get(db, agency_id).await?;
    let rows: Vec<Row> = query_all(
        db,
        &format!(
            "SELECT t.id, t.code, t.title, t.deadline, a.role, p.title AS plan_title, t.version, \
         t.updated_at \
         FROM assignment a JOIN task t ON t.id = a.task_id JOIN plan p ON p.id = t.plan_id \
         WHERE a.agency_id = ? AND t.deadline IS NOT NULL \
         AND {} ORDER BY t.deadline, t.id, a.id",
            open_sql("t.status")
        ),
        vec![agency_id.into()],
    )
    .await?;
    let base = public_url.trim_end_matches('/');
    // One event per task, even when the agency holds two roles on it (its UID must be
    // unique in the feed): the roles are joined in the summary.
    let mut tasks: Vec<(Row, Vec<&'static str>)> = Vec::new();
    for r in rows {
        let role = match AssignmentRole::parse(&r.role) {
            Ok(AssignmentRole::Lead) => "牵头",
            Ok(AssignmentRole::Participant) => "参与",
            _ => "落实",
        };
        // Rows are ordered by task: a task's rows are adjacent.
        match tasks.last_mut().filter(|(t, _)| t.id == r.id) {
            Some((_, roles)) => {
                if !roles.contains(&role) {
                    roles.push(role);
                }
            }
            None => tasks.push((r, vec![role])),
        }
    }
    let events: Vec<CalendarEvent> = tasks
        .into_iter()
        .map(|(r, roles)| CalendarEvent {
            uid: format!("task-{}-deadline-{}@duban", r.id, agency_id),
            date: r.deadline,
            summary: format!("【{}】{} {} 完成时限", roles.join("/"), r.code, r.title),
            description: format!("{}\n{} {}", r.plan_title, r.code, r.title),
            url: format!("{base}/tasks/{}", r.id),
            modified: r.updated_at,
            sequence: u32::try_from(r.version).unwrap_or(0),
        })
        .collect();
    Ok(render_calendar(&agency.name, &events))
}
