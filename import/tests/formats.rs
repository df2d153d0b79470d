//! End-to-end parsing of each input format: text (UTF-8 / GBK), .docx, .xlsx
//! and CSV, with the error codes of unsupported or broken input.

mod common;

use common::{docx, para, registry, table, xlsx};
use duban_import::{Precision, Registry, TaskKind, parse_bytes, parse_text};

const PLAN: &str = "威海市测试实施方案\n一、重点任务\n(一)强化分区管控。到2025年完成。(市生态环境局牵头,市发展改革委、市财政局按职责分工负责)\n(二)加强协同管理。持续推进。(市发展和改革局、市住房城乡建设局按职责分工负责,各区市负责落实)\n";

#[test]
fn utf8_and_gbk_give_the_same_plan() {
    let reg = registry();
    let utf8 = parse_bytes(PLAN.as_bytes(), &reg).unwrap();
    let (gbk, _, _) = encoding_rs::GB18030.encode(PLAN);
    let from_gbk = parse_bytes(&gbk, &reg).unwrap();
    assert_eq!(utf8, from_gbk);
    assert_eq!(utf8.region.as_deref(), Some("威海市"));
    let t = &utf8.tasks[1];
    assert_eq!(t.code, "一(一)");
    assert_eq!(t.leads[0].name, "威海市生态环境局");
    assert_eq!(t.participants.len(), 2);
    assert_eq!(t.deadline.unwrap().precision, Precision::Year);
    let t2 = &utf8.tasks[2];
    assert!(t2.ongoing);
    let names: Vec<_> = t2.leads.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["威海市发展和改革委员会", "威海市住房和城乡建设局"]);
    assert_eq!(t2.implementers[0].name, "各区市");
    assert_eq!(t2.groups, ["各区市"]);
}

#[test]
fn same_document_same_fingerprint() {
    let reg = Registry::empty();
    let a = parse_text(PLAN, &reg);
    let b = parse_text(&PLAN.replace('\n', "\r\n").replace(',', "，"), &reg);
    assert_eq!(a.fingerprint, b.fingerprint);
    let c = parse_text(&PLAN.replace("财政局", "统计局"), &reg);
    assert_ne!(a.fingerprint, c.fingerprint);
}

#[test]
fn docx_paragraphs_and_task_table() {
    let body = format!(
        "{}{}{}{}",
        para("济宁市测试工作方案"),
        para("一、重点任务"),
        para(
            "(一)推进煤炭消费替代。到2025年完成。(市能源局、市住房城乡建设局按职责分工负责,各县市区政府、管委会负责落实)"
        ),
        table(&[
            &["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
            &[
                "1",
                "建设储能示范项目。",
                "市发展改革委",
                "国网济宁供电公司、市能源局",
                "2026年12月"
            ],
            &["2", "推广新能源汽车。", "市交通运输局", "", "持续推进"],
        ])
    );
    let plan = parse_bytes(&docx(&body), &registry()).unwrap();
    assert_eq!(plan.title, "济宁市测试工作方案");
    let t = plan.tasks.iter().find(|t| t.code == "一(一)").unwrap();
    assert_eq!(t.leads.len(), 2);
    assert_eq!(t.implementers.len(), 2);
    let r1 = plan.tasks.iter().find(|t| t.code == "1").unwrap();
    assert_eq!(r1.leads[0].name, "济宁市发展和改革委员会");
    assert_eq!(r1.participants[0].name, "国网山东省电力公司济宁供电公司");
    assert_eq!(r1.deadline.unwrap().date.to_string(), "2026-12-31");
    assert_eq!(r1.deadline.unwrap().precision, Precision::Month);
    let r2 = plan.tasks.iter().find(|t| t.code == "2").unwrap();
    assert!(r2.ongoing);
    assert!(r2.deadline.is_none());
    // The table's header row is its header, as in a CSV sheet.
    assert!(
        plan.context
            .iter()
            .any(|c| c.kind == "table_header" && c.text.starts_with("序号 工作任务")),
        "{:?}",
        plan.context
    );
    assert!(
        !plan
            .context
            .iter()
            .any(|c| c.text.contains("牵头单位") && c.kind == "unread"),
        "{:?}",
        plan.context
    );
}

#[test]
fn xlsx_task_sheet() {
    let bytes = xlsx(&[
        &["聊城市任务分解表"],
        &["序号", "重点任务", "责任单位", "协办单位", "时间节点"],
        &[
            "1",
            "推进工业领域协同增效。",
            "市工业和信息化局",
            "市发展改革委、市生态环境局",
            "2025年底前",
        ],
        &[
            "2",
            "推进交通运输协同增效。",
            "市交通运输局牵头,国铁济南局聊城车务段配合",
            "",
            "2024-06-30",
        ],
        &["3", "建设示范项目。", "市未知局", "", ""],
    ]);
    let plan = parse_bytes(&bytes, &registry()).unwrap();
    assert_eq!(plan.title, "聊城市任务分解表");
    assert_eq!(plan.region.as_deref(), Some("聊城市"));
    let rows: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Task)
        .collect();
    assert_eq!(rows.len(), 3);
    // Codes are the 序号 as written; the header row is the table's header
    // and the title row the plan's title: nothing is unread.
    let codes: Vec<&str> = rows.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, ["1", "2", "3"]);
    assert!(
        !plan.warnings.iter().any(|w| w.code == "TEXT_UNREAD"),
        "{:?}",
        plan.context
    );
    assert!(
        plan.context
            .iter()
            .any(|c| c.kind == "table_header" && c.text.starts_with("序号 重点任务")),
        "{:?}",
        plan.context
    );
    assert_eq!(rows[0].leads[0].name, "聊城市工业和信息化局");
    assert_eq!(rows[0].participants.len(), 2);
    assert_eq!(
        rows[1].participants[0].name,
        "中国铁路济南局集团有限公司聊城车务段"
    );
    assert_eq!(rows[1].deadline.unwrap().precision, Precision::Day);
    assert!(!rows[2].leads[0].confirmed);
    assert_eq!(rows[2].leads[0].name, "聊城市未知局");
    assert!(
        plan.unconfirmed_agencies
            .contains(&"聊城市未知局".to_string())
    );
    assert!(plan.warnings.iter().any(|w| w.code == "UNKNOWN_AGENCY"));
    assert!(plan.warnings.iter().any(|w| w.code == "NO_DEADLINE"));
}

#[test]
fn csv_task_sheet() {
    let csv = "序号,工作任务,牵头单位,配合单位,完成时限\n1,推进煤炭替代,市发展改革委,\"市能源局、市生态环境局\",2025年\n";
    let plan = parse_bytes(csv.as_bytes(), &Registry::empty()).unwrap();
    let t = plan.tasks.iter().find(|t| t.code == "1").unwrap();
    assert_eq!(t.leads[0].raw, "市发展改革委");
    assert_eq!(t.participants.len(), 2);
}

#[test]
fn error_codes() {
    let reg = Registry::empty();
    let code = |b: &[u8]| parse_bytes(b, &reg).map(|_| ()).unwrap_err().code();
    assert_eq!(code(b""), "EMPTY_DOCUMENT");
    assert_eq!(code(b"  \n\t "), "EMPTY_DOCUMENT");
    assert_eq!(code(b"%PDF-1.4 ..."), "UNSUPPORTED_FORMAT");
    // A compound file (.doc) cut short after its signature.
    assert_eq!(
        code(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
        "BROKEN_DOCUMENT"
    );
    assert_eq!(code(b"PK\x03\x04 not really a zip"), "BROKEN_DOCUMENT");
    assert_eq!(code("只是一句话,没有任务。".as_bytes()), "NO_TASKS");
    assert_eq!(
        code(&[0x81, 0x20, 0xFF, 0xFE, 0x80, 0x81, 0x82, 0x83]),
        "UNSUPPORTED_ENCODING"
    );
    let big = vec![b'a'; duban_import::MAX_INPUT_BYTES + 1];
    assert_eq!(code(&big), "TOO_LARGE");
}

#[test]
fn cli_json_shape() {
    let plan = parse_text(PLAN, &registry());
    let v = plan.to_cli_json();
    assert!(v["title"].is_string());
    assert!(v["document_number"].is_null());
    assert!(v["default_deadline"].is_null());
    let t = &v["tasks"][1];
    assert_eq!(t["code"], "一(一)");
    assert_eq!(t["kind"], "task");
    assert_eq!(t["leads"][0], "威海市生态环境局");
    assert_eq!(t["deadline"], "2025-12-31");
    assert_eq!(t["precision"], "year");
    assert_eq!(t["ongoing"], false);
    assert!(t["groups"].is_array());
    assert_eq!(v["tasks"][0]["kind"], "heading");
    assert!(v["warnings"].is_array());
    assert!(v["targets"].is_array());
}
