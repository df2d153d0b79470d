//! The leaders' dashboard: per agency, tasks led, completed, overdue and by traffic light.

use chrono::NaiveDate;
use entity::{assignment, task};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, FromQueryResult};

use super::light::{green_cond, overdue_cond, yellow_cond};
use crate::domain::{AssignmentRole, TaskStatus};
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

/// One aggregate query over lead assignments, whatever the number of agencies. The lights
/// are counted with the same conditions the task list filters by ([`super::light`]).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn by_agency(
    db: &impl ConnectionTrait,
    plan_id: Option<i64>,
    today: NaiveDate,
) -> AppResult<Vec<AgencyRow>> {
    // SUM(CASE WHEN <cond> THEN 1 ELSE 0 END)
    let count_if = |c: Condition| -> Expr {
        Func::sum(Expr::case(c, Expr::cust("1")).finally(Expr::cust("0"))).into()
    };
    let agency = (assignment::Entity, assignment::Column::AgencyId);
    let mut q = Query::select();
    q.expr_as(Expr::col(agency), "agency_id")
        .expr_as(Expr::cust("COUNT(*)"), "led")
        .expr_as(
            count_if(Condition::all().add(task::Column::Status.eq(TaskStatus::Completed.as_str()))),
            "completed",
        )
        .expr_as(count_if(overdue_cond(today)), "overdue")
        .expr_as(count_if(overdue_cond(today)), "red")
        .expr_as(count_if(yellow_cond(today)), "yellow")
        .expr_as(count_if(green_cond(today)), "green")
        .from(assignment::Entity)
        .inner_join(
            task::Entity,
            Expr::col((task::Entity, task::Column::Id))
                .equals((assignment::Entity, assignment::Column::TaskId)),
        )
        .and_where(assignment::Column::Role.eq(AssignmentRole::Lead.as_str()))
        .group_by_col(agency)
        .order_by(agency, Order::Asc);
    if let Some(p) = plan_id {
        q.and_where(task::Column::PlanId.eq(p));
    }
    let stmt = db.get_database_backend().build(&q);
    Ok(AgencyRow::find_by_statement(stmt).all(db).await?)
}
