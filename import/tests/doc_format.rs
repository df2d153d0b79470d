//! Word 97–2003 .doc: the fixtures in `tests/fixtures/doc/` were converted
//! once by LibreOffice from one HTML source each (`*.html` → `.docx` →
//! `.doc`), so a .doc must give the same blocks and the same plan as its
//! .docx twin. Broken, crafted and foreign compound files are refused with
//! stable codes, never a panic. Crafted files are built in the test by
//! patching the streams of a real fixture.

mod common;

use std::io::{Cursor, Read, Write};

use common::registry;
use duban_import::{ImportError, Precision, TaskKind, parse_bytes};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/doc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const PLAN: &str = "weihai_jiaoyu_shishi_fangan";
const SHEET: &str = "weihai_jiaoyu_renwu_fengongbiao";
/// A task table with a section row spanning all columns and a 牵头单位 cell
/// merged over two rows.
const MERGED: &str = "weihai_jiaoyu_hebing_fengongbiao";

fn code(bytes: &[u8]) -> (&'static str, String) {
    match parse_bytes(bytes, &registry()) {
        Ok(_) => ("OK", String::new()),
        Err(e) => (e.code(), e.to_string()),
    }
}

#[test]
fn doc_gives_the_blocks_and_plan_of_its_docx_twin() {
    let reg = registry();
    for stem in [PLAN, SHEET, MERGED] {
        let doc = fixture(&format!("{stem}.doc"));
        let docx = fixture(&format!("{stem}.docx"));
        assert!(doc.starts_with(&duban_import::doc::CFB_MAGIC), "{stem}");
        assert_eq!(
            duban_import::doc::read_doc(&doc).unwrap(),
            duban_import::docx::read_docx(&docx).unwrap(),
            "{stem}: blocks"
        );
        let from_doc = parse_bytes(&doc, &reg).unwrap();
        let from_docx = parse_bytes(&docx, &reg).unwrap();
        assert_eq!(from_doc.to_cli_json(), from_docx.to_cli_json(), "{stem}");
        assert_eq!(from_doc, from_docx, "{stem}");
    }
}

#[test]
fn doc_plan_tasks_roles_and_deadlines() {
    let plan = parse_bytes(&fixture(&format!("{PLAN}.doc")), &registry()).unwrap();
    assert_eq!(plan.title, "威海市义务教育优质均衡发展实施方案");
    assert_eq!(plan.region.as_deref(), Some("威海市"));
    let tasks: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Task)
        .collect();
    assert_eq!(tasks.len(), 3);
    let names = |v: &[duban_import::AgencyRef]| -> Vec<String> {
        v.iter().map(|a| a.name.clone()).collect()
    };
    let t = tasks[0];
    assert_eq!(t.code, "二(一)");
    assert_eq!(names(&t.leads), ["威海市教育局"]);
    assert_eq!(t.participants.len(), 3);
    let d = t.deadline.unwrap();
    assert_eq!(
        (d.date.to_string(), d.precision),
        ("2024-12-31".into(), Precision::Month)
    );
    let t = tasks[1];
    assert!(t.ongoing);
    assert_eq!(t.leads.len(), 2);
    assert_eq!(names(&t.implementers), ["各区市政府"]);
    assert_eq!(tasks[2].deadline.unwrap().date.to_string(), "2025-06-30");
}

#[test]
fn doc_task_table_with_a_two_paragraph_cell_and_an_empty_cell() {
    let blocks = duban_import::doc::read_doc(&fixture(&format!("{SHEET}.doc"))).unwrap();
    let grid = blocks
        .iter()
        .find_map(|b| match b {
            duban_import::docx::Block::Grid(g) => Some(g),
            _ => None,
        })
        .expect("a table");
    assert_eq!(
        grid[0],
        ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
    );
    assert_eq!(
        grid[1][1],
        "实施乡村学校办学条件改善工程。\n改造薄弱学校校舍5万平方米。"
    );
    assert_eq!(
        grid[2],
        [
            "2",
            "建设乡村教师周转宿舍。",
            "市住房城乡建设局",
            "",
            "2025年6月底前"
        ]
    );
    assert_eq!(grid.len(), 4);

    let plan = parse_bytes(&fixture(&format!("{SHEET}.doc")), &registry()).unwrap();
    let tasks: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Task)
        .collect();
    assert_eq!(tasks.len(), 3);
    // The title line above the table is not read as the plan's title (as
    // from the .docx twin), so names stay as written.
    assert_eq!(tasks[0].leads[0].raw, "市教育局");
    assert_eq!(tasks[0].participants.len(), 2);
    assert_eq!(tasks[0].deadline.unwrap().date.to_string(), "2024-12-31");
    assert!(tasks[1].participants.is_empty());
    assert_eq!(tasks[1].deadline.unwrap().date.to_string(), "2025-06-30");
    assert!(tasks[2].ongoing);
}

#[test]
fn doc_merged_cells_are_laid_out_as_in_docx() {
    let blocks = duban_import::doc::read_doc(&fixture(&format!("{MERGED}.doc"))).unwrap();
    let Some(duban_import::docx::Block::Grid(grid)) = blocks.get(1) else {
        panic!("{blocks:?}")
    };
    assert_eq!(grid[1], ["一、基础设施", "", "", "", ""]);
    assert_eq!(grid[3][2], "市教育局");
    let plan = parse_bytes(&fixture(&format!("{MERGED}.doc")), &registry()).unwrap();
    let leads: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Task)
        .map(|t| t.leads.iter().map(|a| a.raw.clone()).collect::<Vec<_>>())
        .collect();
    assert_eq!(leads, [["市教育局"], ["市教育局"]]);
}

/// The fixture holds a HYPERLINK field: its instruction is dropped, its
/// result (the link text) kept.
#[test]
fn field_instructions_do_not_reach_the_text() {
    let doc = fixture(&format!("{PLAN}.doc"));
    let utf16: Vec<u8> = "HYPERLINK"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let in_file =
        doc.windows(utf16.len()).any(|w| w == utf16) || doc.windows(9).any(|w| w == b"HYPERLINK");
    assert!(in_file, "the fixture should hold a field");
    let blocks = duban_import::doc::read_doc(&doc).unwrap();
    let text = format!("{blocks:?}");
    assert!(!text.contains("HYPERLINK"), "{text}");
    assert!(text.contains("政策解读详见市教育局网站。"), "{text}");
}

// ---- robustness ----

/// Every stream of a compound file, by path.
fn streams(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
    let paths: Vec<String> = cf
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    paths
        .into_iter()
        .map(|p| {
            let mut v = Vec::new();
            cf.open_stream(&p).unwrap().read_to_end(&mut v).unwrap();
            (p, v)
        })
        .collect()
}

/// A compound file of the given streams.
fn compound(streams: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for (path, data) in streams {
        let parent = std::path::Path::new(path).parent().unwrap();
        if parent != std::path::Path::new("/") && !cf.exists(parent) {
            cf.create_storage_all(parent).unwrap();
        }
        cf.create_stream(path).unwrap().write_all(data).unwrap();
    }
    cf.into_inner().into_inner()
}

/// The fixture with its WordDocument (and table) streams changed.
fn patched(f: impl Fn(&mut Vec<u8>, &mut Vec<u8>)) -> Vec<u8> {
    let mut s = streams(&fixture(&format!("{SHEET}.doc")));
    let wi = s.iter().position(|(p, _)| p == "/WordDocument").unwrap();
    let which = u16::from_le_bytes([s[wi].1[10], s[wi].1[11]]) & 0x0200 != 0;
    let table = if which { "/1Table" } else { "/0Table" };
    let ti = s.iter().position(|(p, _)| p == table).unwrap();
    let mut word = std::mem::take(&mut s[wi].1);
    let mut tbl = std::mem::take(&mut s[ti].1);
    f(&mut word, &mut tbl);
    s[wi].1 = word;
    s[ti].1 = tbl;
    compound(&s)
}

fn u16_at(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Byte offsets in the FIB of ccpText and of the fcClx/lcbClx pair.
fn fib_offsets(word: &[u8]) -> (usize, usize) {
    let lw_count = 34 + u16_at(word, 32) * 2;
    let lw = lw_count + 2;
    let fc = lw + u16_at(word, lw_count) * 4 + 2;
    (lw + 12, fc + 33 * 8)
}

#[test]
fn rebuilt_fixture_still_reads() {
    // The patching helper itself changes nothing.
    let doc = patched(|_, _| {});
    assert_eq!(code(&doc).0, "OK");
}

#[test]
fn a_truncated_doc_is_broken_not_a_panic() {
    let doc = fixture(&format!("{SHEET}.doc"));
    for cut in [9, 100, 511, 512, 1024, doc.len() / 2, doc.len() - 1] {
        let (c, msg) = code(&doc[..cut]);
        assert_eq!(c, "BROKEN_DOCUMENT", "cut at {cut}: {msg}");
    }
    assert_eq!(
        code(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).0,
        "BROKEN_DOCUMENT"
    );
}

#[test]
fn a_compound_file_without_word_document_is_unsupported() {
    let bytes = compound(&[("/Contents".into(), b"hello".to_vec())]);
    let (c, msg) = code(&bytes);
    assert_eq!(c, "UNSUPPORTED_FORMAT");
    assert!(msg.contains("not a Word document"), "{msg}");
    let ppt = compound(&[("/PowerPoint Document".into(), vec![0; 64])]);
    let (c, msg) = code(&ppt);
    assert_eq!(c, "UNSUPPORTED_FORMAT");
    assert!(msg.contains(".ppt"), "{msg}");
}

#[test]
fn an_xls_is_named_and_unsupported() {
    // Converted once by LibreOffice Calc from a CSV task sheet.
    let (c, msg) = code(&fixture("weihai_renwu_sheet.xls"));
    assert_eq!(c, "UNSUPPORTED_FORMAT");
    assert!(msg.contains(".xls"), "{msg}");
}

#[test]
fn a_piece_table_pointing_outside_the_stream_is_broken() {
    let doc = patched(|word, table| {
        let (_, clx_at) = fib_offsets(word);
        let fc_clx = u32_at(word, clx_at) as usize;
        // CLX: skip Prc entries (clxt 1) to the Pcdt (clxt 2).
        let mut i = fc_clx;
        while table[i] == 1 {
            i += 3 + u16_at(table, i + 1);
        }
        assert_eq!(table[i], 2);
        let lcb = u32_at(table, i + 1) as usize;
        let n = (lcb - 4) / 12;
        // The first piece descriptor's fc, uncompressed, past the stream.
        let fc_at = i + 5 + (n + 1) * 4 + 2;
        let far = (word.len() as u32 + 10) & 0x3FFF_FFFF;
        table[fc_at..fc_at + 4].copy_from_slice(&far.to_le_bytes());
    });
    let (c, msg) = code(&doc);
    assert_eq!(c, "BROKEN_DOCUMENT", "{msg}");
    assert!(msg.contains("outside"), "{msg}");
}

#[test]
fn a_clx_outside_the_table_stream_is_broken() {
    let doc = patched(|word, table| {
        let (_, clx_at) = fib_offsets(word);
        let far = table.len() as u32;
        word[clx_at..clx_at + 4].copy_from_slice(&far.to_le_bytes());
    });
    assert_eq!(code(&doc).0, "BROKEN_DOCUMENT");
}

#[test]
fn a_text_longer_than_the_stream_is_broken() {
    // Overlapping pieces could expand a small file; the count is refused.
    let doc = patched(|word, _| {
        let (ccp_at, _) = fib_offsets(word);
        word[ccp_at..ccp_at + 4].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    });
    let (c, msg) = code(&doc);
    assert_eq!(c, "BROKEN_DOCUMENT", "{msg}");
}

#[test]
fn an_encrypted_doc_is_refused() {
    let doc = patched(|word, _| word[11] |= 0x01);
    let (c, msg) = code(&doc);
    assert_eq!(c, "UNSUPPORTED_FORMAT");
    assert!(msg.contains("encrypted"), "{msg}");
}

#[test]
fn word_95_and_a_foreign_word_stream_are_refused() {
    let doc = patched(|word, _| word[0..2].copy_from_slice(&0xA5DCu16.to_le_bytes()));
    assert_eq!(code(&doc).0, "UNSUPPORTED_FORMAT");
    let doc = patched(|word, _| word[0..2].copy_from_slice(b"MZ"));
    assert_eq!(code(&doc).0, "BROKEN_DOCUMENT");
    let doc = patched(|word, _| word.truncate(40));
    assert_eq!(code(&doc).0, "BROKEN_DOCUMENT");
}

#[test]
fn a_sector_chain_loop_is_refused() {
    // Raw bytes: the first FAT sector (header DIFAT[0], 512-byte sectors);
    // make the first chain of two sectors a -> b point back (b -> a).
    let mut doc = fixture(&format!("{SHEET}.doc"));
    assert_eq!(u16_at(&doc, 0x1E), 9, "512-byte sectors");
    let fat_at = (u32_at(&doc, 0x4C) as usize + 1) * 512;
    let entry = |d: &[u8], k: usize| u32_at(d, fat_at + k * 4);
    let a = (0..128)
        .find(|&k| entry(&doc, k) < 0xFFFF_FFFA && (entry(&doc, k) as usize) < 128)
        .expect("a chain of two sectors");
    let b = entry(&doc, a) as usize;
    doc[fat_at + b * 4..fat_at + b * 4 + 4].copy_from_slice(&(a as u32).to_le_bytes());
    assert_eq!(code(&doc).0, "BROKEN_DOCUMENT");
}

#[test]
fn every_mutated_byte_is_an_answer_not_a_panic() {
    // Every 7th byte of the fixture flipped in turn (≈ 1 750 parses of a
    // 12 KB file): whatever it gives, it returns.
    let doc = fixture(&format!("{SHEET}.doc"));
    let reg = registry();
    for i in (0..doc.len()).step_by(7) {
        let mut m = doc.clone();
        m[i] ^= 0xFF;
        let r: Result<_, ImportError> = parse_bytes(&m, &reg);
        if let Err(e) = r {
            assert!(!e.code().is_empty());
        }
    }
}

/// A crafted file near the input cap: a piece table of a million empty
/// pieces (12 MB) before one piece of 300 000 compressed paragraph marks.
/// The pieces are walked, not copied, and the marks refused as lines once
/// past the bound: `TOO_LARGE`, not gigabytes.
#[test]
fn a_million_pieces_and_too_many_paragraphs_are_refused() {
    let doc = patched(|word, table| {
        let (ccp_at, clx_at) = fib_offsets(word);
        let marks = 300_000u32;
        let text_at = word.len() as u32;
        word.extend(std::iter::repeat_n(b'\r', marks as usize));
        let empty = 1_000_000usize;
        let n = empty + 1;
        let mut plc = Vec::with_capacity(12 * n + 4);
        for _ in 0..=empty {
            plc.extend_from_slice(&0u32.to_le_bytes());
        }
        plc.extend_from_slice(&marks.to_le_bytes());
        for _ in 0..n {
            plc.extend_from_slice(&[0, 0]);
            plc.extend_from_slice(&((text_at * 2) | 0x4000_0000).to_le_bytes());
            plc.extend_from_slice(&[0, 0]);
        }
        let clx_fc = table.len() as u32;
        table.push(2);
        table.extend_from_slice(&(plc.len() as u32).to_le_bytes());
        table.extend_from_slice(&plc);
        let lcb = table.len() as u32 - clx_fc;
        word[ccp_at..ccp_at + 4].copy_from_slice(&marks.to_le_bytes());
        word[clx_at..clx_at + 4].copy_from_slice(&clx_fc.to_le_bytes());
        word[clx_at + 4..clx_at + 8].copy_from_slice(&lcb.to_le_bytes());
    });
    assert!(doc.len() < duban_import::MAX_INPUT_BYTES);
    let (c, msg) = code(&doc);
    assert_eq!(c, "TOO_LARGE", "{msg}");
    assert!(msg.contains("paragraphs"), "{msg}");
}

/// The offset of the PlcPcd in the table stream and its piece count.
fn plc_pcd(word: &[u8], table: &[u8]) -> (usize, usize) {
    let (_, clx_at) = fib_offsets(word);
    let mut i = u32_at(word, clx_at) as usize;
    while table[i] == 1 {
        i += 3 + u16_at(table, i + 1);
    }
    assert_eq!(table[i], 2);
    (i + 5, (u32_at(table, i + 1) as usize - 4) / 12)
}

/// Word stores text that fits Windows-1252 in "compressed" 8-bit pieces,
/// mixed with UTF-16 ones in a fast-saved file. A compressed piece (with
/// the spec's 0x93/0x94/0x96 mappings) is put before the fixture's own
/// UTF-16 pieces: both are read, and the table after them still is.
#[test]
fn compressed_and_utf16_pieces_are_read_in_order() {
    let doc = patched(|word, table| {
        let (ccp_at, clx_at) = fib_offsets(word);
        let (plc_at, n) = plc_pcd(word, table);
        let cps: Vec<u32> = (0..=n).map(|k| u32_at(table, plc_at + 4 * k)).collect();
        let pcds: Vec<[u8; 8]> = (0..n)
            .map(|k| {
                let at = plc_at + 4 * (n + 1) + 8 * k;
                table[at..at + 8].try_into().unwrap()
            })
            .collect();
        let added = b"\x93Draft\x94 \x96 2024\r";
        let text_at = word.len() as u32;
        word.extend_from_slice(added);
        let k = added.len() as u32;
        let mut plc = Vec::new();
        plc.extend_from_slice(&0u32.to_le_bytes());
        for cp in &cps {
            plc.extend_from_slice(&(cp + k).to_le_bytes());
        }
        plc.extend_from_slice(&[0, 0]);
        plc.extend_from_slice(&((text_at * 2) | 0x4000_0000).to_le_bytes());
        plc.extend_from_slice(&[0, 0]);
        for p in &pcds {
            plc.extend_from_slice(p);
        }
        let clx_fc = table.len() as u32;
        table.push(2);
        table.extend_from_slice(&(plc.len() as u32).to_le_bytes());
        table.extend_from_slice(&plc);
        let lcb = table.len() as u32 - clx_fc;
        let ccp = u32_at(word, ccp_at) + k;
        word[ccp_at..ccp_at + 4].copy_from_slice(&ccp.to_le_bytes());
        word[clx_at..clx_at + 4].copy_from_slice(&clx_fc.to_le_bytes());
        word[clx_at + 4..clx_at + 8].copy_from_slice(&lcb.to_le_bytes());
    });
    let blocks = duban_import::doc::read_doc(&doc).unwrap();
    let original = duban_import::doc::read_doc(&fixture(&format!("{SHEET}.doc"))).unwrap();
    let duban_import::docx::Block::Text(first) = &blocks[0] else {
        panic!("{blocks:?}")
    };
    assert!(
        first.starts_with("\u{201C}Draft\u{201D} \u{2013} 2024\n附件"),
        "{first}"
    );
    assert_eq!(blocks[1..], original[1..]);
}
