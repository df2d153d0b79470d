//! Facts from the record: what each subject did in a year, gathered from tasks,
//! reports, supervision records and the audit trail for the pure scoring core.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Report periods of a cadence whose due date falls in `year`, with that due date — the
/// reminders' own periods ([`ladder::report_periods`]): a report is due
/// [`ladder::REPORT_DUE_WORKING_DAYS`] working days after its period ends, on the holiday
/// calendar in force, so the December (or Q4, H2, yearly) report of the year before is due
/// in this year and this year's is due in the next. Only periods that ended on or after
/// `from` (the day the task was created) count, as in the sweep.
pub(super) fn report_periods(
    cadence: &str,
    year: i32,
    from: NaiveDate,
    cal: &HolidayCalendar,
) -> Vec<(String, NaiveDate)> {
    let (Some(cadence), Some(start), Some(end)) = (
        crate::domain::ReportCadence::parse(cadence).ok(),
        NaiveDate::from_ymd_opt(year - 1, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Vec::new();
    };
    ladder::report_periods(cadence, start.max(from), end, cal)
        .into_iter()
        .filter(|p| p.due.year() == year)
        .map(|p| (p.label, p.due))
        .collect()
}

/// The day each completed task was *completed* for the evaluation: the day its lead agency
/// asked to close it (申请办结) in the request the office then verified (销号), not the
/// day of the office's sign-off — an agency is not late because the office verified late.
/// Read from the audit trail (`task.request_completion` before the last `task.verify`);
/// tasks closed without a recorded request keep the verification day.
pub(super) async fn completion_request_days(
    db: &impl ConnectionTrait,
    tasks: &HashMap<i64, task::Model>,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let completed: Vec<i64> = tasks
        .values()
        .filter(|t| TaskStatus::stored(&t.status) == TaskStatus::Completed)
        .map(|t| t.id)
        .collect();
    let mut out = HashMap::new();
    if completed.is_empty() {
        return Ok(out);
    }
    // Per task, in order: the last request seen, and the one current at each verification.
    let mut last_request: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for chunk in completed.chunks(500) {
        for e in audit_event::Entity::find()
            .filter(audit_event::Column::Entity.eq(<task::Entity as Audited>::ENTITY))
            .filter(audit_event::Column::EntityId.is_in(chunk.to_vec()))
            .filter(
                audit_event::Column::Action.is_in(
                    [AuditAction::TaskRequestCompletion, AuditAction::TaskVerify]
                        .map(AuditAction::as_str),
                ),
            )
            .order_by_asc(audit_event::Column::At)
            .order_by_asc(audit_event::Column::Id)
            .all(db)
            .await?
        {
            if e.action == AuditAction::TaskRequestCompletion.as_str() {
                last_request.insert(e.entity_id, e.at);
            } else if let Some(r) = last_request.get(&e.entity_id) {
                out.insert(e.entity_id, china_day(*r));
            } else {
                out.remove(&e.entity_id);
            }
        }
    }
    Ok(out)
}

/// Whether a supervision record was addressed to (a contact of) `agency_id`: its
/// `recipients` are serialised recipients (written by the reminder sweep), each naming the agency
/// whose contact it is (`agency_id`; absent for the office and leadership).
pub(super) fn addressed_to(recipients: &serde_json::Value, agency_id: i64) -> bool {
    recipients.as_array().is_some_and(|xs| {
        xs.iter()
            .any(|x| x.get("agency_id").and_then(serde_json::Value::as_i64) == Some(agency_id))
    })
}

/// Assembles one subject's facts for `year`: its tasks and roles, the progress reports due
/// on the tasks it leads (due dates as the reminders compute them, on `cal`), escalations
/// addressed to it on those tasks, returned completions, and the indicator values, manual
/// scores and adjustments entered for it.
///
/// # Errors
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn subject_input(
    db: &impl ConnectionTrait,
    year: i32,
    scheme_id: i64,
    subject: &agency::Model,
    cal: &HolidayCalendar,
) -> AppResult<SubjectInput> {
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::AgencyId.eq(subject.id))
        .all(db)
        .await?;
    let task_ids: Vec<i64> = assignments.iter().map(|a| a.task_id).collect();
    let tasks: HashMap<i64, task::Model> = if task_ids.is_empty() {
        HashMap::new()
    } else {
        task::Entity::find()
            .filter(task::Column::Id.is_in(task_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect()
    };
    let requested = completion_request_days(db, &tasks).await?;
    // The day a task counts as completed (see completion_request_days).
    let completed_on = |t: &task::Model| {
        t.completed_at
            .filter(|_| TaskStatus::stored(&t.status) == TaskStatus::Completed)
            .map(|at| {
                requested
                    .get(&t.id)
                    .copied()
                    .unwrap_or_else(|| china_day(at))
            })
    };
    let mut record = SubjectRecord {
        year,
        ..Default::default()
    };
    let mut seen = HashSet::new();
    let mut led: Vec<i64> = Vec::new();
    for a in &assignments {
        let (Some(t), Some(role)) = (tasks.get(&a.task_id), AssignmentRole::parse(&a.role).ok())
        else {
            continue;
        };
        if !seen.insert((t.id, a.role.clone())) {
            continue;
        }
        if role == AssignmentRole::Lead {
            led.push(t.id);
        }
        record.tasks.push(TaskFact {
            task_id: t.id,
            code: t.code.clone(),
            title: t.title.clone(),
            role,
            original_due: if t.ongoing { None } else { t.original_deadline },
            current_due: if t.ongoing { None } else { t.deadline },
            completed_on: completed_on(t),
            status: t.status.clone(),
            cancelled: TaskStatus::stored(&t.status) == TaskStatus::Cancelled,
        });
    }
    record.tasks.sort_by_key(|t| t.task_id);
    led.sort_unstable();
    led.dedup();

    if !led.is_empty() {
        // Progress reports due from the lead on tasks with a reporting cadence.
        let reports = progress_report::Entity::find()
            .filter(progress_report::Column::TaskId.is_in(led.clone()))
            .filter(progress_report::Column::AgencyId.eq(subject.id))
            .all(db)
            .await?;
        let mut first: HashMap<(i64, String), NaiveDate> = HashMap::new();
        for r in reports {
            let d = china_day(r.submitted_at);
            first
                .entry((r.task_id, r.period.clone()))
                .and_modify(|x| *x = (*x).min(d))
                .or_insert(d);
        }
        for id in &led {
            let t = &tasks[id];
            if TaskStatus::stored(&t.status) == TaskStatus::Cancelled {
                continue;
            }
            let Some(cadence) = t.report_cadence.as_deref() else {
                continue;
            };
            let created = china_day(t.created_at);
            let done = completed_on(t);
            for (period, due) in report_periods(cadence, year, created, cal) {
                // Nothing is due once the task was closed before the due date.
                if done.is_some_and(|d| d < due) {
                    continue;
                }
                record.reports.push(ReportFact {
                    task_id: t.id,
                    submitted_on: first.get(&(t.id, period.clone())).copied(),
                    period,
                    due,
                });
            }
        }
        // Escalations on the tasks it leads that were addressed to it: not those sent to
        // another (co-)lead only, nor the office's own reminders about unverified
        // completion requests (matter `verification`).
        for s in supervision_record::Entity::find()
            .filter(supervision_record::Column::TaskId.is_in(led.clone()))
            .filter(supervision_record::Column::Matter.ne("verification"))
            .order_by_asc(supervision_record::Column::Id)
            .all(db)
            .await?
        {
            if !addressed_to(&s.recipients, subject.id) {
                continue;
            }
            record.supervisions.push(SupervisionFact {
                id: s.id,
                task_id: Some(s.task_id),
                level: s.level,
                at: china_day(s.fired_at),
                doc_number: s.doc_number,
            });
        }
    }
    let mut events = Vec::new();
    if !led.is_empty() {
        for e in audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(AuditAction::TaskReturn.as_str()))
            .filter(audit_event::Column::Entity.eq(<task::Entity as Audited>::ENTITY))
            .filter(audit_event::Column::EntityId.is_in(led.clone()))
            .order_by_asc(audit_event::Column::Id)
            .all(db)
            .await?
        {
            events.push(EventFact {
                id: e.id,
                event_type: "completion_returned".into(),
                at: china_day(e.at),
                task_id: Some(e.entity_id),
                note: None,
            });
        }
    }

    let mut input = SubjectInput {
        subject_id: subject.id,
        subject_name: subject.name.clone(),
        record,
        events,
        ..Default::default()
    };
    for v in indicator_value::Entity::find()
        .filter(indicator_value::Column::Year.eq(year))
        .filter(indicator_value::Column::SchemeId.eq(scheme_id))
        .filter(indicator_value::Column::AgencyId.eq(subject.id))
        .all(db)
        .await?
    {
        input.indicator_values.insert(
            v.criterion_key,
            core::IndicatorValue {
                value: v.value,
                target: v.target,
                note: v.note,
            },
        );
    }
    for m in manual_score::Entity::find()
        .filter(manual_score::Column::Year.eq(year))
        .filter(manual_score::Column::SchemeId.eq(scheme_id))
        .filter(manual_score::Column::AgencyId.eq(subject.id))
        .all(db)
        .await?
    {
        input.manual_scores.insert(
            m.criterion_key,
            core::ManualScore {
                score: m.score,
                reason: m.reason,
                by: Some(format!("user {}", m.entered_by)),
            },
        );
    }
    for m in manual_adjustment::Entity::find()
        .filter(manual_adjustment::Column::Year.eq(year))
        .filter(manual_adjustment::Column::SchemeId.eq(scheme_id))
        .filter(manual_adjustment::Column::AgencyId.eq(subject.id))
        .order_by_asc(manual_adjustment::Column::Id)
        .all(db)
        .await?
    {
        input.manual_adjustments.push(core::ManualAdjustment {
            points: m.amount,
            reason: m.reason,
            by: Some(format!("user {}", m.entered_by)),
        });
    }
    Ok(input)
}

/// Whether a task gives its agencies anything to be evaluated on in `year`: not cancelled,
/// not closed before 1 Jan, and either with a (judged or current) deadline on or before
/// 31 Dec, or ongoing and created by 31 Dec.
pub(super) fn relevant_to(t: &task::Model, year: i32) -> bool {
    let (Some(start), Some(end)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return false;
    };
    if TaskStatus::stored(&t.status) == TaskStatus::Cancelled
        || t.completed_at
            .filter(|_| TaskStatus::stored(&t.status) == TaskStatus::Completed)
            .is_some_and(|c| china_day(c) < start)
    {
        return false;
    }
    if t.ongoing {
        return china_day(t.created_at) <= end;
    }
    t.original_deadline
        .into_iter()
        .chain(t.deadline)
        .any(|d| d <= end)
}

/// Default subjects of a scheme for `year`.
///
/// - With `subjects_under` (a provincial index of cities): the local governments whose
///   parent is that government in the registry; if there are none, the office must name the
///   subjects (INVALID_INPUT saying so) — the shipped 减污降碳协同指数 evaluates Zhejiang's
///   cities, which the seeded registry does not hold.
/// - Otherwise the agencies of the scheme's kind (local governments, or departments and
///   other non-group agencies) that have an assignment on a task relevant to the year
///   ([`relevant_to`]): an agency with nothing to be evaluated on is not ranked.
pub async fn default_subjects(
    db: &impl ConnectionTrait,
    scheme: &Scheme,
    year: i32,
) -> AppResult<Vec<agency::Model>> {
    if let Some(parent) = scheme.subjects_under.as_deref() {
        let children = match crate::services::agencies::find_by_name(db, parent).await? {
            Some(p) => {
                agency::Entity::find()
                    .filter(agency::Column::ParentId.eq(p.id))
                    .filter(agency::Column::Kind.eq(AgencyKind::LocalGovernment.as_str()))
                    .order_by_asc(agency::Column::Id)
                    .all(db)
                    .await?
            }
            None => Vec::new(),
        };
        if children.is_empty() {
            return Err(AppError::invalid(format!(
                "scheme {} evaluates the governments under {parent}, and the agency registry holds none of them: name the subjects to evaluate",
                scheme.name
            )));
        }
        return Ok(children);
    }
    let relevant: HashSet<i64> = task::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|t| relevant_to(t, year))
        .map(|t| t.id)
        .collect();
    let mut with_tasks: HashSet<i64> = HashSet::new();
    for a in assignment::Entity::find().all(db).await? {
        if relevant.contains(&a.task_id) {
            with_tasks.insert(a.agency_id);
        }
    }
    let all = agency::Entity::find()
        .order_by_asc(agency::Column::Id)
        .all(db)
        .await?;
    Ok(all
        .into_iter()
        .filter(|a| with_tasks.contains(&a.id))
        .filter(|a| match scheme.subject_kind {
            SubjectKind::LocalGovernment => a.kind == AgencyKind::LocalGovernment.as_str(),
            SubjectKind::Agency => {
                a.kind != AgencyKind::LocalGovernment.as_str()
                    && a.kind != AgencyKind::Group.as_str()
            }
        })
        .collect())
}
