//! The task list as a Relay connection: ordering (`orderBy`), cursors, paging both ways.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::task;

use super::state;
use super::types::{Task, prefetch_tasks};
use crate::domain::{OrderDirection, TaskOrderField};
use crate::error::AppError;
use crate::services::tasks::{self, Page, PageRequest, TaskFilter, TaskOrder};

/// One key of a task list order.
#[derive(InputObject, Clone, Copy)]
#[graphql(name = "TaskOrder")]
pub struct TaskOrderInput {
    pub field: TaskOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Reads `orderBy` into an order (document order when absent or empty).
pub(crate) fn parse_order(order_by: Option<Vec<TaskOrderInput>>) -> Result<TaskOrder, AppError> {
    TaskOrder::new(
        order_by
            .unwrap_or_default()
            .into_iter()
            .map(|o| (o.field, o.direction))
            .collect(),
    )
}

/// Checks `first`/`last` (at most one, each 1..=100) and reads the cursors for `order`.
pub(crate) fn parse_page(
    order: &TaskOrder,
    first: Option<i32>,
    after: Option<&str>,
    last: Option<i32>,
    before: Option<&str>,
    today: NaiveDate,
) -> Result<PageRequest, AppError> {
    let size = |name: &str, n: Option<i32>| -> Result<Option<u64>, AppError> {
        match n {
            None => Ok(None),
            Some(n) if (1..=tasks::MAX_PAGE as i32).contains(&n) => Ok(Some(n as u64)),
            Some(_) => Err(AppError::invalid(format!(
                "{name} must be between 1 and {}",
                tasks::MAX_PAGE
            ))),
        }
    };
    let (first, last) = (size("first", first)?, size("last", last)?);
    if first.is_some() && last.is_some() {
        return Err(AppError::invalid("pass first or last, not both"));
    }
    Ok(PageRequest {
        after: after.map(|c| order.decode(c, today)).transpose()?,
        before: before.map(|c| order.decode(c, today)).transpose()?,
        first,
        last,
    })
}

/// A page of tasks (Relay connection).
pub struct TaskConnection {
    pub page: Page,
    pub req: PageRequest,
    pub filter: TaskFilter,
    pub order: TaskOrder,
    pub today: NaiveDate,
}

/// Relay page info. `hasPreviousPage` after `after` (and `hasNextPage` before `before`) cost
/// one more statement, run only when the field is selected.
#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

pub struct TaskEdge {
    row: task::Model,
    cursor: String,
}

#[Object]
impl TaskEdge {
    /// Opaque; valid for the same `orderBy` only.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn node(&self) -> Task {
        Task(self.row.clone())
    }
}

impl TaskConnection {
    fn cursor(&self, t: &task::Model) -> String {
        self.order.cursor(t, self.today).encode()
    }

    /// Whether rows lie on the far side of a cursor the page was bounded by.
    async fn beyond(
        &self,
        ctx: &Context<'_>,
        c: Option<&tasks::TaskCursor>,
        forward: bool,
    ) -> Result<bool> {
        let Some(c) = c else { return Ok(false) };
        Ok(tasks::exists_beyond(
            &state(ctx).db.conn,
            &self.filter,
            &self.order,
            c,
            forward,
            self.today,
        )
        .await?)
    }
}

#[Object]
impl TaskConnection {
    async fn edges(&self, ctx: &Context<'_>) -> Result<Vec<TaskEdge>> {
        prefetch_tasks(ctx, &self.page.rows, ctx.look_ahead().field("node")).await?;
        Ok(self
            .page
            .rows
            .iter()
            .map(|t| TaskEdge {
                row: t.clone(),
                cursor: self.cursor(t),
            })
            .collect())
    }
    async fn nodes(&self, ctx: &Context<'_>) -> Result<Vec<Task>> {
        prefetch_tasks(ctx, &self.page.rows, ctx.look_ahead()).await?;
        Ok(self.page.rows.iter().cloned().map(Task).collect())
    }
    async fn page_info(&self, ctx: &Context<'_>) -> Result<PageInfo> {
        let look = ctx.look_ahead();
        let (has_next_page, has_previous_page) = if self.page.backward {
            let next = if look.field("hasNextPage").exists() {
                self.beyond(ctx, self.req.before.as_ref(), true).await?
            } else {
                false
            };
            (next, self.page.more)
        } else {
            let previous = if look.field("hasPreviousPage").exists() {
                self.beyond(ctx, self.req.after.as_ref(), false).await?
            } else {
                false
            };
            (self.page.more, previous)
        };
        Ok(PageInfo {
            has_next_page,
            has_previous_page,
            start_cursor: self.page.rows.first().map(|t| self.cursor(t)),
            end_cursor: self.page.rows.last().map(|t| self.cursor(t)),
        })
    }
    /// Number of tasks matching the filter (one extra COUNT query; ask only when needed).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(tasks::count(&state(ctx).db.conn, &self.filter, self.today).await?)
    }
}
