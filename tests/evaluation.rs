//! Annual evaluation through the API: a small fixture computed end to end and checked against
//! scores worked out by hand, scheme validation, indicator sources, publication and
//! corrections, and authorisation of every evaluation mutation.

mod common;

use common::*;
use duban::auth::Actor;
use serde_json::{Value, json};

const YEAR: i32 = 2025;

/// A scheme small enough to score by hand. The indicator is supplied by 测试市交通运输局
/// (the world's "other" agency); a review below 60 vetoes; each returned completion
/// deducts 2 points.
fn scheme_json() -> Value {
    json!({
        "name": "test-scheme", "title": "测试考核", "subject_kind": "agency",
        "criteria": [
            {"key": "on_time", "parent": null, "title": "按时完成率", "weight": 0.4,
             "kind": "computed", "metric": "on_time_completion_rate"},
            {"key": "energy", "parent": null, "title": "能耗指标", "weight": 0.3,
             "kind": "indicator", "source_agencies": ["测试市交通运输局"],
             "direction": "at_least", "target": 50, "unit": "%"},
            {"key": "review", "parent": null, "title": "办公室评议", "weight": 0.3,
             "kind": "manual", "veto_below": 60}
        ],
        "adjustment_rules": [
            {"key": "returned", "title": "办结退回扣分", "effect": "deduction",
             "points_per_event": 2, "cap": 6, "trigger": {"event_type": "completion_returned"}}
        ]
    })
}

const SAVE: &str = "mutation($d:String!){ saveEvaluationScheme(definition:$d){ id name criteria{ key kind sourceAgencies } } }";
const INDICATOR: &str = "mutation($y:Int!,$k:String!,$a:ID!,$v:Float!,$t:Float){ setIndicatorValue(year:$y,scheme:\"test-scheme\",criterionKey:$k,agencyId:$a,value:$v,target:$t){ id value } }";
const MANUAL: &str = "mutation($y:Int!,$a:ID!,$s:Float!,$r:String!){ setManualScore(year:$y,scheme:\"test-scheme\",agencyId:$a,criterionKey:\"review\",score:$s,reason:$r){ id score } }";
const ADJUST: &str = "mutation($y:Int!,$a:ID!,$n:Float!,$r:String!){ addManualAdjustment(year:$y,scheme:\"test-scheme\",agencyId:$a,amount:$n,reason:$r){ id amount } }";
const COMPUTE: &str = "mutation($y:Int!,$s:[ID!]){ computeEvaluation(year:$y,scheme:\"test-scheme\",subjects:$s){ id status revision results{ agencyId subject score grade rank vetoed vetoReasons weightedScore adjustmentTotal breakdown criteria{ key score rawValue contribution evidence{ kind recordId favourable } } } } }";
const PUBLISH: &str =
    "mutation($id:ID!){ publishEvaluation(id:$id){ id status publishedAt publishedBy } }";
const CORRECT: &str = "mutation($id:ID!,$r:String!){ correctEvaluation(id:$id,reason:$r){ id status revision supersedesId correctionReason correctedBy createdAt } }";
const RESULTS: &str = "query($id:ID!){ evaluation(id:$id){ id status revision results{ agencyId subject score grade rank vetoed leaders{ name email role } } } }";

async fn task_version(app: &TestApp, w: &World, task: &str) -> i64 {
    app.ok(
        &w.office,
        "query($id:ID!){ task(id:$id){ version } }",
        json!({"id": task}),
    )
    .await["task"]["version"]
        .as_i64()
        .unwrap()
}

async fn act(app: &TestApp, token: &str, w: &World, op: &str, extra: &str) {
    let v = task_version(app, w, &w.t1).await;
    app.ok(
        token,
        &format!("mutation($id:ID!,$v:Int!){{ {op}(id:$id,version:$v{extra}){{ id }} }}"),
        json!({"id": w.t1, "v": v}),
    )
    .await;
}

/// The fixture: t1 (led by `lead`, due 2025-12-31) is returned once, then completed on
/// 2025-06-01; t2 (led by `other`, due 2025-03-31) is not completed. Indicator values come
/// from `other` (the data source), manual scores and adjustments from the office.
async fn fixture(app: &TestApp, w: &World) {
    // 测试市发展和改革委员会 is a second data source of the indicator, so the value about
    // 测试市交通运输局 comes from another agency (no agency enters values about itself).
    let mut scheme = scheme_json();
    scheme["criteria"][1]["source_agencies"] =
        json!(["测试市交通运输局", "测试市发展和改革委员会"]);
    app.ok(&w.office, SAVE, json!({"d": scheme.to_string()}))
        .await;
    act(app, &w.lead_staff, w, "startTask", "").await;
    act(app, &w.lead_staff, w, "requestCompletion", "").await;
    act(
        app,
        &w.office,
        w,
        "returnCompletion",
        ",reason:\"证明材料不全\"",
    )
    .await;
    act(app, &w.lead_staff, w, "startTask", "").await;
    act(app, &w.lead_staff, w, "requestCompletion", "").await;
    act(app, &w.office, w, "verifyCompletion", "").await;

    for (source, agency, value) in [
        (&w.other_staff, &w.lead_agency, 40.0),
        (&w.part_staff, &w.other_agency, 60.0),
    ] {
        app.ok(
            source,
            INDICATOR,
            json!({"y": YEAR, "k": "energy", "a": agency, "v": value, "t": null}),
        )
        .await;
    }
    for (agency, score) in [(&w.lead_agency, 90.0), (&w.other_agency, 50.0)] {
        app.ok(
            &w.office,
            MANUAL,
            json!({"y": YEAR, "a": agency, "s": score, "r": "办公室评议"}),
        )
        .await;
    }
    app.ok(
        &w.office,
        ADJUST,
        json!({"y": YEAR, "a": w.lead_agency, "n": 1.5, "r": "受市政府表扬"}),
    )
    .await;
    app.ok(
        &w.office,
        ADJUST,
        json!({"y": YEAR, "a": w.other_agency, "n": -3.5, "r": "数据报送错误"}),
    )
    .await;
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 0.01
}

fn by_agency<'a>(results: &'a Value, agency: &str) -> &'a Value {
    results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agencyId"] == agency)
        .unwrap_or_else(|| panic!("no result for {agency}: {results}"))
}

async fn computed(app: &TestApp, w: &World) -> Value {
    app.ok(
        &w.office,
        COMPUTE,
        json!({"y": YEAR, "s": [w.lead_agency, w.other_agency]}),
    )
    .await["computeEvaluation"]
        .clone()
}

#[tokio::test]
async fn fixture_scores_match_the_hand_computation() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    fixture(&app, &w).await;
    let e = computed(&app, &w).await;
    assert_eq!(e["status"], "computed");
    assert_eq!(e["revision"], 1);

    // lead: on_time 1/1 = 100 (completed 2025-06-01, due 2025-12-31); energy 40/50 = 80;
    // review 90. Weighted 0.4×100 + 0.3×80 + 0.3×90 = 91. One returned completion −2,
    // manual +1.5 → 90.5 → 优秀, rank 1.
    let a = by_agency(&e["results"], &w.lead_agency);
    assert!(close(&a["weightedScore"], 91.0), "{a}");
    assert!(close(&a["adjustmentTotal"], -0.5), "{a}");
    assert!(close(&a["score"], 90.5), "{a}");
    assert_eq!(a["grade"], "优秀");
    assert_eq!(a["rank"], 1);
    assert_eq!(a["vetoed"], false);
    let crit = |r: &Value, k: &str| {
        r["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == k)
            .unwrap()
            .clone()
    };
    let on_time = crit(a, "on_time");
    assert!(close(&on_time["score"], 100.0), "{on_time}");
    assert_eq!(on_time["evidence"][0]["recordId"], w.t1.as_str());
    assert_eq!(on_time["evidence"][0]["favourable"], true);
    assert!(close(&crit(a, "energy")["score"], 80.0));
    assert!(close(&crit(a, "energy")["contribution"], 24.0));
    let breakdown: Value = serde_json::from_str(a["breakdown"].as_str().unwrap()).unwrap();
    let adjustments = breakdown["adjustments"].as_array().unwrap();
    assert!(
        adjustments
            .iter()
            .any(|x| x["rule_key"] == "returned" && close(&x["amount"], -2.0))
    );

    // other: on_time 0/1 = 0 (t2 due 2025-03-31, open); energy 60/50 capped at 100%;
    // review 50 < 60 → veto. Weighted 0 + 30 + 15 = 45, −3.5 → 41.5, 不合格, rank 2.
    let c = by_agency(&e["results"], &w.other_agency);
    assert!(close(&c["weightedScore"], 45.0), "{c}");
    assert!(close(&c["score"], 41.5), "{c}");
    assert_eq!(c["vetoed"], true);
    assert_eq!(c["grade"], "不合格");
    assert_eq!(c["rank"], 2);
    assert!(close(&crit(c, "on_time")["score"], 0.0));
    assert!(close(&crit(c, "energy")["score"], 100.0));

    // Recomputing keeps the manual inputs and gives the same result.
    let again = computed(&app, &w).await;
    assert_eq!(again["id"], e["id"]);
    assert!(close(
        &by_agency(&again["results"], &w.lead_agency)["score"],
        90.5
    ));
    assert_eq!(count_rows(&app, "evaluation_result").await, 2);
}

#[tokio::test]
async fn invalid_schemes_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let schemes = count_rows(&app, "evaluation_scheme").await;
    let audits = count_rows(&app, "audit_event").await;

    let mut weights = scheme_json();
    weights["criteria"][2]["weight"] = json!(0.2); // 0.4 + 0.3 + 0.2 = 0.9
    let r = app
        .gql(Some(&w.office), SAVE, json!({"d": weights.to_string()}))
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SCHEME_WEIGHT_SUM"),
        "{r}"
    );

    let mut cycle = scheme_json();
    cycle["criteria"] = json!([
        {"key": "a", "parent": "b", "title": "A", "weight": 1.0, "kind": "group"},
        {"key": "b", "parent": "a", "title": "B", "weight": 1.0, "kind": "group"},
        {"key": "r", "parent": null, "title": "R", "weight": 1.0, "kind": "manual"}
    ]);
    let r = app
        .gql(Some(&w.office), SAVE, json!({"d": cycle.to_string()}))
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cycle"),
        "{r}"
    );

    let r = app
        .gql(Some(&w.office), SAVE, json!({"d": "{not json"}))
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");

    assert_eq!(count_rows(&app, "evaluation_scheme").await, schemes);
    assert_eq!(count_rows(&app, "audit_event").await, audits);
}

#[tokio::test]
async fn indicator_values_come_only_from_the_data_source_agency() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    app.ok(&w.office, SAVE, json!({"d": scheme_json().to_string()}))
        .await;
    let audits = count_rows(&app, "audit_event").await;
    let vars = json!({"y": YEAR, "k": "energy", "a": w.lead_agency, "v": 40.0, "t": null});
    // The subject itself, another agency and the office are not the data source.
    for token in [&w.lead_staff, &w.part_staff, &w.office, &w.leader] {
        let r = app.gql(Some(token), INDICATOR, vars.clone()).await;
        assert_eq!(code(&r), "FORBIDDEN", "{r}");
    }
    let r = app.gql(None, INDICATOR, vars.clone()).await;
    assert_eq!(code(&r), "UNAUTHENTICATED", "{r}");
    assert_eq!(count_rows(&app, "indicator_value").await, 0);
    assert_eq!(count_rows(&app, "audit_event").await, audits);

    // A criterion that is not an indicator.
    let mut bad = vars.clone();
    bad["k"] = json!("review");
    let r = app.gql(Some(&w.other_staff), INDICATOR, bad).await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");

    app.ok(&w.other_staff, INDICATOR, vars.clone()).await;
    // Entering again replaces the value.
    let mut again = vars;
    again["v"] = json!(45.0);
    app.ok(&w.other_staff, INDICATOR, again).await;
    assert_eq!(count_rows(&app, "indicator_value").await, 1);
    assert_eq!(audited(&app, "indicator_value.set").await, 2);
}

/// Audit events of one action.
async fn audited(app: &TestApp, action: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq(action))
        .count(app.db())
        .await
        .unwrap() as i64
}

#[tokio::test]
async fn published_results_never_change_and_corrections_make_a_new_revision() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    app.ok(
        &w.office,
        "mutation($a:ID!){ addContact(agencyId:$a,input:{name:\"张局长\",email:\"Zhang@test.gov\",role:HEAD}){ id } }",
        json!({"a": w.lead_agency}),
    )
    .await;
    fixture(&app, &w).await;
    let e = computed(&app, &w).await;
    let id = e["id"].as_str().unwrap().to_owned();

    let p = app.ok(&w.office, PUBLISH, json!({"id": id})).await;
    assert_eq!(p["publishEvaluation"]["status"], "published");
    assert_eq!(p["publishEvaluation"]["publishedBy"], "office");

    // Every write to the published year is refused and changes nothing.
    let results_before = count_rows(&app, "evaluation_result").await;
    let audits = count_rows(&app, "audit_event").await;
    let refused = [
        (
            &w.office,
            MANUAL,
            json!({"y": YEAR, "a": w.lead_agency, "s": 10.0, "r": "改分"}),
        ),
        (
            &w.office,
            ADJUST,
            json!({"y": YEAR, "a": w.lead_agency, "n": -5.0, "r": "扣分"}),
        ),
        (
            &w.other_staff,
            INDICATOR,
            json!({"y": YEAR, "k": "energy", "a": w.lead_agency, "v": 1.0, "t": null}),
        ),
        (&w.office, COMPUTE, json!({"y": YEAR, "s": null})),
        (&w.office, PUBLISH, json!({"id": id})),
    ];
    for (token, q, vars) in refused {
        let r = app.gql(Some(token), q, vars).await;
        assert_eq!(code(&r), "INVALID_TRANSITION", "{q}: {r}");
    }
    assert_eq!(count_rows(&app, "evaluation_result").await, results_before);
    assert_eq!(count_rows(&app, "audit_event").await, audits);

    // Leaders were recorded at publication.
    let r1 = app.ok(&w.office, RESULTS, json!({"id": id})).await;
    let lead = by_agency(&r1["evaluation"]["results"], &w.lead_agency).clone();
    assert_eq!(lead["leaders"][0]["name"], "张局长");
    assert_eq!(lead["leaders"][0]["role"], "head");

    // Correction: revision 2 records who, when and why.
    let r = app
        .gql(Some(&w.office), CORRECT, json!({"id": id, "r": " "}))
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    let c = app
        .ok(&w.office, CORRECT, json!({"id": id, "r": "评议分录入错误"}))
        .await["correctEvaluation"]
        .clone();
    assert_eq!(c["revision"], 2);
    assert_eq!(c["supersedesId"], id.as_str());
    assert_eq!(c["correctionReason"], "评议分录入错误");
    assert!(c["correctedBy"].is_string());
    let id2 = c["id"].as_str().unwrap().to_owned();
    // Revision 1 cannot be corrected twice.
    let r = app
        .gql(Some(&w.office), CORRECT, json!({"id": id, "r": "again"}))
        .await;
    assert_eq!(code(&r), "INVALID_TRANSITION", "{r}");

    // Fix the review of lead (90 → 70) and recompute revision 2:
    // 40 + 24 + 0.3×70 = 85, −2 + 1.5 → 84.5 良好.
    app.ok(
        &w.office,
        MANUAL,
        json!({"y": YEAR, "a": w.lead_agency, "s": 70.0, "r": "更正"}),
    )
    .await;
    let e2 = computed(&app, &w).await;
    assert_eq!(e2["id"], id2.as_str());
    assert_eq!(e2["revision"], 2);
    let a2 = by_agency(&e2["results"], &w.lead_agency);
    assert!(close(&a2["score"], 84.5), "{a2}");
    assert_eq!(a2["grade"], "良好");
    app.ok(&w.office, PUBLISH, json!({"id": id2})).await;

    // Revision 1 is still readable, unchanged.
    let old = app.ok(&w.leader, RESULTS, json!({"id": id})).await;
    assert_eq!(old["evaluation"]["status"], "published");
    assert_eq!(old["evaluation"]["revision"], 1);
    let a1 = by_agency(&old["evaluation"]["results"], &w.lead_agency);
    assert!(close(&a1["score"], 90.5), "{a1}");
    assert_eq!(a1["grade"], "优秀");

    // The leader's history follows the latest published revision, by email or name.
    let q = "query($e:String,$n:String){ leaderHistory(email:$e,name:$n){ year leader{ name role } evaluation{ revision } result{ score grade } } }";
    for vars in [
        json!({"e": "zhang@test.gov", "n": null}),
        json!({"e": null, "n": "张局长"}),
    ] {
        let h = app.ok(&w.leader, q, vars).await["leaderHistory"].clone();
        assert_eq!(h.as_array().unwrap().len(), 1, "{h}");
        assert_eq!(h[0]["year"], YEAR);
        assert_eq!(h[0]["evaluation"]["revision"], 2);
        assert!(close(&h[0]["result"]["score"], 84.5));
    }
    // Staff of another agency see none of it.
    let h = app
        .ok(&w.other_staff, q, json!({"e": "zhang@test.gov", "n": null}))
        .await;
    assert_eq!(h["leaderHistory"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn every_evaluation_mutation_is_authorised_by_role() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let tokens = [
        ("office", &w.office),
        ("leader", &w.leader),
        ("lead", &w.lead_staff),
        ("part", &w.part_staff),
        ("other", &w.other_staff),
    ];
    // (name, query, variables, the one role allowed)
    let mut cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "save",
            SAVE,
            json!({"d": scheme_json().to_string()}),
            "office",
        ),
        (
            "indicator",
            INDICATOR,
            json!({"y": YEAR, "k": "energy", "a": w.lead_agency, "v": 40.0, "t": 50.0}),
            "other",
        ),
        (
            "manual",
            MANUAL,
            json!({"y": YEAR, "a": w.lead_agency, "s": 80.0, "r": "好"}),
            "office",
        ),
        (
            "adjust",
            ADJUST,
            json!({"y": YEAR, "a": w.lead_agency, "n": 1.0, "r": "表扬"}),
            "office",
        ),
        (
            "compute",
            COMPUTE,
            json!({"y": YEAR, "s": [w.lead_agency, w.other_agency]}),
            "office",
        ),
    ];
    for (name, q, vars, allowed) in cases.drain(..) {
        let audits = count_rows(&app, "audit_event").await;
        let r = app.gql(None, q, vars.clone()).await;
        assert_eq!(code(&r), "UNAUTHENTICATED", "{name} anonymous: {r}");
        for (role, token) in tokens {
            if role == allowed {
                continue;
            }
            let r = app.gql(Some(token), q, vars.clone()).await;
            assert_eq!(code(&r), "FORBIDDEN", "{name} as {role}: {r}");
        }
        assert_eq!(count_rows(&app, "audit_event").await, audits, "{name}");
        let token = tokens.iter().find(|(r, _)| *r == allowed).unwrap().1;
        app.ok(token, q, vars).await;
        assert!(
            count_rows(&app, "audit_event").await > audits,
            "{name} not audited"
        );
    }
    let id = app
        .ok(
            &w.office,
            "{ evaluations(scheme:\"test-scheme\"){ id } }",
            json!({}),
        )
        .await["evaluations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, q, vars) in [
        ("publish", PUBLISH, json!({"id": id})),
        ("correct", CORRECT, json!({"id": id, "r": "更正"})),
    ] {
        let audits = count_rows(&app, "audit_event").await;
        assert_eq!(
            code(&app.gql(None, q, vars.clone()).await),
            "UNAUTHENTICATED"
        );
        for (role, token) in &tokens[1..] {
            let r = app.gql(Some(token), q, vars.clone()).await;
            assert_eq!(code(&r), "FORBIDDEN", "{name} as {role}: {r}");
        }
        assert_eq!(count_rows(&app, "audit_event").await, audits, "{name}");
        app.ok(&w.office, q, vars).await;
        assert!(
            count_rows(&app, "audit_event").await > audits,
            "{name} not audited"
        );
    }

    // Reads: leaders and the office see every result, agency staff only their own.
    let all = app.ok(&w.leader, RESULTS, json!({"id": id})).await;
    assert_eq!(all["evaluation"]["results"].as_array().unwrap().len(), 2);
    let own = app.ok(&w.lead_staff, RESULTS, json!({"id": id})).await;
    let own = own["evaluation"]["results"].as_array().unwrap().clone();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["agencyId"], w.lead_agency.as_str());
    let none = app.ok(&w.part_staff, RESULTS, json!({"id": id})).await;
    assert_eq!(none["evaluation"]["results"].as_array().unwrap().len(), 0);
    let r = app.gql(None, RESULTS, json!({"id": id})).await;
    assert_eq!(code(&r), "UNAUTHENTICATED");
}

#[tokio::test]
async fn default_scheme_is_seeded_on_first_use() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let e = app
        .ok(
            &w.office,
            "mutation{ computeEvaluation(year:2025){ revision scheme{ name criteria{ key } } results{ subject score grade rank } } }",
            json!({}),
        )
        .await["computeEvaluation"]
        .clone();
    assert_eq!(e["scheme"]["name"], "agency-performance");
    // All three departments of the world are evaluated.
    assert_eq!(e["results"].as_array().unwrap().len(), 3, "{e}");
    let schemes = app
        .ok(&w.leader, "{ evaluationSchemes{ name } }", json!({}))
        .await;
    assert_eq!(schemes["evaluationSchemes"].as_array().unwrap().len(), 2);
}

fn id(s: &str) -> i64 {
    row(s)
}

#[tokio::test]
async fn an_agency_never_enters_indicator_values_about_itself() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    app.ok(&w.office, SAVE, json!({"d": scheme_json().to_string()}))
        .await;
    let audits = count_rows(&app, "audit_event").await;
    // 测试市交通运输局 is the data source of "energy" and also evaluated on it.
    let r = app
        .gql(
            Some(&w.other_staff),
            INDICATOR,
            json!({"y": YEAR, "k": "energy", "a": w.other_agency, "v": 99.0, "t": null}),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("about itself"),
        "{r}"
    );
    assert_eq!(count_rows(&app, "indicator_value").await, 0);
    assert_eq!(count_rows(&app, "audit_event").await, audits);
    // About another agency it still may.
    app.ok(
        &w.other_staff,
        INDICATOR,
        json!({"y": YEAR, "k": "energy", "a": w.lead_agency, "v": 40.0, "t": null}),
    )
    .await;
    assert_eq!(count_rows(&app, "indicator_value").await, 1);
}

/// PostgreSQL only (SQLite writers are serialised in-process): a publish that commits while
/// a compute and an input write are in flight wins; neither changes the published revision.
#[tokio::test]
async fn publish_racing_compute_and_input_writes_keeps_results_frozen_on_postgres() {
    if postgres_base().is_none() {
        return;
    }
    use duban::services::evaluation as ev;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    fixture(&app, &w).await;
    let e = computed(&app, &w).await;
    let eid = id(e["id"].as_str().unwrap());
    let now = default_now();
    let office_user = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("office"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let office = duban::auth::Viewer {
        user_id: office_user.id,
        username: "office".into(),
        role: duban::domain::UserRole::Office,
        agency_id: None,
        token_generation: 0,
    };

    // The publish is done but not committed yet.
    let conn = app.db().clone();
    let publisher = conn.begin().await.unwrap();
    ev::publish(&publisher, Actor::System, eid, now)
        .await
        .unwrap();

    let c = conn.clone();
    let compute = tokio::spawn(async move {
        let tx = c.begin().await.unwrap();
        let r = ev::compute(&tx, Actor::System, YEAR, Some("test-scheme"), None, now).await;
        if r.is_ok() {
            tx.commit().await.unwrap();
        }
        r.map(|_| ())
    });
    let c = conn.clone();
    let lead = id(&w.lead_agency);
    let manual = tokio::spawn(async move {
        let tx = c.begin().await.unwrap();
        let r = ev::set_manual_score(
            &tx,
            &office,
            YEAR,
            "test-scheme",
            lead,
            "review",
            10.0,
            "改分",
            now,
        )
        .await;
        if r.is_ok() {
            tx.commit().await.unwrap();
        }
        r.map(|_| ())
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    publisher.commit().await.unwrap();

    let r = compute.await.unwrap();
    assert!(
        matches!(r, Err(duban::error::AppError::InvalidTransition(_))),
        "compute: {r:?}"
    );
    let r = manual.await.unwrap();
    assert!(
        matches!(r, Err(duban::error::AppError::InvalidTransition(_))),
        "manual score: {r:?}"
    );
    let after = app
        .ok(&w.office, RESULTS, json!({"id": eid.to_string()}))
        .await;
    assert_eq!(after["evaluation"]["status"], "published");
    assert!(close(
        &by_agency(&after["evaluation"]["results"], &w.lead_agency)["score"],
        90.5
    ));
    let review = entity::manual_score::Entity::find()
        .filter(entity::manual_score::Column::AgencyId.eq(lead))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(review.score, 90.0);
}

/// Rows of `table` whose `column` is `agency`.
async fn rows_of(app: &TestApp, table: &str, column: &str, agency: i64) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db().get_database_backend();
    let row = app
        .db()
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE \"{column}\" = {agency}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn agency_merge_moves_evaluation_rows_and_never_touches_published_results() {
    use duban::services::evaluation::reassign_agency;
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    fixture(&app, &w).await;
    let e = computed(&app, &w).await;
    let (lead, other, part) = (id(&w.lead_agency), id(&w.other_agency), id(&w.part_agency));

    // other → lead while the year is only computed: everything of other moves or, where
    // lead already has the same key, lead's row is kept.
    let tx = app.state.db.write().await.unwrap();
    reassign_agency(&*tx, other, lead).await.unwrap();
    tx.commit().await.unwrap();
    for (table, column) in [
        ("evaluation_result", "agency_id"),
        ("indicator_value", "agency_id"),
        ("indicator_value", "source_agency_id"),
        ("manual_score", "agency_id"),
        ("manual_adjustment", "agency_id"),
    ] {
        assert_eq!(
            rows_of(&app, table, column, other).await,
            0,
            "{table}.{column}"
        );
    }
    assert_eq!(
        rows_of(&app, "evaluation_result", "agency_id", lead).await,
        1
    );
    assert_eq!(rows_of(&app, "indicator_value", "agency_id", lead).await, 1);
    assert_eq!(rows_of(&app, "manual_score", "agency_id", lead).await, 1);
    assert_eq!(
        rows_of(&app, "manual_adjustment", "agency_id", lead).await,
        2
    );
    // The revision has to be recomputed from the merged record before it is published.
    let r = app.ok(&w.office, RESULTS, json!({"id": e["id"]})).await;
    assert_eq!(r["evaluation"]["status"], "draft", "{r}");
    let r = app
        .gql(Some(&w.office), PUBLISH, json!({"id": e["id"]}))
        .await;
    assert_eq!(code(&r), "INVALID_TRANSITION", "{r}");
    // lead kept its own value 40 and review 90; the −3.5 of other joined its +1.5:
    // 40 + 24 + 27 = 91, −2 + 1.5 − 3.5 → 87.
    let again = app
        .ok(&w.office, COMPUTE, json!({"y": YEAR, "s": null}))
        .await["computeEvaluation"]
        .clone();
    assert_eq!(again["results"].as_array().unwrap().len(), 1, "{again}");
    assert!(close(&again["results"][0]["score"], 87.0), "{again}");
    app.ok(&w.office, PUBLISH, json!({"id": e["id"]})).await;

    // lead now has published results: merging it away is refused and writes nothing.
    let results = count_rows(&app, "evaluation_result").await;
    let tx = app.state.db.write().await.unwrap();
    let r = reassign_agency(&*tx, lead, part).await;
    drop(tx);
    match r {
        Err(duban::error::AppError::Conflict(m)) => assert!(
            m.contains(&format!("agency {lead} has published evaluation results"))
                && m.contains("merge refused"),
            "{m}"
        ),
        other => panic!("expected CONFLICT, got {other:?}"),
    }
    assert_eq!(count_rows(&app, "evaluation_result").await, results);
    assert_eq!(
        rows_of(&app, "evaluation_result", "agency_id", lead).await,
        1
    );
    assert_eq!(
        rows_of(&app, "manual_adjustment", "agency_id", lead).await,
        2
    );
    // An agency with no published results (part) merges into lead freely.
    let tx = app.state.db.write().await.unwrap();
    reassign_agency(&*tx, part, lead).await.unwrap();
    tx.commit().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Review fixes

/// A one-criterion scheme over `metric` (JSON), evaluated by the tests below.
async fn one_metric_scheme(app: &TestApp, w: &World, name: &str, metric: Value) {
    let scheme = json!({
        "name": name, "title": name, "subject_kind": "agency",
        "criteria": [
            {"key": "m", "parent": null, "title": "指标", "weight": 0.5,
             "kind": "computed", "metric": metric},
            {"key": "review", "parent": null, "title": "评议", "weight": 0.5, "kind": "manual"}
        ]
    });
    app.ok(&w.office, SAVE, json!({"d": scheme.to_string()}))
        .await;
}

/// Computes `scheme` for 2025 over `subjects` and returns criterion `m` per agency id.
async fn metric_of(app: &TestApp, w: &World, scheme: &str, subjects: &[&str]) -> Value {
    let q = "mutation($s:String!,$a:[ID!]){ computeEvaluation(year:2025,scheme:$s,subjects:$a){ results{ agencyId criteria(key:\"m\"){ rawValue score applicable notes evidence{ kind recordId favourable detail } } } } }";
    let r = app
        .ok(&w.office, q, json!({"s": scheme, "a": subjects}))
        .await;
    let mut out = serde_json::Map::new();
    for x in r["computeEvaluation"]["results"].as_array().unwrap() {
        out.insert(
            x["agencyId"].as_str().unwrap().to_owned(),
            x["criteria"][0].clone(),
        );
    }
    Value::Object(out)
}

async fn user_viewer(app: &TestApp, username: &str) -> duban::auth::Viewer {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let u = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq(username))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    duban::services::users::viewer_of(&u).unwrap()
}

/// 2025-MM-DD 10:00 China time.
fn at(day: &str) -> chrono::DateTime<chrono::Utc> {
    let d: chrono::NaiveDate = day.parse().unwrap();
    d.and_hms_opt(2, 0, 0).unwrap().and_utc()
}

/// Reports are due REPORT_DUE_WORKING_DAYS working days after their period, on the holiday
/// calendar — the reminders' rule — not on the period's last day: a Q2 report filed on
/// 3 July and a Q3 report filed on 13 October (after the National Day holiday) are on time,
/// and the Q4 report, due in January 2026, is not counted in 2025.
#[tokio::test]
async fn reports_are_judged_against_the_reminders_due_dates() {
    use duban::services::tasks;
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    one_metric_scheme(&app, &w, "reports-scheme", json!("reports_on_time_rate")).await;
    let tx = app.state.db.write().await.unwrap();
    let ongoing = tasks::create(
        &*tx,
        Actor::System,
        tasks::TaskInput {
            plan_id: id(&w.plan),
            parent_id: None,
            code: "二(一)".into(),
            kind: duban::domain::TaskKind::Task,
            title: "持续推进节能降碳".into(),
            body: String::new(),
            deadline: None,
            ongoing: true,
            report_cadence: Some(duban::domain::ReportCadence::Quarterly),
            groups: vec![],
            lead_undecided: false,
        },
        default_now(), // created 2025-06-01: Q2 is the first period
    )
    .await
    .unwrap();
    tasks::assign(
        &*tx,
        Actor::System,
        tasks::AssignmentInput {
            task_id: ongoing.id,
            agency_id: id(&w.lead_agency),
            role: duban::domain::AssignmentRole::Lead,
            note: None,
            sub_deadline: None,
        },
        default_now(),
    )
    .await
    .unwrap();
    let author = user_viewer(&app, "lead").await.user_id;
    for (period, day) in [("2025-Q2", "2025-07-03"), ("2025-Q3", "2025-10-13")] {
        entity::progress_report::ActiveModel {
            task_id: Set(ongoing.id),
            agency_id: Set(id(&w.lead_agency)),
            author_id: Set(author),
            period: Set(period.into()),
            text: Set("进展".into()),
            percent: Set(50),
            submitted_at: Set(at(day)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let m = metric_of(&app, &w, "reports-scheme", &[&w.lead_agency]).await;
    let m = &m[w.lead_agency.as_str()];
    assert_eq!(m["rawValue"], 1.0, "{m}");
    let details: Vec<&str> = m["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        [
            "report 2025-Q2 due 2025-07-07, submitted 2025-07-03: on time",
            "report 2025-Q3 due 2025-10-14, submitted 2025-10-13: on time",
        ],
        "{m}"
    );
}

/// Escalations count against an agency only when addressed to it: not those sent to a
/// co-lead only, and never the office's reminders about its own unverified completion
/// requests (matter `verification`).
#[tokio::test]
async fn supervision_records_count_only_against_their_recipients() {
    use duban::services::tasks;
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    one_metric_scheme(
        &app,
        &w,
        "urging-scheme",
        json!({"supervision_received": {"level": "urging", "points_per_item": 10}}),
    )
    .await;
    let (lead, other) = (id(&w.lead_agency), id(&w.other_agency));
    let tx = app.state.db.write().await.unwrap();
    // other becomes a co-lead of t1 (按职责分工负责).
    tasks::assign(
        &*tx,
        Actor::System,
        tasks::AssignmentInput {
            task_id: id(&w.t1),
            agency_id: other,
            role: duban::domain::AssignmentRole::Lead,
            note: None,
            sub_deadline: None,
        },
        default_now(),
    )
    .await
    .unwrap();
    let recipient = |agency: Option<i64>| {
        let mut r = json!({"email": "x@test.gov", "name": "x", "agency_name": "x",
                           "audience": "lead_contacts", "role": "lead"});
        if let Some(a) = agency {
            r["agency_id"] = json!(a);
        }
        r
    };
    let mut ids = Vec::new();
    for (n, matter, recipients) in [
        (1, "deadline", json!([recipient(Some(lead))])),
        (2, "deadline", json!([recipient(Some(other))])),
        (3, "verification", json!([recipient(None)])),
    ] {
        let r = entity::supervision_record::ActiveModel {
            task_id: Set(id(&w.t1)),
            level: Set("urging".into()),
            rung_key: Set("urging+1w".into()),
            rung_index: Set(3),
            occurrence: Set(1),
            trigger_key: Set(format!("{matter}:2025-05-0{n}")),
            matter: Set(matter.into()),
            due_on: Set(format!("2025-05-0{n}").parse().unwrap()),
            dedupe_key: Set(format!("test-{n}")),
            doc_number: Set(None),
            recipients: Set(recipients),
            message_ids: Set(json!([])),
            sweep_id: Set("test".into()),
            fired_at: Set(at(&format!("2025-05-0{n}"))),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .unwrap();
        ids.push(gid("SupervisionRecord", r.id));
    }
    tx.commit().await.unwrap();

    let m = metric_of(
        &app,
        &w,
        "urging-scheme",
        &[&w.lead_agency, &w.other_agency],
    )
    .await;
    for (agency, record) in [(&w.lead_agency, &ids[0]), (&w.other_agency, &ids[1])] {
        let c = &m[agency.as_str()];
        assert_eq!(c["rawValue"], 1.0, "{agency}: {c}");
        assert!(close(&c["score"], 90.0), "{c}");
        assert_eq!(c["evidence"].as_array().unwrap().len(), 1, "{c}");
        assert_eq!(c["evidence"][0]["recordId"], record.as_str());
    }
}

/// "Completed on" is the day the lead asked to close the task in the request the office
/// then verified, not the office's sign-off: t2 (due 31 Mar) was asked to close on 20 Mar,
/// returned, asked again on 28 Mar and verified on 10 Apr — on time.
#[tokio::test]
async fn completion_is_dated_by_the_verified_request() {
    use duban::domain::TaskAction;
    use duban::services::tasks;
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    one_metric_scheme(&app, &w, "on-time-scheme", json!("on_time_completion_rate")).await;
    let office = user_viewer(&app, "office").await;
    let staff = user_viewer(&app, "other").await;
    let t2 = id(&w.t2);
    let tx = app.state.db.write().await.unwrap();
    for (viewer, action, day, note) in [
        (&office, TaskAction::Start, "2025-03-01", None),
        (&staff, TaskAction::RequestCompletion, "2025-03-20", None),
        (&office, TaskAction::Return, "2025-03-25", Some("材料不全")),
        (&staff, TaskAction::Start, "2025-03-26", None),
        (&staff, TaskAction::RequestCompletion, "2025-03-28", None),
        (&office, TaskAction::Verify, "2025-04-10", None),
    ] {
        let v = tasks::get(&*tx, t2).await.unwrap().version;
        duban::services::workflow::transition(&*tx, viewer, t2, v, action, note, at(day))
            .await
            .unwrap_or_else(|e| panic!("{action:?}: {e:?}"));
    }
    tx.commit().await.unwrap();
    let m = metric_of(&app, &w, "on-time-scheme", &[&w.other_agency]).await;
    let c = &m[w.other_agency.as_str()];
    assert_eq!(c["rawValue"], 1.0, "{c}");
    assert_eq!(c["evidence"][0]["favourable"], true, "{c}");
    assert!(
        c["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("completed 2025-03-28"),
        "{c}"
    );
}

/// An agency with no task relevant to the year is not a default subject (it used to score
/// full marks on every computed criterion and rank near the top).
#[tokio::test]
async fn agencies_without_relevant_tasks_are_not_default_subjects() {
    use duban::domain::{AgencyKind, AgencyLevel};
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let tx = app.state.db.write().await.unwrap();
    let idle = duban::services::agencies::create(
        &*tx,
        Actor::System,
        duban::services::agencies::AgencyInput {
            name: "测试市无任务局".into(),
            short_name: None,
            aliases: vec![],
            level: AgencyLevel::City,
            kind: AgencyKind::Department,
            parent_id: None,
        },
        true,
        default_now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let q = "mutation($y:Int!){ computeEvaluation(year:$y){ results{ agencyId } } }";
    let e = app.ok(&w.office, q, json!({"y": 2025})).await;
    let ids: Vec<&str> = e["computeEvaluation"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agencyId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{e}");
    assert!(!ids.contains(&gid("Agency", idle.id).as_str()), "{e}");
    // 2024: every task of the world is due in 2025 — nothing to evaluate.
    let r = app.gql(Some(&w.office), q, json!({"y": 2024})).await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    // An explicitly named idle agency: computed criteria do not apply and their weight
    // goes to the office review, shown in the breakdown.
    let q = "mutation($a:ID!){ computeEvaluation(year:2025,subjects:[$a]){ results{ criteria{ key applicable weight schemeWeight notes } } } }";
    let e = app
        .ok(&w.office, q, json!({"a": idle.id.to_string()}))
        .await;
    let criteria = e["computeEvaluation"]["results"][0]["criteria"]
        .as_array()
        .unwrap()
        .clone();
    for c in &criteria {
        let review = c["key"] == "office_review";
        assert_eq!(c["applicable"], review, "{c}");
        if review {
            assert!(close(&c["weight"], 1.0), "{c}");
            assert!(close(&c["schemeWeight"], 0.1), "{c}");
        }
    }
}

/// The shipped 减污降碳协同指数 names its data sources by registry names, so the staff of
/// 浙江省住房和城乡建设厅 (the document's 省建设厅) and 浙江省经济和信息化厅 (省经信厅) may enter
/// their values; a scheme may also name a source by an alias. `duban seed` (the registry
/// loader) stores both shipped schemes. The city index has no default subjects while the
/// registry holds no city of Zhejiang.
#[tokio::test]
async fn city_index_sources_resolve_through_the_registry() {
    use duban::services::{seed, users};
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let tx = app.state.db.write().await.unwrap();
    seed::load_registry(&*tx, &seed::seeds_dir(), default_now())
        .await
        .unwrap();
    let mut staff = Vec::new();
    for (i, name) in [
        "浙江省住房和城乡建设厅",
        "浙江省经济和信息化厅",
        "浙江省生态环境厅",
    ]
    .into_iter()
    .enumerate()
    {
        let a = duban::services::agencies::find_by_name(&*tx, name)
            .await
            .unwrap()
            .unwrap();
        users::create_hashed(
            &*tx,
            Actor::System,
            users::UserInput {
                username: format!("zj{i}"),
                display_name: name.into(),
                email: None,
                role: duban::domain::UserRole::Agency,
                agency_id: Some(a.id),
            },
            duban::auth::password::hash(PASSWORD).unwrap(),
            default_now(),
        )
        .await
        .unwrap();
        staff.push(format!("zj{i}"));
    }
    tx.commit().await.unwrap();
    assert_eq!(count_rows(&app, "evaluation_scheme").await, 2);
    let schemes = app
        .ok(&w.leader, "{ evaluationSchemes{ name } }", json!({}))
        .await;
    assert_eq!(schemes["evaluationSchemes"].as_array().unwrap().len(), 2);

    let (jianshe, jingxin, shengtai) = (
        app.login(&staff[0], PASSWORD).await,
        app.login(&staff[1], PASSWORD).await,
        app.login(&staff[2], PASSWORD).await,
    );
    let q = "mutation($s:String!,$k:String!,$a:ID!){ setIndicatorValue(year:2025,scheme:$s,criterionKey:$k,agencyId:$a,value:90,target:95){ id } }";
    let city = "jianwu-jiangtan-index";
    app.ok(
        &jianshe,
        q,
        json!({"s": city, "k": "L3-15", "a": w.lead_agency}),
    )
    .await;
    app.ok(
        &jingxin,
        q,
        json!({"s": city, "k": "L3-17", "a": w.lead_agency}),
    )
    .await;
    let r = app
        .gql(
            Some(&shengtai),
            q,
            json!({"s": city, "k": "L3-15", "a": w.lead_agency}),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN", "{r}");

    // A source named by an alias (浙江省经信厅) resolves to the same agency.
    let mut scheme = scheme_json();
    scheme["criteria"][1]["source_agencies"] = json!(["浙江省经信厅"]);
    app.ok(&w.office, SAVE, json!({"d": scheme.to_string()}))
        .await;
    app.ok(
        &jingxin,
        INDICATOR,
        json!({"y": YEAR, "k": "energy", "a": w.lead_agency, "v": 40.0, "t": null}),
    )
    .await;
    let r = app
        .gql(
            Some(&jianshe),
            INDICATOR,
            json!({"y": YEAR, "k": "energy", "a": w.lead_agency, "v": 40.0, "t": null}),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN", "{r}");

    // No city of Zhejiang in the registry: the subjects must be named.
    let r = app
        .gql(
            Some(&w.office),
            "mutation{ computeEvaluation(year:2025,scheme:\"jianwu-jiangtan-index\"){ id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("name the subjects"),
        "{r}"
    );
}

/// An input written after compute sends the revision back to draft: a stale result cannot
/// be published until it is recomputed.
#[tokio::test]
async fn inputs_changed_after_compute_must_be_recomputed_before_publishing() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    fixture(&app, &w).await;
    for (token, q, vars) in [
        (
            &w.office,
            MANUAL,
            json!({"y": YEAR, "a": w.lead_agency, "s": 10.0, "r": "改分"}),
        ),
        (
            &w.office,
            ADJUST,
            json!({"y": YEAR, "a": w.lead_agency, "n": -1.0, "r": "扣分"}),
        ),
        (
            &w.part_staff,
            INDICATOR,
            json!({"y": YEAR, "k": "energy", "a": w.other_agency, "v": 10.0, "t": null}),
        ),
    ] {
        let e = computed(&app, &w).await;
        assert_eq!(e["status"], "computed");
        app.ok(token, q, vars).await;
        let r = app.ok(&w.office, RESULTS, json!({"id": e["id"]})).await;
        assert_eq!(r["evaluation"]["status"], "draft", "{q}");
        let r = app
            .gql(Some(&w.office), PUBLISH, json!({"id": e["id"]}))
            .await;
        assert_eq!(code(&r), "INVALID_TRANSITION", "{q}: {r}");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("recompute"),
            "{r}"
        );
    }
    // Recomputed, it publishes with the new inputs: lead's review is now 10:
    // 40 + 24 + 3 = 67, −2 + 1.5 − 1 → 65.5.
    let e = computed(&app, &w).await;
    assert!(close(
        &by_agency(&e["results"], &w.lead_agency)["score"],
        65.5
    ));
    app.ok(&w.office, PUBLISH, json!({"id": e["id"]})).await;
}

/// A correction names the leaders of the revision it corrects, also once recomputed and
/// published — not whoever heads the agency by then.
#[tokio::test]
async fn corrections_keep_the_leaders_of_the_corrected_revision() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let add_head = "mutation($a:ID!,$n:String!,$e:String!){ addContact(agencyId:$a,input:{name:$n,email:$e,role:HEAD}){ id } }";
    app.ok(
        &w.office,
        add_head,
        json!({"a": w.lead_agency, "n": "张局长", "e": "zhang@test.gov"}),
    )
    .await;
    fixture(&app, &w).await;
    let id1 = computed(&app, &w).await["id"].clone();
    app.ok(&w.office, PUBLISH, json!({"id": id1})).await;
    // A new head arrives after publication.
    app.ok(
        &w.office,
        add_head,
        json!({"a": w.lead_agency, "n": "李局长", "e": "li@test.gov"}),
    )
    .await;
    let id2 = app
        .ok(&w.office, CORRECT, json!({"id": id1, "r": "更正"}))
        .await["correctEvaluation"]["id"]
        .clone();
    let names = |r: &Value| -> Vec<String> {
        by_agency(&r["evaluation"]["results"], &w.lead_agency)["leaders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = app.ok(&w.office, RESULTS, json!({"id": id2})).await;
    assert_eq!(names(&r), ["张局长"], "{r}");
    computed(&app, &w).await;
    app.ok(&w.office, PUBLISH, json!({"id": id2})).await;
    let r = app.ok(&w.office, RESULTS, json!({"id": id2})).await;
    assert_eq!(r["evaluation"]["status"], "published");
    assert_eq!(names(&r), ["张局长"], "{r}");
}

/// Agency staff read their own agency's result only once published.
#[tokio::test]
async fn staff_read_only_published_results() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    fixture(&app, &w).await;
    let e = computed(&app, &w).await;
    let own = |r: &Value| r["evaluation"]["results"].as_array().unwrap().len();
    let r = app.ok(&w.lead_staff, RESULTS, json!({"id": e["id"]})).await;
    assert_eq!(own(&r), 0, "{r}");
    let r = app.ok(&w.leader, RESULTS, json!({"id": e["id"]})).await;
    assert_eq!(own(&r), 2, "{r}");
    app.ok(&w.office, PUBLISH, json!({"id": e["id"]})).await;
    let r = app.ok(&w.lead_staff, RESULTS, json!({"id": e["id"]})).await;
    assert_eq!(own(&r), 1, "{r}");
    assert_eq!(
        r["evaluation"]["results"][0]["agencyId"],
        w.lead_agency.as_str()
    );
}

/// `duban evaluate --format csv --output FILE` starts the file with a UTF-8 BOM (Excel);
/// the JSON output has none.
#[tokio::test]
async fn csv_file_output_starts_with_a_bom() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    fixture(&app, &w).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("r.csv");
    duban::cli::evaluate(
        &app.state.db,
        YEAR,
        Some("test-scheme"),
        false,
        "csv",
        Some(&csv),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{:?}", &bytes[..8]);
    assert!(
        String::from_utf8(bytes)
            .unwrap()
            .contains("测试市生态环境局")
    );
    let json = dir.path().join("r.json");
    duban::cli::evaluate(
        &app.state.db,
        YEAR,
        Some("test-scheme"),
        false,
        "json",
        Some(&json),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(!std::fs::read(&json).unwrap().starts_with(b"\xEF\xBB\xBF"));
}
