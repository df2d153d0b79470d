//! The workflow: progress reports, status moves, extension requests.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::AttachmentOwner;
use crate::graphql::attachments;
use crate::services::attachments::Owner;
use async_graphql::Upload;

#[derive(InputObject)]
pub struct ProgressReportInput {
    pub task_id: ID,
    /// 2025, 2025-07, 2025-Q3 or 2025-H2
    pub period: String,
    pub text: String,
    pub percent: i32,
    /// Evidence files (佐证材料), sent as a GraphQL multipart request.
    pub files: Option<Vec<Upload>>,
}

#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Agency staff report progress on a task their agency is assigned to.
    async fn submit_progress_report(
        &self,
        ctx: &Context<'_>,
        input: ProgressReportInput,
    ) -> Result<ProgressReport> {
        let v = viewer(ctx)?;
        let task_id = parse_id("task", &input.task_id)?;
        let files = input.files.as_deref().unwrap_or(&[]);
        let staged = attachments::stage_for_task(ctx, task_id, None, files).await?;
        let data = services::progress::ReportInput {
            task_id,
            period: input.period,
            text: input.text,
            percent: input.percent,
        };
        mutate!(ctx, |tx, now| async {
            let report = services::progress::submit(tx, v, data, now).await?;
            let owner = Owner {
                kind: AttachmentOwner::ProgressReport,
                id: report.id,
            };
            attachments::attach_staged(ctx, tx, owner, &staged).await?;
            Ok::<_, AppError>(report)
        })
        .map(ProgressReport)
    }

    /// not started / returned → in progress.
    async fn start_task(&self, ctx: &Context<'_>, id: ID, version: i32) -> Result<Task> {
        self.transition(ctx, id, version, TaskAction::Start, None)
            .await
    }

    /// 申请办结: a lead agency asks the office to close the task.
    async fn request_completion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        note: Option<String>,
        #[graphql(desc = "Evidence files (佐证材料), sent as a GraphQL multipart request.")]
        files: Option<Vec<Upload>>,
    ) -> Result<Task> {
        let task_id = parse_id("task", &id)?;
        let files = files.as_deref().unwrap_or(&[]);
        let staged =
            attachments::stage_for_task(ctx, task_id, Some(AssignmentRole::Lead), files).await?;
        self.transition_with(
            ctx,
            id,
            version,
            TaskAction::RequestCompletion,
            note,
            &staged,
        )
        .await
    }

    /// 销号: the office verifies a completion request and closes the task.
    async fn verify_completion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        note: Option<String>,
    ) -> Result<Task> {
        self.transition(ctx, id, version, TaskAction::Verify, note)
            .await
    }

    /// 退回: the office sends a completion request back, with a reason.
    async fn return_completion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<Task> {
        self.transition(ctx, id, version, TaskAction::Return, Some(reason))
            .await
    }

    /// The office cancels an unresolved task, with a reason.
    async fn cancel_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<Task> {
        self.transition(ctx, id, version, TaskAction::Cancel, Some(reason))
            .await
    }

    /// The office reopens a completed or cancelled task, with a reason.
    async fn reopen_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reason: String,
    ) -> Result<Task> {
        self.transition(ctx, id, version, TaskAction::Reopen, Some(reason))
            .await
    }

    /// 延期申请: a lead agency asks to move the deadline.
    async fn request_extension(
        &self,
        ctx: &Context<'_>,
        task_id: ID,
        deadline: String,
        reason: String,
        #[graphql(desc = "Evidence files (佐证材料), sent as a GraphQL multipart request.")]
        files: Option<Vec<Upload>>,
    ) -> Result<ExtensionRequest> {
        let v = viewer(ctx)?;
        let id = parse_id("task", &task_id)?;
        let d = Deadline::parse(&deadline)?;
        let files = files.as_deref().unwrap_or(&[]);
        let staged =
            attachments::stage_for_task(ctx, id, Some(AssignmentRole::Lead), files).await?;
        mutate!(ctx, |tx, now| async {
            let r = services::extensions::request(tx, v, id, d, &reason, now).await?;
            let owner = Owner {
                kind: AttachmentOwner::ExtensionRequest,
                id: r.id,
            };
            attachments::attach_staged(ctx, tx, owner, &staged).await?;
            Ok::<_, AppError>(r)
        })
        .map(ExtensionRequest)
    }

    /// The office approves (the deadline moves, the original is kept) or rejects.
    async fn decide_extension(
        &self,
        ctx: &Context<'_>,
        id: ID,
        approve: bool,
        note: Option<String>,
    ) -> Result<ExtensionRequest> {
        let v = viewer(ctx)?;
        let id = parse_id("extension request", &id)?;
        mutate!(ctx, |tx, now| services::extensions::decide(
            tx,
            v,
            id,
            approve,
            note.as_deref(),
            now
        ))
        .map(ExtensionRequest)
    }
}

impl WorkflowMutation {
    async fn transition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        action: TaskAction,
        note: Option<String>,
    ) -> Result<Task> {
        self.transition_with(ctx, id, version, action, note, &[])
            .await
    }

    /// A move with evidence staged for it (only a completion request carries any).
    async fn transition_with(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        action: TaskAction,
        note: Option<String>,
        staged: &[services::attachments::Staged],
    ) -> Result<Task> {
        let v = viewer(ctx)?;
        let id = parse_id("task", &id)?;
        mutate!(ctx, |tx, now| async {
            let t =
                services::workflow::transition(tx, v, id, version, action, note.as_deref(), now)
                    .await?;
            if !staged.is_empty() {
                let request = services::attachments::latest_completion_request(tx, id).await?;
                let owner = Owner {
                    kind: AttachmentOwner::CompletionRequest,
                    id: request,
                };
                attachments::attach_staged(ctx, tx, owner, staged).await?;
            }
            Ok::<_, AppError>(t)
        })
        .map(Task)
    }
}
