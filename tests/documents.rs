//! Documents out, over real HTTP: the ledger (台账) as .xlsx and CSV, read back and compared
//! with the `tasks` query for the same filter, per role; the Word documents of numbered
//! notices (督办函), stored with their records, attached to their mails (real SMTP in this
//! process) and downloadable by the office, leaders and the agency addressed — and, where
//! LibreOffice is installed, converted to PDF and checked for the number and the task.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, TimeZone, Utc};
use common::*;
use duban::auth::Actor;
use duban::domain::{ContactRole, TaskStatus};
use duban::notify::mailer::{Mailer, SmtpMailer};
use duban::services::agencies;
use serde_json::{Value, json};
use smtp::SmtpServer;

/// 09:00 China time on `day`.
fn at(day: &str) -> DateTime<Utc> {
    let d: chrono::NaiveDate = day.parse().unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap())
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

/// Status and error code of a refused download.
async fn refusal(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.expect("a JSON refusal");
    (status, code(&v).to_owned())
}

const TASKS: &str = "query($f:TaskFilterInput){ tasks(filter:$f, first:100){ nodes { code title deadline originalDeadline status progress light assignments { role agency { name } } } } }";

fn light_label(l: &str) -> &'static str {
    match l {
        "RED" => "红灯",
        "YELLOW" => "黄灯",
        _ => "绿灯",
    }
}

/// The ledger rows the `tasks` query gives for `filter`, in the ledger's columns
/// (code … light).
async fn expected_rows(app: &TestApp, token: &str, filter: Value) -> Vec<Vec<String>> {
    let data = app.ok(token, TASKS, json!({ "f": filter })).await;
    data["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let names = |role: &str| {
                t["assignments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["role"] == role)
                    .map(|a| a["agency"]["name"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let deadline = s(&t["deadline"]);
            let original = t["originalDeadline"]
                .as_str()
                .map_or(deadline.clone(), str::to_owned);
            let status = TaskStatus::parse(&s(&t["status"]).to_lowercase()).unwrap();
            vec![
                s(&t["code"]),
                s(&t["title"]),
                names("LEAD"),
                names("PARTICIPANT"),
                names("IMPLEMENTER"),
                original,
                deadline,
                status.chinese().to_owned(),
                t["progress"].as_i64().unwrap().to_string(),
                light_label(t["light"].as_str().unwrap()).to_owned(),
            ]
        })
        .collect()
}

fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Every data row of every sheet of a workbook, first ten columns, and the sheet names.
fn workbook_rows(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<String>>, Vec<String>) {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let names = book.sheet_names();
    let mut rows = Vec::new();
    let mut header = Vec::new();
    for name in &names {
        let range = book.worksheet_range(name).unwrap();
        let mut it = range.rows();
        header = it.next().unwrap().iter().map(cell).collect();
        for r in it {
            let mut v: Vec<String> = r.iter().map(cell).collect();
            v.resize(18, String::new());
            rows.push(v);
        }
    }
    (names, rows, header)
}

#[tokio::test]
async fn the_ledger_matches_the_task_list_and_follows_each_role() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;

    // The office: the plan's ledger as a workbook, one sheet named after the plan.
    let resp = get(
        &app,
        Some(&w.office),
        &format!("/ledger.xlsx?plan={}", w.plan),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let (sheets, rows, header) = workbook_rows(resp.bytes().await.unwrap().to_vec());
    assert_eq!(
        sheets,
        vec![format!("{} 测试市碳达峰实施方案", row(&w.plan))]
    );
    assert_eq!(header[0], "编号");
    assert_eq!(header[17], "最新文号");
    let expected = expected_rows(&app, &w.office, json!({ "planId": w.plan })).await;
    assert_eq!(expected.len(), 2);
    let got: Vec<Vec<String>> = rows.iter().map(|r| r[..10].to_vec()).collect();
    assert_eq!(got, expected);
    // No records yet: every count is 0.
    assert!(rows.iter().all(|r| r[12..17].iter().all(|c| c == "0")));

    // A leader may read any agency's ledger; the same rows as `tasks` for that agency.
    let resp = get(
        &app,
        Some(&w.leader),
        &format!("/ledger.csv?agency={}", w.part_agency),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "CSV starts with a BOM"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&csv.headers().unwrap()[0], "实施方案");
    let lines: Vec<Vec<String>> = csv
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let expected = expected_rows(&app, &w.leader, json!({ "agencyId": w.part_agency })).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0][0], "测试市碳达峰实施方案");
    assert_eq!(lines[0][1..11].to_vec(), expected[0]);
    assert!(text.contains("推进煤炭消费替代") && text.contains("测试市发展和改革委员会"));

    // Agency staff: their own agency's tasks without asking, another agency's refused.
    let resp = get(&app, Some(&w.other_staff), "/ledger.xlsx").await;
    assert_eq!(resp.status(), 200);
    let (_, rows, _) = workbook_rows(resp.bytes().await.unwrap().to_vec());
    let expected = expected_rows(&app, &w.other_staff, json!({ "agencyId": w.other_agency })).await;
    assert_eq!(
        rows.iter().map(|r| r[..10].to_vec()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(rows.len(), 1);
    let resp = get(
        &app,
        Some(&w.other_staff),
        &format!("/ledger.csv?agency={}", w.other_agency),
    )
    .await;
    assert_eq!(resp.status(), 200);
    for path in [
        format!("/ledger.xlsx?agency={}", w.lead_agency),
        format!("/ledger.csv?agency={}&plan={}", w.part_agency, w.plan),
    ] {
        let resp = get(&app, Some(&w.other_staff), &path).await;
        assert_eq!(refusal(resp).await, (403, "FORBIDDEN".into()), "{path}");
    }

    // No token, a bad token, a malformed id, an unknown plan.
    assert_eq!(
        refusal(get(&app, None, "/ledger.xlsx").await).await,
        (401, "UNAUTHENTICATED".into())
    );
    assert_eq!(
        refusal(get(&app, Some("not-a-token"), "/ledger.csv").await).await,
        (401, "UNAUTHENTICATED".into())
    );
    assert_eq!(
        refusal(get(&app, Some(&w.office), "/ledger.xlsx?plan=abc").await).await,
        (400, "INVALID_INPUT".into())
    );
    assert_eq!(
        refusal(get(&app, Some(&w.office), "/ledger.xlsx?plan=999999").await).await,
        (404, "NOT_FOUND".into())
    );

    // Everything: one sheet per plan even when empty of other plans; all tasks present.
    let resp = get(&app, Some(&w.office), "/ledger.xlsx").await;
    let (_, rows, _) = workbook_rows(resp.bytes().await.unwrap().to_vec());
    assert_eq!(rows.len(), 2);
}

/// Ledger exports are bounded per replica: past the limit an export is refused with 429 and
/// LIMIT_EXCEEDED (and Retry-After), after sign-in, so a request without a token still hears
/// 401. Zero permits stand for "all taken" without a race in the test.
#[tokio::test]
async fn ledger_exports_past_the_limit_are_refused_not_queued() {
    let limits = duban::config::Limits {
        concurrent_exports: 0,
        ..Default::default()
    };
    let app = TestApp::spawn_with_limits(limits).await;
    let w = seed_world(&app).await;
    let busy = get(&app, Some(&w.office), "/ledger.xlsx").await;
    assert_eq!(busy.headers()["retry-after"], "5");
    assert_eq!(refusal(busy).await, (429, "LIMIT_EXCEEDED".into()));
    assert_eq!(
        refusal(get(&app, None, "/ledger.csv").await).await,
        (401, "UNAUTHENTICATED".into())
    );
}

fn mailer(server: &SmtpServer) -> Arc<dyn Mailer> {
    Arc::new(
        SmtpMailer::new(
            &server.url(),
            "督办系统 <duban@test.local>",
            StdDuration::from_secs(5),
        )
        .unwrap(),
    )
}

/// The base64 body of the MIME part of `media_type` in a raw message, decoded.
fn attached(raw: &str, media_type: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let at = raw.find(&format!("Content-Type: {media_type}"))?;
    let part = &raw[at..];
    let body_start = part.find("\r\n\r\n")? + 4;
    let body = &part[body_start..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// `soffice --headless --convert-to pdf`, then `pdftotext`: the PDF's text, or `None` (with
/// a notice) where either tool is missing.
fn pdf_text_via_libreoffice(docx: &[u8]) -> Option<String> {
    let have = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("soffice") || !have("pdftotext") {
        eprintln!(
            "NOTICE: soffice or pdftotext not installed; the LibreOffice check of the notice \
             document is skipped here (.ci/run installs both and runs it)"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("notice.docx");
    std::fs::write(&input, docx).unwrap();
    let out = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&input)
        .output()
        .unwrap();
    let pdf = dir.path().join("notice.pdf");
    assert!(
        pdf.exists(),
        "LibreOffice did not convert the notice: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&text.stdout).into_owned())
}

#[tokio::test]
async fn a_supervision_notice_is_a_docx_mailed_with_its_digest_and_downloadable_by_its_addressee() {
    let app = TestApp::spawn_at(at("2025-04-02")).await;
    let w = seed_world(&app).await;
    let tx = app.state.db.write().await.unwrap();
    for (agency, tag) in [(&w.lead_agency, "lead"), (&w.other_agency, "other")] {
        agencies::add_contact(
            &*tx,
            Actor::System,
            row(agency),
            agencies::ContactInput {
                name: format!("{tag}联络员"),
                email: format!("liaison.{tag}@example.gov.cn"),
                role: ContactRole::Liaison,
                phone: None,
            },
            default_now(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let server = SmtpServer::start().await;

    // t2 (led by the other agency, due Mon 3/31) is urged on 4/2 and climbs to 督办 on 4/8.
    for day in ["2025-04-02", "2025-04-08"] {
        duban::notify::sweep::run(
            &app.state.db,
            at(day),
            Utc::now(),
            false,
            Actor::System,
            "http://duban.test",
        )
        .await
        .unwrap();
    }
    let q = "query($t:ID!){ supervisionRecords(taskId:$t){ id level docNumber documentUrl messageIds } }";
    let recs = app.ok(&w.office, q, json!({"t": w.t2})).await["supervisionRecords"].clone();
    let recs = recs.as_array().unwrap();
    assert_eq!(recs.len(), 2, "{recs:?}");
    let (urging, notice) = (&recs[0], &recs[1]);
    assert_eq!(urging["documentUrl"], Value::Null);
    assert_eq!(notice["level"], "SUPERVISION");
    assert_eq!(notice["docNumber"], "督办〔2025〕1号");
    let id = notice["id"].as_str().unwrap();
    let url = notice["documentUrl"].as_str().unwrap();
    assert!(url.ends_with(&format!("/notices/{id}.docx")), "{url}");
    let path = format!("/notices/{id}.docx");

    // The office, leaders and the addressed agency download it; others are refused.
    let resp = get(&app, Some(&w.other_staff), &path).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''"),
    );
    let docx = resp.bytes().await.unwrap().to_vec();
    assert_eq!(&docx[..2], b"PK");
    for token in [&w.office, &w.leader] {
        let again = get(&app, Some(token), &path).await.bytes().await.unwrap();
        assert_eq!(again.to_vec(), docx, "the same stored bytes for everyone");
    }
    for token in [&w.lead_staff, &w.part_staff] {
        assert_eq!(
            refusal(get(&app, Some(token), &path).await).await,
            (403, "FORBIDDEN".into())
        );
    }
    assert_eq!(
        refusal(get(&app, None, &path).await).await,
        (401, "UNAUTHENTICATED".into())
    );
    let urging_path = format!("/notices/{}.docx", urging["id"].as_str().unwrap());
    assert_eq!(
        refusal(get(&app, Some(&w.office), &urging_path).await).await,
        (404, "NOT_FOUND".into())
    );
    assert_eq!(
        refusal(get(&app, Some(&w.office), "/notices/x.docx").await).await,
        (400, "INVALID_INPUT".into())
    );

    // The document names the number, the addressee and the task.
    let xml = {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx.clone())).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").unwrap(), &mut s)
            .unwrap();
        s
    };
    for needle in [
        "督办函",
        "督办〔2025〕1号",
        "测试市交通运输局：",
        "推动交通绿色低碳",
        "逾期8天",
        "领导小组办公室",
        "2025年4月8日",
    ] {
        assert!(xml.contains(needle), "{needle} not in the document");
    }

    // Delivered: the other agency's digest carries exactly the stored document.
    outbox_drain(&app, &server).await;
    let messages = server.messages();
    let mid = notice["messageIds"][0].as_str().unwrap();
    let to_other = messages
        .iter()
        .find(|m| m.data.contains(&format!("Message-ID: <{mid}>")))
        .expect("the 督办 digest");
    assert_eq!(to_other.rcpt, ["<liaison.other@example.gov.cn>"]);
    let raw = to_other.data.clone();
    assert!(raw.contains("multipart/mixed"), "{raw}");
    let mailed = attached(
        &raw,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    .expect("a .docx attachment");
    assert_eq!(mailed, docx, "a download returns exactly what was mailed");
    // The lead agency's mails (its task was never escalated) carry none.
    assert!(
        messages
            .iter()
            .filter(|m| m.rcpt == ["<liaison.lead@example.gov.cn>"])
            .all(|m| !m.data.contains("wordprocessingml"))
    );

    // The ledger counts the records and shows the last number.
    let resp = get(
        &app,
        Some(&w.office),
        &format!("/ledger.csv?agency={}", w.other_agency),
    )
    .await;
    let bytes = resp.bytes().await.unwrap();
    let mut csv = csv::Reader::from_reader(&bytes[3..]);
    let row: Vec<String> = csv
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    // 提醒, 催办, 督办, 通报, 约谈, 最新文号
    assert_eq!(
        row[13..19].to_vec(),
        ["0", "1", "1", "0", "0", "督办〔2025〕1号"]
    );

    // LibreOffice opens it: the PDF has the number and the task title.
    if let Some(text) = pdf_text_via_libreoffice(&docx) {
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(flat.contains("督办〔2025〕1号"), "{text}");
        assert!(flat.contains("推动交通绿色低碳"), "{text}");
        assert!(flat.contains("测试市交通运输局"), "{text}");
    }
}

async fn outbox_drain(app: &TestApp, server: &SmtpServer) {
    duban::notify::outbox::drain(&app.state.db, mailer(server), &Utc::now, 50, 4)
        .await
        .unwrap();
}
