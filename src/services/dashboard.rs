//! The leaders' dashboard: per agency, tasks led, completed, overdue and by traffic light.

use chrono::{Duration, NaiveDate};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::query_all;
use crate::domain::light::{YELLOW_PROGRESS_BELOW, YELLOW_WINDOW_DAYS};
use crate::error::AppResult;

#[derive(Debug, Clone, FromQueryResult)]
pub struct AgencyRow {
    pub agency_id: i64,
    pub led: i64,
    pub completed: i64,
    pub overdue: i64,
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
}

/// One aggregate query over lead assignments, whatever the number of agencies.
pub async fn by_agency(
    db: &impl ConnectionTrait,
    plan_id: Option<i64>,
    today: NaiveDate,
) -> AppResult<Vec<AgencyRow>> {
    let horizon = today + Duration::days(YELLOW_WINDOW_DAYS);
    // red = overdue; yellow = due within the window with little progress; green = the rest.
    let red = "(t.deadline < ? AND t.status NOT IN ('completed','cancelled'))";
    let yellow = "(t.status NOT IN ('completed','cancelled') AND t.deadline >= ? AND t.deadline <= ? AND t.progress < ?)";
    let text = format!(
        "SELECT a.agency_id AS agency_id, COUNT(*) AS led, \
         SUM(CASE WHEN t.status = 'completed' THEN 1 ELSE 0 END) AS completed, \
         SUM(CASE WHEN {red} THEN 1 ELSE 0 END) AS overdue, \
         SUM(CASE WHEN {red} THEN 1 ELSE 0 END) AS red, \
         SUM(CASE WHEN {yellow} THEN 1 ELSE 0 END) AS yellow, \
         SUM(CASE WHEN {red} OR {yellow} THEN 0 ELSE 1 END) AS green \
         FROM assignment a JOIN task t ON t.id = a.task_id \
         WHERE a.role = 'lead' {plan} GROUP BY a.agency_id ORDER BY a.agency_id",
        plan = if plan_id.is_some() {
            "AND t.plan_id = ?"
        } else {
            ""
        }
    );
    // Placeholders in order: overdue (1), red (1), yellow (3), green = red (1) + yellow (3).
    let yellow_args =
        || -> [sea_orm::Value; 3] { [today.into(), horizon.into(), YELLOW_PROGRESS_BELOW.into()] };
    let mut values: Vec<sea_orm::Value> = vec![today.into(), today.into()];
    values.extend(yellow_args());
    values.push(today.into());
    values.extend(yellow_args());
    if let Some(p) = plan_id {
        values.push(p.into());
    }
    query_all(db, &text, values).await
}
