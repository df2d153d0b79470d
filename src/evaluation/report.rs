//! Rendering results for `duban evaluate`: a terminal table (CJK characters are two columns
//! wide), CSV and JSON. Pure: rows in, text out.
use serde::Serialize;

/// Output format of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Xlsx,
}

impl Format {
    /// Parses `table | csv | json | xlsx`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "xlsx" => Ok(Self::Xlsx),
            other => Err(format!(
                "unknown format {other:?}: use table, csv, json or xlsx"
            )),
        }
    }
}

/// One subject's line.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub rank: u32,
    pub agency_id: i64,
    pub subject: String,
    /// Rounded to 2 decimals.
    pub score: f64,
    pub grade: String,
    pub vetoed: bool,
    /// The full breakdown (a `SubjectResult`).
    pub breakdown: serde_json::Value,
}

/// Display width in terminal columns: East Asian wide and full-width characters take two.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

fn pad(s: &str, width: usize, right_align: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(s)));
    if right_align {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// An aligned table: rank, subject, score, grade, veto.
pub fn table(heading: &str, rows: &[Row]) -> String {
    let header = ["排名", "单位", "得分", "等次", "一票否决"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.rank.to_string(),
                r.subject.clone(),
                format!("{:.2}", r.score),
                r.grade.clone(),
                if r.vetoed {
                    "是".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let mut widths = header.map(display_width);
    for c in &cells {
        for (i, s) in c.iter().enumerate() {
            widths[i] = widths[i].max(display_width(s));
        }
    }
    let right = [true, false, true, false, false];
    let line = |c: &[String]| {
        c.iter()
            .enumerate()
            .map(|(i, s)| pad(s, widths[i], right[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = format!("{heading}\n");
    out.push_str(&line(&header.map(String::from)));
    out.push('\n');
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
    out.push('\n');
    for c in &cells {
        out.push_str(&line(c));
        out.push('\n');
    }
    out
}

/// CSV with a header: rank, agency_id, subject, score, grade, vetoed (the `csv` crate quotes
/// what needs quoting).
pub fn csv(rows: &[Row]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing records to memory fails only on I/O, which a Vec does not do.
    let _ = out.write_record(["rank", "agency_id", "subject", "score", "grade", "vetoed"]);
    for r in rows {
        let _ = out.write_record([
            r.rank.to_string(),
            r.agency_id.to_string(),
            r.subject.clone(),
            format!("{:.2}", r.score),
            r.grade.clone(),
            r.vetoed.to_string(),
        ]);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A JSON array, one object per subject (subject, score, grade, rank, vetoed, breakdown).
pub fn json(rows: &[Row]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".into()) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rank: u32, subject: &str, score: f64) -> Row {
        Row {
            rank,
            agency_id: 1,
            subject: subject.into(),
            score,
            grade: "良好".into(),
            vetoed: false,
            breakdown: serde_json::json!({}),
        }
    }

    #[test]
    fn cjk_is_two_columns_and_columns_align() {
        assert_eq!(display_width("市生态环境局"), 12);
        assert_eq!(display_width("ab"), 2);
        let t = table("t", &[row(1, "市生态环境局", 85.5), row(2, "ABC", 80.0)]);
        let lines: Vec<&str> = t.lines().skip(3).collect();
        // The score column ends at the same display column on every line.
        let end = |l: &str| display_width(&l[..l.find('.').unwrap() + 3]);
        assert_eq!(end(lines[0]), end(lines[1]));
    }

    #[test]
    fn a_workbook_that_reads_back() {
        use calamine::{Data, Reader, Xlsx};
        let rows = [row(1, "济宁市生态环境局 <&>", 90.5), row(2, "ABC", 80.0)];
        let bytes = xlsx("2025年度评估", &rows).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["2025年度评估".to_string()]);
        let range = book.worksheet_range("2025年度评估").unwrap();
        assert_eq!(range.get_value((0, 1)), Some(&Data::String("单位".into())));
        assert_eq!(
            range.get_value((1, 1)),
            Some(&Data::String("济宁市生态环境局 <&>".into()))
        );
        assert_eq!(range.get_value((1, 2)), Some(&Data::Float(90.5)));
        assert_eq!(range.height(), 3);
    }

    #[test]
    fn formats() {
        assert_eq!(Format::parse("CSV"), Ok(Format::Csv));
        assert_eq!(Format::parse("xlsx").unwrap(), Format::Xlsx);
        assert!(Format::parse("pdf").is_err());
        let c = csv(&[row(1, "a,b", 90.0)]);
        assert!(c.contains("\"a,b\",90.00"), "{c}");
        let j: serde_json::Value = serde_json::from_str(&json(&[row(1, "x", 90.0)])).unwrap();
        assert_eq!(j[0]["score"], 90.0);
    }
}

/// The ranking as a one-sheet workbook (rust_xlsxwriter): rank, subject, score, grade,
/// veto, with a bold frozen header.
///
/// # Errors
/// Only if the workbook cannot be assembled in memory.
pub fn xlsx(sheet_name: &str, rows: &[Row]) -> std::io::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name.chars().take(31).collect::<String>())?;
        let bold = Format::new().set_bold();
        for (c, (h, width)) in [
            ("排名", 6),
            ("单位", 30),
            ("得分", 8),
            ("等次", 8),
            ("一票否决", 10),
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
            sheet.set_column_width(c as u16, width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (i, r) in rows.iter().enumerate() {
            let at = i as u32 + 1;
            sheet.write_number(at, 0, f64::from(r.rank))?;
            sheet.write_string(at, 1, &r.subject)?;
            if r.score.is_finite() {
                sheet.write_number(at, 2, r.score)?;
            }
            sheet.write_string(at, 3, &r.grade)?;
            if r.vetoed {
                sheet.write_string(at, 4, "是")?;
            }
        }
        workbook.save_to_buffer()
    };
    build().map_err(std::io::Error::other)
}
