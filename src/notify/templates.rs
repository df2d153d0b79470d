//! The digest mail (督办提醒邮件): one mail per recipient per sweep listing everything due
//! for them, grouped by level, most serious first. An agency should get one digest, not
//! fifty separate mails.
//!
//! Rendering is pure: the caller supplies the items (already decided by
//! [`super::ladder::due_rungs`]) and the public URL of the web UI.

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ladder::Level;
use crate::domain::Light;

/// How the recipient's agency relates to an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 牵头: the agency leads the task.
    Lead,
    /// 参与: the agency participates (配合).
    Participant,
    /// 落实: the agency (usually a local government) implements it.
    Implementer,
    /// 审核: the office has to verify a completion request.
    Office,
    /// 知悉: leadership, informed of a 通报 or 约谈.
    Leadership,
}

impl Role {
    /// The short Chinese label shown next to the task.
    #[must_use]
    pub fn chinese(self) -> &'static str {
        match self {
            Role::Lead => "牵头",
            Role::Participant => "参与",
            Role::Implementer => "落实",
            Role::Office => "审核",
            Role::Leadership => "知悉",
        }
    }
}

/// What an item is about; decides how its date is described.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Matter {
    /// The task's deadline (完成时限).
    Deadline,
    /// A periodic progress report (进展情况报送) for `period`, e.g. `2025-Q3`.
    Report {
        /// Period label.
        period: String,
    },
    /// A completion request awaiting the office's verification (办结申请待核验).
    Verification,
}

/// One line of a digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The rung that is being sent.
    pub level: Level,
    /// What the item is about.
    pub matter: Matter,
    /// Title of the plan (实施方案) the task belongs to.
    pub plan_title: String,
    /// Outline code of the task, e.g. `三(二)1`.
    pub task_code: String,
    /// Title of the task.
    pub task_title: String,
    /// The recipient agency's role for this task.
    pub role: Role,
    /// The relevant date: the deadline, the report due date, or the request date.
    pub deadline: Option<NaiveDate>,
    /// Negative = days left, positive = days overdue (days waiting, for a verification).
    pub days: i64,
    /// The task's traffic light.
    pub light: Light,
    /// Link to the task: absolute (`https://…`) or a path relative to the public URL.
    pub link: String,
    /// Document number of a numbered rung, e.g. `督办〔2025〕12号`.
    pub doc_number: Option<String>,
}

/// A rendered mail. The mailer encodes the subject (RFC 2047) and builds the
/// `multipart/alternative` body from `text` and `html`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedMail {
    /// One line, no CR/LF.
    pub subject: String,
    /// Plain-text alternative.
    pub text: String,
    /// HTML body, every interpolated value escaped.
    pub html: String,
}

/// Formats an official document number (文号) such as `督办〔2025〕12号` or `通报〔2025〕3号`.
/// Any level can be numbered; in practice 督办, 通报 and 约谈 are (see
/// [`Level::is_numbered_document`]).
#[must_use]
pub fn format_doc_number(level: Level, year: i32, seq: u32) -> String {
    format!("{}〔{year}〕{seq}号", level.chinese())
}

/// Who a digest is for, from the roles of its items: an agency's people are asked to act on
/// their tasks; the office is asked to follow up (and to verify completion requests); the
/// leadership is informed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Agency,
    Office { verify: bool, follow_up: bool },
    Leadership,
}

fn reader(items: &[&DigestItem]) -> Reader {
    if !items.is_empty() && items.iter().all(|i| i.role == Role::Leadership) {
        Reader::Leadership
    } else if !items.is_empty() && items.iter().all(|i| i.role == Role::Office) {
        Reader::Office {
            verify: items.iter().any(|i| i.matter == Matter::Verification),
            follow_up: items.iter().any(|i| i.matter != Matter::Verification),
        }
    } else {
        Reader::Agency
    }
}

/// The sentence introducing the list.
fn intro(reader: Reader, agency: &str) -> (String, String) {
    match reader {
        Reader::Agency => (
            format!("您好！{agency}目前有"),
            "项任务需要关注，具体如下：".into(),
        ),
        Reader::Office { .. } => (
            "您好！以下".into(),
            "项督办事项需要办公室跟进，具体如下：".into(),
        ),
        Reader::Leadership => (
            "您好！以下".into(),
            "项任务的督办情况报请您知悉，具体如下：".into(),
        ),
    }
}

/// What the reader is asked to do (before the link to the system).
fn closing(reader: Reader) -> &'static str {
    match reader {
        Reader::Agency => "请登录督办系统及时报送进展或申请办结",
        Reader::Office {
            verify: true,
            follow_up: true,
        } => "请登录督办系统及时核验办结申请，并跟踪督促责任单位办理",
        Reader::Office { verify: true, .. } => "请登录督办系统及时核验办结申请",
        Reader::Office { .. } => "请登录督办系统跟踪督促责任单位办理",
        Reader::Leadership => "详情请登录督办系统查看",
    }
}

/// The label of the reader's role for an item: the office verifies completion requests
/// (审核) and is otherwise copied (抄送).
fn role_label(item: &DigestItem) -> &'static str {
    match item.role {
        Role::Office if item.matter != Matter::Verification => "抄送",
        role => role.chinese(),
    }
}

const CHINESE_ORDINALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// A digest lists at most this many items, the most urgent first; the others are counted
/// (by level) and the reader is sent to the system for the full list. A mail of hundreds
/// of thousands of lines (the office's digest the week a large plan's deadlines pass) is
/// read by nobody, and would have to be held whole in memory to be written.
pub const MAX_LISTED: usize = 100;

/// Which of two items a digest lists first: the more serious level, then the more overdue,
/// then the task code.
pub fn more_urgent(a: &DigestItem, b: &DigestItem) -> std::cmp::Ordering {
    b.level
        .cmp(&a.level)
        .then_with(|| b.days.cmp(&a.days))
        .then_with(|| a.task_code.cmp(&b.task_code))
}

/// Renders one digest mail for one recipient.
///
/// Items are grouped by level (most serious first) and, within a level, sorted by how
/// overdue they are, then by task code; at most [`MAX_LISTED`] are listed, the rest counted
/// with those in `unlisted` (items the caller already left out, by level). `public_url` is
/// the web UI's base URL; relative item links are resolved against it.
#[must_use]
pub fn render_digest(
    recipient_name: &str,
    agency_name: &str,
    items: &[DigestItem],
    unlisted: &[(Level, usize)],
    public_url: &str,
) -> RenderedMail {
    let mut listed: Vec<&DigestItem> = items.iter().collect();
    listed.sort_by(|a, b| more_urgent(a, b));
    let mut left_out: Vec<(Level, usize)> = unlisted.to_vec();
    for item in listed.iter().skip(MAX_LISTED) {
        add_count(&mut left_out, item.level, 1);
    }
    listed.truncate(MAX_LISTED);
    let groups = group_by_level(&listed, &left_out);
    let total = groups.iter().map(|g| g.count).sum();
    let subject = one_line(&subject_line(agency_name, total, &groups));
    let public_url = public_url.trim();
    let reader = reader(&listed);
    RenderedMail {
        text: render_text(
            reader,
            recipient_name,
            agency_name,
            total,
            &groups,
            public_url,
        ),
        html: render_html(
            reader,
            &subject,
            recipient_name,
            agency_name,
            total,
            &groups,
            public_url,
        ),
        subject,
    }
}

fn add_count(counts: &mut Vec<(Level, usize)>, level: Level, n: usize) {
    match counts.iter_mut().find(|(l, _)| *l == level) {
        Some((_, c)) => *c += n,
        None => counts.push((level, n)),
    }
}

/// One level of a digest: the items listed and how many there are in all.
struct Group<'a> {
    level: Level,
    items: Vec<&'a DigestItem>,
    count: usize,
}

impl Group<'_> {
    fn unlisted(&self) -> usize {
        self.count - self.items.len()
    }
}

/// Levels present, most serious first, with their listed items in display order (`items`
/// is sorted by [`more_urgent`]) and their counts including `unlisted`.
fn group_by_level<'a>(items: &[&'a DigestItem], unlisted: &[(Level, usize)]) -> Vec<Group<'a>> {
    Level::ALL
        .iter()
        .rev()
        .filter_map(|&level| {
            let group: Vec<&DigestItem> =
                items.iter().copied().filter(|i| i.level == level).collect();
            let more: usize = unlisted
                .iter()
                .filter(|(l, _)| *l == level)
                .map(|(_, n)| n)
                .sum();
            let count = group.len() + more;
            (count > 0).then_some(Group {
                level,
                items: group,
                count,
            })
        })
        .collect()
}

fn subject_line(agency: &str, total: usize, groups: &[Group<'_>]) -> String {
    let counts: Vec<String> = groups
        .iter()
        .map(|g| format!("{}{}项", g.level.chinese(), g.count))
        .collect();
    if counts.is_empty() {
        format!("【督办提醒】{agency}：{total}项任务待办")
    } else {
        format!(
            "【督办提醒】{agency}：{total}项任务待办（{}）",
            counts.join("、")
        )
    }
}

/// The sentence describing an item's date, e.g. `完成时限：2025-06-30，已逾期3天`.
fn timing(item: &DigestItem) -> String {
    let relative = |days: i64| match days {
        d if d > 0 => format!("已逾期{d}天"),
        0 => "今日到期".to_string(),
        d => format!("剩余{}天", -d),
    };
    let date = |d: Option<NaiveDate>| d.map_or_else(|| "未定".to_string(), |d| d.to_string());
    match &item.matter {
        Matter::Deadline => match item.deadline {
            Some(d) => format!("完成时限：{d}，{}", relative(item.days)),
            None => "完成时限：持续推进".to_string(),
        },
        Matter::Report { period } => format!(
            "{}进展情况报送截止：{}，{}",
            one_line(period),
            date(item.deadline),
            relative(item.days)
        ),
        Matter::Verification => match item.days {
            d if d > 0 => format!("办结申请（{}提交）待核验，已等待{d}天", date(item.deadline)),
            _ => format!("办结申请（{}提交）待核验", date(item.deadline)),
        },
    }
}

/// An item's link made absolute against `public_url`.
fn absolute_link(link: &str, public_url: &str) -> String {
    let link = link.trim();
    if is_web_url(link) || public_url.is_empty() {
        link.to_string()
    } else {
        format!(
            "{}/{}",
            public_url.trim_end_matches('/'),
            link.trim_start_matches('/')
        )
    }
}

/// Only http(s) links become clickable, so a stored `javascript:` link cannot.
fn is_web_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Collapses whitespace (including CR/LF) so a stored title cannot break the layout or,
/// in the subject, inject a mail header.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ordinal(i: usize) -> &'static str {
    CHINESE_ORDINALS.get(i).copied().unwrap_or("十")
}

fn item_heading(item: &DigestItem) -> String {
    let mut s = String::new();
    if let Some(doc) = &item.doc_number {
        let _ = write!(s, "【{}】", one_line(doc));
    }
    let _ = write!(
        s,
        "《{}》{} {}（{}）",
        one_line(&item.plan_title),
        one_line(&item.task_code),
        one_line(&item.task_title),
        role_label(item)
    );
    s
}

fn render_text(
    reader: Reader,
    recipient: &str,
    agency: &str,
    total: usize,
    groups: &[Group<'_>],
    public_url: &str,
) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{}：\n", one_line(recipient));
    let (before, after) = intro(reader, &one_line(agency));
    let _ = writeln!(t, "{before}{total}{after}");
    for (gi, g) in groups.iter().enumerate() {
        let _ = writeln!(
            t,
            "\n{}、{}（{}项）",
            ordinal(gi),
            g.level.chinese(),
            g.count
        );
        for (i, item) in g.items.iter().enumerate() {
            let _ = writeln!(t, "{}. {}", i + 1, item_heading(item));
            let _ = writeln!(
                t,
                "   {}；状态：{}",
                timing(item),
                light_chinese(item.light)
            );
            let link = absolute_link(&item.link, public_url);
            if !link.is_empty() {
                let _ = writeln!(t, "   查看：{}", one_line(&link));
            }
        }
        if g.unlisted() > 0 {
            let _ = writeln!(t, "……另有{}项未在本邮件列出。", g.unlisted());
        }
    }
    t.push('\n');
    let unlisted: usize = groups.iter().map(Group::unlisted).sum();
    if unlisted > 0 {
        let _ = writeln!(
            t,
            "本邮件列出最紧迫的{}项，全部{total}项请登录督办系统查看。",
            total - unlisted
        );
    }
    if public_url.is_empty() {
        let _ = writeln!(t, "{}。", closing(reader));
    } else {
        let _ = writeln!(t, "{}：{}", closing(reader), one_line(public_url));
    }
    t.push_str("本邮件由系统自动发送，请勿直接回复。\n");
    t
}

/// Escapes text for HTML element content and quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The Chinese term (`绿灯`, `黄灯`, `红灯`).
fn light_chinese(light: Light) -> &'static str {
    match light {
        Light::Green => "绿灯",
        Light::Yellow => "黄灯",
        Light::Red => "红灯",
    }
}

fn light_colour(light: Light) -> &'static str {
    match light {
        Light::Green => "#188038",
        Light::Yellow => "#b06000",
        Light::Red => "#d93025",
    }
}

fn level_colour(level: Level) -> &'static str {
    match level {
        Level::Reminder => "#1a73e8",
        Level::Urging => "#b06000",
        Level::Supervision | Level::Notice | Level::Summons => "#d93025",
    }
}

/// A link when `url` is http(s), otherwise the escaped text.
fn html_link(url: &str, text: &str) -> String {
    if is_web_url(url) {
        format!("<a href=\"{}\">{}</a>", esc(url), esc(text))
    } else {
        esc(text)
    }
}

fn render_html(
    reader: Reader,
    subject: &str,
    recipient: &str,
    agency: &str,
    total: usize,
    groups: &[Group<'_>],
    public_url: &str,
) -> String {
    const CELL: &str = "border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top";
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\">");
    let _ = writeln!(h, "<title>{}</title></head>", esc(subject));
    h.push_str(
        "<body style=\"font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:14px;color:#222\">\n",
    );
    let _ = writeln!(h, "<p>{}：</p>", esc(&one_line(recipient)));
    let (before, after) = intro(reader, &one_line(agency));
    let _ = writeln!(
        h,
        "<p>{}<strong>{total}</strong>{}</p>",
        esc(&before),
        esc(&after)
    );
    for (gi, g) in groups.iter().enumerate() {
        let _ = writeln!(
            h,
            "<h3 style=\"color:{}\">{}、{}（{}项）</h3>",
            level_colour(g.level),
            ordinal(gi),
            g.level.chinese(),
            g.count
        );
        let _ = writeln!(
            h,
            "<table style=\"border-collapse:collapse;width:100%\">\n<thead><tr>\
             <th style=\"{CELL}\">序号</th><th style=\"{CELL}\">任务</th>\
             <th style=\"{CELL}\">角色</th><th style=\"{CELL}\">时限</th>\
             <th style=\"{CELL}\">状态</th></tr></thead>\n<tbody>"
        );
        for (i, item) in g.items.iter().enumerate() {
            let link = absolute_link(&item.link, public_url);
            let mut task = String::new();
            if let Some(doc) = &item.doc_number {
                let _ = write!(task, "<strong>{}</strong><br>", esc(&one_line(doc)));
            }
            let _ = write!(
                task,
                "<span style=\"color:#666\">《{}》</span><br>{} {}",
                esc(&one_line(&item.plan_title)),
                esc(&one_line(&item.task_code)),
                html_link(&link, &one_line(&item.task_title)),
            );
            let _ = writeln!(
                h,
                "<tr><td style=\"{CELL}\">{}</td><td style=\"{CELL}\">{task}</td>\
                 <td style=\"{CELL}\">{}</td><td style=\"{CELL}\">{}</td>\
                 <td style=\"{CELL};color:{}\">&#9679; {}</td></tr>",
                i + 1,
                role_label(item),
                esc(&timing(item)),
                light_colour(item.light),
                light_chinese(item.light),
            );
        }
        h.push_str("</tbody>\n</table>\n");
        if g.unlisted() > 0 {
            let _ = writeln!(h, "<p>……另有{}项未在本邮件列出。</p>", g.unlisted());
        }
    }
    let unlisted: usize = groups.iter().map(Group::unlisted).sum();
    if unlisted > 0 {
        let _ = writeln!(
            h,
            "<p>本邮件列出最紧迫的{}项，全部{total}项请登录督办系统查看。</p>",
            total - unlisted
        );
    }
    let login = if public_url.is_empty() {
        "督办系统".to_string()
    } else {
        html_link(public_url, "督办系统")
    };
    let _ = writeln!(
        h,
        "<p>{}。</p>",
        esc(closing(reader)).replacen("督办系统", &login, 1)
    );
    h.push_str("<p style=\"color:#888;font-size:12px\">本邮件由系统自动发送，请勿直接回复。</p>\n");
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn item(level: Level, code: &str, title: &str, days: i64) -> DigestItem {
        DigestItem {
            level,
            matter: Matter::Deadline,
            plan_title: "济宁市碳达峰实施方案".into(),
            task_code: code.into(),
            task_title: title.into(),
            role: Role::Lead,
            deadline: Some(d(2025, 6, 30)),
            days,
            light: if days > 0 { Light::Red } else { Light::Yellow },
            link: format!("/tasks/{code}"),
            doc_number: None,
        }
    }

    fn sample() -> Vec<DigestItem> {
        vec![
            item(Level::Reminder, "三(一)2", "推进工业领域碳达峰", -7),
            DigestItem {
                doc_number: Some(format_doc_number(Level::Supervision, 2025, 12)),
                ..item(
                    Level::Supervision,
                    "三(二)1",
                    "推进煤炭消费替代和转型升级",
                    10,
                )
            },
            item(Level::Urging, "四(一)1", "强化生态环境分区管控", 1),
        ]
    }

    #[test]
    fn office_and_leadership_copies_are_not_asked_to_report() {
        let as_role = |role: Role| -> Vec<DigestItem> {
            sample()
                .into_iter()
                .map(|i| DigestItem { role, ..i })
                .collect()
        };
        let agency = render_digest(
            "张三",
            "济宁市生态环境局",
            &sample(),
            &[],
            "https://d.example",
        );
        assert!(agency.text.contains("请登录督办系统及时报送进展或申请办结"));
        assert!(
            agency
                .text
                .contains("济宁市生态环境局目前有3项任务需要关注")
        );

        let office = render_digest(
            "办公室",
            "领导小组办公室",
            &as_role(Role::Office),
            &[],
            "https://d.example",
        );
        for body in [&office.text, &office.html] {
            assert!(!body.contains("报送进展"), "{body}");
            assert!(!body.contains("申请办结"), "{body}");
            assert!(body.contains("跟踪督促责任单位办理"), "{body}");
        }
        assert!(
            office.text.contains("以下3项督办事项需要办公室跟进"),
            "{}",
            office.text
        );
        assert!(office.text.contains("（抄送）"), "{}", office.text);
        assert!(
            office
                .html
                .contains("<a href=\"https://d.example\">督办系统</a>")
        );

        let mut verify = as_role(Role::Office);
        verify.truncate(1);
        verify[0].matter = Matter::Verification;
        let v = render_digest("办公室", "领导小组办公室", &verify, &[], "");
        assert!(
            v.text.contains("请登录督办系统及时核验办结申请。"),
            "{}",
            v.text
        );
        assert!(v.text.contains("（审核）"), "{}", v.text);

        let leader = render_digest("王领导", "领导", &as_role(Role::Leadership), &[], "");
        assert!(!leader.text.contains("报送进展"), "{}", leader.text);
        assert!(leader.text.contains("报请您知悉"), "{}", leader.text);
        assert!(
            leader.text.contains("详情请登录督办系统查看。"),
            "{}",
            leader.text
        );
    }

    #[test]
    fn doc_numbers() {
        assert_eq!(
            format_doc_number(Level::Supervision, 2025, 12),
            "督办〔2025〕12号"
        );
        assert_eq!(format_doc_number(Level::Notice, 2025, 3), "通报〔2025〕3号");
    }

    #[test]
    fn subject_counts_levels_most_serious_first() {
        let mail = render_digest(
            "张三",
            "济宁市生态环境局",
            &sample(),
            &[],
            "https://duban.example.cn",
        );
        assert_eq!(
            mail.subject,
            "【督办提醒】济宁市生态环境局：3项任务待办（督办1项、催办1项、提醒1项）"
        );
        let empty = render_digest("张三", "济宁市生态环境局", &[], &[], "");
        assert_eq!(empty.subject, "【督办提醒】济宁市生态环境局：0项任务待办");
    }

    #[test]
    fn text_groups_by_level_with_resolved_links() {
        let text = render_digest(
            "张三",
            "济宁市生态环境局",
            &sample(),
            &[],
            "https://duban.example.cn/",
        )
        .text;
        let sup = text.find("一、督办（1项）").unwrap();
        let urg = text.find("二、催办（1项）").unwrap();
        let rem = text.find("三、提醒（1项）").unwrap();
        assert!(sup < urg && urg < rem, "{text}");
        assert!(text.starts_with("张三：\n"));
        assert!(text.contains(
            "【督办〔2025〕12号】《济宁市碳达峰实施方案》三(二)1 推进煤炭消费替代和转型升级（牵头）"
        ));
        assert!(text.contains("完成时限：2025-06-30，已逾期10天；状态：红灯"));
        assert!(text.contains("完成时限：2025-06-30，剩余7天；状态：黄灯"));
        assert!(text.contains("查看：https://duban.example.cn/tasks/三(二)1"));
        assert!(!text.contains('<'));
    }

    #[test]
    fn within_a_level_most_overdue_first() {
        let items = vec![
            item(Level::Urging, "A", "少逾期", 2),
            item(Level::Urging, "B", "多逾期", 9),
        ];
        let text = render_digest("李四", "市发展改革委", &items, &[], "").text;
        assert!(text.find("多逾期").unwrap() < text.find("少逾期").unwrap());
    }

    #[test]
    fn matters_are_described() {
        let report = DigestItem {
            matter: Matter::Report {
                period: "2025-Q3".into(),
            },
            deadline: Some(d(2025, 10, 14)),
            days: 0,
            ..item(Level::Reminder, "五1", "持续推进", 0)
        };
        let verify = DigestItem {
            matter: Matter::Verification,
            role: Role::Office,
            deadline: Some(d(2025, 9, 26)),
            days: 9,
            ..item(Level::Urging, "五2", "待核验", 9)
        };
        let text = render_digest(
            "办公室",
            "市碳达峰碳中和工作领导小组办公室",
            &[report, verify],
            &[],
            "",
        )
        .text;
        assert!(
            text.contains("2025-Q3进展情况报送截止：2025-10-14，今日到期"),
            "{text}"
        );
        assert!(
            text.contains("办结申请（2025-09-26提交）待核验，已等待9天"),
            "{text}"
        );
        assert!(text.contains("（审核）"));
    }

    #[test]
    fn html_escapes_everything_interpolated() {
        let mut items = sample();
        items[0].task_title = "<script>alert('x')</script> & \"引号\"".into();
        items[1].plan_title = "<b>方案</b>".into();
        items[2].link = "javascript:alert(1)".into();
        let mail = render_digest(
            "<i>张三</i>",
            "局<br>",
            &items,
            &[],
            "https://duban.example.cn",
        );
        assert!(!mail.html.contains("<script>"));
        assert!(
            mail.html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;引号&quot;")
        );
        assert!(mail.html.contains("&lt;b&gt;方案&lt;/b&gt;"));
        assert!(mail.html.contains("&lt;i&gt;张三&lt;/i&gt;"));
        assert!(!mail.html.contains("局<br>") && mail.html.contains("局&lt;br&gt;"));
        assert!(!mail.html.contains("href=\"javascript"));
        assert!(mail.html.contains("href=\"https://duban.example.cn/tasks/"));
        // The plain-text alternative keeps the raw characters (it is not HTML).
        assert!(mail.text.contains("<script>alert('x')</script>"));
    }

    #[test]
    fn subject_cannot_carry_newlines() {
        let mail = render_digest("张三", "济宁市\r\nBcc: x@example.com", &sample(), &[], "");
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }

    #[test]
    fn html_has_a_row_per_item_and_lights() {
        let html = render_digest(
            "张三",
            "济宁市生态环境局",
            &sample(),
            &[],
            "https://d.example.cn",
        )
        .html;
        assert_eq!(html.matches("<tr><td").count(), 3);
        assert_eq!(html.matches("<table").count(), 3);
        assert!(html.contains("红灯") && html.contains("黄灯"));
        assert!(html.contains("<strong>督办〔2025〕12号</strong>"));
        assert!(html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn a_long_digest_lists_the_most_urgent_and_counts_the_rest() {
        let mut items = Vec::new();
        for n in 0..(MAX_LISTED + 30) {
            items.push(item(Level::Urging, &format!("二({n})"), "催办事项", 3));
        }
        for n in 0..40 {
            items.push(item(
                Level::Supervision,
                &format!("一({n})"),
                "督办事项",
                10,
            ));
        }
        let total = items.len();
        let mail = render_digest("张三", "市发展改革委", &items, &[(Level::Reminder, 5)], "");
        let all = total + 5;
        assert!(
            mail.subject.contains(&format!("{all}项任务待办")),
            "{}",
            mail.subject
        );
        assert!(
            mail.subject.contains("督办40项") && mail.subject.contains("提醒5项"),
            "{}",
            mail.subject
        );
        // Every 督办 item is listed (they are the most serious), then 催办 up to the cap.
        assert_eq!(mail.text.matches("督办事项").count(), 40);
        assert_eq!(mail.text.matches("催办事项").count(), MAX_LISTED - 40);
        assert!(
            mail.text
                .contains(&format!("……另有{}项未在本邮件列出", 30 + 40))
        );
        assert!(mail.text.contains("……另有5项未在本邮件列出"));
        assert!(
            mail.text
                .contains(&format!("本邮件列出最紧迫的{MAX_LISTED}项，全部{all}项"))
        );
        assert!(mail.html.contains(&format!("全部{all}项")));
        // A digest within the cap says nothing of the kind.
        let short = render_digest("张三", "市发展改革委", &items[..3], &[], "");
        assert!(!short.text.contains("未在本邮件列出"), "{}", short.text);
    }
}
