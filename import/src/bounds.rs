//! Bounds on the shape of text input, checked on the raw bytes before any
//! decoding or parsing.
//!
//! The byte bound alone does not bound the work: 9 MB of one-cell rows, of
//! blank lines or of commas on one line expand into millions of rows, cells
//! and tasks (a 9 MB CSV of 1.5 M rows took 2 minutes and 3.8 GB before the
//! task cap refused it). Lines and delimiters are counted here with byte
//! scans (`memchr`), in time linear in the input and no memory.

use crate::error::ImportError;

/// Counts of what makes text expand: line breaks and CSV/TSV delimiters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextShape {
    /// Lines (the larger of the `\n` and `\r` counts, so CRLF, LF and old
    /// CR-only files count alike), plus one for the last line.
    pub lines: usize,
    /// ASCII commas.
    pub commas: usize,
    /// Tabs.
    pub tabs: usize,
}

/// Measures text bytes. UTF-8 and GB18030 never use the ASCII bytes
/// `\n`, `\r`, `,`, `\t` inside a multi-byte character, so the bytes are
/// counted directly; UTF-16 (with a BOM) is counted by code unit.
pub fn text_shape(bytes: &[u8]) -> TextShape {
    let utf16 = match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((rest, false)),
        [0xFE, 0xFF, rest @ ..] => Some((rest, true)),
        _ => None,
    };
    let (nl, cr, commas, tabs) = match utf16 {
        Some((rest, big_endian)) => {
            let (mut nl, mut cr, mut commas, mut tabs) = (0, 0, 0, 0);
            for unit in rest.chunks_exact(2) {
                let u = if big_endian {
                    u16::from_be_bytes([unit[0], unit[1]])
                } else {
                    u16::from_le_bytes([unit[0], unit[1]])
                };
                match u {
                    0x0A => nl += 1,
                    0x0D => cr += 1,
                    0x2C => commas += 1,
                    0x09 => tabs += 1,
                    _ => {}
                }
            }
            (nl, cr, commas, tabs)
        }
        None => (
            memchr::memchr_iter(b'\n', bytes).count(),
            memchr::memchr_iter(b'\r', bytes).count(),
            memchr::memchr_iter(b',', bytes).count(),
            memchr::memchr_iter(b'\t', bytes).count(),
        ),
    };
    TextShape {
        lines: nl.max(cr) + 1,
        commas,
        tabs,
    }
}

/// Refuses text with more than `max_lines` lines or more than `max_cells`
/// commas or tabs (each delimiter opens a cell of a CSV/TSV grid) with
/// [`ImportError::TooLargeContent`] (`TOO_LARGE`).
pub fn check_text_shape(bytes: &[u8], max_lines: usize, max_cells: u64) -> Result<(), ImportError> {
    let shape = text_shape(bytes);
    if shape.lines > max_lines {
        return Err(ImportError::TooLargeContent(format!(
            "the text has {} lines (limit {max_lines})",
            shape.lines
        )));
    }
    for (n, what) in [(shape.commas, "commas"), (shape.tabs, "tabs")] {
        if n as u64 > max_cells {
            return Err(ImportError::TooLargeContent(format!(
                "the text has {n} {what}, more cells than a sheet may hold (limit {max_cells})"
            )));
        }
    }
    Ok(())
}

/// Refuses read blocks (a .docx's paragraphs and tables, an .xlsx's or a
/// CSV's grids) that hold more than `max_lines` lines of text, or grids with
/// more than `max_rows` non-empty rows in all: each such row becomes a task
/// or heading, and reading a list grows faster than its rows (a CSV of
/// 10 000 rows took 20 s in release), so a list that must exceed the task cap
/// is refused with [`ImportError::TooManyTasks`] before it is read.
pub fn check_blocks(
    blocks: &[crate::docx::Block],
    max_lines: usize,
    max_rows: usize,
) -> Result<(), ImportError> {
    let (mut lines, mut rows) = (0usize, 0usize);
    for block in blocks {
        match block {
            crate::docx::Block::Text(t) => {
                lines += memchr::memchr_iter(b'\n', t.as_bytes()).count() + 1
            }
            crate::docx::Block::Grid(g) => {
                rows += g
                    .iter()
                    .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
                    .count();
                lines += g.len();
            }
        }
    }
    if lines > max_lines {
        return Err(ImportError::TooLargeContent(format!(
            "the document has {lines} lines or rows (limit {max_lines})"
        )));
    }
    if rows > max_rows {
        return Err(ImportError::TooManyTasks(rows, max_rows));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_of_every_ending() {
        assert_eq!(text_shape(b"a\nb\nc").lines, 3);
        assert_eq!(text_shape(b"a\r\nb\r\n").lines, 3);
        assert_eq!(text_shape(b"a\rb\rc").lines, 3);
        assert_eq!(text_shape(b"").lines, 1);
    }

    #[test]
    fn counts_delimiters() {
        let s = text_shape("序号,任务,牵头单位\n1\t2\t3".as_bytes());
        assert_eq!((s.commas, s.tabs), (2, 2));
    }

    #[test]
    fn gb18030_bytes_hold_no_false_delimiters() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("上海，市发展改革委\n");
        let s = text_shape(&gbk);
        assert_eq!((s.lines, s.commas, s.tabs), (2, 0, 0));
    }

    #[test]
    fn utf16_is_counted_by_code_unit() {
        // 上 is U+4E0A: its low byte is 0x0A, which is no line break.
        let mut le = vec![0xFF, 0xFE];
        for u in "上上,\n上".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let s = text_shape(&le);
        assert_eq!((s.lines, s.commas), (2, 1));
        let mut be = vec![0xFE, 0xFF];
        for u in "上\t上\n\n".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        let s = text_shape(&be);
        assert_eq!((s.lines, s.tabs), (3, 1));
    }

    #[test]
    fn refuses_past_the_bounds() {
        assert!(check_text_shape(b"a\nb\nc", 3, 10).is_ok());
        let e = check_text_shape(b"a\nb\nc\n", 3, 10).unwrap_err();
        assert_eq!(e.code(), "TOO_LARGE");
        let e = check_text_shape(b",,,,", 100, 3).unwrap_err();
        assert_eq!(e.code(), "TOO_LARGE");
        let e = check_text_shape(b"\t\t\t\t", 100, 3).unwrap_err();
        assert_eq!(e.code(), "TOO_LARGE");
    }

    #[test]
    fn blocks_past_the_bounds_are_refused() {
        use crate::docx::Block;
        let grid = |n: usize| Block::Grid(vec![vec!["1".to_string(), "a".to_string()]; n]);
        let text = |n: usize| Block::Text("x\n".repeat(n - 1) + "x");
        assert!(check_blocks(&[text(5), grid(3)], 8, 3).is_ok());
        assert_eq!(
            check_blocks(&[text(6), grid(3)], 8, 3).unwrap_err().code(),
            "TOO_LARGE"
        );
        assert_eq!(
            check_blocks(&[grid(4)], 8, 3).unwrap_err().code(),
            "TOO_MANY_TASKS"
        );
        // Empty rows are no tasks.
        let mut g = vec![vec![String::new()]; 5];
        g.push(vec!["1".into()]);
        assert!(check_blocks(&[Block::Grid(g)], 8, 3).is_ok());
    }
}
