//! The traffic-light and overdue rule of [`crate::domain::light`], written once as SQL over
//! the `task` table, for every query that filters or counts by it: the task list filters,
//! the dashboard's counts, the reminder sweep and the calendar feed. Kept beside each other
//! so that the pure rule and its SQL form change together (the API tests compare them).

use chrono::{Duration, NaiveDate};
use entity::task;
use sea_orm::{ColumnTrait, Condition};

use crate::domain::TaskStatus;
use crate::domain::light::{YELLOW_PROGRESS_BELOW, YELLOW_WINDOW_DAYS};

/// The stored values of resolved statuses ([`TaskStatus::RESOLVED`]).
pub(crate) fn resolved() -> [&'static str; 2] {
    TaskStatus::RESOLVED.map(TaskStatus::as_str)
}

/// `<status_column> NOT IN ('completed', 'cancelled')`, for raw SQL: the task is open.
pub(crate) fn open_sql(status_column: &str) -> String {
    let list = resolved().map(|s| format!("'{s}'")).join(", ");
    format!("{status_column} NOT IN ({list})")
}

/// Red, and overdue: past the deadline and not resolved.
pub(crate) fn overdue_cond(today: NaiveDate) -> Condition {
    Condition::all()
        .add(task::Column::Deadline.lt(today))
        .add(task::Column::Status.is_not_in(resolved()))
}

/// The complement of `overdue_cond`, written out: `NOT (deadline < today …)` is NULL, not true,
/// for a task without a deadline (ongoing tasks, headings), and would drop those rows.
pub(crate) fn not_overdue_cond(today: NaiveDate) -> Condition {
    Condition::any()
        .add(task::Column::Deadline.is_null())
        .add(task::Column::Deadline.gte(today))
        .add(task::Column::Status.is_in(resolved()))
}

/// Green = neither red nor yellow: resolved, no deadline, due beyond the yellow window, or
/// due within it with enough progress.
pub(crate) fn green_cond(today: NaiveDate) -> Condition {
    Condition::any()
        .add(task::Column::Status.is_in(resolved()))
        .add(task::Column::Deadline.is_null())
        .add(task::Column::Deadline.gt(today + Duration::days(YELLOW_WINDOW_DAYS)))
        .add(
            Condition::all()
                .add(task::Column::Deadline.gte(today))
                .add(task::Column::Progress.gte(YELLOW_PROGRESS_BELOW)),
        )
}

/// Yellow: open, due within the window, little progress.
pub(crate) fn yellow_cond(today: NaiveDate) -> Condition {
    Condition::all()
        .add(task::Column::Status.is_not_in(resolved()))
        .add(task::Column::Deadline.gte(today))
        .add(task::Column::Deadline.lte(today + Duration::days(YELLOW_WINDOW_DAYS)))
        .add(task::Column::Progress.lt(YELLOW_PROGRESS_BELOW))
}

/// [`crate::domain::Light::severity`] as SQL: `CASE WHEN <red> THEN 2 WHEN <yellow> THEN 1
/// ELSE 0 END`, from the same red and yellow conditions as the filters (ordering by light
/// cannot use an index: it changes with the day).
pub(crate) fn severity_expr(today: NaiveDate) -> sea_orm::sea_query::Expr {
    use crate::domain::Light;
    sea_orm::sea_query::Expr::case(overdue_cond(today), Light::Red.severity())
        .case(yellow_cond(today), Light::Yellow.severity())
        .finally(Light::Green.severity())
        .into()
}
