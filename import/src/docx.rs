//! Word documents (.docx): paragraphs and tables of `word/document.xml`, in
//! document order. Paragraph text comes from `w:t` runs (`w:tab` → space,
//! `w:br` → line break); a table becomes a grid of cell texts.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::error::ImportError;
use crate::sheet::Grid;

/// A block of a document body.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Plain text (one or more lines).
    Text(String),
    /// A table.
    Grid(Grid),
}

/// Checks that every XML member of a zip (the parts a .docx / .xlsx reader
/// opens) decompresses to at most `member_cap` bytes and all of them together
/// to at most `total_cap`, by decompressing them into nothing: declared sizes
/// in the zip directory can lie. Media (images) are not read and not checked.
pub fn check_zip_bounds(bytes: &[u8], member_cap: u64, total_cap: u64) -> Result<(), ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::BrokenDocument(format!("zip: {e}")))?;
    if zip.len() > 10_000 {
        return Err(ImportError::TooLargeContent(format!(
            "the archive has {} members (limit 10000)",
            zip.len()
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut file = zip
            .by_index(i)
            .map_err(|e| ImportError::BrokenDocument(format!("zip: {e}")))?;
        let name = file.name().to_string();
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let n = std::io::copy(
            &mut file.by_ref().take(member_cap + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| ImportError::BrokenDocument(format!("zip entry {name}: {e}")))?;
        if n > member_cap {
            return Err(too_large_member(&name, member_cap));
        }
        total += n;
        if total > total_cap {
            return Err(ImportError::TooLargeContent(format!(
                "the XML parts decompress to more than {total_cap} bytes"
            )));
        }
    }
    Ok(())
}

fn too_large_member(name: &str, cap: u64) -> ImportError {
    ImportError::TooLargeContent(format!("{name} decompresses to more than {cap} bytes"))
}

/// Reads one entry of a zip archive (at most [`crate::MAX_ZIP_MEMBER_BYTES`]
/// decompressed, else [`ImportError::TooLargeContent`]).
pub fn read_zip_entry(bytes: &[u8], name: &str) -> Result<Option<Vec<u8>>, ImportError> {
    read_zip_entry_capped(bytes, name, crate::MAX_ZIP_MEMBER_BYTES)
}

/// [`read_zip_entry`] with an explicit cap.
pub fn read_zip_entry_capped(
    bytes: &[u8],
    name: &str,
    cap: u64,
) -> Result<Option<Vec<u8>>, ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::BrokenDocument(format!("zip: {e}")))?;
    let mut file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ImportError::BrokenDocument(format!("zip: {e}"))),
    };
    let mut out = Vec::new();
    file.by_ref()
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| ImportError::BrokenDocument(format!("zip entry {name}: {e}")))?;
    if out.len() as u64 > cap {
        return Err(too_large_member(name, cap));
    }
    Ok(Some(out))
}

/// Parses the body of a .docx into blocks.
pub fn read_docx(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let xml = read_zip_entry(bytes, "word/document.xml")?
        .ok_or_else(|| ImportError::BrokenDocument("docx without word/document.xml".into()))?;
    parse_document_xml(&xml)
}

/// A table being read.
#[derive(Default)]
struct Tbl {
    grid: Grid,
    row: Vec<String>,
    cell: String,
    /// `w:gridSpan` of the current cell.
    span: usize,
    /// The current cell continues a vertical merge (`w:vMerge` without
    /// `restart`).
    vcont: bool,
    /// Columns of the current row continuing a vertical merge.
    cont_cols: Vec<usize>,
}

/// Reads `w:gridSpan` / `w:vMerge` of the current cell.
fn cell_property(e: &quick_xml::events::BytesStart, t: Option<&mut Tbl>) {
    let Some(t) = t else { return };
    let val = e
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"val")
        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
    match e.local_name().as_ref() {
        b"gridSpan" => {
            t.span = val.and_then(|v| v.trim().parse().ok()).unwrap_or(1);
        }
        b"vMerge" => {
            t.vcont = val.is_none_or(|v| v == "continue");
        }
        _ => {}
    }
}

/// Parses `word/document.xml`.
pub fn parse_document_xml(xml: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut text_lines: Vec<String> = Vec::new();
    // Table nesting: a stack of tables being read.
    let mut tables: Vec<Tbl> = Vec::new();
    let mut para = String::new();
    let mut in_t = false;

    let flush_text = |lines: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !lines.is_empty() {
            blocks.push(Block::Text(lines.join("\n")));
            lines.clear();
        }
    };

    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| ImportError::BrokenDocument(format!("docx xml: {e}")))?;
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_t = true,
                b"p" => para.clear(),
                b"tbl" => {
                    if tables.is_empty() {
                        flush_text(&mut text_lines, &mut blocks);
                    }
                    tables.push(Tbl::default());
                }
                b"tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.row.clear();
                        t.cont_cols.clear();
                    }
                }
                b"tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.cell.clear();
                        t.span = 1;
                        t.vcont = false;
                    }
                }
                b"gridSpan" | b"vMerge" => cell_property(&e, tables.last_mut()),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"gridSpan" | b"vMerge" => cell_property(&e, tables.last_mut()),
                b"tab" => para.push(' '),
                b"br" | b"cr" => para.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_t => {
                let s = t
                    .unescape()
                    .map_err(|e| ImportError::BrokenDocument(format!("docx text: {e}")))?;
                para.push_str(&s);
            }
            Event::CData(t) if in_t => {
                para.push_str(&String::from_utf8_lossy(&t));
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_t = false,
                b"p" => {
                    let p = std::mem::take(&mut para);
                    match tables.last_mut() {
                        Some(t) => {
                            if !t.cell.is_empty() {
                                t.cell.push('\n');
                            }
                            t.cell.push_str(p.trim());
                        }
                        None => {
                            if !p.trim().is_empty() {
                                text_lines.push(p);
                            }
                        }
                    }
                }
                b"tc" => {
                    if let Some(t) = tables.last_mut() {
                        let cell = std::mem::take(&mut t.cell);
                        if t.vcont {
                            t.cont_cols.push(t.row.len());
                        }
                        t.row.push(cell);
                        // A cell spanning n grid columns keeps the columns
                        // of later cells aligned with the header.
                        for _ in 1..t.span.clamp(1, 64) {
                            t.row.push(String::new());
                        }
                    }
                }
                b"tr" => {
                    if let Some(t) = tables.last_mut() {
                        let mut row = std::mem::take(&mut t.row);
                        // A vertically merged cell repeats the cell above.
                        if let Some(prev) = t.grid.last() {
                            for &c in &t.cont_cols {
                                if row.get(c).is_some_and(|v| v.trim().is_empty())
                                    && let Some(above) = prev.get(c)
                                {
                                    row[c] = above.clone();
                                }
                            }
                        }
                        t.grid.push(row);
                    }
                }
                b"tbl" => {
                    if let Some(Tbl { grid, .. }) = tables.pop() {
                        match tables.last_mut() {
                            // A nested table is flattened into its cell.
                            Some(outer) => {
                                let flat: Vec<String> = grid.iter().map(|r| r.join(" ")).collect();
                                outer.cell.push_str(&flat.join("\n"));
                            }
                            None => blocks.push(Block::Grid(grid)),
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    flush_text(&mut text_lines, &mut blocks);
    Ok(blocks)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Builds a minimal .docx with the given body XML (used by other tests).
    pub fn make_docx(body: &str) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            z.start_file("[Content_Types].xml", opts).unwrap();
            z.write_all(b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>").unwrap();
            z.start_file("word/document.xml", opts).unwrap();
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
            );
            z.write_all(xml.as_bytes()).unwrap();
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    pub fn p(text: &str) -> String {
        format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
    }

    pub fn table(rows: &[&[&str]]) -> String {
        let mut s = String::from("<w:tbl>");
        for r in rows {
            s.push_str("<w:tr>");
            for c in *r {
                s.push_str(&format!("<w:tc>{}</w:tc>", p(c)));
            }
            s.push_str("</w:tr>");
        }
        s.push_str("</w:tbl>");
        s
    }

    #[test]
    fn paragraphs_and_tables_in_order() {
        let body = format!(
            "{}{}{}",
            p("某市实施方案"),
            table(&[
                &["序号", "工作任务", "牵头单位"],
                &["1", "任务甲", "市发展改革委"]
            ]),
            p("结束语")
        );
        let blocks = read_docx(&make_docx(&body)).unwrap();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0], Block::Text("某市实施方案".into()));
        match &blocks[1] {
            Block::Grid(g) => assert_eq!(g[1], vec!["1", "任务甲", "市发展改革委"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn grid_span_and_vertical_merge() {
        let cell = |t: &str, pr: &str| format!("<w:tc><w:tcPr>{pr}</w:tcPr>{}</w:tc>", p(t));
        let row = |cells: &[String]| format!("<w:tr>{}</w:tr>", cells.concat());
        let body = format!(
            "<w:tbl>{}{}{}{}</w:tbl>",
            row(&[
                cell("序号", ""),
                cell("工作任务", ""),
                cell("牵头单位", ""),
                cell("配合单位", "")
            ]),
            row(&[cell("一、重点工作", "<w:gridSpan w:val=\"4\"/>")]),
            row(&[
                cell("1", ""),
                cell("任务甲", ""),
                cell("市发展改革委", "<w:vMerge w:val=\"restart\"/>"),
                cell("市财政局", "")
            ]),
            row(&[
                cell("2", ""),
                cell("任务乙", ""),
                cell("", "<w:vMerge/>"),
                cell("市统计局", "")
            ]),
        );
        let blocks = read_docx(&make_docx(&body)).unwrap();
        let Block::Grid(g) = &blocks[0] else { panic!() };
        assert_eq!(g[1], ["一、重点工作", "", "", ""]);
        assert_eq!(g[3], ["2", "任务乙", "市发展改革委", "市统计局"]);
    }

    #[test]
    fn truncated_docx_is_an_error() {
        let bytes = make_docx(&p("内容"));
        let cut = &bytes[..bytes.len() / 2];
        assert!(read_docx(cut).is_err());
    }

    #[test]
    fn broken_xml_is_an_error_not_a_panic() {
        // Mismatched tags: an error or a best-effort result, never a panic.
        let _ = parse_document_xml(b"<w:document><w:body><w:p><w:t>a</w:p>");
        assert!(parse_document_xml(b"<a><b></a>").is_err());
    }
}
