//! Resource limits: crafted .xlsx / .docx files and oversized plans are
//! refused with a clear error code, never by exhausting memory.

mod common;

use common::{docx, para, registry, xlsx_with_sheet_xml};
use duban_import::{MAX_TASKS, MAX_ZIP_MEMBER_BYTES, parse_bytes};

/// A sheet with two cells, A1 and XFD1048576: its cells span the whole
/// 1 048 576 × 16 384 grid. Materialising that range aborted the process
/// (512 GB); it must be refused as too large.
#[test]
fn sheet_spanning_the_whole_grid_is_too_large() {
    let sheet = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#;
    let bytes = xlsx_with_sheet_xml(sheet.to_string());
    assert!(
        bytes.len() < 4096,
        "the crafted file is small: {}",
        bytes.len()
    );
    let err = parse_bytes(&bytes, &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
}

/// A declared dimension alone (`A1:XFD1048576`) costs nothing: a small sheet
/// that declares the whole grid is read normally.
#[test]
fn declared_dimension_is_not_materialised() {
    let sheet = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c><c r="B1" t="inlineStr"><is><t>工作任务</t></is></c><c r="C1" t="inlineStr"><is><t>牵头单位</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></c><c r="B2" t="inlineStr"><is><t>推进垃圾分类</t></is></c><c r="C2" t="inlineStr"><is><t>威海市城市管理局</t></is></c></row></sheetData></worksheet>"#;
    let plan = parse_bytes(&xlsx_with_sheet_xml(sheet.to_string()), &registry()).unwrap();
    assert!(plan.tasks.iter().any(|t| t.title.contains("推进垃圾分类")));
}

/// A .docx whose document.xml decompresses beyond the member cap is too
/// large (it was reported as an empty document when cut at the cap).
#[test]
fn docx_decompressing_beyond_the_cap_is_too_large() {
    let p = para("一、重点任务（市发展改革委负责）");
    let n = (MAX_ZIP_MEMBER_BYTES as usize * 3) / p.len() + 1;
    let bytes = docx(&p.repeat(n));
    assert!(bytes.len() < duban_import::MAX_INPUT_BYTES);
    let err = parse_bytes(&bytes, &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
}

/// A small .docx that expands under the member cap into thousands of tasks
/// is refused by the task cap (a 225 KB .docx once gave 611 667 tasks).
#[test]
fn too_many_tasks_are_refused() {
    const CN: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    let mut body = para("某市测试实施方案");
    let mut n = 0;
    for ch in CN.iter().take(6) {
        body.push_str(&para(&format!("{ch}、重点任务")));
        for sec in CN {
            body.push_str(&para(&format!("（{sec}）推进重点工作")));
            for i in 1..=99 {
                n += 1;
                body.push_str(&para(&format!("{i}.推进第{n}项工作。（市发展改革委负责）")));
            }
        }
    }
    assert!(n > MAX_TASKS);
    match parse_bytes(&docx(&body), &registry()) {
        Err(e) => assert_eq!(e.code(), "TOO_MANY_TASKS", "{e}"),
        Ok(p) => panic!("parsed {} tasks", p.tasks.len()),
    }
}
