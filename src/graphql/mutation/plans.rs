//! Plans (实施方案): create, update, delete.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

#[derive(InputObject)]
pub struct PlanInput {
    pub title: String,
    pub document_number: Option<String>,
    #[graphql(default)]
    pub issuers: Vec<String>,
    /// YYYY-MM-DD
    pub issue_date: Option<String>,
    pub region: Option<String>,
    #[graphql(default_with = "PlanStatus::Draft")]
    pub status: PlanStatus,
    /// YYYY, YYYY-MM or YYYY-MM-DD
    pub default_deadline: Option<String>,
}

impl PlanInput {
    fn parse(self) -> AppResult<services::plans::PlanInput> {
        Ok(services::plans::PlanInput {
            title: self.title,
            document_number: self.document_number,
            issuers: self.issuers,
            issue_date: self.issue_date.as_deref().map(parse_day).transpose()?,
            region: self.region,
            status: self.status,
            default_deadline: self
                .default_deadline
                .as_deref()
                .map(Deadline::parse)
                .transpose()?,
        })
    }
}

#[derive(Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    async fn create_plan(&self, ctx: &Context<'_>, input: PlanInput) -> Result<Plan> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::plans::create(
            tx,
            Actor::User(v),
            input,
            None,
            now
        ))
        .map(Plan)
    }

    /// Replaces a plan's fields; `version` must be the one you read (else CONFLICT).
    async fn update_plan(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: PlanInput,
    ) -> Result<Plan> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let id = parse_id("plan", &id)?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::plans::update(
            tx, v, id, version, input, now
        ))
        .map(Plan)
    }

    /// Deletes a plan and its tasks. Refused (CONFLICT) while a task has progress reports,
    /// extension requests or supervision records: those are evidence; archive the plan instead.
    async fn delete_plan(&self, ctx: &Context<'_>, id: ID) -> Result<Plan> {
        let v = viewer(ctx)?;
        let id = parse_id("plan", &id)?;
        mutate!(ctx, |tx, now| services::plans::delete(tx, v, id, now)).map(Plan)
    }
}
