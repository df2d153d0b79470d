//! Importing plan documents over the API, and seeding the five source plans.

mod common;

use base64::Engine;
use common::*;
use serde_json::{Value, json};

const IMPORT: &str = "mutation($i:ImportPlanInput!){ importPlan(input:$i){ dryRun plan{ id title } duplicateOf title documentNumber tasks{ code kind title leads participants implementers deadline precision ongoing warnings{ code } } warnings{ code message } unconfirmedAgencies } }";

const SMALL_PLAN: &str = "测试市节能降碳工作方案\n\
测政办字〔2024〕7号\n\
一、总体要求\n\
以习近平新时代中国特色社会主义思想为指导。\n\
二、重点任务\n\
（一）推进工业节能。实施重点行业节能改造，到2025年完成改造项目20个。（测试市生态环境局牵头，测试市发展和改革委员会配合）\n\
（二）推动交通绿色转型。推广新能源公交车，2024年底前完成更新。（测试市交通运输局负责，各县区政府负责落实）\n\
（三）加强宣传。持续推进绿色低碳宣传。（测试市宣传局牵头）\n";

#[tokio::test]
async fn dry_run_writes_nothing_then_import_and_duplicate() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let plans = count_rows(&app, "plan").await;
    let tasks = count_rows(&app, "task").await;
    let agencies = count_rows(&app, "agency").await;
    let r = app
        .ok(
            &w.office,
            IMPORT,
            json!({"i": {"text": SMALL_PLAN, "dryRun": true}}),
        )
        .await;
    let res = &r["importPlan"];
    assert_eq!(res["dryRun"], true);
    assert!(res["plan"].is_null());
    assert_eq!(res["documentNumber"], "测政办字〔2024〕7号");
    let task = res["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"].as_str().unwrap_or("").contains("工业节能"))
        .expect("工业节能 task");
    assert_eq!(task["leads"], json!(["测试市生态环境局"]));
    assert_eq!(task["participants"], json!(["测试市发展和改革委员会"]));
    assert_eq!(task["deadline"], "2025-12-31");
    // 测试市宣传局 is not in the registry: flagged, not dropped.
    assert!(
        res["unconfirmedAgencies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().contains("宣传")),
        "{res}"
    );
    assert_eq!(
        (
            count_rows(&app, "plan").await,
            count_rows(&app, "task").await,
            count_rows(&app, "agency").await
        ),
        (plans, tasks, agencies)
    );

    // Agency staff and leaders may not import.
    assert_eq!(
        code(
            &app.gql(
                Some(&w.lead_staff),
                IMPORT,
                json!({"i": {"text": SMALL_PLAN}})
            )
            .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app.gql(Some(&w.leader), IMPORT, json!({"i": {"text": SMALL_PLAN}}))
                .await
        ),
        "FORBIDDEN"
    );

    let r = app
        .ok(&w.office, IMPORT, json!({"i": {"text": SMALL_PLAN}}))
        .await;
    let plan_id = r["importPlan"]["plan"]["id"].as_str().unwrap().to_owned();
    assert!(count_rows(&app, "task").await > tasks);
    // The unknown agency now exists, unconfirmed; the import is audited under the office.
    let a = app
        .ok(
            &w.office,
            "{ agencies(search:\"宣传\"){ name confirmed } }",
            json!({}),
        )
        .await;
    assert_eq!(a["agencies"][0]["confirmed"], false);
    let h = app
        .ok(
            &w.office,
            "query($id:ID!){ auditEvents(entity:\"plan\", entityId:$id){ action actorName } }",
            json!({"id": plan_id}),
        )
        .await;
    assert!(
        h["auditEvents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "plan.import" && e["actorName"] == "office")
    );
    // Imported tasks are queryable with their agencies.
    let t = app.ok(&w.office, "query($p:ID!){ tasks(filter:{planId:$p, text:\"交通\"}){ nodes{ deadline assignments{ role agency{ name } } } } }", json!({"p": plan_id})).await;
    let node = &t["tasks"]["nodes"][0];
    assert_eq!(node["deadline"], "2024-12-31");
    assert!(
        node["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["role"] == "LEAD" && a["agency"]["name"] == "测试市交通运输局")
    );

    // The same document again: detected.
    let before = count_rows(&app, "task").await;
    let dup = app
        .gql(Some(&w.office), IMPORT, json!({"i": {"text": SMALL_PLAN}}))
        .await;
    assert_eq!(code(&dup), "CONFLICT");
    assert_eq!(count_rows(&app, "task").await, before);
    let dry = app
        .ok(
            &w.office,
            IMPORT,
            json!({"i": {"text": SMALL_PLAN, "dryRun": true}}),
        )
        .await;
    assert_eq!(dry["importPlan"]["duplicateOf"], plan_id.as_str());
}

/// Binary garbage is read as a broken document (neither a container nor text).
const GARBAGE_CODE: &str = "BROKEN_DOCUMENT";

#[tokio::test]
async fn broken_documents_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut truncated_zip = b"PK\x03\x04".to_vec();
    truncated_zip.extend_from_slice(&[0u8; 40]);
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    // A document the importer refuses has the importer's reason as its code; a request that
    // gives no document (or two) is INVALID_INPUT.
    let cases = [
        (json!({"text": ""}), "EMPTY_DOCUMENT"),
        (json!({"text": "   \n  "}), "EMPTY_DOCUMENT"),
        (json!({"text": "一段没有任何任务的说明文字。"}), "NO_TASKS"),
        (
            json!({"contentBase64": b64(&truncated_zip)}),
            "BROKEN_DOCUMENT",
        ),
        (json!({"contentBase64": b64(&garbage)}), GARBAGE_CODE),
        (
            json!({"contentBase64": b64(b"%PDF-1.7\n1 0 obj")}),
            "UNSUPPORTED_FORMAT",
        ),
        (
            json!({"contentBase64": "%%% not base64 %%%"}),
            "INVALID_INPUT",
        ),
        (
            json!({"text": "x", "contentBase64": "eA=="}),
            "INVALID_INPUT",
        ),
        (json!({}), "INVALID_INPUT"),
    ];
    let tasks = count_rows(&app, "task").await;
    let audits = count_rows(&app, "audit_event").await;
    for (c, want) in cases {
        let r = app.gql(Some(&w.office), IMPORT, json!({"i": c})).await;
        assert_eq!(code(&r), want, "{c}: {r}");
    }
    assert_eq!(count_rows(&app, "task").await, tasks);
    assert_eq!(count_rows(&app, "audit_event").await, audits);
}

#[tokio::test]
async fn gbk_documents_are_decoded() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(SMALL_PLAN);
    assert!(!unmappable);
    let r = app.ok(&w.office, IMPORT, json!({"i": {"contentBase64": base64::engine::general_purpose::STANDARD.encode(&gbk), "dryRun": true}})).await;
    assert_eq!(r["importPlan"]["documentNumber"], "测政办字〔2024〕7号");
    assert!(r["importPlan"]["tasks"].as_array().unwrap().len() >= 3);
}

#[tokio::test]
async fn seeding_loads_the_five_plans_and_demo_accounts() {
    let app = TestApp::spawn().await;
    let summary = duban::cli::seed_all(&app.state.db).await.unwrap();
    assert!(summary.contains("5 plans"), "{summary}");
    let office = app
        .login("office", duban::services::seed::DEMO_PASSWORD_OFFICE)
        .await;
    let leader = app
        .login("leader", duban::services::seed::DEMO_PASSWORD_LEADER)
        .await;
    let plans = app.ok(&leader, "{ plans { title } }", json!({})).await;
    assert_eq!(plans["plans"].as_array().unwrap().len(), 5);
    // Every agency that leads a task has a demo account and contacts.
    let users = app
        .ok(
            &office,
            "{ users(first:100){ username role agency{ name contacts{ role email } } } }",
            json!({}),
        )
        .await;
    let staff: Vec<_> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "AGENCY")
        .collect();
    assert!(staff.len() >= 20, "{} staff accounts", staff.len());
    assert!(
        staff
            .iter()
            .all(|u| u["agency"]["contacts"].as_array().unwrap().len() == 3)
    );
    let name = staff[0]["username"].as_str().unwrap();
    app.login(name, duban::services::seed::DEMO_PASSWORD_AGENCY)
        .await;
    // Seeding twice adds nothing.
    let tasks = count_rows(&app, "task").await;
    duban::cli::seed_all(&app.state.db).await.unwrap();
    assert_eq!(count_rows(&app, "task").await, tasks);
}

#[tokio::test]
async fn generic_groups_are_stored_as_groups() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    app.ok(&w.office, IMPORT, json!({"i": {"text": SMALL_PLAN}}))
        .await;
    // `各县区政府负责落实` names a set of governments, not one agency.
    let a = app
        .ok(
            &w.office,
            "{ agencies(search:\"各县区\"){ name kind confirmed } }",
            json!({}),
        )
        .await;
    let list = a["agencies"].as_array().unwrap();
    assert!(!list.is_empty(), "{a}");
    assert!(list.iter().all(|x| x["kind"] == "GROUP"), "{a}");
}

#[tokio::test]
async fn concurrent_imports_of_one_document_conflict() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let vars = json!({"i": {"text": SMALL_PLAN}});
    let (a, b) = tokio::join!(
        app.gql(Some(&w.office), IMPORT, vars.clone()),
        app.gql(Some(&w.office), IMPORT, vars.clone())
    );
    let ok = [&a, &b]
        .iter()
        .filter(|r| r["errors"].is_null() && !r["data"]["importPlan"]["plan"].is_null())
        .count();
    assert_eq!(ok, 1, "{a}\n{b}");
    let loser = if a["errors"].is_null() { &b } else { &a };
    assert_eq!(code(loser), "CONFLICT", "{loser}");
}

#[test]
fn cli_dry_run_reports_the_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.txt");
    std::fs::write(&file, SMALL_PLAN).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_duban"))
            .env("DUBAN_DATA_DIR", dir.path())
            .env_remove("DATABASE_URL")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("import")
            .arg(&file)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--dry-run", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["duplicate_of"].is_null(), "{v}");
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--dry-run", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["duplicate_of"].as_i64().is_some(), "{v}");
    let out = run(&["--dry-run"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already imported as plan"));
}

/// Sends `query` as a GraphQL multipart request (the spec a browser's file picker follows)
/// with `bytes` as the file in its variable `$f`.
async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    filename: &str,
    bytes: &[u8],
) -> serde_json::Value {
    let operations = json!({"query": query, "variables": {"f": null}});
    let boundary = "duban-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("operations", operations.to_string()),
        ("map", json!({"0": ["variables.f"]}).to_string()),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A document sent as a file upload (the GraphQL multipart request spec, as a browser's file
/// picker sends it) imports like one sent inline: here a GBK-encoded plan.
#[tokio::test]
async fn uploaded_files_are_imported() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let (gbk, _, _) = encoding_rs::GBK.encode(SMALL_PLAN);
    let r = upload(
        &app,
        &w.office,
        "mutation($f:Upload!){ importPlan(input:{file:$f, dryRun:true}){ documentNumber tasks{ code } } }",
        "plan.txt",
        &gbk,
    )
    .await;
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(
        r["data"]["importPlan"]["documentNumber"],
        "测政办字〔2024〕7号"
    );
    assert!(r["data"]["importPlan"]["tasks"].as_array().unwrap().len() >= 3);
    // Two sources at once are refused.
    let both = app
        .gql(
            Some(&w.office),
            "mutation{ importPlan(input:{text:\"x\", contentBase64:\"eA==\", dryRun:true}){ title } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&both), "INVALID_INPUT");
}

#[tokio::test]
async fn a_sheet_without_a_title_takes_the_offices_region_and_conventions_are_listed() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let plans = count_rows(&app, "plan").await;
    const Q: &str = "mutation($i:ImportPlanInput!){ importPlan(input:$i){ region tasks{ code leads participants } warnings{ code } conventions{ code description fromCode taskCodes } } }";
    let sheet = "序号,工作任务,牵头单位,配合单位,完成时限\n1,建设公共服务平台,市发展改革委,市财政局,2025年12月底前\n2,完善统计制度,市统计局,,2025年6月底前\n";
    let bare = app
        .ok(&w.office, Q, json!({"i": {"text": sheet, "dryRun": true}}))
        .await;
    let bare = &bare["importPlan"];
    assert!(bare["region"].is_null(), "{bare}");
    assert!(
        bare["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "NO_REGION"),
        "{bare}"
    );
    let r = app
        .ok(
            &w.office,
            Q,
            json!({"i": {"text": sheet, "dryRun": true, "region": "宜昌市"}}),
        )
        .await;
    let r = &r["importPlan"];
    assert_eq!(r["region"], "宜昌市", "{r}");
    assert_eq!(r["tasks"][0]["leads"][0], "宜昌市发展改革委", "{r}");
    assert_eq!(r["tasks"][0]["participants"][0], "宜昌市财政局", "{r}");
    let conventions = r["conventions"].as_array().unwrap();
    let given = conventions
        .iter()
        .find(|c| c["code"] == "REGION_GIVEN")
        .unwrap_or_else(|| panic!("{r}"));
    assert!(given["description"].as_str().unwrap().contains("宜昌市"));
    assert!(given["fromCode"].is_null());
    // A rule stated in a clause says where it was stated and where it was applied.
    let plan = "某某省2024年重点工作分工方案\n一、重点任务\n（一）推进数字政府建设。（省发展改革委、省财政厅、省统计局等负责。列第一位者为牵头单位，下同）\n（二）完善统计制度。（省统计局、省财政厅负责）\n";
    let r = app
        .ok(&w.office, Q, json!({"i": {"text": plan, "dryRun": true}}))
        .await;
    let first = r["importPlan"]["conventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "FIRST_LISTED_LEAD")
        .cloned()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(first["fromCode"], "一(一)", "{r}");
    assert!(
        first["taskCodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "一(二)"),
        "{r}"
    );
    // Nothing was written by the dry runs.
    assert_eq!(count_rows(&app, "plan").await, plans);
}

/// A task sheet (分工表) as offices keep it: no title row, deadlines without a year. Its
/// agencies are those of [`seed_world`], so that only the dates are in question.
const YEARLESS_SHEET: &str = "序号,工作任务,牵头单位,配合单位,完成时限\n\
1,完成重点用能单位节能诊断,测试市生态环境局,测试市发展和改革委员会,6月底前\n\
2,更新新能源公交车200辆,测试市交通运输局,,6月底前\n\
3,建立碳排放统计核算制度,测试市发展和改革委员会,测试市生态环境局,12月底前\n";

const YEAR_IMPORT: &str = "mutation($i:ImportPlanInput!){ importPlan(input:$i){ plan{ id } tasks{ code deadline precision warnings{ code } } warnings{ code message taskCode } conventions{ code taskCodes } } }";

/// The stored tasks of a plan as (code, deadline, precision), by code.
async fn stored_deadlines(app: &TestApp, token: &str, plan: &str) -> Vec<(String, Value, Value)> {
    let t = app
        .ok(
            token,
            "query($p:ID!){ tasks(filter:{planId:$p}, first:50){ nodes{ code deadline deadlinePrecision } } }",
            json!({"p": plan}),
        )
        .await;
    let mut rows: Vec<_> = t["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().to_owned(),
                n["deadline"].clone(),
                n["deadlinePrecision"].clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn codes_of(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["code"].as_str())
        .collect()
}

#[tokio::test]
async fn an_uploaded_yearless_sheet_takes_the_plan_year_the_office_gives() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let r = upload(
        &app,
        &w.office,
        "mutation($f:Upload!){ importPlan(input:{file:$f, planYear:2025}){ plan{ id } tasks{ code deadline } warnings{ code } conventions{ code taskCodes } } }",
        "分工表.csv",
        YEARLESS_SHEET.as_bytes(),
    )
    .await;
    assert!(r.get("errors").is_none(), "{r}");
    let res = &r["data"]["importPlan"];
    assert!(
        !codes_of(&res["warnings"]).contains(&"NO_PLAN_YEAR"),
        "{res}"
    );
    // The answer says where the given year was used.
    let used = res["conventions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "PLAN_YEAR")
        .unwrap_or_else(|| panic!("{res}"));
    assert_eq!(used["taskCodes"], json!(["1", "2", "3"]), "{res}");
    let plan = res["plan"]["id"].as_str().unwrap();
    assert_eq!(
        stored_deadlines(&app, &w.office, plan).await,
        vec![
            ("1".into(), json!("2025-06-30"), json!("MONTH")),
            ("2".into(), json!("2025-06-30"), json!("MONTH")),
            ("3".into(), json!("2025-12-31"), json!("MONTH")),
        ]
    );
}

#[tokio::test]
async fn a_yearless_sheet_without_a_plan_year_is_stored_without_deadlines_and_says_why() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let r = app
        .ok(
            &w.office,
            YEAR_IMPORT,
            json!({"i": {"text": YEARLESS_SHEET}}),
        )
        .await;
    let res = &r["importPlan"];
    let missing: Vec<&str> = res["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["code"] == "NO_PLAN_YEAR")
        .filter_map(|x| x["taskCode"].as_str())
        .collect();
    assert_eq!(missing, vec!["1", "2", "3"], "{res}");
    assert!(
        res["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["deadline"].is_null() && codes_of(&t["warnings"]).contains(&"NO_PLAN_YEAR")),
        "{res}"
    );
    assert!(
        !codes_of(&res["conventions"]).contains(&"PLAN_YEAR"),
        "{res}"
    );
    let plan = res["plan"]["id"].as_str().unwrap();
    let stored = stored_deadlines(&app, &w.office, plan).await;
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|(_, d, _)| d.is_null()), "{stored:?}");
}

#[tokio::test]
async fn a_plan_year_out_of_range_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let counts = || async {
        (
            count_rows(&app, "plan").await,
            count_rows(&app, "task").await,
            count_rows(&app, "agency").await,
            count_rows(&app, "audit_event").await,
        )
    };
    let before = counts().await;
    // 25 and 20255 are the typos the bound is for; the bounds themselves are taken below.
    for (year, dry_run) in [
        (25, false),
        (1999, false),
        (2101, false),
        (20255, true),
        (-2025, false),
    ] {
        let r = app
            .gql(
                Some(&w.office),
                YEAR_IMPORT,
                json!({"i": {"text": YEARLESS_SHEET, "planYear": year, "dryRun": dry_run}}),
            )
            .await;
        assert_eq!(code(&r), "INVALID_INPUT", "{year}: {r}");
        assert!(r["data"]["importPlan"].is_null(), "{r}");
    }
    // A refused upload is refused before its file is read.
    let r = upload(
        &app,
        &w.office,
        "mutation($f:Upload!){ importPlan(input:{file:$f, planYear:1999}){ plan{ id } } }",
        "分工表.csv",
        YEARLESS_SHEET.as_bytes(),
    )
    .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    assert_eq!(counts().await, before);
    for (year, want) in [(2000, "2000-06-30"), (2100, "2100-06-30")] {
        let r = app
            .ok(
                &w.office,
                YEAR_IMPORT,
                json!({"i": {"text": YEARLESS_SHEET, "planYear": year, "dryRun": true}}),
            )
            .await;
        assert_eq!(r["importPlan"]["tasks"][0]["deadline"], want, "{r}");
    }
    // A year the document states itself wins over the one given.
    let titled = format!("测试市2024年节能降碳重点工作分工表\n{YEARLESS_SHEET}");
    let r = app
        .ok(
            &w.office,
            YEAR_IMPORT,
            json!({"i": {"text": titled, "planYear": 2025, "dryRun": true}}),
        )
        .await;
    assert_eq!(r["importPlan"]["tasks"][0]["deadline"], "2024-06-30", "{r}");
    assert_eq!(counts().await, before);
}
