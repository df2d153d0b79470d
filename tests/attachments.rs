//! Evidence attachments (佐证材料) over real HTTP: GraphQL multipart uploads with a progress
//! report, a completion request and an extension request, downloads as each role, refused
//! types and sizes with nothing stored, content addressing, audited deletion and the orphan
//! sweep. Runs on the local filesystem, and on S3 when `DUBAN_TEST_S3_URL` is set (`.ci/run`
//! starts moto for it).

mod common;

use common::*;
use duban::storage::Area;
use serde_json::{Value, json};

/// A minimal PDF and PNG: their magic bytes are what the sniffer reads.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";
/// A Windows executable, named and declared as a PDF.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";

/// One file of a multipart request: the variable path, its name, the type the client claims
/// and the bytes.
struct File<'a> {
    var: &'a str,
    name: &'a str,
    claimed: &'a str,
    bytes: &'a [u8],
}

/// A GraphQL multipart request (the spec importPlan also takes) with `files`.
async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    files: &[File<'_>],
) -> Value {
    let boundary = "duban-evidence-boundary";
    let map: serde_json::Map<String, Value> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (i.to_string(), json!([format!("variables.{}", f.var)])))
        .collect();
    let mut body = Vec::new();
    for (name, value) in [
        (
            "operations",
            json!({"query": query, "variables": variables}).to_string(),
        ),
        ("map", Value::Object(map).to_string()),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (i, f) in files.iter().enumerate() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{i}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                f.name, f.claimed
            )
            .as_bytes(),
        );
        body.extend_from_slice(f.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
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

const REPORT: &str = "mutation($t:ID!,$f:[Upload!]){ submitProgressReport(input:{taskId:$t, \
    period:\"2025-Q2\", text:\"已完成\", percent:40, files:$f}){ id attachments{ id fileName \
    mediaType size sha256 uploadedBy downloadPath ownerKind } } }";

async fn report_with(app: &TestApp, token: &str, task: &str, files: &[File<'_>]) -> Value {
    let vars = json!({"t": task, "f": vec![Value::Null; files.len()]});
    let files: Vec<File> = files
        .iter()
        .enumerate()
        .map(|(i, f)| File {
            var: Box::leak(format!("f.{i}").into_boxed_str()),
            ..*f
        })
        .collect();
    upload(app, token, REPORT, vars, &files).await
}

fn file<'a>(name: &'a str, claimed: &'a str, bytes: &'a [u8]) -> File<'a> {
    File {
        var: "",
        name,
        claimed,
        bytes,
    }
}

async fn objects(app: &TestApp) -> Vec<String> {
    app.state
        .config
        .storage
        .list(Area::Evidence)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect()
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[tokio::test]
async fn evidence_goes_up_with_a_report_and_a_completion_request_and_down_to_its_readers() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    // The client calls both files octet-stream; the PNG is even named .pdf.
    let r = report_with(
        &app,
        &w.lead_staff,
        &w.t1,
        &[
            file("会议纪要 第1次.pdf", "application/octet-stream", PDF),
            file("photo.pdf", "application/octet-stream", PNG),
        ],
    )
    .await;
    assert!(r.get("errors").is_none(), "{r}");
    let atts = r["data"]["submitProgressReport"]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[0]["fileName"], "会议纪要 第1次.pdf");
    assert_eq!(atts[0]["mediaType"], "application/pdf");
    assert_eq!(atts[0]["size"], PDF.len());
    assert_eq!(atts[0]["sha256"], sha256_hex(PDF));
    assert_eq!(atts[0]["uploadedBy"], "lead");
    assert_eq!(atts[0]["ownerKind"], "PROGRESS_REPORT");
    assert_eq!(atts[1]["mediaType"], "image/png");

    // Listed on the item, read back through the task.
    let listed = app
        .ok(
            &w.office,
            "query($t:ID!){ task(id:$t){ reports{ attachments{ fileName } } } }",
            json!({"t": w.t1}),
        )
        .await;
    assert_eq!(
        listed["task"]["reports"][0]["attachments"][1]["fileName"],
        "photo.pdf"
    );

    // Every reader of the task downloads it; others are refused with a code and a status.
    let path = atts[0]["downloadPath"].as_str().unwrap().to_owned();
    for token in [&w.office, &w.leader, &w.lead_staff, &w.part_staff] {
        let resp = get(&app, &path, Some(token)).await;
        assert_eq!(resp.status(), 200);
        let h = resp.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(
            h["content-disposition"],
            "attachment; filename=\"____ _1_.pdf\"; filename*=UTF-8''\
             %E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81%20%E7%AC%AC1%E6%AC%A1.pdf"
        );
        assert_eq!(&resp.bytes().await.unwrap()[..], PDF);
    }
    let other = get(&app, &path, Some(&w.other_staff)).await;
    assert_eq!(other.status(), 403);
    let body: Value = other.json().await.unwrap();
    assert_eq!(code(&body), "FORBIDDEN");
    let anonymous = get(&app, &path, None).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(
        get(&app, "/files/999999", Some(&w.office)).await.status(),
        404
    );
    assert_eq!(get(&app, "/files/abc", Some(&w.office)).await.status(), 400);
    // An agency not on the task sees no attachments in the API either.
    let hidden = app
        .gql(
            Some(&w.other_staff),
            "query($t:ID!){ task(id:$t){ reports{ attachments{ id } } completionRequests{ id } } }",
            json!({"t": w.t1}),
        )
        .await;
    if let Some(reports) = hidden["data"]["task"]["reports"].as_array() {
        for p in reports {
            assert_eq!(p["attachments"], json!([]));
        }
    }

    // A completion request (申请办结) with its evidence, in one multipart request.
    let version = app
        .ok(
            &w.office,
            "query($t:ID!){ task(id:$t){ version } }",
            json!({"t": w.t1}),
        )
        .await["task"]["version"]
        .clone();
    let csv = "指标,数值\n煤炭消费量,120\n".as_bytes();
    let done = upload(
        &app,
        &w.lead_staff,
        "mutation($t:ID!,$v:Int!,$f:[Upload!]){ requestCompletion(id:$t, version:$v, \
         note:\"请销号\", files:$f){ status completionRequests{ id note requestedBy \
         attachments{ fileName mediaType downloadPath } } } }",
        json!({"t": w.t1, "v": version, "f": [null]}),
        &[File {
            var: "f.0",
            name: "台账.csv",
            claimed: "application/pdf",
            bytes: csv,
        }],
    )
    .await;
    assert!(done.get("errors").is_none(), "{done}");
    let req = &done["data"]["requestCompletion"]["completionRequests"][0];
    assert_eq!(req["note"], "请销号");
    assert_eq!(req["requestedBy"], "lead");
    assert_eq!(req["attachments"][0]["fileName"], "台账.csv");
    assert_eq!(req["attachments"][0]["mediaType"], "text/csv");
    let csv_path = req["attachments"][0]["downloadPath"].as_str().unwrap();
    let resp = get(&app, csv_path, Some(&w.leader)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(&resp.bytes().await.unwrap()[..], csv);
    assert_eq!(
        get(&app, csv_path, Some(&w.other_staff)).await.status(),
        403
    );
    // Only a lead agency may add evidence to the completion request afterwards.
    let refused = upload(
        &app,
        &w.part_staff,
        "mutation($id:ID!,$f:[Upload!]!){ attachEvidence(kind:COMPLETION_REQUEST, id:$id, files:$f){ id } }",
        json!({"id": req["id"], "f": [null]}),
        &[File {
            var: "f.0",
            name: "x.pdf",
            claimed: "application/pdf",
            bytes: b"%PDF-1.4 other",
        }],
    )
    .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(count_rows(&app, "attachment").await, 3);
    assert_eq!(
        objects(&app).await.len(),
        3,
        "the refused file was not stored"
    );
}

#[tokio::test]
async fn a_refused_type_or_an_oversized_file_stores_nothing() {
    let limits = duban::config::Limits {
        attachments: duban::config::AttachmentLimits {
            file_bytes: 1024,
            item_bytes: 1500,
            item_files: 2,
        },
        ..Default::default()
    };
    let app = TestApp::spawn_with_limits(limits).await;
    let w = seed_world(&app).await;
    let exe = report_with(
        &app,
        &w.lead_staff,
        &w.t1,
        &[
            file("ok.pdf", "application/pdf", PDF),
            file("report.pdf", "application/pdf", EXE),
        ],
    )
    .await;
    assert_eq!(code(&exe), "UNSUPPORTED_MEDIA_TYPE", "{exe}");
    let big = vec![b'a'; 1025];
    let oversized = report_with(
        &app,
        &w.lead_staff,
        &w.t1,
        &[file("a.txt", "text/plain", &big)],
    )
    .await;
    assert_eq!(code(&oversized), "LIMIT_EXCEEDED", "{oversized}");
    let chunk = vec![b'b'; 800];
    let item = report_with(
        &app,
        &w.lead_staff,
        &w.t1,
        &[
            file("a.txt", "text/plain", &chunk),
            file("b.txt", "text/plain", &chunk),
        ],
    )
    .await;
    assert_eq!(
        code(&item),
        "LIMIT_EXCEEDED",
        "over the item's total: {item}"
    );
    // Nothing of any of them: no report, no row, no object.
    assert_eq!(count_rows(&app, "progress_report").await, 0);
    assert_eq!(count_rows(&app, "attachment").await, 0);
    assert!(objects(&app).await.is_empty());

    // The per-item file count holds across requests too.
    let ok = report_with(
        &app,
        &w.lead_staff,
        &w.t1,
        &[
            file("a.pdf", "application/pdf", PDF),
            file("b.png", "image/png", PNG),
        ],
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let report = ok["data"]["submitProgressReport"]["id"].clone();
    let third = upload(
        &app,
        &w.lead_staff,
        "mutation($id:ID!,$f:[Upload!]!){ attachEvidence(kind:PROGRESS_REPORT, id:$id, files:$f){ id } }",
        json!({"id": report, "f": [null]}),
        &[File {
            var: "f.0",
            name: "c.txt",
            claimed: "text/plain",
            bytes: b"third",
        }],
    )
    .await;
    assert_eq!(code(&third), "LIMIT_EXCEEDED", "{third}");
    assert_eq!(count_rows(&app, "attachment").await, 2);
}

#[tokio::test]
async fn the_same_bytes_are_stored_once() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    for name in ["第一次.pdf", "第二次.pdf"] {
        let r = report_with(
            &app,
            &w.lead_staff,
            &w.t1,
            &[file(name, "application/pdf", PDF)],
        )
        .await;
        assert!(r.get("errors").is_none(), "{r}");
    }
    // The participant reports the same file on its own.
    let r = report_with(
        &app,
        &w.part_staff,
        &w.t1,
        &[file("p.pdf", "application/pdf", PDF)],
    )
    .await;
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(count_rows(&app, "attachment").await, 3);
    let keys = objects(&app).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].ends_with(&sha256_hex(PDF)));
}

#[tokio::test]
async fn deleting_evidence_is_the_offices_audited_act_and_orphans_are_swept() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = report_with(
            &app,
            &w.lead_staff,
            &w.t1,
            &[file("a.pdf", "application/pdf", PDF)],
        )
        .await;
        ids.push(r["data"]["submitProgressReport"]["attachments"][0]["id"].clone());
    }
    const DELETE: &str =
        "mutation($id:ID!,$r:String!){ deleteAttachment(id:$id, reason:$r){ id fileName } }";
    for token in [&w.lead_staff, &w.leader] {
        let v = app
            .gql(Some(token), DELETE, json!({"id": ids[0], "r": "错传"}))
            .await;
        assert_eq!(code(&v), "FORBIDDEN");
    }
    let no_reason = app
        .gql(Some(&w.office), DELETE, json!({"id": ids[0], "r": " "}))
        .await;
    assert_eq!(code(&no_reason), "INVALID_INPUT");
    app.ok(&w.office, DELETE, json!({"id": ids[0], "r": "错传的文件"}))
        .await;
    assert_eq!(count_rows(&app, "attachment").await, 1);
    let audit = app
        .ok(
            &w.office,
            "query($id:ID!){ auditEvents(entity:\"attachment\", entityId:$id){ action actorName before after } }",
            json!({"id": ids[0]}),
        )
        .await;
    let events = audit["auditEvents"].as_array().unwrap();
    assert_eq!(events[0]["action"], "attachment.delete");
    assert_eq!(events[0]["actorName"], "office");
    assert!(events[0]["after"].as_str().unwrap().contains("错传的文件"));
    assert!(events[0]["before"].as_str().unwrap().contains("a.pdf"));
    assert_eq!(events[1]["action"], "attachment.create");
    let path = format!("/files/{}", ids[0].as_str().unwrap());
    assert_eq!(get(&app, &path, Some(&w.office)).await.status(), 404);

    // The object is still referenced by the other attachment: the sweep keeps it.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let storage = &app.state.config.storage;
    let swept = duban::services::attachments::sweep_orphans(app.db(), storage, later)
        .await
        .unwrap();
    assert_eq!((swept.objects, swept.deleted), (1, 0));
    app.ok(&w.office, DELETE, json!({"id": ids[1], "r": "重复"}))
        .await;
    // Unreferenced now, but younger than an hour at the wall clock: kept.
    let now = chrono::Utc::now();
    let swept = duban::services::attachments::sweep_orphans(app.db(), storage, now)
        .await
        .unwrap();
    assert_eq!(swept.deleted, 0);
    let swept = duban::services::attachments::sweep_orphans(app.db(), storage, later)
        .await
        .unwrap();
    assert_eq!(swept.deleted, 1);
    assert!(objects(&app).await.is_empty());
}

/// A write that fails after its files were stored leaves no row; the object it left is an
/// orphan the sweep deletes.
#[tokio::test]
async fn a_failed_write_leaves_only_an_orphan_for_the_sweep() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let bad = upload(
        &app,
        &w.lead_staff,
        "mutation($t:ID!,$f:[Upload!]){ submitProgressReport(input:{taskId:$t, period:\"2025-Q2\", \
         text:\"x\", percent:150, files:$f}){ id } }",
        json!({"t": w.t1, "f": [null]}),
        &[File {
            var: "f.0",
            name: "a.pdf",
            claimed: "application/pdf",
            bytes: PDF,
        }],
    )
    .await;
    assert_eq!(code(&bad), "INVALID_INPUT", "{bad}");
    assert_eq!(count_rows(&app, "attachment").await, 0);
    assert_eq!(count_rows(&app, "progress_report").await, 0);
    assert_eq!(
        objects(&app).await.len(),
        1,
        "the staged object is left behind"
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let swept =
        duban::services::attachments::sweep_orphans(app.db(), &app.state.config.storage, later)
            .await
            .unwrap();
    assert_eq!((swept.objects, swept.deleted), (1, 1));
    assert!(objects(&app).await.is_empty());
}

/// Files sent with a one-shot mutation by someone who may not make it are refused before
/// anything reaches the store (not left for the orphan sweep).
#[tokio::test]
async fn evidence_from_someone_who_may_not_send_it_is_never_stored() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let pdf = [file("a.pdf", "application/pdf", PDF)];
    let outsider = report_with(&app, &w.other_staff, &w.t1, &pdf).await;
    assert_eq!(code(&outsider), "FORBIDDEN", "{outsider}");
    let leader = report_with(&app, &w.leader, &w.t1, &pdf).await;
    assert_eq!(code(&leader), "FORBIDDEN", "{leader}");
    // Only a lead agency may ask to close a task: a participant's files are refused too.
    let version = app
        .ok(
            &w.office,
            "query($t:ID!){ task(id:$t){ version } }",
            json!({"t": w.t1}),
        )
        .await["task"]["version"]
        .as_i64()
        .unwrap();
    let part = upload(
        &app,
        &w.part_staff,
        "mutation($t:ID!,$v:Int!,$f:[Upload!]){ requestCompletion(id:$t, version:$v, files:$f){ status } }",
        json!({"t": w.t1, "v": version, "f": [null]}),
        &[File {
            var: "f.0",
            ..pdf[0]
        }],
    )
    .await;
    assert_eq!(code(&part), "FORBIDDEN", "{part}");
    assert!(objects(&app).await.is_empty(), "nothing was stored");
    assert_eq!(count_rows(&app, "attachment").await, 0);
    assert_eq!(count_rows(&app, "progress_report").await, 0);
}

#[tokio::test]
async fn an_extension_request_takes_evidence_from_its_agency_only() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let r = upload(
        &app,
        &w.lead_staff,
        "mutation($t:ID!,$f:[Upload!]){ requestExtension(taskId:$t, deadline:\"2026-06\", \
         reason:\"资金未到位\", files:$f){ id attachments{ fileName mediaType } } }",
        json!({"t": w.t1, "f": [null]}),
        &[File {
            var: "f.0",
            name: "函.png",
            claimed: "image/jpeg",
            bytes: PNG,
        }],
    )
    .await;
    assert!(r.get("errors").is_none(), "{r}");
    let ext = &r["data"]["requestExtension"];
    assert_eq!(ext["attachments"][0]["mediaType"], "image/png");
    let add = "mutation($id:ID!,$f:[Upload!]!){ attachEvidence(kind:EXTENSION_REQUEST, id:$id, files:$f){ fileName } }";
    let more = |token: &str| {
        let token = token.to_owned();
        let id = ext["id"].clone();
        let app = &app;
        async move {
            upload(
                app,
                &token,
                add,
                json!({"id": id, "f": [null]}),
                &[File {
                    var: "f.0",
                    name: "补充.txt",
                    claimed: "text/plain",
                    bytes: "补充说明".as_bytes(),
                }],
            )
            .await
        }
    };
    assert_eq!(code(&more(&w.part_staff).await), "FORBIDDEN");
    assert_eq!(code(&more(&w.office).await), "FORBIDDEN");
    let ok = more(&w.lead_staff).await;
    assert_eq!(
        ok["data"]["attachEvidence"][0]["fileName"], "补充.txt",
        "{ok}"
    );
    assert_eq!(objects(&app).await.len(), 2);
    // Every attachment was audited.
    let creates = app
        .ok(
            &w.office,
            "query{ a:auditEvents(entity:\"attachment\", entityId:\"1\"){ action } b:auditEvents(entity:\"attachment\", entityId:\"2\"){ action } }",
            json!({}),
        )
        .await;
    assert_eq!(creates["a"][0]["action"], "attachment.create");
    assert_eq!(creates["b"][0]["action"], "attachment.create");
}

/// The store itself, on whatever backs the tests (local files, or S3 under moto): a file over
/// the part size goes up in parts and reads back whole, the same bytes are kept once, and
/// nothing is listed in another area.
#[tokio::test]
async fn the_store_round_trips_large_files_in_parts() {
    use futures_util::StreamExt;
    let app = TestApp::spawn().await;
    let storage = &app.state.config.storage;
    let data: Vec<u8> = (0..(11 * 1024 * 1024 + 7))
        .map(|i| (i % 253) as u8)
        .collect();
    let mut f = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut f, &data).unwrap();
    let stored = storage.put_file(Area::Documents, f).await.unwrap();
    assert!(stored.written);
    assert_eq!(stored.sha256, sha256_hex(&data));
    assert!(storage.exists(&stored.key).await.unwrap());
    let again = storage
        .put(Area::Documents, bytes::Bytes::from(data.clone()))
        .await
        .unwrap();
    assert_eq!(
        (again.key.as_str(), again.written),
        (stored.key.as_str(), false)
    );
    let mut back = Vec::with_capacity(data.len());
    let mut stream = storage.get(&stored.key).await.unwrap();
    while let Some(chunk) = stream.next().await {
        back.extend_from_slice(&chunk.unwrap());
    }
    assert!(back == data, "read back {} bytes", back.len());
    assert_eq!(storage.list(Area::Documents).await.unwrap().len(), 1);
    assert!(storage.list(Area::Evidence).await.unwrap().is_empty());
    storage.delete(&stored.key).await.unwrap();
    assert!(!storage.exists(&stored.key).await.unwrap());
}
