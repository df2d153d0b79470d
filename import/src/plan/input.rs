//! Phase 1: decoded blocks to clean lines and grids. Tables pasted one cell
//! per line (or with blank-separated cells, or as records) become grids before
//! the clean-up, which would take their row numbers for page numbers; the
//! document's own characters are kept for restoring the stored text.

use sha2::{Digest, Sha256};

use crate::clean::{self, PAGE_MARK};
use crate::docx::Block;
use crate::sheet::Grid;

/// The document as lines and grids.
pub(super) struct Input {
    /// Clean text lines (normalised characters, boilerplate and wraps gone).
    pub lines: Vec<String>,
    /// Sheets, Word tables and tables found in the text.
    pub grids: Vec<Grid>,
    /// The document's own characters, for the stored titles and bodies.
    pub source: String,
    /// Written in traditional characters.
    pub traditional: bool,
    /// Tables found pasted one cell per line.
    pub cell_tables: usize,
}

pub(super) fn read_blocks(blocks: Vec<Block>) -> Input {
    let mut lines: Vec<String> = Vec::new();
    let mut grids: Vec<Grid> = Vec::new();
    let mut cell_tables = 0usize;
    // The document's own characters, for the stored titles and bodies.
    let mut source = String::new();
    for b in &blocks {
        match b {
            Block::Text(t) => source.push_str(t),
            Block::Grid(g) => {
                for row in g {
                    for c in row {
                        source.push_str(c);
                        source.push('\n');
                    }
                }
            }
        }
        source.push('\n');
    }
    let traditional = blocks
        .iter()
        .map(|b| match b {
            Block::Text(t) => t
                .chars()
                .take(100_000)
                .filter(|&c| c as u32 >= 0x4E00 && clean::to_simplified(c) != c)
                .count(),
            Block::Grid(_) => 0,
        })
        .sum::<usize>()
        >= 20;
    for b in blocks {
        match b {
            Block::Text(t) => {
                // Tables pasted one cell per line become grids (read before
                // the clean-up, which takes their row numbers for page
                // numbers).
                let raw: Vec<String> = clean::normalize_chars(&t)
                    .split('\n')
                    .map(|l| l.trim().to_string())
                    .collect();
                let mut vtables = crate::vtable::find_vertical_tables(&raw);
                vtables.extend(crate::vtable::find_space_tables(&raw));
                vtables.extend(crate::vtable::find_record_tables(&raw));
                vtables.extend(crate::vtable::find_json_record_lines(&raw));
                // TAB-separated rows, found before the clean-up turns TABs
                // into spaces (line for line: normalising keeps the lines)
                let tabbed: Vec<String> = t.split('\n').map(|l| l.trim().to_string()).collect();
                if tabbed.len() == raw.len() {
                    for (range, grid) in crate::vtable::find_tab_tables(&tabbed) {
                        let grid: Grid = grid
                            .into_iter()
                            .map(|r| {
                                r.iter()
                                    .map(|c| clean::normalize_chars(c).trim().to_string())
                                    .collect()
                            })
                            .collect();
                        vtables.push((range, grid));
                    }
                }
                vtables.sort_by_key(|(r, _)| r.start);
                // two readers claiming the same lines: the first one read them
                let mut end = 0;
                vtables.retain(|(r, _)| {
                    let fresh = r.start >= end;
                    if fresh {
                        end = r.end;
                    }
                    fresh
                });
                if vtables.is_empty() {
                    lines.extend(clean::clean(&t).lines);
                } else {
                    let mut keep = vec![true; raw.len()];
                    for (range, grid) in vtables {
                        cell_tables += 1;
                        for k in range {
                            keep[k] = false;
                        }
                        grids.push(grid);
                    }
                    let rest: Vec<&str> = raw
                        .iter()
                        .zip(&keep)
                        .filter(|(_, k)| **k)
                        .map(|(l, _)| l.as_str())
                        .collect();
                    lines.extend(clean::clean(&rest.join("\n")).lines);
                }
            }
            Block::Grid(g) => {
                let g: Grid = g
                    .into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|c| clean::normalize_chars(&c).trim().to_string())
                            .collect()
                    })
                    .collect();
                grids.push(g);
            }
        }
    }
    Input {
        lines,
        grids,
        source,
        traditional,
        cell_tables,
    }
}

/// SHA-256 of the normalised text: the same document gives the same print.
pub(super) fn fingerprint(lines: &[String], grids: &[Grid]) -> String {
    let mut h = Sha256::new();
    for l in lines {
        let s: String = l
            .chars()
            .filter(|c| !c.is_whitespace() && *c != PAGE_MARK)
            .collect();
        h.update(s.as_bytes());
    }
    for g in grids {
        for row in g {
            for cell in row {
                let s: String = clean::normalize_chars(cell)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                h.update(s.as_bytes());
                h.update([0x1f]);
            }
            h.update([0x1e]);
        }
    }
    hex::encode(h.finalize())
}
