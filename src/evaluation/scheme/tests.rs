use super::*;

/// A minimal valid scheme as JSON values, to be broken by each test.
fn base() -> serde_json::Value {
    serde_json::json!({
        "name": "t", "title": "t", "subject_kind": "agency",
        "criteria": [
            {"key": "a", "parent": null, "title": "A", "weight": 0.6, "kind": "group"},
            {"key": "a1", "parent": "a", "title": "A1", "weight": 0.5, "kind": "manual"},
            {"key": "a2", "parent": "a", "title": "A2", "weight": 0.5,
             "kind": "computed", "metric": "completion_rate"},
            {"key": "b", "parent": null, "title": "B", "weight": 0.4, "kind": "indicator",
             "source_agency": "市统计局", "direction": "at_least", "target": 10}
        ]
    })
}

fn check(v: serde_json::Value) -> Result<Scheme, EvalError> {
    Scheme::from_json(&v.to_string())
}

#[test]
fn base_is_valid_with_defaults() {
    let s = check(base()).unwrap();
    assert_eq!(s.grades, default_grades());
    assert_eq!(s.ranking, RankingMethod::Standard);
    // A single source_agency string is accepted and becomes a list.
    match &s.criterion("b").unwrap().kind {
        CriterionKind::Indicator {
            source_agencies,
            cap,
            ..
        } => {
            assert_eq!(source_agencies, &["市统计局"]);
            assert_eq!(*cap, 1.0);
        }
        k => panic!("unexpected {k:?}"),
    }
    // Round trip through serde keeps the scheme.
    let again = Scheme::from_json(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
}

#[test]
fn weights_that_do_not_sum_to_one_are_rejected() {
    let mut v = base();
    v["criteria"][2]["weight"] = serde_json::json!(0.45); // a1 + a2 = 0.95
    let e = check(v).unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT");
    assert_eq!(e.detail_code(), "SCHEME_WEIGHT_SUM");
    assert!(matches!(&e, EvalError::WeightSum { parent: Some(p), .. } if p == "a"));
    assert!(e.to_string().contains("0.95"), "{e}");
    // Roots too.
    let mut v = base();
    v["criteria"][3]["weight"] = serde_json::json!(0.5);
    assert!(matches!(
        check(v),
        Err(EvalError::WeightSum { parent: None, .. })
    ));
    // Within tolerance is fine.
    let mut v = base();
    v["criteria"][3]["weight"] = serde_json::json!(0.4000000001);
    check(v).unwrap();
}

#[test]
fn cycles_are_rejected() {
    let mut v = base();
    // a → c → a (both groups), besides a valid root b.
    v["criteria"][0]["parent"] = serde_json::json!("c");
    v["criteria"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"key": "c", "parent": "a", "title": "C", "weight": 1.0, "kind": "group"}
        ));
    let e = check(v).unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT");
    assert_eq!(e.detail_code(), "SCHEME_CYCLE");
    let EvalError::Cycle { keys } = &e else {
        panic!("{e:?}")
    };
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, ["a", "c"]);
    // A self-parent is a cycle too.
    let mut v = base();
    v["criteria"][0]["parent"] = serde_json::json!("a");
    assert!(matches!(check(v), Err(EvalError::Cycle { keys }) if keys == ["a"]));
}

#[test]
fn unknown_parent_and_duplicate_key_are_rejected() {
    let mut v = base();
    v["criteria"][1]["parent"] = serde_json::json!("zz");
    let e = check(v).unwrap_err();
    assert_eq!(e.detail_code(), "SCHEME_UNKNOWN_PARENT");
    assert_eq!(
        e.to_string(),
        "criterion \"a1\" names unknown parent \"zz\""
    );
    let mut v = base();
    v["criteria"][2]["key"] = serde_json::json!("a1");
    assert_eq!(check(v).unwrap_err().detail_code(), "SCHEME_DUPLICATE_KEY");
}

#[test]
fn structural_and_field_errors() {
    // A leaf with children.
    let mut v = base();
    v["criteria"][2]["parent"] = serde_json::json!("a1");
    v["criteria"][2]["weight"] = serde_json::json!(1.0);
    v["criteria"][1]["weight"] = serde_json::json!(1.0);
    assert_eq!(
        check(v).unwrap_err().detail_code(),
        "SCHEME_INVALID_CRITERION"
    );
    // A group without children.
    let mut v = base();
    v["criteria"][3]["kind"] = serde_json::json!("group");
    assert_eq!(
        check(v).unwrap_err().detail_code(),
        "SCHEME_INVALID_CRITERION"
    );
    // Cap above 100%.
    let mut v = base();
    v["criteria"][3]["cap"] = serde_json::json!(1.2);
    assert_eq!(
        check(v).unwrap_err().detail_code(),
        "SCHEME_INVALID_CRITERION"
    );
    // Unknown kind / metric → JSON error.
    let mut v = base();
    v["criteria"][2]["metric"] = serde_json::json!("happiness");
    assert_eq!(check(v).unwrap_err().detail_code(), "SCHEME_INVALID_JSON");
    // Grades not decreasing; quota on the lowest grade.
    let mut v = base();
    v["grades"] =
        serde_json::json!([{"label": "好", "min_score": 50}, {"label": "差", "min_score": 60}]);
    assert_eq!(check(v).unwrap_err().detail_code(), "SCHEME_INVALID");
    let mut v = base();
    v["quota"] = serde_json::json!([{"grade": "不合格", "max_share": 0.1}]);
    assert_eq!(check(v).unwrap_err().detail_code(), "SCHEME_INVALID");
    // A rule that neither scores nor vetoes.
    let mut v = base();
    v["adjustment_rules"] = serde_json::json!([{"key": "r", "title": "R", "effect": "bonus",
        "points_per_event": 0, "cap": 0, "trigger": {"event_type": "x"}}]);
    assert_eq!(check(v).unwrap_err().detail_code(), "SCHEME_INVALID_RULE");
}

#[test]
fn shipped_agency_scheme_loads() {
    let s = Scheme::from_json(include_str!(
        "../../../seeds/schemes/agency-performance.json"
    ))
    .unwrap();
    assert_eq!(s.name, "agency-performance");
    assert_eq!(s.subject_kind, SubjectKind::Agency);
    assert!(
        s.adjustment_rules
            .iter()
            .any(|r| r.veto && r.trigger == Trigger::SupervisionLevel(SupervisionLevel::Summons))
    );
    assert!(s.criteria.iter().any(|c| matches!(
        c.kind,
        CriterionKind::Computed {
            metric: Metric::OnTimeCompletionRate
        }
    )));
}

/// 附件2: 6 一级, 16 二级, 24 三级 indicators, each with its data-source agency.
#[test]
fn shipped_jianwu_jiangtan_index_loads() {
    let s = Scheme::from_json(include_str!(
        "../../../seeds/schemes/jianwu-jiangtan-index.json"
    ))
    .unwrap();
    assert_eq!(s.subject_kind, SubjectKind::LocalGovernment);
    let tree = s.tree().unwrap();
    assert_eq!(tree.roots.len(), 6);
    let count = |p: &str| s.criteria.iter().filter(|c| c.key.starts_with(p)).count();
    assert_eq!((count("L1-"), count("L2-"), count("L3-")), (6, 16, 24));
    let c = |k: &str| s.criterion(k).unwrap();
    assert_eq!(c("L1-1").title, "1.环境质量");
    assert_eq!(c("L1-1").weight, 0.15);
    assert_eq!(c("L1-3").weight, 0.1);
    assert_eq!(c("L2-08").weight, 0.4);
    assert_eq!(c("L3-13").weight, 0.7);
    let sources = |k: &str| match &c(k).kind {
        CriterionKind::Indicator {
            source_agencies, ..
        } => source_agencies.clone(),
        _ => panic!("{k} is not an indicator"),
    };
    // Data sources by their canonical registry names (the document's 省经信厅 is
    // 浙江省经济和信息化厅, 省建设厅 浙江省住房和城乡建设厅).
    assert_eq!(sources("L3-09"), ["浙江省能源局"]);
    assert_eq!(sources("L3-11"), ["浙江省交通运输厅", "浙江省统计局"]);
    assert_eq!(
        sources("L3-17"),
        ["浙江省生态环境厅", "浙江省经济和信息化厅"]
    );
    assert_eq!(sources("L3-20"), ["浙江省林业局"]);
    assert_eq!(sources("L3-22"), ["浙江省财政厅"]);
    assert_eq!(s.subjects_under.as_deref(), Some("浙江省人民政府"));
    // Every data source is a canonical name or alias of the shipped registry.
    let registry: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../../seeds/agencies.json")).unwrap();
    let known: std::collections::HashSet<&str> = registry
        .iter()
        .flat_map(|a| {
            std::iter::once(a["name"].as_str().unwrap()).chain(
                a["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str()),
            )
        })
        .collect();
    for c in &s.criteria {
        if let CriterionKind::Indicator {
            source_agencies, ..
        } = &c.kind
        {
            for a in source_agencies {
                assert!(known.contains(a.as_str()), "{}: unknown source {a}", c.key);
            }
        }
    }
    // Effective weight of ① PM2.5浓度 = 0.15 × 1 × 0.2 = 0.03; all leaves sum to 1.
    let eff = |k: &str| {
        let mut w = 1.0;
        let mut at = Some(k.to_string());
        while let Some(key) = at {
            let cr = c(&key);
            w *= cr.weight;
            at = cr.parent.clone();
        }
        w
    };
    assert!((eff("L3-01") - 0.03).abs() < 1e-12);
    let total: f64 = (1..=24).map(|n| eff(&format!("L3-{n:02}"))).sum();
    assert!((total - 1.0).abs() < 1e-9);
}
