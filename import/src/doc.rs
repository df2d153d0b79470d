//! Word 97–2003 documents (.doc, [MS-DOC]): the main text of the
//! `WordDocument` stream, read through the piece table, into the same
//! [`Block`]s a .docx gives (paragraphs as lines, tables as grids), so that
//! both formats go down one pipeline.
//!
//! The file comes from an attacker as easily as from an office: every offset
//! is checked against its stream, every count against the bytes that could
//! hold it, and a bad one gives `BROKEN_DOCUMENT`, never a panic. The
//! compound file itself (sector chains, directory) is checked by `cfb`, which
//! refuses chain loops and sectors pointed to twice when it opens the file.
//!
//! Table structure comes from the paragraph properties (PAPX) of each
//! paragraph mark: `sprmPFInTable` marks a paragraph inside a cell,
//! `sprmPFTtp` the row mark (the second 0x07 ending a row). The text alone
//! cannot tell an empty cell (`a\x07\x07`) from a row end. When the
//! properties cannot be read, two 0x07 in a row are taken as a row end.
//! The row mark's `sprmTDefTable` gives the cells' bounds and vertical
//! merges, so merged cells are laid out as a .docx table reads them.

use std::io::{Cursor, Read};

use crate::docx::Block;
use crate::error::ImportError;
use crate::sheet::Grid;

/// The signature of a compound file (OLE2): .doc, .xls, .ppt, .msg …
pub const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// What a .doc read may produce before it is refused with `TOO_LARGE`.
#[derive(Clone, Copy, Debug)]
pub struct DocBounds {
    /// Paragraphs (lines) of the main text.
    pub max_lines: usize,
    /// Table cells in all.
    pub max_cells: u64,
}

impl Default for DocBounds {
    fn default() -> Self {
        DocBounds {
            max_lines: crate::MAX_INPUT_LINES,
            max_cells: crate::MAX_SHEET_CELLS,
        }
    }
}

fn broken(what: impl std::fmt::Display) -> ImportError {
    ImportError::BrokenDocument(format!(".doc: {what}"))
}

/// Reads a .doc into blocks, with the crate's bounds.
pub fn read_doc(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    read_doc_bounded(bytes, DocBounds::default())
}

/// [`read_doc`] with explicit bounds.
pub fn read_doc_bounded(bytes: &[u8], bounds: DocBounds) -> Result<Vec<Block>, ImportError> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| broken(format!("compound file: {e}")))?;
    if !cf.is_stream("/WordDocument") {
        return Err(not_a_word_document(&cf));
    }
    // No stream of a file can hold more bytes than the file.
    let word = read_stream(&mut cf, "/WordDocument", bytes.len())?;
    let fib = Fib::parse(&word)?;
    if fib.encrypted {
        return Err(ImportError::UnsupportedFormat(
            "password-protected (encrypted) Word document; remove the password and save it again"
                .into(),
        ));
    }
    let table_name = if fib.table_1 { "/1Table" } else { "/0Table" };
    if !cf.is_stream(table_name) {
        return Err(broken(format!(
            "the {} stream is missing",
            &table_name[1..]
        )));
    }
    let table = read_stream(&mut cf, table_name, bytes.len())?;
    let pieces = piece_table(&table, fib.fc_clx, fib.lcb_clx)?;
    let text = main_text(&word, pieces.pieces(), fib.ccp_text, bounds.max_lines)?;
    let papx = Papx::new(&word, &table, fib.fc_bte_papx, fib.lcb_bte_papx);
    build_blocks(&text, papx.as_ref(), bounds)
}

/// Names what a compound file without a `WordDocument` stream is.
fn not_a_word_document<F: Read + std::io::Seek>(cf: &cfb::CompoundFile<F>) -> ImportError {
    let what = if cf.is_stream("/Workbook") || cf.is_stream("/Book") {
        "Excel 97–2003 workbook (.xls); save it as .xlsx"
    } else if cf.is_stream("/PowerPoint Document") {
        "PowerPoint 97–2003 presentation (.ppt)"
    } else if cf.is_stream("/EncryptedPackage") {
        "password-protected Office document; remove the password and save it again"
    } else {
        "compound file (OLE2) that is not a Word document"
    };
    ImportError::UnsupportedFormat(what.into())
}

fn read_stream<F: Read + std::io::Seek>(
    cf: &mut cfb::CompoundFile<F>,
    path: &str,
    cap: usize,
) -> Result<Vec<u8>, ImportError> {
    let mut s = cf
        .open_stream(path)
        .map_err(|e| broken(format!("{path}: {e}")))?;
    if s.len() > cap as u64 {
        return Err(broken(format!(
            "{path} declares {} bytes, more than the file holds",
            s.len()
        )));
    }
    let mut out = Vec::with_capacity(s.len() as usize);
    s.by_ref()
        .take(cap as u64)
        .read_to_end(&mut out)
        .map_err(|e| broken(format!("{path}: {e}")))?;
    Ok(out)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The parts of the File Information Block this reader needs.
#[derive(Debug, PartialEq, Eq)]
struct Fib {
    encrypted: bool,
    /// `fWhichTblStm`: the table stream is `1Table`, else `0Table`.
    table_1: bool,
    /// Characters of the main document text (`ccpText`).
    ccp_text: u32,
    fc_clx: u32,
    lcb_clx: u32,
    fc_bte_papx: u32,
    lcb_bte_papx: u32,
}

impl Fib {
    fn parse(w: &[u8]) -> Result<Fib, ImportError> {
        let short = || broken("the file information block is cut short");
        match u16_at(w, 0).ok_or_else(short)? {
            0xA5EC => {}
            0xA5DC => {
                return Err(ImportError::UnsupportedFormat(
                    "Word 6.0/95 document; save it as .docx".into(),
                ));
            }
            other => {
                return Err(broken(format!(
                    "not a Word 97–2003 document (wIdent {other:#06X})"
                )));
            }
        }
        let flags = u16_at(w, 0x0A).ok_or_else(short)?;
        // fEncrypted (bit 8); fObfuscated (bit 15) only qualifies it.
        let encrypted = flags & 0x0100 != 0;
        let table_1 = flags & 0x0200 != 0;
        // FibBase (32 bytes), then csw + fibRgW, cslw + fibRgLw,
        // cbRgFcLcb + fibRgFcLcbBlob: each sized by its count, so later
        // versions of the FIB are read by the same offsets.
        let csw = u16_at(w, 32).ok_or_else(short)? as usize;
        let lw_count_at = 34 + csw * 2;
        let cslw = u16_at(w, lw_count_at).ok_or_else(short)? as usize;
        let lw = lw_count_at + 2;
        if cslw < 4 {
            return Err(broken("the file information block has no text counts"));
        }
        let ccp_text = u32_at(w, lw + 12).ok_or_else(short)?;
        if ccp_text > i32::MAX as u32 {
            return Err(broken("negative text length"));
        }
        let fc_count_at = lw + cslw * 4;
        let cb_rg_fc_lcb = u16_at(w, fc_count_at).ok_or_else(short)? as usize;
        let fc = fc_count_at + 2;
        // fcClx is pair 33 of FibRgFcLcb97, fcPlcfBtePapx pair 13.
        if cb_rg_fc_lcb < 34 {
            return Err(broken("the file information block has no piece table"));
        }
        let pair = |i: usize| -> Result<(u32, u32), ImportError> {
            Ok((
                u32_at(w, fc + i * 8).ok_or_else(short)?,
                u32_at(w, fc + i * 8 + 4).ok_or_else(short)?,
            ))
        };
        let (fc_clx, lcb_clx) = pair(33)?;
        let (fc_bte_papx, lcb_bte_papx) = pair(13)?;
        Ok(Fib {
            encrypted,
            table_1,
            ccp_text,
            fc_clx,
            lcb_clx,
            fc_bte_papx,
            lcb_bte_papx,
        })
    }
}

/// One piece of the text: characters `cp..cp_end` stored from byte `offset`
/// of the `WordDocument` stream, 1 byte (compressed) or 2 bytes each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    cp: u32,
    cp_end: u32,
    offset: usize,
    compressed: bool,
}

/// The piece table (PlcPcd): `n` + 1 character positions, then `n` 8-byte
/// piece descriptors. Read piece by piece, never copied: a crafted table of a
/// million empty pieces costs no memory.
struct PieceTable<'a> {
    plc: &'a [u8],
    n: usize,
}

impl PieceTable<'_> {
    /// The pieces in order; positions that go backwards are an error.
    fn pieces(&self) -> impl Iterator<Item = Result<Piece, ImportError>> + '_ {
        let cp = |k: usize| u32_at(self.plc, k * 4).unwrap_or(0);
        (0..self.n).map(move |k| {
            let (start, end) = (cp(k), cp(k + 1));
            if end < start || (k == 0 && start != 0) {
                return Err(broken("the piece table's positions are out of order"));
            }
            let fc = u32_at(self.plc, (self.n + 1) * 4 + k * 8 + 2).unwrap_or(0);
            let compressed = fc & 0x4000_0000 != 0;
            let fc = fc & 0x3FFF_FFFF;
            Ok(Piece {
                cp: start,
                cp_end: end,
                offset: if compressed {
                    fc as usize / 2
                } else {
                    fc as usize
                },
                compressed,
            })
        })
    }
}

/// The piece table of the CLX at `fc`..`fc + lcb` of the table stream. Its
/// structure is checked here; its pieces' offsets against the text in
/// [`main_text`].
fn piece_table(table: &[u8], fc: u32, lcb: u32) -> Result<PieceTable<'_>, ImportError> {
    let clx = (fc as usize)
        .checked_add(lcb as usize)
        .and_then(|end| table.get(fc as usize..end))
        .ok_or_else(|| broken("the piece table lies outside the table stream"))?;
    // Prc entries (clxt 1, formatting of fast-saved pieces) come first,
    // each at least 3 bytes, so this walk ends within `lcb` steps.
    let mut i = 0usize;
    let plc = loop {
        match clx.get(i) {
            Some(1) => {
                let cb = u16_at(clx, i + 1).ok_or_else(|| broken("cut-short Prc"))? as i16;
                if cb < 0 {
                    return Err(broken("negative Prc size"));
                }
                i += 3 + cb as usize;
            }
            Some(2) => {
                let n = u32_at(clx, i + 1).ok_or_else(|| broken("cut-short Pcdt"))? as usize;
                break (i + 5)
                    .checked_add(n)
                    .and_then(|end| clx.get(i + 5..end))
                    .ok_or_else(|| broken("the piece table is cut short"))?;
            }
            _ => return Err(broken("no piece table in the CLX")),
        }
    };
    // (n + 1) character positions, then n 8-byte piece descriptors.
    if plc.len() < 16 || (plc.len() - 4) % 12 != 0 {
        return Err(broken(format!("piece table of {} bytes", plc.len())));
    }
    Ok(PieceTable {
        plc,
        n: (plc.len() - 4) / 12,
    })
}

/// The main document text: the first `ccp_text` characters of the pieces,
/// as UTF-16 code units, with the stream offset (fc) of every paragraph or
/// cell mark for the paragraph properties.
struct MainText {
    units: Vec<u16>,
    /// (index into `units`, fc) of each 0x0D / 0x07.
    marks: Vec<(usize, u32)>,
}

/// More than `max_marks` paragraph and cell marks are refused with
/// `TOO_LARGE` as they are found (they would be refused as lines later).
fn main_text(
    word: &[u8],
    pieces: impl IntoIterator<Item = Result<Piece, ImportError>>,
    ccp_text: u32,
    max_marks: usize,
) -> Result<MainText, ImportError> {
    // Every character of an honest file is stored in the stream, in at
    // least one byte; a larger count means pieces that overlap, crafted to
    // expand a small file.
    if ccp_text as usize > word.len() {
        return Err(broken(format!(
            "the text claims {ccp_text} characters, more than the {}-byte stream holds",
            word.len()
        )));
    }
    let mut units = Vec::with_capacity(ccp_text as usize);
    let mut marks = Vec::new();
    for p in pieces {
        let p = p?;
        if p.cp >= ccp_text {
            break;
        }
        let n = (p.cp_end.min(ccp_text) - p.cp) as usize;
        let width = if p.compressed { 1 } else { 2 };
        let bytes = n
            .checked_mul(width)
            .and_then(|len| p.offset.checked_add(len))
            .and_then(|end| word.get(p.offset..end))
            .ok_or_else(|| broken("the piece table points outside the document stream"))?;
        for (k, chunk) in bytes.chunks_exact(width).enumerate() {
            let u = if p.compressed {
                compressed_char(chunk[0])
            } else {
                u16::from_le_bytes([chunk[0], chunk[1]])
            };
            if u == 0x0D || u == 0x07 {
                if marks.len() == max_marks {
                    return Err(ImportError::TooLargeContent(format!(
                        "the document has more than {max_marks} paragraphs"
                    )));
                }
                marks.push((units.len(), (p.offset + k * width) as u32));
            }
            units.push(u);
        }
    }
    if units.len() < ccp_text as usize {
        return Err(broken(
            "the piece table covers less than the document's text",
        ));
    }
    Ok(MainText { units, marks })
}

/// A byte of a compressed piece ([MS-DOC] 2.4.1): Latin-1, except these
/// bytes, which are the Windows-1252 characters.
fn compressed_char(b: u8) -> u16 {
    match b {
        0x82 => 0x201A,
        0x83 => 0x0192,
        0x84 => 0x201E,
        0x85 => 0x2026,
        0x86 => 0x2020,
        0x87 => 0x2021,
        0x88 => 0x02C6,
        0x89 => 0x2030,
        0x8A => 0x0160,
        0x8B => 0x2039,
        0x8C => 0x0152,
        0x91 => 0x2018,
        0x92 => 0x2019,
        0x93 => 0x201C,
        0x94 => 0x201D,
        0x95 => 0x2022,
        0x96 => 0x2013,
        0x97 => 0x2014,
        0x98 => 0x02DC,
        0x99 => 0x2122,
        0x9A => 0x0161,
        0x9B => 0x203A,
        0x9C => 0x0153,
        0x9F => 0x0178,
        _ => b as u16,
    }
}

/// What a paragraph mark's properties say about tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ParaProps {
    /// Inside a table cell (`sprmPFInTable`, or a table depth `sprmPItap` ≥ 1).
    in_table: bool,
    /// The row mark ending a table row (`sprmPFTtp`).
    row_end: bool,
    /// The row's cells (`sprmTDefTable` of the row mark).
    row: Option<RowDef>,
}

/// The cells of a table row as `sprmTDefTable` defines them: their
/// horizontal bounds (twips) and which continue a vertical merge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RowDef {
    /// `itcMac` + 1 cell boundaries.
    bounds: Vec<i16>,
    /// Per cell: merged with the cell above (`vertMerge` = 1; 3 starts a
    /// merge).
    continues: Vec<bool>,
}

/// Reads a TDefTableOperand (after its 2-byte size): itcMac, the
/// boundaries, then up to itcMac 20-byte TC80s whose first two bytes are
/// the TCGRF flags (vertMerge in bits 5–6).
fn row_def(operand: &[u8]) -> Option<RowDef> {
    let cells = *operand.get(2)? as usize;
    if cells == 0 || cells > 63 {
        return None;
    }
    let bounds: Vec<i16> = (0..=cells)
        .map(|k| u16_at(operand, 3 + 2 * k).map(|v| v as i16))
        .collect::<Option<_>>()?;
    let tcs = 3 + 2 * (cells + 1);
    let continues = (0..cells)
        .map(|k| u16_at(operand, tcs + 20 * k).is_some_and(|f| (f >> 5) & 3 == 1))
        .collect();
    Some(RowDef { bounds, continues })
}

/// The paragraph properties: the PlcBtePapx of the table stream and the
/// 512-byte PapxFkp pages of the `WordDocument` stream it points to.
struct Papx<'a> {
    word: &'a [u8],
    fcs: Vec<u32>,
    pages: Vec<u32>,
}

impl<'a> Papx<'a> {
    /// None when the table is missing or malformed (the text is still read,
    /// with the fallback for tables).
    fn new(word: &'a [u8], table: &[u8], fc: u32, lcb: u32) -> Option<Papx<'a>> {
        let plc = table.get(fc as usize..(fc as usize).checked_add(lcb as usize)?)?;
        if plc.len() < 12 || (plc.len() - 4) % 8 != 0 {
            return None;
        }
        let n = (plc.len() - 4) / 8;
        let fcs: Vec<u32> = (0..=n).map(|k| u32_at(plc, k * 4).unwrap_or(0)).collect();
        let pages = (0..n)
            .map(|k| u32_at(plc, (n + 1) * 4 + k * 4).unwrap_or(0) & 0x3F_FFFF)
            .collect();
        Some(Papx { word, fcs, pages })
    }

    /// The properties of the paragraph whose mark is at stream offset `fc`
    /// (defaults when it is not covered).
    fn props(&self, fc: u32) -> ParaProps {
        self.grpprl(fc).map(para_props).unwrap_or_default()
    }

    fn grpprl(&self, fc: u32) -> Option<&'a [u8]> {
        // The run k with fcs[k] <= fc < fcs[k + 1].
        let k = self.fcs.partition_point(|&f| f <= fc).checked_sub(1)?;
        if fc >= *self.fcs.get(k + 1)? {
            return None;
        }
        let at = (*self.pages.get(k)? as usize).checked_mul(512)?;
        let page = self.word.get(at..at.checked_add(512)?)?;
        let crun = page[511] as usize;
        // crun + 1 fcs, then crun 13-byte BxPap entries, within the page.
        if crun == 0 || (crun + 1) * 4 + crun * 13 > 511 {
            return None;
        }
        let rgfc = |j: usize| u32_at(page, j * 4).unwrap_or(0);
        let j = (0..crun).find(|&j| rgfc(j) <= fc && fc < rgfc(j + 1))?;
        let b_offset = page[(crun + 1) * 4 + j * 13] as usize * 2;
        if b_offset == 0 {
            // No properties: a plain paragraph.
            return Some(&[]);
        }
        let cb = *page.get(b_offset)? as usize;
        let (start, len) = if cb != 0 {
            (b_offset + 1, (2 * cb).checked_sub(1)?)
        } else {
            (b_offset + 2, 2 * *page.get(b_offset + 1)? as usize)
        };
        // The first two bytes are the style (istd).
        let papx = page.get(start..(start + len).min(511))?;
        papx.get(2..)
    }
}

/// Reads the table sprms of a paragraph's grpprl. Operand sizes follow the
/// sprm's `spra` bits; a size running past the end stops the walk.
fn para_props(grpprl: &[u8]) -> ParaProps {
    let mut props = ParaProps::default();
    let mut i = 0usize;
    while let Some(sprm) = u16_at(grpprl, i) {
        let operand = i + 2;
        let size = match sprm >> 13 {
            0 | 1 => 1,
            2 | 4 | 5 => 2,
            3 => 4,
            7 => 3,
            // Variable: a size byte, except sprmTDefTable and
            // sprmPHugePapx-like long ones, whose size is 2 bytes (+1).
            _ => match sprm {
                0xD608 | 0xC646 => match u16_at(grpprl, operand) {
                    Some(n) => n as usize + 1,
                    None => break,
                },
                _ => match grpprl.get(operand) {
                    Some(&n) => n as usize + 1,
                    None => break,
                },
            },
        };
        let Some(value) = grpprl.get(operand..operand + size) else {
            break;
        };
        match sprm {
            0x2416 => props.in_table |= value[0] != 0,
            0x2417 => props.row_end = value[0] != 0,
            0x6649 => props.in_table |= u32_at(value, 0).unwrap_or(0) > 0,
            0xD608 => props.row = row_def(value),
            _ => {}
        }
        i = operand + size;
    }
    if props.row_end {
        props.in_table = true;
    }
    props
}

/// The paragraphs and tables of the text being rebuilt.
#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    text_lines: Vec<String>,
    grid: Option<Grid>,
    /// The cell definitions of the grid's rows, when read.
    row_defs: Vec<Option<RowDef>>,
    row: Vec<String>,
    cell: String,
    cells: u64,
    lines: usize,
}

impl Builder {
    fn flush_text(&mut self) {
        if !self.text_lines.is_empty() {
            self.blocks
                .push(Block::Text(std::mem::take(&mut self.text_lines).join("\n")));
        }
    }

    fn close_table(&mut self, max_cells: u64) -> Result<(), ImportError> {
        // A row cut short by the end of the text keeps what it read.
        if !self.cell.is_empty() {
            self.row.push(std::mem::take(&mut self.cell));
        }
        if !self.row.is_empty() {
            self.end_row(None);
        }
        if let Some(grid) = self.grid.take() {
            let defs = std::mem::take(&mut self.row_defs);
            let grid = align_merged_cells(grid, &defs, max_cells)?;
            self.blocks.push(Block::Grid(grid));
        }
        Ok(())
    }

    fn open_table(&mut self) {
        if self.grid.is_none() {
            self.flush_text();
            self.grid = Some(Grid::new());
        }
    }

    /// A paragraph of a cell: lines of the cell, trimmed, as a .docx cell.
    fn cell_paragraph(&mut self, p: &str) {
        self.open_table();
        if !self.cell.is_empty() {
            self.cell.push('\n');
        }
        self.cell.push_str(p.trim());
    }

    fn end_cell(&mut self, p: &str) {
        self.cell_paragraph(p);
        self.row.push(std::mem::take(&mut self.cell));
        self.cells += 1;
    }

    fn end_row(&mut self, def: Option<RowDef>) {
        self.open_table();
        let row = std::mem::take(&mut self.row);
        if let Some(g) = self.grid.as_mut() {
            g.push(row);
            self.row_defs.push(def);
        }
    }

    fn text_paragraph(&mut self, p: String, max_cells: u64) -> Result<(), ImportError> {
        self.close_table(max_cells)?;
        if !p.trim().is_empty() {
            self.text_lines.push(p);
        }
        Ok(())
    }
}

/// Lays merged cells out as a .docx table reads them: a cell spanning n
/// columns of the table (the union of all rows' cell boundaries) is followed
/// by n − 1 empty cells, so later cells stay under their header; an empty
/// cell continuing a vertical merge repeats the cell above. Rows whose
/// definition does not match their cells are kept as read. More than
/// `max_cells` cells once laid out are refused with `TOO_LARGE`.
fn align_merged_cells(
    grid: Grid,
    defs: &[Option<RowDef>],
    max_cells: u64,
) -> Result<Grid, ImportError> {
    let mut columns: Vec<i16> = defs
        .iter()
        .flatten()
        .flat_map(|d| d.bounds.iter().copied())
        .collect();
    columns.sort_unstable();
    columns.dedup();
    let inside = |l: i16, r: i16| {
        let (lo, hi) = (l.min(r), l.max(r));
        columns.partition_point(|&b| b < hi) - columns.partition_point(|&b| b <= lo)
    };
    let mut out: Grid = Vec::with_capacity(grid.len());
    let mut cells = 0u64;
    for (row, def) in grid.into_iter().zip(defs.iter().map(Option::as_ref)) {
        let def = def.filter(|d| d.continues.len() == row.len());
        let mut laid = Vec::with_capacity(row.len());
        let mut continued = Vec::new();
        for (k, cell) in row.into_iter().enumerate() {
            let span = def.map_or(1, |d| inside(d.bounds[k], d.bounds[k + 1]) + 1);
            if def.is_some_and(|d| d.continues[k]) {
                continued.push(laid.len());
            }
            laid.push(cell);
            for _ in 1..span.clamp(1, 64) {
                laid.push(String::new());
            }
        }
        if let Some(above) = out.last() {
            for c in continued {
                if laid[c].trim().is_empty()
                    && let Some(v) = above.get(c)
                {
                    laid[c] = v.clone();
                }
            }
        }
        cells += laid.len() as u64;
        if cells > max_cells {
            return Err(ImportError::TooLargeContent(format!(
                "the document's tables have more than {max_cells} cells"
            )));
        }
        out.push(laid);
    }
    Ok(out)
}

/// Rebuilds paragraphs and tables from the text, dropping field
/// instructions (0x13 instruction 0x14 result 0x15 keeps the result) and
/// control characters.
fn build_blocks(
    text: &MainText,
    papx: Option<&Papx>,
    bounds: DocBounds,
) -> Result<Vec<Block>, ImportError> {
    let mut b = Builder::default();
    let mut para = String::new();
    // Open fields, true once past their separator; `hiding` counts those
    // still in their instruction, so a deep nest costs no more per char.
    let mut fields: Vec<bool> = Vec::new();
    let mut hiding = 0usize;
    let mut marks = text.marks.iter().peekable();
    let mut index = 0usize;
    let mut last_was_cell_end = false;
    for c in char::decode_utf16(text.units.iter().copied()) {
        let at = index;
        let c = c.unwrap_or('\u{FFFD}');
        index += c.len_utf16();
        let mark_fc = match marks.peek() {
            Some(&&(i, fc)) if i == at => {
                marks.next();
                Some(fc)
            }
            _ => None,
        };
        match c {
            '\r' | '\u{07}' | '\u{0C}' => {
                b.lines += 1;
                if b.lines > bounds.max_lines {
                    return Err(ImportError::TooLargeContent(format!(
                        "the document has more than {} paragraphs",
                        bounds.max_lines
                    )));
                }
                let p = std::mem::take(&mut para);
                let props = match (papx, mark_fc) {
                    (Some(x), Some(fc)) if c != '\u{0C}' => x.props(fc),
                    _ => ParaProps::default(),
                };
                let cell_mark = c == '\u{07}';
                // Without properties, a 0x07 right after a cell's 0x07
                // (nothing between) is the row mark.
                let row_end = props.row_end
                    || (papx.is_none() && cell_mark && last_was_cell_end && p.is_empty());
                if row_end {
                    b.end_row(props.row);
                } else if cell_mark {
                    b.end_cell(&p);
                    if b.cells > bounds.max_cells {
                        return Err(ImportError::TooLargeContent(format!(
                            "the document's tables have more than {} cells",
                            bounds.max_cells
                        )));
                    }
                } else if props.in_table {
                    b.cell_paragraph(&p);
                } else {
                    b.text_paragraph(p, bounds.max_cells)?;
                }
                last_was_cell_end = cell_mark && !row_end;
            }
            '\u{13}' => {
                fields.push(false);
                hiding += 1;
            }
            '\u{14}' => {
                if let Some(past) = fields.last_mut()
                    && !*past
                {
                    *past = true;
                    hiding -= 1;
                }
            }
            '\u{15}' => {
                if fields.pop() == Some(false) {
                    hiding -= 1;
                }
            }
            _ if hiding > 0 => {}
            '\u{0B}' | '\u{0E}' => para.push('\n'),
            '\t' => para.push(' '),
            '\u{1E}' => para.push('-'),
            c if (c as u32) < 0x20 => {}
            c => para.push(c),
        }
    }
    if !para.trim().is_empty() {
        b.text_paragraph(para, bounds.max_cells)?;
    }
    b.close_table(bounds.max_cells)?;
    b.flush_text();
    Ok(b.blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MainText {
        let units: Vec<u16> = s.encode_utf16().collect();
        let marks = units
            .iter()
            .enumerate()
            .filter(|(_, u)| **u == 0x0D || **u == 0x07)
            .map(|(i, _)| (i, 0))
            .collect();
        MainText { units, marks }
    }

    fn blocks(s: &str) -> Vec<Block> {
        build_blocks(&text(s), None, DocBounds::default()).unwrap()
    }

    #[test]
    fn paragraphs_become_lines() {
        assert_eq!(
            blocks("某市实施方案\r\r一、重点任务\r"),
            [Block::Text("某市实施方案\n一、重点任务".into())]
        );
    }

    #[test]
    fn field_instructions_are_dropped_and_results_kept() {
        let s = "详见\u{13} HYPERLINK \"http://x\" \u{14}网站\u{15}。\u{13}PAGE\u{15}\r";
        assert_eq!(blocks(s), [Block::Text("详见网站。".into())]);
        // Nested: the inner field's result stays hidden inside the outer
        // instruction.
        let s = "a\u{13}IF \u{13}X\u{14}y\u{15}\u{14}b\u{15}c\r";
        assert_eq!(blocks(s), [Block::Text("abc".into())]);
    }

    #[test]
    fn control_characters_are_dropped_or_mapped() {
        let s = "a\u{01}b\tc\u{0B}d\u{1E}e\u{1F}f\r";
        assert_eq!(blocks(s), [Block::Text("ab c\nd-ef".into())]);
    }

    #[test]
    fn without_properties_a_double_cell_mark_ends_a_row() {
        let s = "表\r序号\u{07}任务\u{07}\u{07}1\u{07}甲\u{07}\u{07}注\r";
        let b = blocks(s);
        assert_eq!(b.len(), 3);
        assert_eq!(
            b[1],
            Block::Grid(vec![
                vec!["序号".into(), "任务".into()],
                vec!["1".into(), "甲".into()]
            ])
        );
        assert_eq!(b[2], Block::Text("注".into()));
    }

    #[test]
    fn table_sprms_are_read() {
        // sprmPFInTable 1, sprmPFTtp 1.
        let p = para_props(&[0x16, 0x24, 1, 0x17, 0x24, 1]);
        assert_eq!(
            p,
            ParaProps {
                in_table: true,
                row_end: true,
                row: None,
            }
        );
        // sprmPItap 1 after a variable-size sprm and a sprmTDefTable.
        let p = para_props(&[
            0x15, 0xC6, 2, 9, 9, 0x08, 0xD6, 3, 0, 1, 2, 0x49, 0x66, 1, 0, 0, 0,
        ]);
        assert_eq!(
            p,
            ParaProps {
                in_table: true,
                row_end: false,
                row: None,
            }
        );
        // A size past the end stops the walk, no panic.
        assert_eq!(para_props(&[0x08, 0xD6, 0xFF, 0xFF]), ParaProps::default());
        assert_eq!(para_props(&[0x16]), ParaProps::default());
    }

    /// A TDefTableOperand: size, itcMac, boundaries, TC80s (tcgrf first).
    fn operand(bounds: &[i16], tcgrf: &[u16]) -> Vec<u8> {
        let mut v = vec![0, 0, (bounds.len() - 1) as u8];
        for b in bounds {
            v.extend_from_slice(&b.to_le_bytes());
        }
        for f in tcgrf {
            v.extend_from_slice(&f.to_le_bytes());
            v.extend_from_slice(&[0; 18]);
        }
        v
    }

    #[test]
    fn row_definitions_give_bounds_and_vertical_merges() {
        // As a sprm of the row mark's properties: size = operand length - 1.
        let op = operand(&[0, 100, 300], &[0, 1 << 5]);
        let mut grpprl = vec![0x08, 0xD6];
        grpprl.extend_from_slice(&((op.len() - 1) as u16).to_le_bytes());
        grpprl.extend_from_slice(&op[2..]);
        grpprl.extend_from_slice(&[0x17, 0x24, 1]);
        let p = para_props(&grpprl);
        assert!(p.row_end);
        assert_eq!(p.row.unwrap().continues, [false, true]);
        let d = row_def(&op).unwrap();
        assert_eq!(d.bounds, [0, 100, 300]);
        assert_eq!(d.continues, [false, true]);
        // vertMerge 3 starts a merge: no continuation; TC80s may be missing.
        let d = row_def(&operand(&[0, 100, 300], &[3 << 5])).unwrap();
        assert_eq!(d.continues, [false, false]);
        assert_eq!(row_def(&[0, 0, 0]), None);
        assert_eq!(row_def(&[0, 0, 5, 1]), None);
    }

    #[test]
    fn merged_cells_are_aligned_like_docx() {
        let def = |b: &[i16], c: &[bool]| {
            Some(RowDef {
                bounds: b.to_vec(),
                continues: c.to_vec(),
            })
        };
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let grid = vec![
            s(&["序号", "任务", "牵头单位"]),
            s(&["一、重点工作"]),
            s(&["1", "甲", "市教育局"]),
            s(&["2", "乙", ""]),
        ];
        let defs = [
            def(&[0, 10, 20, 30], &[false; 3]),
            def(&[0, 30], &[false]),
            def(&[0, 10, 20, 30], &[false; 3]),
            def(&[0, 10, 20, 30], &[false, false, true]),
        ];
        let g = align_merged_cells(grid.clone(), &defs, 100).unwrap();
        assert_eq!(g[1], ["一、重点工作", "", ""]);
        assert_eq!(g[3], ["2", "乙", "市教育局"]);
        // A definition that does not match the row's cells is ignored.
        let g = align_merged_cells(
            grid.clone(),
            &[None, def(&[0, 30], &[false, false]), None, None],
            100,
        )
        .unwrap();
        assert_eq!(g, grid);
        // Laid-out cells count against the bound.
        let e = align_merged_cells(grid, &defs, 10).unwrap_err();
        assert_eq!(e.code(), "TOO_LARGE");
    }

    #[test]
    fn compressed_bytes_follow_the_spec_table() {
        assert_eq!(compressed_char(b'A'), 0x41);
        assert_eq!(compressed_char(0x93), 0x201C);
        assert_eq!(compressed_char(0x80), 0x80);
        assert_eq!(compressed_char(0xE9), 0xE9);
    }

    #[test]
    fn paragraphs_and_cells_past_the_bounds_are_refused() {
        let small = DocBounds {
            max_lines: 2,
            max_cells: 10,
        };
        let e = build_blocks(&text("a\rb\rc\r"), None, small).err().unwrap();
        assert_eq!(e.code(), "TOO_LARGE");
        let small = DocBounds {
            max_lines: 100,
            max_cells: 2,
        };
        let e = build_blocks(&text("a\u{07}b\u{07}c\u{07}\u{07}"), None, small)
            .err()
            .unwrap();
        assert_eq!(e.code(), "TOO_LARGE");
    }

    #[test]
    fn overlapping_pieces_cannot_expand_the_text() {
        let word = vec![b'a'; 100];
        let pieces = [Ok(Piece {
            cp: 0,
            cp_end: 1000,
            offset: 0,
            compressed: true,
        })];
        assert_eq!(
            main_text(&word, pieces, 1000, 100).err().unwrap().code(),
            "BROKEN_DOCUMENT"
        );
        let pieces = [Ok(Piece {
            cp: 0,
            cp_end: 60,
            offset: 50,
            compressed: true,
        })];
        assert_eq!(
            main_text(&word, pieces, 60, 100).err().unwrap().code(),
            "BROKEN_DOCUMENT"
        );
        let pieces = [Ok(Piece {
            cp: 0,
            cp_end: 50,
            offset: 0,
            compressed: false,
        })];
        assert_eq!(main_text(&word, pieces, 50, 100).unwrap().units.len(), 50);
        // Marks past the bound are refused as they are found.
        let marks = vec![b'\r'; 100];
        let pieces = [Ok(Piece {
            cp: 0,
            cp_end: 100,
            offset: 0,
            compressed: true,
        })];
        let e = main_text(&marks, pieces, 100, 99).err().unwrap();
        assert_eq!(e.code(), "TOO_LARGE");
    }

    #[test]
    fn a_piece_table_out_of_order_is_broken() {
        // CLX: Pcdt of two pieces whose positions go backwards.
        let mut plc = Vec::new();
        for cp in [0u32, 10, 5] {
            plc.extend_from_slice(&cp.to_le_bytes());
        }
        plc.extend_from_slice(&[0u8; 16]);
        let mut clx = vec![2];
        clx.extend_from_slice(&(plc.len() as u32).to_le_bytes());
        clx.extend_from_slice(&plc);
        let table = piece_table(&clx, 0, clx.len() as u32).unwrap();
        let word = vec![b'a'; 100];
        let e = main_text(&word, table.pieces(), 12, 100).err().unwrap();
        assert_eq!(e.code(), "BROKEN_DOCUMENT");
        assert!(piece_table(&clx, 0, clx.len() as u32 + 1).is_err());
        assert!(piece_table(&[1, 0xFF, 0x7F], 0, 3).is_err());
    }
}
