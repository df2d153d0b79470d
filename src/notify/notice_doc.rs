//! A numbered notice as a Word document (.docx): the supervision notice (督办函), the
//! circulated notice (通报) or the summons (约谈通知) the ladder issues, with its heading,
//! document number, addressee agencies, the tasks concerned with their deadlines and how
//! far overdue they are, the reply date, the office as issuer and the date.
//!
//! Pure: the caller supplies every value (the date included); the bytes depend on nothing
//! else, so the sweep renders a notice once and keeps exactly what it mailed.

use chrono::{Datelike, NaiveDate};
use docx_rs::{
    AlignmentType, Docx, LineSpacing, Paragraph, Run, RunFonts, Table, TableCell, TableRow,
    WidthType,
};

use super::ladder::Level;

/// Media type of a .docx file.
pub const DOCX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// One task a notice concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeTask {
    pub plan_title: String,
    /// Outline code, e.g. `三(二)1`.
    pub code: String,
    pub title: String,
    /// The date the matter was due (the deadline, or a report's due date).
    pub deadline: Option<NaiveDate>,
    /// Days past `deadline` on the notice's date (0 or less: not yet overdue).
    pub days_overdue: i64,
}

/// Everything printed on a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeDocument {
    pub level: Level,
    /// 文号, e.g. `督办〔2025〕12号`.
    pub number: String,
    /// 主送单位: the agencies the notice is addressed to.
    pub addressees: Vec<String>,
    pub tasks: Vec<NoticeTask>,
    /// The date by which a written reply is requested.
    pub reply_by: NaiveDate,
    /// 发文单位: the office issuing it.
    pub issuer: String,
    /// 成文日期.
    pub date: NaiveDate,
}

/// The document's title line.
#[must_use]
pub fn heading(level: Level) -> &'static str {
    match level {
        Level::Notice => "关于逾期未完成任务的通报",
        Level::Summons => "约谈通知",
        _ => "督办函",
    }
}

/// `2025年7月3日`: the dates of official documents are written in full.
#[must_use]
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The file name a notice is mailed and downloaded under, e.g. `督办〔2025〕12号.docx`.
#[must_use]
pub fn file_name(number: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| if "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .collect();
    format!("{safe}.docx")
}

fn body_text(doc: &NoticeDocument) -> String {
    let reply = chinese_date(doc.reply_by);
    match doc.level {
        Level::Notice => format!(
            "经督查，下列任务已超过完成时限仍未办结，现予通报。请责任单位高度重视，\
             认真分析原因，落实整改措施，并于{reply}前将整改情况书面报送{}。",
            doc.issuer
        ),
        Level::Summons => format!(
            "下列任务经催办、督办、通报后仍未办结。请单位主要负责同志于{reply}前\
             与{}联系，按约定时间参加约谈，说明办理情况和下一步措施。",
            doc.issuer
        ),
        _ => format!(
            "你单位负责的下列任务已超过完成时限，经提醒、催办仍未办结，现予督办。\
             请抓紧办理，并于{reply}前将办理情况及佐证材料书面报送{}。",
            doc.issuer
        ),
    }
}

fn fonts() -> RunFonts {
    RunFonts::new()
        .east_asia("SimSun")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn text(s: impl Into<String>, size: usize) -> Run {
    Run::new().add_text(s).size(size).fonts(fonts())
}

fn cell(s: impl Into<String>, width: usize, bold: bool) -> TableCell {
    let mut run = text(s, 21);
    if bold {
        run = run.bold();
    }
    TableCell::new()
        .width(width, WidthType::Dxa)
        .add_paragraph(Paragraph::new().add_run(run))
}

fn overdue_text(t: &NoticeTask) -> String {
    match t.days_overdue {
        d if d > 0 => format!("逾期{d}天"),
        _ => "未逾期".into(),
    }
}

/// Renders the notice as .docx bytes.
///
/// # Errors
/// Only if the in-memory archive cannot be written, which does not happen in practice.
pub fn render_docx(doc: &NoticeDocument) -> std::io::Result<Vec<u8>> {
    // Sizes are half-points: 二号 22 pt for the heading, 三号 16 pt for the text (GB/T 9704).
    let mut docx = Docx::new()
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text(heading(doc.level), 44).bold()),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text(doc.number.clone(), 32)),
        )
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new().add_run(text(format!("{}：", doc.addressees.join("、")), 32)),
        )
        .add_paragraph(
            Paragraph::new()
                .line_spacing(LineSpacing::new().line(560))
                .add_run(text(format!("\u{3000}\u{3000}{}", body_text(doc)), 32)),
        );
    let widths = [700, 1300, 3700, 1600, 1400];
    let mut rows = vec![TableRow::new(
        ["序号", "编号", "任务", "完成时限", "逾期情况"]
            .iter()
            .zip(widths)
            .map(|(h, w)| cell(*h, w, true))
            .collect(),
    )];
    for (i, t) in doc.tasks.iter().enumerate() {
        let task = if t.plan_title.is_empty() {
            t.title.clone()
        } else {
            format!("{}（{}）", t.title, t.plan_title)
        };
        let values = [
            (i + 1).to_string(),
            t.code.clone(),
            task,
            t.deadline.map(chinese_date).unwrap_or_default(),
            overdue_text(t),
        ];
        rows.push(TableRow::new(
            values
                .into_iter()
                .zip(widths)
                .map(|(v, w)| cell(v, w, false))
                .collect(),
        ));
    }
    docx = docx
        .add_table(Table::new(rows).set_grid(widths.to_vec()))
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Right)
                .add_run(text(doc.issuer.clone(), 32)),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Right)
                .add_run(text(chinese_date(doc.date), 32)),
        );
    let mut out = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut out).map_err(std::io::Error::other)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(level: Level) -> NoticeDocument {
        NoticeDocument {
            level,
            number: "督办〔2025〕12号".into(),
            addressees: vec!["济宁市生态环境局".into()],
            tasks: vec![NoticeTask {
                plan_title: "大气污染防治实施方案".into(),
                code: "三(二)1".into(),
                title: "完成燃煤锅炉淘汰 <&>".into(),
                deadline: NaiveDate::from_ymd_opt(2025, 6, 30),
                days_overdue: 15,
            }],
            reply_by: NaiveDate::from_ymd_opt(2025, 7, 22).unwrap(),
            issuer: "领导小组办公室".into(),
            date: NaiveDate::from_ymd_opt(2025, 7, 15).unwrap(),
        }
    }

    fn document_xml(bytes: &[u8]) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").unwrap(), &mut xml)
            .unwrap();
        xml
    }

    #[test]
    fn the_document_carries_number_addressee_tasks_and_dates() {
        let bytes = render_docx(&sample(Level::Supervision)).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let xml = document_xml(&bytes);
        for needle in [
            "督办函",
            "督办〔2025〕12号",
            "济宁市生态环境局：",
            "三(二)1",
            "完成燃煤锅炉淘汰 &lt;&amp;&gt;",
            "2025年6月30日",
            "逾期15天",
            "2025年7月22日前",
            "领导小组办公室",
            "2025年7月15日",
        ] {
            assert!(xml.contains(needle), "{needle} missing");
        }
    }

    #[test]
    fn rendering_is_deterministic_and_the_heading_follows_the_level() {
        let a = render_docx(&sample(Level::Notice)).unwrap();
        assert_eq!(a, render_docx(&sample(Level::Notice)).unwrap());
        assert!(document_xml(&a).contains("关于逾期未完成任务的通报"));
        assert_eq!(file_name("督办〔2025〕12号"), "督办〔2025〕12号.docx");
    }
}
