//! Write side. Thin resolvers: authorise (inside the service), parse input, run the service in
//! one write transaction with its audit event, map the result. Dropping an uncommitted
//! transaction rolls it back, so an error never leaves a partial write.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;

use super::request::{ClientAddr, CredentialBudget};
use super::types::*;
use super::{state, viewer};
use crate::domain::AuditAction;
use crate::domain::deadline::parse_day;
use crate::domain::{
    AgencyKind, AgencyLevel, AssignmentRole, ContactRole, Deadline, PlanStatus, ReportCadence,
    TargetDirection, TaskAction, TaskKind, UserRole,
};
use crate::error::{AppError, AppResult};
use crate::services::{self, parse_id};

/// Core writes: accounts, agencies, plans, tasks, assignments, targets, workflow.
#[derive(Default)]
pub struct CoreMutation;

#[derive(InputObject)]
pub struct AgencyInput {
    pub name: String,
    pub short_name: Option<String>,
    #[graphql(default)]
    pub aliases: Vec<String>,
    pub level: AgencyLevel,
    pub kind: AgencyKind,
    pub parent_id: Option<ID>,
}

impl AgencyInput {
    fn parse(self) -> AppResult<services::agencies::AgencyInput> {
        Ok(services::agencies::AgencyInput {
            name: self.name,
            short_name: self.short_name,
            aliases: self.aliases,
            level: self.level,
            kind: self.kind,
            parent_id: self.parent_id.map(|p| parse_id("agency", &p)).transpose()?,
        })
    }
}

#[derive(InputObject)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    pub role: ContactRole,
    pub phone: Option<String>,
}

impl From<ContactInput> for services::agencies::ContactInput {
    fn from(c: ContactInput) -> Self {
        services::agencies::ContactInput {
            name: c.name,
            email: c.email,
            role: c.role,
            phone: c.phone,
        }
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: UserRole,
    pub agency_id: Option<ID>,
    pub password: String,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub display_name: Option<String>,
    /// An empty string clears the address.
    pub email: Option<String>,
    pub role: Option<UserRole>,
    pub agency_id: Option<ID>,
    /// Set true to detach the user from any agency.
    #[graphql(default)]
    pub clear_agency: bool,
    pub disabled: Option<bool>,
}

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

#[derive(InputObject)]
pub struct ProgressReportInput {
    pub task_id: ID,
    /// 2025, 2025-07, 2025-Q3 or 2025-H2
    pub period: String,
    pub text: String,
    pub percent: i32,
}

fn sub_deadline(s: Option<&str>) -> AppResult<Option<NaiveDate>> {
    s.map(parse_day).transpose()
}

/// Opens a write transaction, runs `$body` with it bound to `$tx`, commits on success.
macro_rules! in_write_txn {
    ($ctx:expr, |$tx:ident| $body:expr) => {{
        let st = state($ctx);
        let guard = st.db.write().await?;
        let $tx = &*guard;
        let out = $body;
        guard.commit().await?;
        out
    }};
}

#[Object]
impl CoreMutation {
    /// Exchanges credentials for a token. The same error for an unknown user and a wrong
    /// password; repeated failures are throttled.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<LoginPayload> {
        CredentialBudget::spend(ctx)?;
        let client = ClientAddr::of(ctx);
        let st = state(ctx);
        let (token, exp, user) = services::users::login(
            &st.db.conn,
            &st.keys,
            &st.throttle,
            client,
            &username,
            &password,
            // Tokens live in wall-clock time, not the injectable business clock.
            st.clock.wall(),
        )
        .await?;
        // Sign-ins are part of the trail (who, when, from where); failures are not written,
        // so a guesser cannot turn the throttle's budget into database writes.
        let session = services::users::viewer_of(&user)?;
        let tx = st.db.write().await?;
        services::audit::record(
            &*tx,
            Some(&session),
            services::audit::Change {
                action: AuditAction::UserLogin,
                entity: "user",
                entity_id: user.id,
                before: None,
                after: Some(serde_json::json!({ "client": client })),
            },
            st.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginPayload {
            token,
            expires_at: chrono::DateTime::from_timestamp(exp, 0).unwrap_or_default(),
            user: User(user),
        })
    }

    /// Changes a password: your own with the current one, or anyone's as the office.
    async fn set_password(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        current_password: Option<String>,
        new_password: String,
    ) -> Result<bool> {
        let v = viewer(ctx)?;
        let id = parse_id("user", &user_id)?;
        // A current password is a credential check: one per request, throttled like login.
        if v.require_office().is_err() {
            CredentialBudget::spend(ctx)?;
        }
        let check = services::users::CurrentPasswordCheck {
            throttle: &state(ctx).throttle,
            client: ClientAddr::of(ctx),
        };
        // Checked and hashed before the write transaction: argon2 must not hold the lock.
        let change = services::users::prepare_password_change(
            &state(ctx).db.conn,
            v,
            check,
            id,
            current_password.as_deref(),
            &new_password,
        )
        .await?;
        in_write_txn!(ctx, |tx| services::users::apply_password_change(
            tx,
            v,
            change,
            state(ctx).now()
        )
        .await?);
        // Tokens issued before the change stop working at once in this process.
        state(ctx).viewers.forget(id);
        Ok(true)
    }

    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let agency_id = input
            .agency_id
            .map(|a| parse_id("agency", &a))
            .transpose()?;
        let data = services::users::UserInput {
            username: input.username,
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            agency_id,
        };
        // Hashed before the write transaction: argon2 must not hold the lock.
        let hash = crate::auth::password::hash_off_thread(&input.password).await?;
        Ok(User(in_write_txn!(ctx, |tx| {
            services::users::create_hashed(tx, Some(v), data, hash, state(ctx).now()).await?
        })))
    }

    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> Result<User> {
        let v = viewer(ctx)?;
        let id = parse_id("user", &id)?;
        let agency_id = match (input.clear_agency, input.agency_id) {
            (true, Some(_)) => {
                return Err(AppError::invalid("give agencyId or clearAgency, not both").into());
            }
            (true, None) => Some(None),
            (false, Some(a)) => Some(Some(parse_id("agency", &a)?)),
            (false, None) => None,
        };
        let data = services::users::UserUpdate {
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            agency_id,
            disabled: input.disabled,
        };
        let user = in_write_txn!(ctx, |tx| services::users::update(
            tx,
            v,
            id,
            data,
            state(ctx).now()
        )
        .await?);
        // Role, agency or disabled may have changed: the next request must see it.
        state(ctx).viewers.forget(id);
        Ok(User(user))
    }

    async fn create_agency(&self, ctx: &Context<'_>, input: AgencyInput) -> Result<Agency> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        Ok(Agency::from(in_write_txn!(ctx, |tx| {
            services::agencies::create(tx, Some(v), input, true, state(ctx).now()).await?
        })))
    }

    /// Replaces an agency's fields; `confirmed` confirms a name the importer met.
    async fn update_agency(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AgencyInput,
        confirmed: Option<bool>,
    ) -> Result<Agency> {
        let v = viewer(ctx)?;
        let id = parse_id("agency", &id)?;
        let input = input.parse()?;
        Ok(Agency::from(in_write_txn!(ctx, |tx| {
            services::agencies::update(tx, v, id, input, confirmed, state(ctx).now()).await?
        })))
    }

    /// Merges `sourceId` into `targetId` (assignments, contacts, users, reports move over;
    /// the source's names become aliases; the source is deleted).
    async fn merge_agencies(
        &self,
        ctx: &Context<'_>,
        source_id: ID,
        target_id: ID,
    ) -> Result<Agency> {
        let v = viewer(ctx)?;
        let (s, t) = (
            parse_id("agency", &source_id)?,
            parse_id("agency", &target_id)?,
        );
        let merged = in_write_txn!(ctx, |tx| services::agency_merge::merge(
            tx,
            v,
            s,
            t,
            state(ctx).now()
        )
        .await?);
        // The source's staff now belong to the target.
        state(ctx).viewers.clear();
        Ok(Agency::from(merged))
    }

    async fn add_contact(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
        input: ContactInput,
    ) -> Result<Contact> {
        let v = viewer(ctx)?;
        let a = parse_id("agency", &agency_id)?;
        Ok(Contact(in_write_txn!(ctx, |tx| {
            services::agencies::add_contact(tx, Some(v), a, input.into(), state(ctx).now()).await?
        })))
    }

    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ContactInput,
    ) -> Result<Contact> {
        let v = viewer(ctx)?;
        let id = parse_id("contact", &id)?;
        Ok(Contact(in_write_txn!(ctx, |tx| {
            services::agencies::update_contact(tx, v, id, input.into(), state(ctx).now()).await?
        })))
    }

    async fn remove_contact(&self, ctx: &Context<'_>, id: ID) -> Result<Contact> {
        let v = viewer(ctx)?;
        let id = parse_id("contact", &id)?;
        Ok(Contact(in_write_txn!(ctx, |tx| {
            services::agencies::remove_contact(tx, v, id, state(ctx).now()).await?
        })))
    }

    async fn create_plan(&self, ctx: &Context<'_>, input: PlanInput) -> Result<Plan> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        Ok(Plan(in_write_txn!(ctx, |tx| services::plans::create(
            tx,
            Some(v),
            input,
            None,
            state(ctx).now()
        )
        .await?)))
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
        Ok(Plan(in_write_txn!(ctx, |tx| services::plans::update(
            tx,
            v,
            id,
            version,
            input,
            state(ctx).now()
        )
        .await?)))
    }

    /// Deletes a plan and its tasks. Refused (CONFLICT) while a task has progress reports,
    /// extension requests or supervision records: those are evidence; archive the plan instead.
    async fn delete_plan(&self, ctx: &Context<'_>, id: ID) -> Result<Plan> {
        let v = viewer(ctx)?;
        let id = parse_id("plan", &id)?;
        Ok(Plan(in_write_txn!(ctx, |tx| services::plans::delete(
            tx,
            v,
            id,
            state(ctx).now()
        )
        .await?)))
    }

    async fn create_task(&self, ctx: &Context<'_>, input: TaskInput) -> Result<Task> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        Ok(Task(in_write_txn!(ctx, |tx| services::tasks::create(
            tx,
            Some(v),
            input,
            state(ctx).now()
        )
        .await?)))
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
        Ok(Task(in_write_txn!(ctx, |tx| services::tasks::update(
            tx,
            v,
            id,
            version,
            input,
            state(ctx).now()
        )
        .await?)))
    }

    /// Deletes a task and its sub-tasks; refused (CONFLICT) while evidence refers to it —
    /// cancel the task instead.
    async fn delete_task(&self, ctx: &Context<'_>, id: ID) -> Result<Task> {
        let v = viewer(ctx)?;
        let id = parse_id("task", &id)?;
        Ok(Task(in_write_txn!(ctx, |tx| services::tasks::delete(
            tx,
            v,
            id,
            state(ctx).now()
        )
        .await?)))
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
        Ok(Assignment(in_write_txn!(ctx, |tx| {
            services::tasks::assign(tx, Some(v), data, state(ctx).now()).await?
        })))
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
        Ok(Assignment(in_write_txn!(ctx, |tx| {
            services::tasks::update_assignment(tx, v, id, role, note, sd, state(ctx).now()).await?
        })))
    }

    async fn remove_assignment(&self, ctx: &Context<'_>, id: ID) -> Result<Assignment> {
        let v = viewer(ctx)?;
        let id = parse_id("assignment", &id)?;
        Ok(Assignment(in_write_txn!(ctx, |tx| {
            services::tasks::unassign(tx, v, id, state(ctx).now()).await?
        })))
    }

    async fn create_target(&self, ctx: &Context<'_>, input: TargetInput) -> Result<Target> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        Ok(Target(in_write_txn!(ctx, |tx| services::targets::create(
            tx,
            Some(v),
            input,
            state(ctx).now()
        )
        .await?)))
    }

    async fn update_target(&self, ctx: &Context<'_>, id: ID, input: TargetInput) -> Result<Target> {
        let v = viewer(ctx)?;
        let id = parse_id("target", &id)?;
        let input = input.parse()?;
        Ok(Target(in_write_txn!(ctx, |tx| services::targets::update(
            tx,
            v,
            id,
            input,
            state(ctx).now()
        )
        .await?)))
    }

    async fn delete_target(&self, ctx: &Context<'_>, id: ID) -> Result<Target> {
        let v = viewer(ctx)?;
        let id = parse_id("target", &id)?;
        Ok(Target(in_write_txn!(ctx, |tx| services::targets::delete(
            tx,
            v,
            id,
            state(ctx).now()
        )
        .await?)))
    }

    /// Agency staff report progress on a task their agency is assigned to.
    async fn submit_progress_report(
        &self,
        ctx: &Context<'_>,
        input: ProgressReportInput,
    ) -> Result<ProgressReport> {
        let v = viewer(ctx)?;
        let data = services::progress::ReportInput {
            task_id: parse_id("task", &input.task_id)?,
            period: input.period,
            text: input.text,
            percent: input.percent,
        };
        Ok(ProgressReport(in_write_txn!(ctx, |tx| {
            services::progress::submit(tx, v, data, state(ctx).now()).await?
        })))
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
    ) -> Result<Task> {
        self.transition(ctx, id, version, TaskAction::RequestCompletion, note)
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
    ) -> Result<ExtensionRequest> {
        let v = viewer(ctx)?;
        let id = parse_id("task", &task_id)?;
        let d = Deadline::parse(&deadline)?;
        Ok(ExtensionRequest(in_write_txn!(ctx, |tx| {
            services::extensions::request(tx, v, id, d, &reason, state(ctx).now()).await?
        })))
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
        Ok(ExtensionRequest(in_write_txn!(ctx, |tx| {
            services::extensions::decide(tx, v, id, approve, note.as_deref(), state(ctx).now())
                .await?
        })))
    }
}

impl CoreMutation {
    async fn transition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        action: TaskAction,
        note: Option<String>,
    ) -> Result<Task> {
        let v = viewer(ctx)?;
        let id = parse_id("task", &id)?;
        Ok(Task(in_write_txn!(ctx, |tx| {
            services::workflow::transition(
                tx,
                v,
                id,
                version,
                action,
                note.as_deref(),
                state(ctx).now(),
            )
            .await?
        })))
    }
}
