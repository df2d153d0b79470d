//! Tasks, their assignments and targets (the office's authoring).

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

#[derive(InputObject)]
pub struct TaskInput {
    pub plan_id: ID,
    pub parent_id: Option<ID>,
    pub code: String,
    #[graphql(default_with = "TaskKind::Task")]
    pub kind: TaskKind,
    pub title: String,
    #[graphql(default)]
    pub body: String,
    /// YYYY, YYYY-MM or YYYY-MM-DD (the last day of a year or month).
    pub deadline: Option<String>,
    #[graphql(default)]
    pub ongoing: bool,
    pub report_cadence: Option<ReportCadence>,
    #[graphql(default)]
    pub groups: Vec<String>,
    #[graphql(default)]
    pub lead_undecided: bool,
}

impl TaskInput {
    fn parse(self) -> AppResult<services::tasks::TaskInput> {
        Ok(services::tasks::TaskInput {
            plan_id: parse_id("plan", &self.plan_id)?,
            parent_id: self.parent_id.map(|p| parse_id("task", &p)).transpose()?,
            code: self.code,
            kind: self.kind,
            title: self.title,
            body: self.body,
            deadline: self.deadline.as_deref().map(Deadline::parse).transpose()?,
            ongoing: self.ongoing,
            report_cadence: self.report_cadence,
            groups: self.groups,
            lead_undecided: self.lead_undecided,
        })
    }
}

#[derive(InputObject)]
pub struct AssignmentInput {
    pub task_id: ID,
    pub agency_id: ID,
    pub role: AssignmentRole,
    pub note: Option<String>,
    /// YYYY-MM-DD
    pub sub_deadline: Option<String>,
}

#[derive(InputObject)]
pub struct TargetInput {
    pub plan_id: ID,
    pub task_id: Option<ID>,
    pub indicator: String,
    pub value: f64,
    pub unit: Option<String>,
    pub direction: TargetDirection,
    pub target_year: Option<i32>,
    pub baseline: Option<String>,
}

impl TargetInput {
    fn parse(self) -> AppResult<services::targets::TargetInput> {
        Ok(services::targets::TargetInput {
            plan_id: parse_id("plan", &self.plan_id)?,
            task_id: self.task_id.map(|t| parse_id("task", &t)).transpose()?,
            indicator: self.indicator,
            value: self.value,
            unit: self.unit,
            direction: self.direction,
            target_year: self.target_year,
            baseline: self.baseline,
        })
    }
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    async fn create_task(&self, ctx: &Context<'_>, input: TaskInput) -> Result<Task> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::tasks::create(
            tx,
            Actor::User(v),
            input,
            now
        ))
        .map(Task)
    }

    /// Replaces a task's fields; `version` must be the one you read (else CONFLICT).
    async fn update_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: TaskInput,
    ) -> Result<Task> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let id = parse_id("task", &id)?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::tasks::update(
            tx, v, id, version, input, now
        ))
        .map(Task)
    }

    /// Deletes a task and its sub-tasks; refused (CONFLICT) while evidence refers to it —
    /// cancel the task instead.
    async fn delete_task(&self, ctx: &Context<'_>, id: ID) -> Result<Task> {
        let v = viewer(ctx)?;
        let id = parse_id("task", &id)?;
        mutate!(ctx, |tx, now| services::tasks::delete(tx, v, id, now)).map(Task)
    }

    async fn assign_agency(&self, ctx: &Context<'_>, input: AssignmentInput) -> Result<Assignment> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let data = services::tasks::AssignmentInput {
            task_id: parse_id("task", &input.task_id)?,
            agency_id: parse_id("agency", &input.agency_id)?,
            role: input.role,
            note: input.note,
            sub_deadline: sub_deadline(input.sub_deadline.as_deref())?,
        };
        mutate!(ctx, |tx, now| services::tasks::assign(
            tx,
            Actor::User(v),
            data,
            now
        ))
        .map(Assignment)
    }

    async fn update_assignment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: AssignmentRole,
        note: Option<String>,
        sub_deadline: Option<String>,
    ) -> Result<Assignment> {
        let v = viewer(ctx)?;
        let id = parse_id("assignment", &id)?;
        let sd = self::sub_deadline(sub_deadline.as_deref())?;
        mutate!(ctx, |tx, now| services::tasks::update_assignment(
            tx, v, id, role, note, sd, now
        ))
        .map(Assignment)
    }

    async fn remove_assignment(&self, ctx: &Context<'_>, id: ID) -> Result<Assignment> {
        let v = viewer(ctx)?;
        let id = parse_id("assignment", &id)?;
        mutate!(ctx, |tx, now| services::tasks::unassign(tx, v, id, now)).map(Assignment)
    }

    async fn create_target(&self, ctx: &Context<'_>, input: TargetInput) -> Result<Target> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::targets::create(
            tx,
            Actor::User(v),
            input,
            now
        ))
        .map(Target)
    }

    async fn update_target(&self, ctx: &Context<'_>, id: ID, input: TargetInput) -> Result<Target> {
        let v = viewer(ctx)?;
        let id = parse_id("target", &id)?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::targets::update(
            tx, v, id, input, now
        ))
        .map(Target)
    }

    async fn delete_target(&self, ctx: &Context<'_>, id: ID) -> Result<Target> {
        let v = viewer(ctx)?;
        let id = parse_id("target", &id)?;
        mutate!(ctx, |tx, now| services::targets::delete(tx, v, id, now)).map(Target)
    }
}
