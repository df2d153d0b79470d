//! Reminders and escalations: policies, the holiday calendar, supervision records, the
//! outbox, a manual sweep and the agencies' calendar feeds.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{outbox_message, supervision_record};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::node::gid;
use super::request::RequestOrigin;
use super::{state, viewer};
use crate::auth::Actor;
use crate::auth::Viewer;
use crate::domain::PolicyScope;
use crate::domain::UserRole;
use crate::domain::calendar::DayCount;
use crate::domain::deadline::parse_day;
use crate::error::{AppError, AppResult};
use crate::notify::ladder::{Audience, Level, Policy, Rung};
use crate::notify::outbox::{self, DeliveryState};
use crate::notify::store;
use crate::notify::sweep::{self, PlannedRung};
use crate::services::calendar::{self, CalendarDayKind, CalendarDayView};
use crate::services::parse_id;

/// Reads of the reminder subsystem.
#[derive(Default)]
pub struct NotifyQuery;

/// Writes of the reminder subsystem.
#[derive(Default)]
pub struct NotifyMutation;

/// 提醒 → 催办 → 督办 → 通报 → 约谈
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum SupervisionLevel {
    /// 提醒
    Reminder,
    /// 催办
    Urging,
    /// 督办
    Supervision,
    /// 通报
    Notice,
    /// 约谈
    Summons,
}

impl From<Level> for SupervisionLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Reminder => Self::Reminder,
            Level::Urging => Self::Urging,
            Level::Supervision => Self::Supervision,
            Level::Notice => Self::Notice,
            Level::Summons => Self::Summons,
        }
    }
}

impl From<SupervisionLevel> for Level {
    fn from(l: SupervisionLevel) -> Self {
        match l {
            SupervisionLevel::Reminder => Self::Reminder,
            SupervisionLevel::Urging => Self::Urging,
            SupervisionLevel::Supervision => Self::Supervision,
            SupervisionLevel::Notice => Self::Notice,
            SupervisionLevel::Summons => Self::Summons,
        }
    }
}

/// Who a rung is addressed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum RungAudience {
    LeadContacts,
    ParticipantContacts,
    Implementers,
    AgencyHead,
    DeputyInCharge,
    Office,
    Leadership,
}

impl From<Audience> for RungAudience {
    fn from(a: Audience) -> Self {
        match a {
            Audience::LeadContacts => Self::LeadContacts,
            Audience::ParticipantContacts => Self::ParticipantContacts,
            Audience::Implementers => Self::Implementers,
            Audience::AgencyHead => Self::AgencyHead,
            Audience::DeputyInCharge => Self::DeputyInCharge,
            Audience::Office => Self::Office,
            Audience::Leadership => Self::Leadership,
        }
    }
}

impl From<RungAudience> for Audience {
    fn from(a: RungAudience) -> Self {
        match a {
            RungAudience::LeadContacts => Self::LeadContacts,
            RungAudience::ParticipantContacts => Self::ParticipantContacts,
            RungAudience::Implementers => Self::Implementers,
            RungAudience::AgencyHead => Self::AgencyHead,
            RungAudience::DeputyInCharge => Self::DeputyInCharge,
            RungAudience::Office => Self::Office,
            RungAudience::Leadership => Self::Leadership,
        }
    }
}

/// Whether an offset counts calendar days (自然日) or working days (工作日).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum RungDayCount {
    Calendar,
    Working,
}

/// One step of an escalation ladder.
#[derive(SimpleObject)]
pub struct EscalationRung {
    pub level: SupervisionLevel,
    /// Negative: before the due date; positive: after it.
    pub offset_days: i32,
    pub day_count: RungDayCount,
    pub audiences: Vec<RungAudience>,
    pub repeat_every_days: Option<i32>,
    /// Stable identity used in dedupe keys, e.g. `urging+1w`.
    pub key: String,
}

impl From<&Rung> for EscalationRung {
    fn from(r: &Rung) -> Self {
        EscalationRung {
            level: r.level.into(),
            offset_days: r.offset_days,
            day_count: match r.day_count {
                DayCount::Calendar => RungDayCount::Calendar,
                DayCount::Working => RungDayCount::Working,
            },
            audiences: r.audiences.iter().map(|&a| a.into()).collect(),
            repeat_every_days: r
                .repeat_every_days
                .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
            key: r.key(),
        }
    }
}

#[derive(InputObject)]
pub struct RungInput {
    pub level: SupervisionLevel,
    pub offset_days: i32,
    #[graphql(default_with = "RungDayCount::Calendar")]
    pub day_count: RungDayCount,
    pub audiences: Vec<RungAudience>,
    pub repeat_every_days: Option<i32>,
}

/// An escalation ladder and where it comes from.
#[derive(SimpleObject)]
pub struct EscalationPolicy {
    pub scope: PolicyScope,
    /// The plan or task; absent for the global policy.
    pub scope_id: Option<ID>,
    /// False when the scope has no policy of its own and this one is inherited (or, for
    /// the global scope, the built-in default).
    pub own: bool,
    pub rungs: Vec<EscalationRung>,
}

fn policy_view(scope: PolicyScope, id: Option<i64>, own: bool, p: &Policy) -> EscalationPolicy {
    EscalationPolicy {
        scope,
        scope_id: id.map(|id| match scope {
            PolicyScope::Task => gid("Task", id),
            _ => gid("Plan", id),
        }),
        own,
        rungs: p.rungs().iter().map(EscalationRung::from).collect(),
    }
}

/// A holiday (放假) or make-up working day (调休上班) in force.
#[derive(SimpleObject)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: CalendarDayKind,
    pub name: String,
    /// Changed by the office (otherwise as in the official calendar).
    pub edited: bool,
}

impl From<CalendarDayView> for CalendarDay {
    fn from(d: CalendarDayView) -> Self {
        CalendarDay {
            date: d.date,
            kind: d.kind,
            name: d.name,
            edited: d.edited,
        }
    }
}

/// Who was told about a supervision record.
#[derive(SimpleObject, serde::Deserialize)]
pub struct SupervisionRecipient {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub agency_name: String,
    /// The agency of a contact person (absent for the office and leadership, and in
    /// records written before it was stored): decides who may see the entry.
    #[serde(default)]
    #[graphql(skip)]
    pub agency_id: Option<i64>,
}

impl SupervisionRecord {
    /// The recipients `viewer` may see, each with the Message-ID of its digest when
    /// known. The office and leadership see everyone; agency staff see only the people of
    /// their own agency (entries without a stored agency are hidden); nobody else sees
    /// anyone.
    fn visible_recipients(&self, viewer: &Viewer) -> Vec<(SupervisionRecipient, Option<String>)> {
        let recipients: Vec<SupervisionRecipient> =
            serde_json::from_value(self.0.recipients.clone()).unwrap_or_default();
        let ids: Vec<String> =
            serde_json::from_value(self.0.message_ids.clone()).unwrap_or_default();
        // One digest per recipient, in the same order (see `sweep::run`).
        let paired = ids.len() == recipients.len();
        let mut ids = ids.into_iter();
        let all = viewer.can_read_all();
        let own = match (viewer.role, viewer.agency_id) {
            (UserRole::Agency, Some(a)) => Some(a),
            _ => None,
        };
        recipients
            .into_iter()
            .map(|r| {
                let id = if paired { ids.next() } else { None };
                (r, id)
            })
            .filter(|(r, _)| all || (own.is_some() && r.agency_id == own))
            .collect()
    }
}

/// This API's public base URL for links it hands out (`DUBAN_API_URL`, else the request's
/// Host), without a trailing slash.
fn api_base(ctx: &Context<'_>) -> String {
    let base = state(ctx)
        .config
        .api_url
        .clone()
        .or_else(|| {
            ctx.data_opt::<RequestOrigin>()
                .map(|o| format!("http://{}", o.0))
        })
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    base.trim_end_matches('/').to_owned()
}

/// A rung fired for a task: who was told what, when (evidence for the evaluation).
pub struct SupervisionRecord(pub supervision_record::Model);

#[Object]
impl SupervisionRecord {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("SupervisionRecord", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn task_id(&self) -> ID {
        gid("Task", self.0.task_id)
    }
    async fn level(&self) -> SupervisionLevel {
        Level::parse(&self.0.level)
            .unwrap_or(Level::Reminder)
            .into()
    }
    /// The rung's stable key, e.g. `urging+1w`.
    async fn rung(&self) -> &str {
        &self.0.rung_key
    }
    /// 1 for the first sending of a rung, 2, 3 … for repeats.
    async fn occurrence(&self) -> i32 {
        self.0.occurrence
    }
    /// deadline / report / verification
    async fn matter(&self) -> &str {
        &self.0.matter
    }
    /// e.g. `deadline:2025-06-30`, `report:2025-Q3`.
    async fn trigger(&self) -> &str {
        &self.0.trigger_key
    }
    async fn due_on(&self) -> NaiveDate {
        self.0.due_on
    }
    /// 文号 of a 督办/通报/约谈, e.g. `督办〔2025〕12号`.
    async fn doc_number(&self) -> Option<&str> {
        self.0.doc_number.as_deref()
    }
    /// Where the notice's Word document (.docx, exactly as mailed) is downloaded, for a
    /// numbered record: `GET` it with the same bearer token (the office, leaders and the
    /// agencies it is addressed to).
    async fn document_url(&self, ctx: &Context<'_>) -> Option<String> {
        self.0.doc_number.as_ref()?;
        Some(format!(
            "{}/notices/{}.docx",
            api_base(ctx),
            gid("SupervisionRecord", self.0.id).0
        ))
    }
    async fn recipients(&self, ctx: &Context<'_>) -> Result<Vec<SupervisionRecipient>> {
        Ok(self
            .visible_recipients(viewer(ctx)?)
            .into_iter()
            .map(|(r, _)| r)
            .collect())
    }
    /// Message-IDs of the digest mails that carried this record.
    async fn message_ids(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let v = viewer(ctx)?;
        if v.can_read_all() {
            return Ok(serde_json::from_value(self.0.message_ids.clone()).unwrap_or_default());
        }
        Ok(self
            .visible_recipients(v)
            .into_iter()
            .filter_map(|(_, id)| id)
            .collect())
    }
    async fn fired_at(&self) -> DateTime<Utc> {
        self.0.fired_at
    }
}

/// A mail in the outbox.
pub struct OutboxMessage(pub outbox_message::Model);

#[Object]
impl OutboxMessage {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("OutboxMessage", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    async fn recipient_name(&self) -> &str {
        &self.0.recipient_name
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn message_id(&self) -> &str {
        &self.0.message_id
    }
    async fn state(&self) -> DeliveryState {
        DeliveryState::parse(&self.0.state)
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

#[derive(SimpleObject)]
pub struct OutboxPage {
    pub total: i64,
    pub items: Vec<OutboxMessage>,
}

/// A rung a sweep fired (or, in a dry run, would fire).
#[derive(SimpleObject)]
pub struct DueReminder {
    pub task_id: ID,
    pub level: SupervisionLevel,
    pub rung: String,
    pub occurrence: i32,
    pub trigger: String,
    pub due_on: NaiveDate,
    pub dedupe_key: String,
    pub doc_number: Option<String>,
    pub recipients: Vec<String>,
}

impl From<&PlannedRung> for DueReminder {
    fn from(p: &PlannedRung) -> Self {
        DueReminder {
            task_id: gid("Task", p.task_id),
            level: p.rung.level.into(),
            rung: p.rung_key.clone(),
            occurrence: i32::try_from(p.rung.occurrence).unwrap_or(i32::MAX),
            trigger: p.rung.trigger_key.clone(),
            due_on: p.rung.due_on,
            dedupe_key: p.rung.dedupe_key.clone(),
            doc_number: p.item.doc_number.clone(),
            recipients: p.recipients.iter().map(|r| r.email.clone()).collect(),
        }
    }
}

/// The outcome of `runReminders`.
#[derive(SimpleObject)]
pub struct ReminderRun {
    pub today: NaiveDate,
    pub dry_run: bool,
    pub tasks_considered: i32,
    /// Supervision records written (0 in a dry run).
    pub recorded: i32,
    /// Digest mails enqueued (in a dry run: that would be).
    pub mails: i32,
    /// The rungs due (recorded, in a real run), the first 200 in task order: a first sweep
    /// can find hundreds of thousands. `itemsTotal` counts them all.
    pub items: Vec<DueReminder>,
    /// All rungs due (in a real run: recorded, as `recorded`).
    pub items_total: i32,
    /// Whether `items` or `unaddressed` lists only the first of them.
    pub truncated: bool,
    /// Rungs due that nobody can receive (the agencies concerned have no contact with an
    /// email address, or, for a rung only for the office or leadership, no such account
    /// has one). They are not recorded and keep their dedupe key: the first sweep after
    /// someone becomes addressable records and mails them. The first 200, in task order.
    pub unaddressed: Vec<DueReminder>,
    /// All rungs held.
    pub unaddressed_total: i32,
}

fn scope_id(scope: PolicyScope, id: Option<&ID>) -> AppResult<i64> {
    match (scope, id) {
        (PolicyScope::Global, _) => Ok(0),
        (PolicyScope::Plan, Some(id)) => parse_id("plan", id),
        (PolicyScope::Task, Some(id)) => parse_id("task", id),
        (_, None) => Err(AppError::invalid(
            "id is required for a plan or task policy",
        )),
    }
}

#[Object]
impl NotifyQuery {
    /// The escalation ladder of a scope (office). For a plan or task without its own
    /// policy, the one it inherits (`own: false`).
    async fn escalation_policy(
        &self,
        ctx: &Context<'_>,
        scope: PolicyScope,
        id: Option<ID>,
    ) -> Result<EscalationPolicy> {
        viewer(ctx)?.require_office()?;
        let db = &state(ctx).db.conn;
        let sid = scope_id(scope, id.as_ref())?;
        if let Some(p) = store::stored_policy(db, scope, sid).await? {
            return Ok(policy_view(scope, (sid > 0).then_some(sid), true, &p));
        }
        let all = store::load_policies(db).await?;
        let inherited = match scope {
            PolicyScope::Task => {
                let t = crate::services::tasks::get(db, sid).await?;
                all.for_task(t.id, t.plan_id).clone()
            }
            _ => all.global.clone(),
        };
        Ok(policy_view(
            scope,
            (sid > 0).then_some(sid),
            false,
            &inherited,
        ))
    }

    /// Holidays and make-up working days of a year, official and as edited (office).
    async fn calendar_days(&self, ctx: &Context<'_>, year: i32) -> Result<Vec<CalendarDay>> {
        viewer(ctx)?.require_office()?;
        Ok(calendar::calendar_days(&state(ctx).db.conn, year)
            .await?
            .into_iter()
            .map(CalendarDay::from)
            .collect())
    }

    /// The supervision records of a task, oldest first (every role).
    async fn supervision_records(
        &self,
        ctx: &Context<'_>,
        task_id: ID,
    ) -> Result<Vec<SupervisionRecord>> {
        viewer(ctx)?;
        let id = parse_id("task", &task_id)?;
        let db = &state(ctx).db.conn;
        crate::services::tasks::get(db, id).await?;
        Ok(supervision_record::Entity::find()
            .filter(supervision_record::Column::TaskId.eq(id))
            .order_by_asc(supervision_record::Column::FiredAt)
            .order_by_asc(supervision_record::Column::Id)
            .all(db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(SupervisionRecord)
            .collect())
    }

    /// The outbox with delivery state, newest first (office). `state: FAILED` lists what
    /// the office must look at.
    async fn outbox(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "state")] state_filter: Option<DeliveryState>,
        #[graphql(default = 50)] first: i32,
        #[graphql(default = 0)] offset: i32,
    ) -> Result<OutboxPage> {
        viewer(ctx)?.require_office()?;
        let first = u64::try_from(first.clamp(1, 500)).unwrap_or(50);
        let offset = u64::try_from(offset.max(0)).unwrap_or(0);
        let (rows, total) = outbox::list(&state(ctx).db.conn, state_filter, first, offset).await?;
        Ok(OutboxPage {
            total: i64::try_from(total).unwrap_or(i64::MAX),
            items: rows.into_iter().map(OutboxMessage).collect(),
        })
    }
}

#[Object]
impl NotifyMutation {
    /// Sets the escalation ladder of a scope (office); `rungs: null` removes a plan's or
    /// task's own policy (it inherits again) or restores the built-in global default.
    async fn set_escalation_policy(
        &self,
        ctx: &Context<'_>,
        scope: PolicyScope,
        id: Option<ID>,
        rungs: Option<Vec<RungInput>>,
    ) -> Result<EscalationPolicy> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let sid = scope_id(scope, id.as_ref())?;
        let policy = rungs
            .map(|rs| {
                let rungs = rs
                    .into_iter()
                    .map(|r| {
                        let repeat = r
                            .repeat_every_days
                            .map(|d| {
                                u32::try_from(d).map_err(|_| {
                                    AppError::invalid("repeatEveryDays must be positive")
                                })
                            })
                            .transpose()?;
                        Ok(Rung {
                            level: r.level.into(),
                            offset_days: r.offset_days,
                            day_count: match r.day_count {
                                RungDayCount::Calendar => DayCount::Calendar,
                                RungDayCount::Working => DayCount::Working,
                            },
                            audiences: r.audiences.into_iter().map(Audience::from).collect(),
                            repeat_every_days: repeat,
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()?;
                Policy::new(rungs).map_err(|e| AppError::invalid(e.to_string()))
            })
            .transpose()?;
        mutate!(ctx, |tx, now| store::set_policy(
            tx,
            v,
            scope,
            sid,
            policy.clone(),
            now
        ))?;
        let own = policy.is_some();
        let shown = policy.unwrap_or_else(Policy::default_ladder);
        Ok(policy_view(scope, (sid > 0).then_some(sid), own, &shown))
    }

    /// Marks a day as a holiday, a make-up working day or an ordinary day (office).
    async fn set_calendar_day(
        &self,
        ctx: &Context<'_>,
        date: String,
        kind: CalendarDayKind,
        #[graphql(default)] name: String,
    ) -> Result<CalendarDay> {
        let v = viewer(ctx)?;
        let date = parse_day(&date)?;
        mutate!(ctx, |tx, now| calendar::set_calendar_day(
            tx, v, date, kind, &name, now
        ))
        .map(Into::into)
    }

    /// Runs a reminder sweep as of `now` (default: the clock), office only. With `dryRun`
    /// nothing is written and the answer lists what would be recorded and mailed. The
    /// worker delivers the enqueued mails.
    async fn run_reminders(
        &self,
        ctx: &Context<'_>,
        now: Option<String>,
        dry_run: Option<bool>,
    ) -> Result<ReminderRun> {
        let dry_run = dry_run.unwrap_or(false);
        let v = viewer(ctx)?;
        v.require_office()?;
        let st = state(ctx);
        let clock = st.now();
        let now = now
            .as_deref()
            .map(crate::domain::time::parse_instant)
            .transpose()?
            .unwrap_or(clock);
        // A real run records evidence (fired_at) and uses up dedupe keys: only as of
        // (about) the server's own clock. Any date is fine for a dry run.
        if !dry_run && (now - clock).abs() > chrono::Duration::days(1) {
            return Err(AppError::invalid(format!(
                "a real reminder run must be within one day of the server clock ({}); \
                 use dryRun to look at another date",
                clock.to_rfc3339()
            ))
            .into());
        }
        let r = sweep::run(
            &st.db,
            now,
            st.clock.wall(),
            dry_run,
            Actor::User(v),
            &st.config.public_url,
        )
        .await?;
        Ok(ReminderRun {
            today: r
                .today
                .unwrap_or_else(|| crate::domain::time::china_day(now)),
            dry_run,
            tasks_considered: i32::try_from(r.tasks_considered).unwrap_or(i32::MAX),
            recorded: i32::try_from(r.recorded).unwrap_or(i32::MAX),
            mails: i32::try_from(r.mails).unwrap_or(i32::MAX),
            items: r.due.iter().map(DueReminder::from).collect(),
            items_total: i32::try_from(r.due_total).unwrap_or(i32::MAX),
            truncated: r.due.len() < r.due_total || r.unaddressed.len() < r.unaddressed_total,
            unaddressed: r.unaddressed.iter().map(DueReminder::from).collect(),
            unaddressed_total: i32::try_from(r.unaddressed_total).unwrap_or(i32::MAX),
        })
    }

    /// Puts a failed outbox message back in the queue (office).
    async fn retry_outbox_message(&self, ctx: &Context<'_>, id: ID) -> Result<OutboxMessage> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let id = parse_id("outbox message", &id)?;
        // Delivery runs on the wall clock (see `notify::outbox`).
        let wall = state(ctx).clock.wall();
        mutate!(ctx, |tx, now| outbox::retry_audited(tx, v, id, wall, now)).map(OutboxMessage)
    }

    /// The iCalendar URL of an agency's deadlines (office, or staff of that agency). The
    /// URL contains a secret token; anyone holding it can read the feed. The base is
    /// `DUBAN_API_URL` when set, otherwise the host this request was addressed to.
    async fn agency_calendar_url(&self, ctx: &Context<'_>, agency_id: ID) -> Result<String> {
        let v = viewer(ctx)?;
        let agency = parse_id("agency", &agency_id)?;
        match v.role {
            UserRole::Office => {}
            UserRole::Agency if v.agency_id == Some(agency) => {}
            _ => {
                return Err(AppError::forbidden(
                    "only the office or the agency's own staff may see its calendar URL",
                )
                .into());
            }
        }
        let token = mutate!(ctx, |tx, now| store::agency_feed_token(tx, v, agency, now))?;
        Ok(format!("{}/ical/{token}.ics", api_base(ctx)))
    }
}
