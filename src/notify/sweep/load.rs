//! Loading a sweep's inputs: the open tasks and what already happened to them (records
//! fired, pending extensions, reports, completion requests), then the context of the tasks
//! that have something due (plans, assignments, contacts, the office and the leadership).
//! A fixed number of set-based queries per keyset batch of tasks.

#[allow(clippy::wildcard_imports)]
use super::*;

/// What every batch of a sweep shares: the calendar, the escalation policies and the
/// furthest day a rung can lie ahead of today.
pub(super) struct Base {
    pub cal: HolidayCalendar,
    pub policies: Policies,
    pub horizon: NaiveDate,
}

/// A batch of open tasks and their history.
pub(super) struct OpenTasks<'a> {
    pub cal: &'a HolidayCalendar,
    pub policies: &'a Policies,
    pub tasks: Vec<TaskRow>,
    pub fired: HashMap<i64, Vec<FiredKey>>,
    pub extension_pending: HashSet<i64>,
    pub reported: HashSet<(i64, String)>,
    pub requested: HashMap<i64, DateTime<Utc>>,
}

/// Reads the calendar and the policies, and from them the horizon of `today`.
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn base(db: &impl ConnectionTrait, today: NaiveDate) -> AppResult<Base> {
    let cal = crate::services::calendar::load_calendar(db).await?;
    let policies = store::load_policies(db).await?;
    let lead = std::iter::once(&policies.global)
        .chain(policies.plans.values())
        .chain(policies.tasks.values())
        .map(lead_days)
        .max()
        .unwrap_or(30);
    let horizon = Duration::try_days(lead)
        .and_then(|l| today.checked_add_signed(l))
        .unwrap_or(NaiveDate::MAX);
    Ok(Base {
        cal,
        policies,
        horizon,
    })
}

/// The highest task id (0 without tasks): where the id windows of a sweep end.
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn last_task_id(db: &impl ConnectionTrait) -> AppResult<i64> {
    #[derive(FromQueryResult)]
    struct Max {
        id: Option<i64>,
    }
    let rows: Vec<Max> = query_all(db, "SELECT MAX(id) AS id FROM task", vec![]).await?;
    Ok(rows.first().and_then(|r| r.id).unwrap_or(0))
}

/// Reads the next `limit` open tasks after task id `after` and up to id `until` (in id
/// order: a keyset batch within a window of ids) that may have something due by the
/// horizon, and their history. The history queries are bounded by the batch's first and
/// last id, which the window keeps close together even where most tasks are closed, so
/// that memory stays with the batch size whatever the number of tasks.
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn open_tasks<'a>(
    db: &impl ConnectionTrait,
    base: &'a Base,
    after: i64,
    until: i64,
    limit: usize,
) -> AppResult<OpenTasks<'a>> {
    let open = open_sql("status");
    let open_t = open_sql("t.status");
    let (heading, requested_status) = (
        TaskKind::Heading.as_str(),
        TaskStatus::CompletionRequested.as_str(),
    );
    let tasks: Vec<TaskRow> = query_all(
        db,
        &format!(
            "SELECT id, plan_id, code, title, deadline, ongoing, report_cadence, status, progress, \
             created_at, updated_at, reopened_at FROM task WHERE id > ? AND id <= ? AND {open} \
             AND kind <> '{heading}' \
             AND ((deadline IS NOT NULL AND deadline <= ?) \
                  OR (ongoing = ? AND report_cadence IS NOT NULL) \
                  OR status = '{requested_status}') ORDER BY id LIMIT {limit}"
        ),
        vec![after.into(), until.into(), base.horizon.into(), true.into()],
    )
    .await?;
    let (Some(first), Some(last)) = (tasks.first().map(|t| t.id), tasks.last().map(|t| t.id))
    else {
        return Ok(OpenTasks {
            cal: &base.cal,
            policies: &base.policies,
            tasks,
            fired: HashMap::new(),
            extension_pending: HashSet::new(),
            reported: HashSet::new(),
            requested: HashMap::new(),
        });
    };

    // Every record in the batch's id range, without a join to the task's status (which
    // made this the costliest query of a sweep that finds nothing new: a lookup per record);
    // those of tasks not in the batch (closed, or nothing to chase) are dropped here.
    let fired_rows: Vec<FiredRow> = query_all(
        db,
        "SELECT task_id, dedupe_key, fired_at FROM supervision_record \
         WHERE task_id BETWEEN ? AND ?",
        vec![first.into(), last.into()],
    )
    .await?;
    let in_batch: HashSet<i64> = tasks.iter().map(|t| t.id).collect();
    let mut fired: HashMap<i64, Vec<FiredKey>> = HashMap::with_capacity(tasks.len());
    for r in fired_rows
        .into_iter()
        .filter(|r| in_batch.contains(&r.task_id))
    {
        fired.entry(r.task_id).or_default().push(FiredKey {
            key: r.dedupe_key,
            // Local time: the ladder counts spacing in China calendar days, like `today`.
            fired_at: china_local(r.fired_at),
        });
    }
    let extension_pending: HashSet<i64> = query_all::<TaskIdRow>(
        db,
        "SELECT DISTINCT task_id FROM extension_request WHERE status = ? \
         AND task_id BETWEEN ? AND ?",
        vec![
            ExtensionStatus::Pending.as_str().into(),
            first.into(),
            last.into(),
        ],
    )
    .await?
    .into_iter()
    .map(|r| r.task_id)
    .collect();
    let reported: HashSet<(i64, String)> = query_all::<PeriodRow>(
        db,
        &format!(
            "SELECT DISTINCT p.task_id, p.period FROM progress_report p \
             JOIN task t ON t.id = p.task_id WHERE p.task_id BETWEEN ? AND ? \
             AND t.ongoing = ? AND {open_t}"
        ),
        vec![first.into(), last.into(), true.into()],
    )
    .await?
    .into_iter()
    .map(|r| (r.task_id, r.period))
    .collect();
    let mut requested: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for r in query_all::<RequestRow>(
        db,
        "SELECT a.entity_id AS task_id, a.at FROM audit_event a JOIN task t ON t.id = a.entity_id \
         WHERE a.entity = 'task' AND a.action = ? AND t.status = ? \
         AND a.entity_id BETWEEN ? AND ?",
        vec![
            AuditAction::TaskRequestCompletion.as_str().into(),
            TaskStatus::CompletionRequested.as_str().into(),
            first.into(),
            last.into(),
        ],
    )
    .await?
    {
        let e = requested.entry(r.task_id).or_insert(r.at);
        if r.at > *e {
            *e = r.at;
        }
    }
    Ok(OpenTasks {
        cal: &base.cal,
        policies: &base.policies,
        tasks,
        fired,
        extension_pending,
        reported,
        requested,
    })
}

/// Who and what the tasks with something due involve. The assignments are those of the
/// current batch; the plans, agencies, contacts and accounts are kept from one batch to the
/// next (reference data: a few thousand rows, read once per sweep rather than per batch).
#[derive(Default)]
pub(super) struct Context {
    pub plan_titles: HashMap<i64, String>,
    pub assignments: HashMap<i64, Vec<(i64, AssignmentRole)>>,
    pub agency_names: HashMap<i64, String>,
    pub contacts: HashMap<i64, Vec<ContactRow>>,
    pub users: Vec<UserRow>,
    /// Agencies whose name and contacts were read.
    pub agencies_read: HashSet<i64>,
    pub users_read: bool,
}

/// Reads into `ctx` the context of the tasks named by `due`: their assignments, and what
/// it does not hold yet of their plans, agencies, contacts and the accounts.
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn context(
    db: &impl ConnectionTrait,
    tasks: &[TaskRow],
    due: &[Due],
    ctx: &mut Context,
) -> AppResult<()> {
    // Context of the tasks with something due: plans, assignments, contacts, users.
    let due_tasks: Vec<i64> = {
        let mut v: Vec<i64> = due.iter().map(|(i, ..)| tasks[*i].id).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let plan_ids: Vec<i64> = {
        let mut v: Vec<i64> = due
            .iter()
            .map(|(i, ..)| tasks[*i].plan_id)
            .filter(|id| !ctx.plan_titles.contains_key(id))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    ctx.plan_titles
        .extend(names(db, "plan", "title", &plan_ids).await?);
    let assignments = &mut ctx.assignments;
    assignments.clear();
    for chunk in due_tasks.chunks(CHUNK) {
        let rows: Vec<AssignmentRow> = query_all(
            db,
            &format!(
                "SELECT task_id, agency_id, role FROM assignment WHERE task_id IN ({}) ORDER BY id",
                placeholders(chunk.len())
            ),
            chunk.iter().map(|&id| id.into()).collect(),
        )
        .await?;
        for r in rows {
            if let Ok(role) = AssignmentRole::parse(&r.role) {
                assignments
                    .entry(r.task_id)
                    .or_default()
                    .push((r.agency_id, role));
            }
        }
    }
    let agency_ids: Vec<i64> = {
        let mut v: Vec<i64> = assignments
            .values()
            .flatten()
            .map(|(a, _)| *a)
            .filter(|a| !ctx.agencies_read.contains(a))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    ctx.agency_names
        .extend(names(db, "agency", "name", &agency_ids).await?);
    for chunk in agency_ids.chunks(CHUNK) {
        let rows: Vec<ContactRow> = query_all(
            db,
            &format!(
                "SELECT agency_id, name, email, role FROM contact WHERE agency_id IN ({}) ORDER BY id",
                placeholders(chunk.len())
            ),
            chunk.iter().map(|&id| id.into()).collect(),
        )
        .await?;
        for r in rows {
            ctx.contacts.entry(r.agency_id).or_default().push(r);
        }
    }
    ctx.agencies_read.extend(agency_ids);
    if !ctx.users_read {
        ctx.users = query_all(
            db,
            "SELECT display_name, email, role FROM \"user\" WHERE disabled = ? AND email IS NOT NULL \
             AND role IN (?, ?) ORDER BY id",
            vec![
                false.into(),
                UserRole::Office.as_str().into(),
                UserRole::Leader.as_str().into(),
            ],
        )
        .await?;
        ctx.users_read = true;
    }
    Ok(())
}

async fn names(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<NameRow> = query_all(
            db,
            &format!(
                "SELECT id, {column} AS name FROM {table} WHERE id IN ({})",
                placeholders(chunk.len())
            ),
            chunk.iter().map(|&id| id.into()).collect(),
        )
        .await?;
        out.extend(rows.into_iter().map(|r| (r.id, r.name)));
    }
    Ok(out)
}
