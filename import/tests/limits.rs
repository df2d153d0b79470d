//! Resource limits: crafted .xlsx / .docx files and oversized plans are
//! refused with a clear error code, never by exhausting memory.

mod common;

use common::{docx, para, registry, xlsx, xlsx_with_sheet_xml};
use duban_import::{
    MAX_INPUT_BYTES, MAX_INPUT_LINES, MAX_SHEET_CELLS, MAX_TASKS, MAX_ZIP_MEMBER_BYTES, parse_bytes,
};

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

/// A 9 MB CSV of 1.5 M one-cell rows (it took 2 minutes and 3.8 GB in debug
/// before the task cap refused it) is refused by its line count.
#[test]
fn csv_of_millions_of_rows_is_too_large() {
    let mut csv = "序号,工作任务,牵头单位\n".to_string();
    csv.push_str(&"1,a,b\n".repeat(1_500_000));
    assert!(csv.len() < MAX_INPUT_BYTES);
    let err = parse_bytes(csv.as_bytes(), &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
}

/// 9 M blank lines under a header row (18 s and 600 MB before).
#[test]
fn millions_of_blank_lines_are_too_large() {
    let text = format!("序号,工作任务,牵头单位\n{}", "\n".repeat(9_000_000));
    let err = parse_bytes(text.as_bytes(), &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
    // CR-only line ends count the same.
    let text = format!("序号,工作任务,牵头单位\r{}", "\r".repeat(9_000_000));
    let err = parse_bytes(text.as_bytes(), &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
}

/// 9 M commas on one line (12 s and 550 MB before): more cells than a sheet
/// may hold; tabs alike.
#[test]
fn millions_of_delimiters_on_one_line_are_too_large() {
    for d in [",", "\t"] {
        // (a text of tabs alone is blank: EMPTY_DOCUMENT)
        let text = format!("序号{}", d.repeat(9_000_000));
        let err = parse_bytes(text.as_bytes(), &registry()).unwrap_err();
        assert_eq!(err.code(), "TOO_LARGE", "{err}");
    }
}

/// Just under the line bound and over the cell cap in all: the CSV reader
/// itself stops at the cap.
#[test]
fn csv_grid_is_capped_at_the_sheet_cell_limit() {
    let row = format!("{}\n", ",".repeat(19));
    let rows = (MAX_SHEET_CELLS as usize / 20) + 10;
    let text = format!("序号,工作任务,牵头单位\n{}", row.repeat(rows));
    let err = duban_import::sheet::parse_csv_capped(&text, MAX_SHEET_CELLS).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
    assert!(duban_import::sheet::parse_csv(&text).is_none());
    let small = "序号,工作任务,牵头单位\n1,推进垃圾分类,威海市城市管理局\n";
    assert_eq!(
        duban_import::sheet::parse_csv_capped(small, 6)
            .unwrap()
            .unwrap()
            .len(),
        2
    );
    assert!(duban_import::sheet::parse_csv_capped(small, 5).is_err());
}

/// A UTF-16 text is counted by code unit: 上 (U+4E0A) holds the byte 0x0A
/// and is no line break, so a long UTF-16 plan is not refused for it.
#[test]
fn utf16_lines_are_counted_by_code_unit() {
    let mut bytes = vec![0xFF, 0xFE];
    let line = format!("{}。（威海市发展和改革委员会负责）\n", "上".repeat(20));
    let text = format!("威海市测试实施方案\n一、重点任务\n1.{line}");
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let filler: String = "上".repeat(MAX_INPUT_LINES + 10);
    for u in format!("（{filler}）\n").encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let shape = duban_import::bounds::text_shape(&bytes);
    assert!(shape.lines < 10, "{shape:?}");
}

/// A CSV of more rows than the task cap allows is refused before its list is
/// read (reading grows faster than the rows: 10 000 rows took 20 s).
#[test]
fn csv_of_more_rows_than_tasks_is_refused_before_reading() {
    let mut csv = "序号,工作任务,牵头单位\n".to_string();
    csv.push_str(&"1,a,b\n".repeat(MAX_TASKS * 4));
    let err = parse_bytes(csv.as_bytes(), &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_MANY_TASKS", "{err}");
}

/// A .docx of many tiny paragraphs within the zip bounds is refused by the
/// same line bound as text.
#[test]
fn docx_of_many_tiny_paragraphs_is_too_large() {
    let p = para("1");
    let n = MAX_INPUT_LINES + 10;
    assert!(p.len() * n < MAX_ZIP_MEMBER_BYTES as usize);
    let bytes = docx(&p.repeat(n));
    let err = parse_bytes(&bytes, &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE", "{err}");
}

/// An .xlsx of many tiny rows within the cell cap is refused before its list
/// is read, like a CSV.
#[test]
fn xlsx_of_more_rows_than_tasks_is_refused_before_reading() {
    let mut rows: Vec<&[&str]> = vec![&["序号", "工作任务", "牵头单位"]];
    let row: &[&str] = &["1", "a", "b"];
    rows.extend(std::iter::repeat_n(row, MAX_TASKS * 2));
    let err = parse_bytes(&xlsx(&rows), &registry()).unwrap_err();
    assert_eq!(err.code(), "TOO_MANY_TASKS", "{err}");
}
