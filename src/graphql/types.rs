//! GraphQL output types. They wrap entity models and hide internal columns (password hashes,
//! fingerprints); relations resolve through the request's DataLoaders.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    agency, assignment, audit_event, contact, extension_request, plan, progress_report, target,
    task, user,
};

use super::loaders::{agency_by_id, many, one, window};
use super::node::gid;
use super::{today, viewer};
use crate::domain::light::{is_overdue, traffic_light};
use crate::domain::{
    AgencyKind, AgencyLevel, AssignmentRole, ContactRole, ExtensionStatus, Light, PlanStatus,
    Precision, ReportCadence, TargetDirection, TaskKind, TaskStatus, UserRole,
};

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|xs| {
            xs.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Values stored by this service always parse; a foreign value degrades to a default
/// rather than failing the whole response.
fn parsed<T: Copy>(s: &str, parse: fn(&str) -> crate::error::AppResult<T>, fallback: T) -> T {
    parse(s).unwrap_or(fallback)
}

use super::{NESTED_LIST_COST, SUB_PAGE_DEFAULT, SUB_PAGE_MAX};

/// Reads a list-under-a-task page: `(offset, first)`, `first` 1..=[`SUB_PAGE_MAX`] (default
/// [`SUB_PAGE_DEFAULT`]), `offset` 0..=[`super::query::MAX_OFFSET`].
fn sub_page(first: Option<i32>, offset: Option<i32>) -> Result<(u32, u32), crate::error::AppError> {
    let first = first.unwrap_or(SUB_PAGE_DEFAULT as i32);
    if !(1..=SUB_PAGE_MAX as i32).contains(&first) {
        return Err(crate::error::AppError::invalid(format!(
            "first must be between 1 and {SUB_PAGE_MAX}"
        )));
    }
    let offset = offset.unwrap_or(0);
    if !(0..=super::query::MAX_OFFSET).contains(&offset) {
        return Err(crate::error::AppError::invalid(format!(
            "offset must be between 0 and {}",
            super::query::MAX_OFFSET
        )));
    }
    Ok((offset as u32, first as u32))
}

/// What a list under a task counts as for the complexity limit: the page it asks for.
fn sub_page_cost(first: Option<i32>) -> usize {
    first
        .unwrap_or(SUB_PAGE_DEFAULT as i32)
        .clamp(1, SUB_PAGE_MAX as i32) as usize
}

/// Agency (单位).
pub struct Agency(pub std::sync::Arc<agency::Model>);

impl From<agency::Model> for Agency {
    fn from(m: agency::Model) -> Self {
        Agency(std::sync::Arc::new(m))
    }
}

#[Object]
impl Agency {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Agency", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    /// Canonical full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    async fn aliases(&self) -> Vec<String> {
        strings(&self.0.aliases)
    }
    async fn level(&self) -> AgencyLevel {
        parsed(&self.0.level, AgencyLevel::parse, AgencyLevel::Other)
    }
    async fn kind(&self) -> AgencyKind {
        parsed(&self.0.kind, AgencyKind::parse, AgencyKind::Other)
    }
    /// False for names met by the importer that nobody has confirmed yet.
    async fn confirmed(&self) -> bool {
        self.0.confirmed
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.parent_id {
            Some(p) => Ok(agency_by_id(ctx, p).await?.map(Agency)),
            None => Ok(None),
        }
    }
    /// Contact people. Visible to the office, leaders and the agency's own staff.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Contact>> {
        let v = viewer(ctx)?;
        if !v.can_read_all() && v.agency_id != Some(self.0.id) {
            return Ok(vec![]);
        }
        Ok(many::<contact::Entity>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Contact)
            .collect())
    }
}

/// Contact person (联系人).
pub struct Contact(pub contact::Model);

#[Object]
impl Contact {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Contact", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn role(&self) -> ContactRole {
        parsed(&self.0.role, ContactRole::parse, ContactRole::Liaison)
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(agency_by_id(ctx, self.0.agency_id).await?.map(Agency))
    }
}

pub struct User(pub user::Model);

#[Object]
impl User {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("User", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn role(&self) -> UserRole {
        parsed(&self.0.role, UserRole::parse, UserRole::Leader)
    }
    async fn disabled(&self) -> bool {
        self.0.disabled
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.agency_id {
            Some(a) => Ok(agency_by_id(ctx, a).await?.map(Agency)),
            None => Ok(None),
        }
    }
}

/// Implementation plan (实施方案).
pub struct Plan(pub plan::Model);

#[Object]
impl Plan {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Plan", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// 文号, e.g. 济政字〔2023〕39号.
    async fn document_number(&self) -> Option<&str> {
        self.0.document_number.as_deref()
    }
    async fn issuers(&self) -> Vec<String> {
        strings(&self.0.issuers)
    }
    async fn issue_date(&self) -> Option<NaiveDate> {
        self.0.issue_date
    }
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn status(&self) -> PlanStatus {
        parsed(&self.0.status, PlanStatus::parse, PlanStatus::Draft)
    }
    async fn default_deadline(&self) -> Option<NaiveDate> {
        self.0.default_deadline
    }
    async fn default_deadline_precision(&self) -> Option<Precision> {
        self.0
            .default_deadline_precision
            .as_deref()
            .and_then(Precision::parse)
    }
    /// Optimistic-lock version: pass it back to `updatePlan`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Demo data (`duban seed`): the plan's activity in 2025 was simulated.
    async fn demo(&self) -> bool {
        self.0.demo
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.0.created_by {
            Some(u) if viewer(ctx)?.can_read_all() => Ok(one::<user::Entity>(ctx, u)
                .await?
                .map(std::sync::Arc::unwrap_or_clone)
                .map(User)),
            _ => Ok(None),
        }
    }
}

/// Task (任务): one node of a plan's outline.
pub struct Task(pub task::Model);

#[Object]
impl Task {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Task", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    /// Outline code such as 三(二)1.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn kind(&self) -> TaskKind {
        parsed(&self.0.kind, TaskKind::parse, TaskKind::Task)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Current deadline (after approved extensions); null for ongoing tasks.
    async fn deadline(&self) -> Option<NaiveDate> {
        self.0.deadline
    }
    async fn deadline_precision(&self) -> Option<Precision> {
        self.0
            .deadline_precision
            .as_deref()
            .and_then(Precision::parse)
    }
    /// The deadline before the first approved extension (按原定时间考核).
    async fn original_deadline(&self) -> Option<NaiveDate> {
        self.0.original_deadline
    }
    /// 持续推进 / 长期坚持: no final deadline, periodic reports instead.
    async fn ongoing(&self) -> bool {
        self.0.ongoing
    }
    async fn report_cadence(&self) -> Option<ReportCadence> {
        self.0
            .report_cadence
            .as_deref()
            .and_then(|c| ReportCadence::parse(c).ok())
    }
    /// Generic groups named by the responsibility clause (各有关部门 …).
    async fn groups(&self) -> Vec<String> {
        strings(&self.0.groups)
    }
    /// 待国家分工明确后确定: the lead is still to be decided.
    async fn lead_undecided(&self) -> bool {
        self.0.lead_undecided
    }
    async fn status(&self) -> TaskStatus {
        TaskStatus::stored(&self.0.status)
    }
    async fn progress(&self) -> i32 {
        self.0.progress
    }
    /// Optimistic-lock version: pass it back to every workflow mutation.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Past the current deadline and not resolved (derived, never stored).
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        is_overdue(
            self.0.deadline,
            TaskStatus::stored(&self.0.status).is_resolved(),
            today(ctx),
        )
    }
    async fn light(&self, ctx: &Context<'_>) -> Light {
        traffic_light(
            self.0.deadline,
            TaskStatus::stored(&self.0.status).is_resolved(),
            self.0.progress,
            today(ctx),
        )
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<Plan>> {
        Ok(one::<plan::Entity>(ctx, self.0.plan_id)
            .await?
            .map(std::sync::Arc::unwrap_or_clone)
            .map(Plan))
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        match self.0.parent_id {
            Some(p) => Ok(one::<task::Entity>(ctx, p)
                .await?
                .map(std::sync::Arc::unwrap_or_clone)
                .map(Task)),
            None => Ok(None),
        }
    }
    /// Sub-tasks in document order: `first` (at most 100, default 20) from `offset`.
    #[graphql(complexity = "sub_page_cost(first) * child_complexity")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<Task>> {
        let (offset, first) = sub_page(first, offset)?;
        Ok(window::<task::Entity>(ctx, self.0.id, offset, first)
            .await?
            .into_iter()
            .map(Task)
            .collect())
    }
    /// Lead, participating and implementing agencies: `first` (at most 100, default 20)
    /// from `offset`.
    #[graphql(complexity = "sub_page_cost(first) * child_complexity")]
    async fn assignments(
        &self,
        ctx: &Context<'_>,
        role: Option<AssignmentRole>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<Assignment>> {
        let (offset, first) = sub_page(first, offset)?;
        // Read whole (one statement for the page's tasks, with their agencies, see
        // `prefetch_assignments`): a task names a handful of agencies.
        let all = many::<assignment::Entity>(ctx, self.0.id).await?;
        Ok(all
            .into_iter()
            .filter(|a| role.is_none_or(|r| a.role == r.as_str()))
            .skip(offset as usize)
            .take(first as usize)
            .map(Assignment)
            .collect())
    }
    #[graphql(complexity = "NESTED_LIST_COST * child_complexity")]
    async fn targets(&self, ctx: &Context<'_>) -> Result<Vec<Target>> {
        Ok(many::<target::Entity>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Target)
            .collect())
    }
    /// Progress reports, oldest first: `first` (at most 100, default 20) from `offset`.
    #[graphql(complexity = "sub_page_cost(first) * child_complexity")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<ProgressReport>> {
        let (offset, first) = sub_page(first, offset)?;
        Ok(
            window::<progress_report::Entity>(ctx, self.0.id, offset, first)
                .await?
                .into_iter()
                .map(ProgressReport)
                .collect(),
        )
    }
    #[graphql(complexity = "NESTED_LIST_COST * child_complexity")]
    async fn extension_requests(&self, ctx: &Context<'_>) -> Result<Vec<ExtensionRequest>> {
        Ok(many::<extension_request::Entity>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(ExtensionRequest)
            .collect())
    }
    /// Reminders and escalations fired on this task (提醒/催办/督办/通报), oldest first:
    /// `first` (at most 100, default 20) from `offset`.
    #[graphql(complexity = "sub_page_cost(first) * child_complexity")]
    async fn supervision_records(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<super::notify::SupervisionRecord>> {
        let (offset, first) = sub_page(first, offset)?;
        Ok(
            window::<entity::supervision_record::Entity>(ctx, self.0.id, offset, first)
                .await?
                .into_iter()
                .map(super::notify::SupervisionRecord)
                .collect(),
        )
    }
    /// Completion requests (申请办结), oldest first, with their evidence; empty for agency
    /// staff of agencies not assigned to the task.
    #[graphql(complexity = "NESTED_LIST_COST * child_complexity")]
    async fn completion_requests(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::attachments::CompletionRequest>> {
        super::attachments::completion_requests(ctx, self.0.id).await
    }

    /// Audit history of the task itself, oldest first: `first` (at most 100, default 20)
    /// from `offset`. The office and leaders see every task's; agency staff only those of
    /// tasks their agency is assigned to (empty otherwise).
    #[graphql(complexity = "sub_page_cost(first) * child_complexity")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> Result<Vec<AuditEvent>> {
        let (offset, first) = sub_page(first, offset)?;
        let v = viewer(ctx)?;
        if !v.can_read_all() {
            let assigned = many::<assignment::Entity>(ctx, self.0.id).await?;
            if !assigned.iter().any(|a| Some(a.agency_id) == v.agency_id) {
                return Ok(vec![]);
            }
        }
        Ok(window::<audit_event::Entity>(ctx, self.0.id, offset, first)
            .await?
            .into_iter()
            .map(AuditEvent)
            .collect())
    }
}

/// Assignment of a task to an agency in a role.
pub struct Assignment(pub assignment::Model);

#[Object]
impl Assignment {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Assignment", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn role(&self) -> AssignmentRole {
        parsed(
            &self.0.role,
            AssignmentRole::parse,
            AssignmentRole::Participant,
        )
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn sub_deadline(&self) -> Option<NaiveDate> {
        self.0.sub_deadline
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(agency_by_id(ctx, self.0.agency_id).await?.map(Agency))
    }
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        Ok(one::<task::Entity>(ctx, self.0.task_id)
            .await?
            .map(std::sync::Arc::unwrap_or_clone)
            .map(Task))
    }
}

/// Quantified target (目标/指标).
pub struct Target(pub target::Model);

#[Object]
impl Target {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Target", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn indicator(&self) -> &str {
        &self.0.indicator
    }
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    async fn direction(&self) -> TargetDirection {
        parsed(
            &self.0.direction,
            TargetDirection::parse,
            TargetDirection::Equal,
        )
    }
    async fn target_year(&self) -> Option<i32> {
        self.0.target_year
    }
    async fn baseline(&self) -> Option<&str> {
        self.0.baseline.as_deref()
    }
    async fn plan_id(&self) -> ID {
        gid("Plan", self.0.plan_id)
    }
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        match self.0.task_id {
            Some(t) => Ok(one::<task::Entity>(ctx, t)
                .await?
                .map(std::sync::Arc::unwrap_or_clone)
                .map(Task)),
            None => Ok(None),
        }
    }
}

/// Progress report (进展情况).
pub struct ProgressReport(pub progress_report::Model);

#[Object]
impl ProgressReport {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("ProgressReport", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    /// e.g. 2025-Q3.
    async fn period(&self) -> &str {
        &self.0.period
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn percent(&self) -> i32 {
        self.0.percent
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// Evidence files (佐证材料), in upload order.
    #[graphql(complexity = "NESTED_LIST_COST * child_complexity")]
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<super::attachments::Attachment>> {
        let owner = crate::services::attachments::Owner {
            kind: crate::domain::AttachmentOwner::ProgressReport,
            id: self.0.id,
        };
        super::attachments::attachments_of(ctx, self.0.task_id, owner).await
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(agency_by_id(ctx, self.0.agency_id).await?.map(Agency))
    }
    /// The reporting user: visible to the office, leaders and the author's own agency.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let v = viewer(ctx)?;
        if !v.can_read_all() && v.agency_id != Some(self.0.agency_id) {
            return Ok(None);
        }
        Ok(one::<user::Entity>(ctx, self.0.author_id)
            .await?
            .map(std::sync::Arc::unwrap_or_clone)
            .map(User))
    }
}

/// Extension request (延期申请).
pub struct ExtensionRequest(pub extension_request::Model);

#[Object]
impl ExtensionRequest {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("ExtensionRequest", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn requested_deadline(&self) -> NaiveDate {
        self.0.requested_deadline
    }
    /// Evidence files (佐证材料), in upload order.
    #[graphql(complexity = "NESTED_LIST_COST * child_complexity")]
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<super::attachments::Attachment>> {
        let owner = crate::services::attachments::Owner {
            kind: crate::domain::AttachmentOwner::ExtensionRequest,
            id: self.0.id,
        };
        super::attachments::attachments_of(ctx, self.0.task_id, owner).await
    }
    /// How precisely the requested deadline was stated (a year, a month or a day).
    async fn requested_precision(&self) -> Precision {
        Precision::parse(&self.0.requested_precision).unwrap_or(Precision::Day)
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// Display name of the agency staff member who asked.
    async fn requested_by(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(one::<user::Entity>(ctx, self.0.requested_by)
            .await?
            .map(|u| u.display_name.clone()))
    }
    /// Display name of the office user who decided (or closed it with the task).
    async fn decided_by(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        match self.0.decided_by {
            Some(id) => Ok(one::<user::Entity>(ctx, id)
                .await?
                .map(|u| u.display_name.clone())),
            None => Ok(None),
        }
    }
    async fn status(&self) -> ExtensionStatus {
        parsed(
            &self.0.status,
            ExtensionStatus::parse,
            ExtensionStatus::Pending,
        )
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(agency_by_id(ctx, self.0.agency_id).await?.map(Agency))
    }
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        Ok(one::<task::Entity>(ctx, self.0.task_id)
            .await?
            .map(std::sync::Arc::unwrap_or_clone)
            .map(Task))
    }
}

/// One entry of the audit trail.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("AuditEvent", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    async fn entity_id(&self) -> ID {
        super::node::gid_of_kind(&self.0.entity, self.0.entity_id)
    }
    /// State before the change, as JSON text.
    async fn before(&self) -> Option<String> {
        self.0.before.as_ref().map(|v| v.to_string())
    }
    /// State after the change, as JSON text.
    async fn after(&self) -> Option<String> {
        self.0.after.as_ref().map(|v| v.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// Loads the relations a query selects below a list of tasks (`node`: the look-ahead at the
/// task) for all of them at once: one statement per relation, whatever the number of tasks,
/// and no DataLoader batch window to wait out.
pub(crate) async fn prefetch_tasks(
    ctx: &Context<'_>,
    rows: &[task::Model],
    node: async_graphql::Lookahead<'_>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if node.field("plan").exists() {
        super::loaders::prime_by_id::<plan::Entity>(ctx, rows.iter().map(|t| t.plan_id)).await?;
    }
    prefetch_assignments(ctx, rows, node).await
}

/// The assignments part of [`prefetch_tasks`], with their agencies when the query asks for
/// them (the list's commonest shape: who leads, who takes part).
///
/// Agencies are read by a second statement over the distinct ids rather than joined: a page
/// names a few dozen agencies behind a few hundred assignments, and sea-orm decodes a joined
/// row's columns by prefixed name — measured, decoding the same agency once per assignment
/// cost more than the extra round trip.
pub(crate) async fn prefetch_assignments(
    ctx: &Context<'_>,
    rows: &[task::Model],
    node: async_graphql::Lookahead<'_>,
) -> Result<()> {
    use super::loaders::{prime_by_id, prime_grouped};
    let asg = node.field("assignments");
    if !asg.exists() {
        return Ok(());
    }
    let loaded = prime_grouped::<assignment::Entity>(ctx, rows.iter().map(|t| t.id)).await?;
    if asg.field("agency").exists() {
        prime_by_id::<agency::Entity>(ctx, loaded.values().flatten().map(|a| a.agency_id)).await?;
    }
    Ok(())
}

/// Dashboard line for one agency (tasks it leads).
pub struct AgencyStats(pub crate::services::dashboard::AgencyRow);

#[Object]
impl AgencyStats {
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        Ok(agency_by_id(ctx, self.0.agency_id).await?.map(Agency))
    }
    async fn led(&self) -> i64 {
        self.0.led
    }
    async fn completed(&self) -> i64 {
        self.0.completed
    }
    async fn overdue(&self) -> i64 {
        self.0.overdue
    }
    async fn red(&self) -> i64 {
        self.0.red
    }
    async fn yellow(&self) -> i64 {
        self.0.yellow
    }
    async fn green(&self) -> i64 {
        self.0.green
    }
}

/// The answer to `login`.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Signed JWT: send it back as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}
