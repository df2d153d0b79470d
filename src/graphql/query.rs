//! Read side. Every field requires a valid token; reads are open to all three roles except
//! where noted (users: office; contacts: see `Agency::contacts`).

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::connection::{TaskConnection, TaskOrderInput, parse_order, parse_page};
use super::types::*;
use super::{AGENCY_ROWS, AGGREGATE_COST, state, today, viewer};
use crate::domain::{
    AgencyKind, AssignmentRole, Light, PlanStatus, TaskKind, TaskStatus, deadline::parse_day,
};
use crate::error::AppError;
use crate::services::{self, parse_id, tasks::TaskFilter};

/// Core reads: plans, tasks, agencies, users, dashboard, audit.
#[derive(Default)]
pub struct CoreQuery;

/// Task list filters; all optional, combined with AND.
#[derive(InputObject, Default)]
pub struct TaskFilterInput {
    pub plan_id: Option<ID>,
    /// Tasks this agency is assigned to (in `role`, if given).
    pub agency_id: Option<ID>,
    pub role: Option<AssignmentRole>,
    pub status: Option<Vec<TaskStatus>>,
    pub kind: Option<Vec<TaskKind>>,
    pub overdue: Option<bool>,
    pub light: Option<Light>,
    /// YYYY-MM-DD, inclusive.
    pub deadline_from: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub deadline_to: Option<String>,
    /// Substring of the title, code or body.
    pub text: Option<String>,
    pub parent_id: Option<ID>,
}

impl TaskFilterInput {
    fn parse(self) -> Result<TaskFilter, AppError> {
        if self.status.as_ref().is_some_and(|s| s.len() > 10)
            || self.kind.as_ref().is_some_and(|k| k.len() > 10)
        {
            return Err(AppError::invalid("too many values in a filter list"));
        }
        Ok(TaskFilter {
            plan_id: self.plan_id.map(|i| parse_id("plan", &i)).transpose()?,
            agency_id: self.agency_id.map(|i| parse_id("agency", &i)).transpose()?,
            role: self.role,
            statuses: self.status.unwrap_or_default(),
            kinds: self.kind.unwrap_or_default(),
            overdue: self.overdue,
            light: self.light,
            deadline_from: self.deadline_from.as_deref().map(parse_day).transpose()?,
            deadline_to: self.deadline_to.as_deref().map(parse_day).transpose()?,
            text: crate::domain::text::optional(
                "text",
                self.text.as_deref(),
                crate::domain::text::SHORT,
            )?,
            parent_id: self.parent_id.map(|i| parse_id("task", &i)).transpose()?,
        })
    }
}

fn bounded(first: Option<i32>, default: i32, max: u64) -> Result<u64, AppError> {
    let n = first.unwrap_or(default);
    if n < 1 || n as u64 > max {
        return Err(AppError::invalid(format!(
            "first must be between 1 and {max}"
        )));
    }
    Ok(n as u64)
}

/// Largest offset the offset-paged lists accept (the task list pages by cursor instead).
pub const MAX_OFFSET: i32 = 10_000;

fn offset(v: Option<i32>) -> Result<u64, AppError> {
    match v.unwrap_or(0) {
        n if !(0..=MAX_OFFSET).contains(&n) => Err(AppError::invalid(format!(
            "offset must be between 0 and {MAX_OFFSET}"
        ))),
        n => Ok(n as u64),
    }
}

#[Object]
impl CoreQuery {
    /// The logged-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let v = viewer(ctx)?;
        Ok(User(
            services::users::get(&state(ctx).db.conn, v.user_id).await?,
        ))
    }

    /// Agencies by name, at most 100 per page.
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        kind: Option<AgencyKind>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<Agency>> {
        viewer(ctx)?;
        let search =
            crate::domain::text::optional("search", search.as_deref(), crate::domain::text::SHORT)?;
        let rows = services::agencies::list(
            &state(ctx).db.conn,
            search.as_deref(),
            kind,
            bounded(first, 50, 100)?,
            self::offset(offset)?,
        )
        .await?;
        Ok(rows.into_iter().map(Agency::from).collect())
    }

    async fn agency(&self, ctx: &Context<'_>, id: ID) -> Result<Agency> {
        viewer(ctx)?;
        Ok(Agency::from(
            services::agencies::get(&state(ctx).db.conn, parse_id("agency", &id)?).await?,
        ))
    }

    /// Plans, newest first.
    async fn plans(
        &self,
        ctx: &Context<'_>,
        status: Option<PlanStatus>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<Plan>> {
        viewer(ctx)?;
        let rows = services::plans::list(
            &state(ctx).db.conn,
            status,
            bounded(first, 50, 100)?,
            self::offset(offset)?,
        )
        .await?;
        Ok(rows.into_iter().map(Plan).collect())
    }

    async fn plan(&self, ctx: &Context<'_>, id: ID) -> Result<Plan> {
        viewer(ctx)?;
        Ok(Plan(
            services::plans::get(&state(ctx).db.conn, parse_id("plan", &id)?).await?,
        ))
    }

    /// Tasks as a Relay connection, at most 100 per page: `first`/`after` forwards,
    /// `last`/`before` backwards. `orderBy` sorts (document order when absent); ties are
    /// broken by id, and a cursor is accepted only by the order it came from.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        filter: Option<TaskFilterInput>,
        order_by: Option<Vec<TaskOrderInput>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<TaskConnection> {
        viewer(ctx)?;
        let filter = filter.unwrap_or_default().parse()?;
        let order = parse_order(order_by)?;
        let today = today(ctx);
        let req = parse_page(
            &order,
            first,
            after.as_deref(),
            last,
            before.as_deref(),
            today,
        )?;
        let look = ctx.look_ahead();
        let with_body = look.field("nodes").field("body").exists()
            || look.field("edges").field("node").field("body").exists();
        let page =
            services::tasks::page(&state(ctx).db.conn, &filter, &order, &req, today, with_body)
                .await?;
        Ok(TaskConnection {
            page,
            req,
            filter,
            order,
            today,
        })
    }

    async fn task(&self, ctx: &Context<'_>, id: ID) -> Result<Task> {
        viewer(ctx)?;
        let id = parse_id("task", &id)?;
        let db = &state(ctx).db.conn;
        let look = ctx.look_ahead();
        // The plan, when asked for, comes in the same statement as the task.
        let row = if look.field("plan").exists() {
            let (row, plan) = services::tasks::get_with_plan(db, id).await?;
            if let Some(p) = plan {
                super::loaders::feed_by_id::<entity::plan::Entity>(
                    ctx,
                    [(p.id, std::sync::Arc::new(p))],
                )
                .await?;
            }
            row
        } else {
            services::tasks::get(db, id).await?
        };
        prefetch_assignments(ctx, std::slice::from_ref(&row), look).await?;
        Ok(Task(row))
    }

    /// Per agency: tasks led, completed, overdue and by traffic light.
    #[graphql(complexity = "AGGREGATE_COST + AGENCY_ROWS * child_complexity")]
    async fn dashboard(&self, ctx: &Context<'_>, plan_id: Option<ID>) -> Result<Vec<AgencyStats>> {
        viewer(ctx)?;
        let plan_id = plan_id.map(|p| parse_id("plan", &p)).transpose()?;
        let rows = services::dashboard::by_agency(&state(ctx).db.conn, plan_id, today(ctx)).await?;
        Ok(rows.into_iter().map(AgencyStats).collect())
    }

    /// User accounts (office only).
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<User>> {
        let v = viewer(ctx)?;
        let rows = services::users::list(
            &state(ctx).db.conn,
            v,
            bounded(first, 50, 100)?,
            self::offset(offset)?,
        )
        .await?;
        Ok(rows.into_iter().map(User).collect())
    }

    /// Audit trail of any record (office and leaders), newest first.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        entity: String,
        entity_id: ID,
        first: Option<i32>,
    ) -> Result<Vec<AuditEvent>> {
        let v = viewer(ctx)?;
        if !v.can_read_all() {
            return Err(
                AppError::forbidden("only the office and leaders read the audit trail").into(),
            );
        }
        let entity = crate::domain::text::required("entity", &entity, 50)?;
        let rows = services::audit::history(
            &state(ctx).db.conn,
            &entity,
            parse_id(&entity, &entity_id)?,
            bounded(first, 50, 100)?,
        )
        .await?;
        Ok(rows.into_iter().map(AuditEvent).collect())
    }
}
