use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(date: NaiveDate, h: u32) -> NaiveDateTime {
    date.and_hms_opt(h, 0, 0).unwrap()
}

fn state() -> TaskState {
    TaskState {
        task_id: 42,
        ..TaskState::default()
    }
}

/// Runs a daily sweep from `from` to `to` like the worker would, recording everything
/// sent at 08:00 of its day. Returns what was sent.
fn simulate(
    policy: &Policy,
    trigger: &Trigger,
    st: &TaskState,
    from: NaiveDate,
    to: NaiveDate,
    cal: &HolidayCalendar,
    fired: &mut Vec<FiredKey>,
) -> Vec<DueRung> {
    let mut sent = Vec::new();
    for today in from.iter_days().take_while(|t| *t <= to) {
        for r in due_rungs(policy, trigger, st, today, cal, fired) {
            fired.push(FiredKey {
                key: r.dedupe_key.clone(),
                fired_at: at(today, 8),
            });
            sent.push(r);
        }
    }
    sent
}

#[test]
fn level_names_and_order() {
    assert!(Level::Reminder < Level::Urging && Level::Notice < Level::Summons);
    let names: Vec<_> = Level::ALL.iter().map(|l| l.chinese()).collect();
    assert_eq!(names, ["提醒", "催办", "督办", "通报", "约谈"]);
    for l in Level::ALL {
        assert_eq!(Level::parse(l.as_str()), Some(l));
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            format!("\"{}\"", l.as_str())
        );
    }
    assert_eq!(Level::parse("nag"), None);
}

#[test]
fn default_ladder_fires_each_rung_on_its_day() {
    let cal = HolidayCalendar::prc_official();
    // Thu 2025-06-26: -1 working = Wed 6/25, +1 working = Fri 6/27.
    let due = d(2025, 6, 26);
    let mut fired = Vec::new();
    let sent = simulate(
        &Policy::default_ladder(),
        &Trigger::Deadline { due },
        &state(),
        d(2025, 5, 1),
        d(2025, 8, 31),
        &cal,
        &mut fired,
    );
    let got: Vec<_> = sent
        .iter()
        .map(|r| (r.level, r.due_on, r.occurrence))
        .collect();
    assert_eq!(
        got,
        [
            (Level::Reminder, d(2025, 5, 27), 1),   // -30
            (Level::Reminder, d(2025, 6, 19), 1),   // -7
            (Level::Reminder, d(2025, 6, 25), 1),   // -1 working
            (Level::Urging, d(2025, 6, 27), 1),     // +1 working
            (Level::Supervision, d(2025, 7, 3), 1), // +7
            (Level::Notice, d(2025, 7, 26), 1),     // +30
            (Level::Notice, d(2025, 8, 25), 2),     // repeats monthly
        ]
    );
    let keys: std::collections::HashSet<_> = sent.iter().map(|r| &r.dedupe_key).collect();
    assert_eq!(keys.len(), sent.len());
    assert_eq!(
        sent[3].dedupe_key,
        "task:42|deadline:2025-06-26|urging+1w|#1"
    );
    assert!(sent[4].audiences.contains(&Audience::DeputyInCharge));
    assert!(sent[4].audiences.contains(&Audience::Office));
    assert!(sent[5].audiences.contains(&Audience::Leadership));
}

#[test]
fn working_day_rungs_skip_national_day() {
    let cal = HolidayCalendar::prc_official();
    // Deadline Tue 2025-09-30: urging (+1 working) is Thu 10/9, after the break.
    let due = d(2025, 9, 30);
    let policy = Policy::default_ladder();
    let trigger = Trigger::Deadline { due };
    assert!(
        due_rungs(&policy, &trigger, &state(), d(2025, 10, 8), &cal, &[])
            .iter()
            .all(|r| r.level == Level::Reminder)
    );
    let r = due_rungs(&policy, &trigger, &state(), d(2025, 10, 9), &cal, &[]);
    assert_eq!((r[0].level, r[0].due_on), (Level::Urging, d(2025, 10, 9)));
    // Deadline Mon 2025-10-13: the -1 working-day reminder lands on the 调休 Saturday.
    let trigger = Trigger::Deadline {
        due: d(2025, 10, 13),
    };
    let r = due_rungs(&policy, &trigger, &state(), d(2025, 10, 11), &cal, &[]);
    assert_eq!(
        (r[0].level, r[0].due_on),
        (Level::Reminder, d(2025, 10, 11))
    );
}

#[test]
fn pending_extension_pauses_urging_but_not_reminders() {
    let cal = HolidayCalendar::prc_official();
    let due = d(2025, 6, 26);
    let trigger = Trigger::Deadline { due };
    let st = TaskState {
        extension_pending: true,
        ..state()
    };
    let policy = Policy::default_ladder();
    let before = due_rungs(&policy, &trigger, &st, d(2025, 6, 25), &cal, &[]);
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].level, Level::Reminder);
    for today in [d(2025, 6, 27), d(2025, 7, 3), d(2025, 7, 30)] {
        assert!(due_rungs(&policy, &trigger, &st, today, &cal, &[]).is_empty());
    }
    // The same applies while a completion request waits for verification.
    let st = TaskState {
        completion_pending: true,
        ..state()
    };
    assert!(due_rungs(&policy, &trigger, &st, d(2025, 6, 27), &cal, &[]).is_empty());
    // But a report trigger is not paused by a deadline extension.
    let st = TaskState {
        extension_pending: true,
        ..state()
    };
    let report = Trigger::ReportDue {
        period: "2025-05".into(),
        due: d(2025, 6, 9),
    };
    let r = due_rungs(
        &Policy::default_report_ladder(),
        &report,
        &st,
        d(2025, 6, 10),
        &cal,
        &[],
    );
    assert_eq!(r[0].level, Level::Urging);
}

#[test]
fn approved_extension_re_arms_with_the_new_deadline() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    let mut fired = Vec::new();
    let old = Trigger::Deadline {
        due: d(2025, 6, 26),
    };
    simulate(
        &policy,
        &old,
        &state(),
        d(2025, 6, 1),
        d(2025, 6, 27),
        &cal,
        &mut fired,
    );
    assert_eq!(fired.len(), 4); // -30 (late, on 6/1), -7, -1, urging
    let new = Trigger::Deadline {
        due: d(2025, 9, 26),
    };
    let r = due_rungs(&policy, &new, &state(), d(2025, 8, 27), &cal, &fired);
    assert_eq!(r[0].level, Level::Reminder);
    assert_eq!(
        r[0].dedupe_key,
        "task:42|deadline:2025-09-26|reminder-30|#1"
    );
}

#[test]
fn resolved_task_gets_nothing() {
    let cal = HolidayCalendar::prc_official();
    let st = TaskState {
        resolved: true,
        ..state()
    };
    let trigger = Trigger::Deadline {
        due: d(2025, 6, 26),
    };
    for today in [d(2025, 6, 19), d(2025, 6, 27), d(2025, 9, 1)] {
        assert!(due_rungs(&Policy::default_ladder(), &trigger, &st, today, &cal, &[]).is_empty());
    }
}

#[test]
fn repeating_rung_yields_numbered_occurrences_with_distinct_keys() {
    let cal = HolidayCalendar::weekends_only();
    let policy = Policy::new(vec![
        Rung::new(
            Level::Urging,
            1,
            DayCount::Calendar,
            &[Audience::LeadContacts],
        )
        .repeating(7),
    ])
    .unwrap();
    let trigger = Trigger::Deadline { due: d(2025, 3, 1) };
    let mut fired = Vec::new();
    let sent = simulate(
        &policy,
        &trigger,
        &state(),
        d(2025, 3, 1),
        d(2025, 3, 20),
        &cal,
        &mut fired,
    );
    let got: Vec<_> = sent.iter().map(|r| (r.occurrence, r.due_on)).collect();
    assert_eq!(
        got,
        [(1, d(2025, 3, 2)), (2, d(2025, 3, 9)), (3, d(2025, 3, 16))]
    );
    assert_ne!(sent[0].dedupe_key, sent[1].dedupe_key);
    assert_ne!(sent[1].dedupe_key, sent[2].dedupe_key);
    assert!(sent[2].dedupe_key.ends_with("|urging+1|#3"));
}

#[test]
fn already_fired_keys_are_not_returned_again() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    let trigger = Trigger::Deadline {
        due: d(2025, 6, 26),
    };
    let today = d(2025, 6, 27);
    let first = due_rungs(&policy, &trigger, &state(), today, &cal, &[]);
    assert_eq!(first.len(), 1);
    let fired = [FiredKey {
        key: first[0].dedupe_key.clone(),
        fired_at: at(today, 8),
    }];
    assert!(due_rungs(&policy, &trigger, &state(), today, &cal, &fired).is_empty());
    // Still nothing the next day: urging does not repeat and supervision is not due.
    assert!(due_rungs(&policy, &trigger, &state(), d(2025, 6, 28), &cal, &fired).is_empty());
}

#[test]
fn reopened_task_re_arms_its_ladder() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    let trigger = Trigger::Deadline {
        due: d(2025, 6, 26),
    };
    let mut fired = Vec::new();
    simulate(
        &policy,
        &trigger,
        &state(),
        d(2025, 6, 20),
        d(2025, 6, 28),
        &cal,
        &mut fired,
    );
    assert_eq!(
        fired.last().unwrap().key,
        "task:42|deadline:2025-06-26|urging+1w|#1"
    );
    // Completed on 6/28, sent back (reopened) on 7/1 at 10:00.
    let st = TaskState {
        reopened_at: Some(at(d(2025, 7, 1), 10)),
        ..state()
    };
    let r = due_rungs(&policy, &trigger, &st, d(2025, 7, 1), &cal, &fired);
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].level,
        Level::Urging,
        "re-armed ladder climbs from urging again"
    );
    assert_eq!(
        r[0].dedupe_key,
        "task:42|deadline:2025-06-26@r20250701T100000|urging+1w|#1"
    );
    // Once sent after the reopen, it counts again.
    fired.push(FiredKey {
        key: r[0].dedupe_key.clone(),
        fired_at: at(d(2025, 7, 1), 11),
    });
    assert!(due_rungs(&policy, &trigger, &st, d(2025, 7, 2), &cal, &fired).is_empty());
    // A record of the new generation counts even when the sweep that wrote it was
    // dated before the reopen instant (its business clock ran behind): ignoring it
    // would stop the ladder for good, its key being spent.
    let mut early = fired.clone();
    early.pop();
    early.push(FiredKey {
        key: r[0].dedupe_key.clone(),
        fired_at: at(d(2025, 7, 1), 9),
    });
    assert!(due_rungs(&policy, &trigger, &st, d(2025, 7, 1), &cal, &early).is_empty());
    // … and the ladder climbs from it: 督办 six days after the re-armed urging.
    let later = due_rungs(&policy, &trigger, &st, d(2025, 7, 7), &cal, &early);
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].level, Level::Supervision);
    assert_eq!(
        later[0].dedupe_key,
        "task:42|deadline:2025-06-26@r20250701T100000|supervision+7|#1"
    );
    // Records of the earlier generation never match.
    assert_eq!(
        due_rungs(
            &policy,
            &trigger,
            &st,
            d(2025, 7, 2),
            &cal,
            &fired[..fired.len() - 1]
        )
        .len(),
        1
    );
}

#[test]
fn after_downtime_only_the_most_serious_due_rung_fires() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    let trigger = Trigger::Deadline {
        due: d(2025, 6, 26),
    };
    // Nothing sent for months; on 6/24 the -30 and -7 reminders are both past: only
    // the -7 one (the most recent) is sent.
    let r = due_rungs(&policy, &trigger, &state(), d(2025, 6, 24), &cal, &[]);
    assert_eq!((r.len(), r[0].rung_index), (1, 1));
    // On 7/20 (+24 days) nothing has ever been sent: one urging, not urging + 督办.
    let r = due_rungs(&policy, &trigger, &state(), d(2025, 7, 20), &cal, &[]);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].level, Level::Urging);
}

#[test]
fn post_due_rungs_climb_stepwise_with_policy_spacing() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    let trigger = Trigger::Deadline {
        due: d(2023, 12, 31),
    };
    // A plan imported in March 2025, long after its 2023 deadline.
    let mut fired = Vec::new();
    let sent = simulate(
        &policy,
        &trigger,
        &state(),
        d(2025, 3, 3),
        d(2025, 4, 30),
        &cal,
        &mut fired,
    );
    let got: Vec<_> = sent.iter().map(|r| (r.level, r.due_on)).collect();
    // Nominal dates: urging 2024-01-02 (+1 working day, 元旦 skipped), 督办 2024-01-07,
    // 通报 2024-01-30. Urging goes out at once; each higher rung follows the one
    // below it with the nominal spacing (5 and 23 days), not all on import day.
    let imported = d(2025, 3, 3);
    let supervision = imported + Duration::days(5);
    let notice = supervision + Duration::days(23);
    assert_eq!(
        got,
        [
            (Level::Urging, d(2024, 1, 2)),
            (Level::Supervision, supervision),
            (Level::Notice, notice),
            (Level::Notice, notice + Duration::days(30)),
        ]
    );
    assert_eq!(fired[0].fired_at.date(), imported);
}

#[test]
fn verification_trigger_addresses_the_office() {
    let cal = HolidayCalendar::prc_official();
    let trigger = Trigger::VerificationPending {
        requested_at: at(d(2025, 9, 26), 15),
    };
    let policy = Policy::default_verification_ladder();
    // Fri 9/26 + 3 working days: 9/28 (调休 Sun), 9/29, 9/30.
    let r = due_rungs(&policy, &trigger, &state(), d(2025, 9, 30), &cal, &[]);
    assert_eq!((r[0].level, r[0].due_on), (Level::Reminder, d(2025, 9, 30)));
    assert_eq!(r[0].audiences, [Audience::Office]);
    assert!(r[0].trigger_key.starts_with("verify:20250926T150000"));
    // Not paused by the pending completion, which is the very thing being chased.
    let st = TaskState {
        completion_pending: true,
        ..state()
    };
    assert_eq!(
        due_rungs(&policy, &trigger, &st, d(2025, 9, 30), &cal, &[]).len(),
        1
    );
    // Even a policy addressed elsewhere is sent to the office only.
    let r = due_rungs(
        &Policy::default_ladder(),
        &trigger,
        &st,
        d(2025, 10, 20),
        &cal,
        &[],
    );
    assert_eq!(r[0].audiences, [Audience::Office]);
}

#[test]
fn policy_validation_and_json_round_trip() {
    let p = Policy::default_ladder();
    let json = p.to_json();
    assert_eq!(Policy::from_json(&json).unwrap(), p);
    assert!(json.contains(r#""level":"supervision""#));
    // day_count and repeat are optional in stored JSON.
    let minimal =
        r#"{"rungs":[{"level":"reminder","offset_days":-3,"audiences":["lead_contacts"]}]}"#;
    let m = Policy::from_json(minimal).unwrap();
    assert_eq!(m.rungs()[0].day_count, DayCount::Calendar);
    assert_eq!(m.rungs()[0].repeat_every_days, None);

    let r = |level, off| Rung::new(level, off, DayCount::Calendar, &[Audience::Office]);
    assert_eq!(Policy::new(vec![]), Err(PolicyError::Empty));
    assert_eq!(
        Policy::new(vec![r(Level::Reminder, -1), r(Level::Reminder, -7)]),
        Err(PolicyError::NotSorted(1))
    );
    assert_eq!(
        Policy::new(vec![r(Level::Supervision, 1), r(Level::Urging, 7)]),
        Err(PolicyError::LevelDecreases(1))
    );
    assert_eq!(
        Policy::new(vec![Rung::new(
            Level::Reminder,
            -1,
            DayCount::Calendar,
            &[]
        )]),
        Err(PolicyError::NoAudience(0))
    );
    assert_eq!(
        Policy::new(vec![r(Level::Urging, 1).repeating(0)]),
        Err(PolicyError::ZeroRepeat(0))
    );
    // Invalid stored JSON is rejected at load time.
    let bad = r#"{"rungs":[{"level":"notice","offset_days":1,"audiences":["office"]},
                           {"level":"urging","offset_days":2,"audiences":["office"]}]}"#;
    assert!(
        Policy::from_json(bad)
            .unwrap_err()
            .to_string()
            .contains("levels may not decrease")
    );
    // Before the due date levels may vary (e.g. an early 督办 before a key milestone).
    assert!(Policy::new(vec![r(Level::Urging, -5), r(Level::Reminder, -1)]).is_ok());
}

#[test]
fn effective_policy_prefers_task_then_plan() {
    let global = Policy::default_ladder();
    let plan = Policy::default_report_ladder();
    let task = Policy::default_verification_ladder();
    assert_eq!(effective_policy(&global, None, None), &global);
    assert_eq!(effective_policy(&global, Some(&plan), None), &plan);
    assert_eq!(effective_policy(&global, Some(&plan), Some(&task)), &task);
    assert_eq!(effective_policy(&global, None, Some(&task)), &task);
}

#[test]
fn report_periods_by_cadence() {
    let cal = HolidayCalendar::prc_official();
    let q = report_periods(
        ReportCadence::Quarterly,
        d(2025, 1, 1),
        d(2025, 12, 31),
        &cal,
    );
    let labels: Vec<_> = q.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]);
    assert_eq!((q[2].start, q[2].end), (d(2025, 7, 1), d(2025, 9, 30)));
    // Q3 ends Tue 9/30; 10/1–10/8 off: 10/9, 10/10, 10/11 (调休), 10/13, 10/14.
    assert_eq!(q[2].due, d(2025, 10, 14));

    let m = report_periods(ReportCadence::Monthly, d(2025, 6, 15), d(2025, 9, 10), &cal);
    let labels: Vec<_> = m.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["2025-06", "2025-07", "2025-08"]);
    assert_eq!(m[0].due, d(2025, 7, 7)); // 6/30 Mon + 5 working days

    let h = report_periods(
        ReportCadence::HalfYearly,
        d(2024, 1, 1),
        d(2025, 12, 31),
        &cal,
    );
    let labels: Vec<_> = h.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["2024-H1", "2024-H2", "2025-H1", "2025-H2"]);

    let y = report_periods(ReportCadence::Yearly, d(2024, 6, 1), d(2025, 12, 31), &cal);
    assert_eq!(y.len(), 2);
    assert_eq!((y[1].label.as_str(), y[1].end), ("2025", d(2025, 12, 31)));
    // 2025-12-31 Wed; 2026-01-01..03 off, 1/4 (调休 Sun), 1/5, 1/6, 1/7, 1/8.
    assert_eq!(y[1].due, d(2026, 1, 8));

    assert!(report_periods(ReportCadence::Monthly, d(2025, 6, 1), d(2025, 6, 29), &cal).is_empty());
    assert_eq!(
        ReportCadence::parse("half_yearly").ok(),
        Some(ReportCadence::HalfYearly)
    );
    assert!(ReportCadence::parse("weekly").is_err());
}

#[test]
fn report_trigger_keys_by_period() {
    let t = Trigger::ReportDue {
        period: "2025-Q3".into(),
        due: d(2025, 10, 14),
    };
    assert_eq!(t.key(), "report:2025-Q3");
    assert_eq!(t.anchor(), d(2025, 10, 14));
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<Trigger>(&json).unwrap(), t);
}

#[test]
fn working_day_rung_that_overtakes_a_calendar_rung_is_not_blocked() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    // Due Thu 2025-10-09: −7 days is 10/2 (holiday), −1 working day is Tue 9/30.
    let trigger = Trigger::Deadline {
        due: d(2025, 10, 9),
    };
    let r = due_rungs(&policy, &trigger, &state(), d(2025, 9, 30), &cal, &[]);
    assert_eq!((r[0].rung_index, r[0].due_on), (2, d(2025, 9, 30)));
    let fired = [FiredKey {
        key: r[0].dedupe_key.clone(),
        fired_at: at(d(2025, 9, 30), 8),
    }];
    // The −7 reminder is not sent after the −1 one.
    for day in [d(2025, 10, 2), d(2025, 10, 8)] {
        assert!(due_rungs(&policy, &trigger, &state(), day, &cal, &fired).is_empty());
    }
}

#[test]
fn climbing_is_spaced_even_when_a_working_day_rung_lands_late() {
    let cal = HolidayCalendar::prc_official();
    let policy = Policy::default_ladder();
    // Due Mon 2024-09-30: urging (+1 working day) is 10/8, after 督办's nominal 10/7.
    let trigger = Trigger::Deadline {
        due: d(2024, 9, 30),
    };
    let r = due_rungs(&policy, &trigger, &state(), d(2024, 10, 8), &cal, &[]);
    assert_eq!(r[0].level, Level::Urging);
    let fired = [FiredKey {
        key: r[0].dedupe_key.clone(),
        fired_at: at(d(2024, 10, 8), 8),
    }];
    assert!(due_rungs(&policy, &trigger, &state(), d(2024, 10, 8), &cal, &fired).is_empty());
    let r = due_rungs(&policy, &trigger, &state(), d(2024, 10, 9), &cal, &fired);
    assert_eq!(r[0].level, Level::Supervision);
}

#[test]
fn offsets_and_repeats_are_bounded_so_no_policy_can_break_the_date_arithmetic() {
    let r = |off: i32| Rung::new(Level::Reminder, off, DayCount::Working, &[Audience::Office]);
    for off in [-2_000_000_000, -367, 367, i32::MAX, i32::MIN] {
        assert_eq!(
            Policy::new(vec![r(off)]),
            Err(PolicyError::OffsetOutOfRange(0)),
            "{off}"
        );
    }
    assert!(Policy::new(vec![r(-366), r(366)]).is_ok());
    assert_eq!(
        Policy::new(vec![r(1).repeating(367)]),
        Err(PolicyError::RepeatOutOfRange(0))
    );
    assert_eq!(
        Policy::new(vec![r(1).repeating(u32::MAX)]),
        Err(PolicyError::RepeatOutOfRange(0))
    );
    assert!(Policy::new(vec![r(1).repeating(366)]).is_ok());
    // Stored JSON is validated the same way.
    assert!(
        Policy::from_json(
            r#"{"rungs":[{"level":"reminder","offset_days":-2000000000,"audiences":["office"]}]}"#
        )
        .is_err()
    );
    // The extremes decide without panicking, even at the edges of chrono's range.
    let cal = HolidayCalendar::prc_official();
    let p = Policy::new(vec![r(-366), r(366).repeating(366)]).unwrap();
    for due in [d(2025, 6, 30), NaiveDate::MAX, NaiveDate::MIN] {
        for today in [d(2025, 7, 1), NaiveDate::MAX, NaiveDate::MIN] {
            let _ = due_rungs(&p, &Trigger::Deadline { due }, &state(), today, &cal, &[]);
        }
    }
}
