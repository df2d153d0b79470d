//! The decision, pure: which rungs of which ladders are due `today` for each open task
//! (deadline, report periods of ongoing tasks, completion requests awaiting verification),
//! through [`crate::notify::ladder::due_rungs`]. No database, no clock.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A rung due: the task (an index into [`OpenTasks::tasks`]), what triggered it, the rung
/// and its key in its policy.
pub(super) type Due = (usize, Trigger, DueRung, String);

/// The rungs due `today` for the loaded open tasks, in task order.
pub(super) fn due(open: &OpenTasks<'_>, today: NaiveDate) -> Vec<Due> {
    let OpenTasks {
        cal,
        policies,
        tasks,
        fired,
        extension_pending,
        reported,
        requested,
    } = open;
    let report_policy = Policy::default_report_ladder();
    let verify_policy = Policy::default_verification_ladder();
    let mut due: Vec<(usize, Trigger, DueRung, String)> = Vec::new();
    let no_fired: Vec<FiredKey> = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let completion_pending = TaskStatus::stored(&t.status) == TaskStatus::CompletionRequested;
        let state = TaskState {
            task_id: t.id,
            resolved: false,
            extension_pending: extension_pending.contains(&t.id),
            completion_pending,
            reopened_at: t.reopened_at.map(|r| r.naive_utc()),
        };
        let already = fired.get(&t.id).unwrap_or(&no_fired);
        let mut decide = |policy: &Policy, trigger: Trigger| {
            for r in due_rungs(policy, &trigger, &state, today, cal, already) {
                let rung_key = policy.rungs()[r.rung_index].key();
                due.push((i, trigger.clone(), r, rung_key));
            }
        };
        if let Some(deadline) = t.deadline {
            decide(
                policies.for_task(t.id, t.plan_id),
                Trigger::Deadline { due: deadline },
            );
        }
        if t.ongoing
            && let Some(cadence) = t
                .report_cadence
                .as_deref()
                .and_then(|c| ReportCadence::parse(c).ok())
        {
            let lookback = today
                .checked_sub_signed(Duration::days(REPORT_LOOKBACK_DAYS))
                .unwrap_or(NaiveDate::MIN);
            let from = china_day(t.created_at).max(lookback);
            let to = today
                .checked_add_signed(Duration::days(40))
                .unwrap_or(NaiveDate::MAX);
            for p in report_periods(cadence, from, to, cal) {
                if !reported.contains(&(t.id, p.label.clone())) {
                    decide(
                        &report_policy,
                        Trigger::ReportDue {
                            period: p.label,
                            due: p.due,
                        },
                    );
                }
            }
        }
        if completion_pending {
            let at = requested.get(&t.id).copied().unwrap_or(t.updated_at);
            decide(
                &verify_policy,
                Trigger::VerificationPending {
                    requested_at: china_local(at),
                },
            );
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn task(id: i64, deadline: Option<&str>, status: TaskStatus) -> TaskRow {
        let created = chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 1, 1, 0, 0, 0).unwrap();
        TaskRow {
            id,
            plan_id: 1,
            code: format!("T{id}"),
            title: format!("task {id}"),
            deadline: deadline.map(day),
            ongoing: false,
            report_cadence: None,
            status: status.as_str().into(),
            progress: 0,
            created_at: created,
            updated_at: created,
            reopened_at: None,
        }
    }

    fn open(tasks: Vec<TaskRow>) -> OpenTasks<'static> {
        // Leaked: a few bytes per test, for the 'static borrow the batch holds.
        let cal: &'static HolidayCalendar = Box::leak(Box::new(HolidayCalendar::prc_official()));
        let policies: &'static Policies = Box::leak(Box::new(Policies {
            global: Policy::default_ladder(),
            plans: HashMap::new(),
            tasks: HashMap::new(),
        }));
        OpenTasks {
            cal,
            policies,
            tasks,
            fired: HashMap::new(),
            extension_pending: HashSet::new(),
            reported: HashSet::new(),
            requested: HashMap::new(),
        }
    }

    #[test]
    fn an_overdue_task_is_due_and_a_far_one_is_not() {
        let today = day("2025-06-10");
        let o = open(vec![
            task(1, Some("2025-06-01"), TaskStatus::InProgress),
            task(2, Some("2026-06-01"), TaskStatus::InProgress),
        ]);
        let due = due(&o, today);
        assert!(
            due.iter().any(|(i, ..)| o.tasks[*i].id == 1),
            "overdue task not chased"
        );
        assert!(
            due.iter().all(|(i, ..)| o.tasks[*i].id != 2),
            "a task due next year chased"
        );
        assert!(
            due.iter()
                .all(|(_, t, ..)| matches!(t, Trigger::Deadline { .. }))
        );
    }

    #[test]
    fn a_fired_rung_is_not_due_again() {
        let today = day("2025-06-10");
        let mut o = open(vec![task(1, Some("2025-06-01"), TaskStatus::InProgress)]);
        let first = due(&o, today);
        assert!(!first.is_empty());
        o.fired.insert(
            1,
            first
                .iter()
                .map(|(_, _, r, _)| FiredKey {
                    key: r.dedupe_key.clone(),
                    fired_at: china_local(
                        chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 6, 10, 1, 0, 0).unwrap(),
                    ),
                })
                .collect(),
        );
        let again = due(&o, today);
        let keys: HashSet<_> = first.iter().map(|(_, _, r, _)| &r.dedupe_key).collect();
        assert!(
            again
                .iter()
                .all(|(_, _, r, _)| !keys.contains(&r.dedupe_key))
        );
    }

    #[test]
    fn a_completion_request_awaits_verification() {
        let today = day("2025-06-10");
        let mut o = open(vec![task(1, None, TaskStatus::CompletionRequested)]);
        o.requested.insert(
            1,
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 5, 1, 0, 0, 0).unwrap(),
        );
        let due = due(&o, today);
        assert!(
            due.iter()
                .any(|(_, t, ..)| matches!(t, Trigger::VerificationPending { .. })),
            "{:?}",
            due.iter().map(|(_, t, ..)| t).collect::<Vec<_>>()
        );
    }
}
