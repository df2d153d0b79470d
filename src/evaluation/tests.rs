//! End-to-end fixture: five agencies scored by hand. Every number asserted below is worked
//! out in the comments so a reviewer can check it with pencil and paper.
use chrono::NaiveDate;

use super::*;

/// Year 2024. Weights: roots 0.5 + 0.1 + 0.2 + 0.2 = 1; under `work` 0.6 + 0.4 = 1.
/// Effective weights: on_time 0.5 × 0.6 = 0.3, overdue 0.5 × 0.4 = 0.2, reports 0.1,
/// pm25 0.2, review 0.2. Quota: at most 20% 优秀.
const FIXTURE: &str = r#"{
  "name": "fixture", "title": "测试方案", "subject_kind": "agency",
  "quota": [{"grade": "优秀", "max_share": 0.2}],
  "criteria": [
    {"key": "work", "parent": null, "title": "任务落实", "weight": 0.5, "kind": "group"},
    {"key": "on_time", "parent": "work", "title": "按时完成率", "weight": 0.6,
     "kind": "computed", "metric": "on_time_completion_rate"},
    {"key": "overdue", "parent": "work", "title": "逾期天数", "weight": 0.4,
     "kind": "computed", "metric": {"overdue_task_days": {"points_per_day": 1}}},
    {"key": "reports", "parent": null, "title": "报送及时率", "weight": 0.1,
     "kind": "computed", "metric": "reports_on_time_rate"},
    {"key": "pm25", "parent": null, "title": "PM2.5浓度", "weight": 0.2, "kind": "indicator",
     "source_agency": "市生态环境局", "direction": "at_most", "target": 40, "unit": "μg/m³"},
    {"key": "review", "parent": null, "title": "办公室评议", "weight": 0.2, "kind": "manual",
     "veto_below": 60}
  ],
  "adjustment_rules": [
    {"key": "urging", "title": "被催办", "effect": "deduction", "points_per_event": 1, "cap": 2,
     "trigger": {"supervision_level": "urging"}},
    {"key": "returned", "title": "办结退回", "effect": "deduction", "points_per_event": 2, "cap": 4,
     "trigger": {"event_type": "completion_returned"}},
    {"key": "commendation", "title": "表扬", "effect": "bonus", "points_per_event": 1, "cap": 2,
     "trigger": {"event_type": "commendation"}},
    {"key": "summons", "title": "约谈", "effect": "deduction", "points_per_event": 0, "cap": 0,
     "veto": true, "trigger": {"supervision_level": "summons"}}
  ]
}"#;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn lead(id: i64, original: Option<&str>, current: &str, done: Option<&str>) -> TaskFact {
    TaskFact {
        task_id: id,
        code: format!("T{id}"),
        title: format!("任务{id}"),
        role: AssignmentRole::Lead,
        original_due: original.map(d),
        current_due: Some(d(current)),
        completed_on: done.map(d),
        status: if done.is_some() {
            "completed"
        } else {
            "in_progress"
        }
        .into(),
        cancelled: false,
    }
}

fn report(task_id: i64, due: &str, submitted: Option<&str>) -> ReportFact {
    ReportFact {
        task_id,
        period: due[..7].to_string(),
        due: d(due),
        submitted_on: submitted.map(d),
    }
}

fn sup(id: i64, level: &str, at: &str) -> SupervisionFact {
    SupervisionFact {
        id,
        task_id: None,
        level: level.into(),
        at: d(at),
        doc_number: None,
    }
}

fn event(id: i64, t: &str, at: &str) -> EventFact {
    EventFact {
        id,
        event_type: t.into(),
        at: d(at),
        task_id: None,
        note: None,
    }
}

fn pm25(value: f64, target: Option<f64>) -> (String, IndicatorValue) {
    let v = IndicatorValue {
        value,
        target,
        note: None,
    };
    ("pm25".to_string(), v)
}

fn review(score: f64) -> (String, ManualScore) {
    let m = ManualScore {
        score,
        reason: "年度评议".into(),
        by: Some("办公室".into()),
    };
    ("review".to_string(), m)
}

fn subject(id: i64, name: &str) -> SubjectInput {
    SubjectInput {
        subject_id: id,
        subject_name: name.into(),
        record: SubjectRecord {
            year: 2024,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn fixture() -> Vec<SubjectInput> {
    // A — extension granted but judged on the original deadline; capped deductions.
    let mut a = subject(1, "A局");
    a.record.tasks = vec![
        // Original 30 Jun, extended to 30 Sep, done 10 Jul: late against the original.
        lead(1, Some("2024-06-30"), "2024-09-30", Some("2024-07-10")),
        lead(2, None, "2024-03-31", Some("2024-03-20")),
    ];
    a.record.reports = vec![
        report(1, "2024-04-10", Some("2024-04-10")),
        report(2, "2024-07-10", Some("2024-07-01")),
    ];
    a.record.supervisions = vec![
        sup(101, "urging", "2024-03-01"),
        sup(102, "urging", "2024-05-01"),
        sup(103, "催办", "2024-07-01"),
    ];
    a.events = vec![event(201, "commendation", "2024-11-11")];
    a.indicator_values = [pm25(50.0, None)].into();
    a.manual_scores = [review(85.0)].into();

    // B — perfect, bonus pushes it over 100.
    let mut b = subject(2, "B局");
    b.record.tasks = vec![lead(3, None, "2024-05-31", Some("2024-05-30"))];
    b.record.reports = vec![report(3, "2024-06-30", Some("2024-06-28"))];
    b.events = vec![
        event(202, "commendation", "2024-02-01"),
        event(203, "commendation", "2024-06-01"),
        event(204, "commendation", "2024-09-01"),
    ];
    b.indicator_values = [pm25(30.0, None)].into();
    b.manual_scores = [review(95.0)].into();

    // C — 优秀 by threshold, dropped by the quota; its own indicator target.
    let mut c = subject(3, "C局");
    c.record.tasks = vec![lead(4, None, "2024-10-31", Some("2024-10-30"))];
    c.record.reports = vec![
        report(4, "2024-03-31", Some("2024-03-30")),
        report(4, "2024-06-30", Some("2024-06-30")),
        report(4, "2024-09-30", Some("2024-10-08")),
        report(4, "2024-12-31", Some("2024-12-20")),
        report(4, "2025-01-15", None), // due next year: not counted
    ];
    c.record.supervisions = vec![
        sup(104, "urging", "2023-12-20"), // last year: not counted
        sup(105, "urging", "2024-09-30"),
    ];
    c.events = vec![event(205, "completion_returned", "2024-10-20")];
    c.indicator_values = [pm25(44.0, Some(40.0))].into();
    c.manual_scores = [review(90.0)].into();

    // D — high score, but summoned (约谈): vetoed.
    let mut d_ = subject(4, "D局");
    d_.record.tasks = vec![lead(5, None, "2024-04-30", Some("2024-04-30"))];
    d_.record.supervisions = vec![sup(106, "summons", "2024-12-01")];
    d_.indicator_values = [pm25(40.0, None)].into();
    d_.manual_scores = [review(80.0)].into();

    // E — nothing done, nothing supplied: missing values score 0 with warnings, the
    // missing review (0 < 60) vetoes; a manual bonus still applies.
    let mut e = subject(5, "E局");
    e.record.tasks = vec![lead(6, None, "2024-02-29", None)];
    e.record.reports = vec![report(6, "2024-06-30", None)];
    e.manual_adjustments = vec![ManualAdjustment {
        points: 5.0,
        reason: "承担临时专项任务".into(),
        by: None,
    }];
    vec![a, b, c, d_, e]
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 0.01,
        "expected {expected}, got {actual}"
    );
}

fn find<'a>(cs: &'a [CriterionResult], key: &str) -> &'a CriterionResult {
    for c in cs {
        if c.key == key {
            return c;
        }
        if let Some(f) = c.children.iter().find(|k| k.key == key) {
            return f;
        }
    }
    panic!("no criterion {key}")
}

#[test]
fn hand_computed_fixture() {
    let scheme = Scheme::from_json(FIXTURE).unwrap();
    let rs = evaluate(&scheme, &fixture()).unwrap();
    let [a, b, c, d_, e] = &rs[..] else {
        panic!("five results")
    };

    // ── A ──
    // on_time: T1 judged on its original deadline 06-30, done 07-10 → late; T2 on time.
    //   rate 1/2 = 0.5 → 50.
    // overdue: T1 late 07-01 … 07-10 = 10 days → 100 − 1 × 10 = 90.
    // work = 0.6 × 50 + 0.4 × 90 = 30 + 36 = 66.
    // reports: 2 of 2 on time → 100.
    // pm25 (at_most): 40 / 50 = 0.8 → 80.   review: 85.
    // weighted = 0.5 × 66 + 0.1 × 100 + 0.2 × 80 + 0.2 × 85 = 33 + 10 + 16 + 17 = 76.
    // urging: 3 × 1 = 3, capped at 2 → −2; commendation: 1 × 1 → +1. Total −1.
    // final = 76 − 1 = 75 → 合格.
    let on_time = find(&a.criteria, "on_time");
    assert_eq!(on_time.raw_value, Some(0.5));
    close(on_time.score, 50.0);
    close(on_time.effective_weight, 0.3);
    close(on_time.contribution, 15.0); // 0.3 × 50
    assert_eq!(
        on_time
            .evidence
            .iter()
            .map(|e| (e.id, e.favourable))
            .collect::<Vec<_>>(),
        [(1, false), (2, true)]
    );
    let overdue = find(&a.criteria, "overdue");
    assert_eq!(overdue.raw_value, Some(10.0));
    close(overdue.score, 90.0);
    close(overdue.contribution, 18.0); // 0.2 × 90
    let work = find(&a.criteria, "work");
    close(work.score, 66.0);
    close(work.contribution, 33.0);
    close(find(&a.criteria, "pm25").score, 80.0);
    close(find(&a.criteria, "review").score, 85.0);
    close(a.weighted_score, 76.0);
    let urging = a
        .adjustments
        .iter()
        .find(|x| x.rule_key.as_deref() == Some("urging"))
        .unwrap();
    assert_eq!(urging.events, 3);
    close(urging.uncapped_amount, -3.0);
    close(urging.amount, -2.0);
    assert!(urging.capped);
    close(a.adjustment_total, -1.0);
    close(a.score, 75.0);
    assert_eq!(a.grade, "合格");
    assert!(!a.vetoed);

    // ── B ──
    // on_time 1/1 → 100; overdue 0 days → 100; work = 100. reports 1/1 → 100.
    // pm25: 40 / 30 = 1.33, capped at 1 → 100. review 95.
    // weighted = 50 + 10 + 20 + 19 = 99; commendation 3 × 1 = 3, capped at 2 → +2.
    // 99 + 2 = 101 → clamped to 100 → 优秀 (the one 优秀 place).
    close(b.weighted_score, 99.0);
    close(b.adjustment_total, 2.0);
    close(b.score, 100.0);
    assert!(b.clamped);
    assert_eq!(b.grade, "优秀");

    // ── C ──
    // on_time 1/1 → 100; overdue 0 → 100; work = 100.
    // reports: due in 2024: 03-31 ✓, 06-30 ✓, 09-30 ✗ (10-08), 12-31 ✓ → 3/4 → 75
    //   (the 2025-01-15 report is not due in 2024).
    // pm25 with C's own target 40: 40 / 44 = 0.909090… → 90.909…   review 90.
    // weighted = 50 + 0.1 × 75 + 0.2 × 90.909… + 0.2 × 90
    //          = 50 + 7.5 + 18.1818… + 18 = 93.6818…
    // urging in 2024: 1 → −1 (the 2023 one is ignored); completion returned: 1 × 2 → −2.
    // final = 93.6818 − 3 = 90.6818 → 90.68: 优秀 by threshold, but the quota allows
    // ⌊0.2 × 5⌋ = 1 优秀 and B (100) holds it → drops to 良好.
    close(find(&c.criteria, "reports").score, 75.0);
    close(find(&c.criteria, "pm25").score, 90.909);
    close(c.weighted_score, 93.68);
    close(c.adjustment_total, -3.0);
    close(c.score, 90.68);
    assert_eq!(round2(c.score), 90.68);
    assert_eq!(c.threshold_grade, "优秀");
    assert_eq!(c.grade, "良好");
    assert!(c.grade_note.as_deref().unwrap().contains("quota"));

    // ── D ──
    // on_time 100, overdue 100 → work 100; pm25 40 / 40 = 1 → 100; review 80.
    // No report was due: `reports` is not applicable (never full marks), and its weight
    // 0.1 is spread over its siblings in proportion: work 0.5 / 0.9, pm25 and review
    // 0.2 / 0.9 each.
    // weighted = (0.5 × 100 + 0.2 × 100 + 0.2 × 80) / 0.9 = 86 / 0.9 = 95.555…
    // The summons rule adds 0 points but vetoes: threshold 优秀, vetoed → 不合格; it does
    // not use up the 优秀 quota.
    close(d_.score, 95.56);
    assert!(d_.vetoed);
    assert!(d_.veto_reasons[0].contains("约谈"));
    assert_eq!(d_.threshold_grade, "优秀");
    assert_eq!(d_.grade, "不合格");
    let reports = find(&d_.criteria, "reports");
    assert!(!reports.applicable);
    assert_eq!((reports.weight, reports.scheme_weight), (0.0, Some(0.1)));
    close(reports.contribution, 0.0);
    assert!(
        reports.notes[0].starts_with("not applicable"),
        "{:?}",
        reports.notes
    );
    assert!(reports.notes.iter().any(|n| n.contains("spread over")));
    let work = find(&d_.criteria, "work");
    close(work.weight, 0.5 / 0.9);
    assert_eq!(work.scheme_weight, Some(0.5));
    assert!(
        work.notes
            .iter()
            .any(|n| n.contains("报送及时率 (reports)"))
    );
    close(find(&d_.criteria, "review").effective_weight, 0.2 / 0.9);

    // ── E ──
    // T6 due 2024-02-29, never done: on_time 0/1 → 0; overdue 03-01 … 12-31
    //   = 31+30+31+30+31+31+30+31+30+31 = 306 days → max(0, 100 − 306) = 0; work 0.
    // report missing → 0/1 → 0. pm25 missing → 0 (warning). review missing → 0 (warning),
    // and 0 < 60 vetoes. weighted 0; manual +5 → 5 → 不合格.
    assert_eq!(find(&e.criteria, "overdue").raw_value, Some(306.0));
    close(e.weighted_score, 0.0);
    close(e.score, 5.0);
    assert!(e.vetoed);
    assert!(find(&e.criteria, "review").veto.is_some());
    assert_eq!(e.warnings.len(), 2, "{:?}", e.warnings);
    assert_eq!(e.grade, "不合格");

    // Ranks: non-vetoed first by score — B 100 (1), C 90.68 (2), A 75 (3) — then the
    // vetoed ones by score — D 96 (4), E 5 (5).
    let ranks: Vec<u32> = rs.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [3, 1, 2, 4, 5]);

    // Contributions add up to the weighted score for every subject.
    for r in &rs {
        let leaves: f64 = r
            .criteria
            .iter()
            .flat_map(|c| {
                if c.children.is_empty() {
                    vec![c]
                } else {
                    c.children.iter().collect()
                }
            })
            .map(|c| c.contribution)
            .sum();
        close(leaves, r.weighted_score);
    }
}

#[test]
fn inputs_are_validated() {
    let scheme = Scheme::from_json(FIXTURE).unwrap();
    let mut s = fixture();
    s[1].subject_id = 1;
    assert_eq!(
        evaluate(&scheme, &s).unwrap_err().detail_code(),
        "SUBJECT_INVALID"
    );
    let mut s = fixture();
    s[0].manual_scores.insert(
        "review".into(),
        ManualScore {
            score: 101.0,
            reason: "x".into(),
            by: None,
        },
    );
    assert_eq!(evaluate(&scheme, &s).unwrap_err().code(), "INVALID_INPUT");
    let mut s = fixture();
    s[0].manual_scores.insert(
        "pm25".into(),
        ManualScore {
            score: 50.0,
            reason: "x".into(),
            by: None,
        },
    );
    assert!(evaluate(&scheme, &s).is_err());
    let mut s = fixture();
    s[0].indicator_values.insert(
        "nope".into(),
        IndicatorValue {
            value: 1.0,
            target: None,
            note: None,
        },
    );
    assert!(evaluate(&scheme, &s).is_err());
    let mut s = fixture();
    s[2].record.year = 2023;
    assert!(evaluate(&scheme, &s).is_err());
}

/// The shipped agency scheme evaluates the fixture agencies (their inputs name criteria
/// of the fixture scheme, so only the record is reused).
#[test]
fn shipped_agency_scheme_evaluates() {
    let scheme = Scheme::from_json(AGENCY_PERFORMANCE_JSON).unwrap();
    let subjects: Vec<SubjectInput> = fixture()
        .into_iter()
        .map(|mut s| {
            s.indicator_values.clear();
            s.manual_scores.clear();
            s
        })
        .collect();
    let rs = evaluate(&scheme, &subjects).unwrap();
    assert!(rs[3].vetoed); // D was summoned
    assert!(rs.iter().all(|r| (0.0..=100.0).contains(&r.score)));
    let city = Scheme::from_json(JIANWU_JIANGTAN_INDEX_JSON).unwrap();
    assert_eq!(city.subject_kind, SubjectKind::LocalGovernment);
}

/// A subject with no task at all: every computed criterion is not applicable, so it gets
/// no marks for them (it used to score full marks and rank near the top); a scheme of
/// computed criteria then gives 0 with a warning. With a manual criterion beside a group of
/// computed ones, the group's weight goes to the manual one.
#[test]
fn nothing_to_count_is_not_applicable_and_its_weight_is_spread() {
    // The shipped scheme: only the office's review (manual, not entered → 0) applies and
    // carries the whole weight.
    let scheme = Scheme::from_json(AGENCY_PERFORMANCE_JSON).unwrap();
    let idle = subject(9, "无任务局");
    let rs = evaluate(&scheme, &[idle.clone()]).unwrap();
    close(rs[0].weighted_score, 0.0);
    for c in &rs[0].criteria {
        assert_eq!(c.applicable, c.key == "office_review", "{}", c.key);
    }
    close(find(&rs[0].criteria, "office_review").weight, 1.0);

    // Only computed criteria: nothing applies, weighted 0 with a warning.
    let computed_only = Scheme::from_json(
        r#"{"name": "c", "title": "c", "subject_kind": "agency", "criteria": [
            {"key": "on_time", "title": "按时完成率", "weight": 0.5, "kind": "computed",
             "metric": "on_time_completion_rate"},
            {"key": "reports", "title": "报送及时率", "weight": 0.5, "kind": "computed",
             "metric": "reports_on_time_rate", "veto_below": 60}]}"#,
    )
    .unwrap();
    let rs = evaluate(&computed_only, &[idle.clone()]).unwrap();
    close(rs[0].score, 0.0);
    assert!(rs[0].criteria.iter().all(|c| !c.applicable));
    assert!(!rs[0].vetoed, "a criterion that does not apply cannot veto");
    assert!(
        rs[0]
            .warnings
            .iter()
            .any(|w| w.contains("no criterion is applicable")),
        "{:?}",
        rs[0].warnings
    );

    let scheme = Scheme::from_json(FIXTURE).unwrap();
    let mut s = idle;
    s.indicator_values = [pm25(40.0, None)].into();
    s.manual_scores = [review(70.0)].into();
    let rs = evaluate(&scheme, &[s]).unwrap();
    let r = &rs[0];
    // work (0.5) and reports (0.1) are not applicable: pm25 and review share the whole
    // weight, 0.5 each: 0.5 × 100 + 0.5 × 70 = 85.
    assert!(!find(&r.criteria, "work").applicable);
    assert!(!find(&r.criteria, "on_time").applicable);
    assert!(!find(&r.criteria, "overdue").applicable);
    assert!(!find(&r.criteria, "reports").applicable);
    close(find(&r.criteria, "pm25").weight, 0.5);
    close(find(&r.criteria, "review").weight, 0.5);
    close(r.weighted_score, 85.0);
    close(r.score, 85.0);
}
