//! Deadlines (完成时限): `到2025年`, `2023年底前`, `“十四五”时期`, `2026年12月`,
//! `完成期限为2023年`, day dates, ongoing work (`持续推进`, `长期坚持`) and the
//! table footnote that sets a plan default (`上表中未注明的，完成时限均为2025年`).
//!
//! A deadline is stored as the *last day* of the period it names plus the
//! precision it was written with, so `到2025年` is 2025-12-31 / year.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// How precisely a deadline was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Year,
    Month,
    Day,
}

/// A deadline: the last day of the named period and its precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deadline {
    pub date: NaiveDate,
    pub precision: Precision,
}

impl Deadline {
    pub fn year(y: i32) -> Option<Deadline> {
        if !(1949..=2200).contains(&y) {
            return None;
        }
        NaiveDate::from_ymd_opt(y, 12, 31).map(|date| Deadline {
            date,
            precision: Precision::Year,
        })
    }

    pub fn month(y: i32, m: u32) -> Option<Deadline> {
        if !(1949..=2200).contains(&y) || !(1..=12).contains(&m) {
            return None;
        }
        let first_next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)?
        };
        first_next.pred_opt().map(|date| Deadline {
            date,
            precision: Precision::Month,
        })
    }

    pub fn day(y: i32, m: u32, d: u32) -> Option<Deadline> {
        if !(1949..=2200).contains(&y) {
            return None;
        }
        NaiveDate::from_ymd_opt(y, m, d).map(|date| Deadline {
            date,
            precision: Precision::Day,
        })
    }

    pub fn year_value(&self) -> i32 {
        self.date.year()
    }
}

fn date_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"十([一二三四五六七八九])五|(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?|(上半年|下半年|第?[一二三四1-4]季度))?",
        )
        .expect("static regex")
    })
}

/// Last year of a five-year plan period: 十四五 → 2025, 十五五 → 2030.
fn five_year_end(n: &str) -> Option<i32> {
    let k = match n {
        "一" => 11,
        "二" => 12,
        "三" => 13,
        "四" => 14,
        "五" => 15,
        "六" => 16,
        "七" => 17,
        "八" => 18,
        "九" => 19,
        _ => return None,
    };
    Some(1955 + 5 * k)
}

/// Byte ranges of book-title quotes 《…》: dates inside a cited title are no
/// deadlines (`《山东省能源发展“十四五”规划》`).
fn title_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match c {
            '《' => open = Some(i),
            '》' => {
                if let Some(o) = open.take() {
                    out.push((o, i));
                }
            }
            _ => {}
        }
    }
    out
}

/// Up to `n` chars immediately before byte offset `at`.
fn chars_before(text: &str, at: usize, n: usize) -> String {
    let mut v: Vec<char> = text[..at].chars().rev().take(n).collect();
    v.reverse();
    v.into_iter().collect()
}

fn chars_after(text: &str, at: usize, n: usize) -> String {
    text[at..].chars().take(n).collect()
}

/// All deadline mentions in a text, in order. Baseline years (`比2005年`),
/// start years (`自2020年以来`) and dates inside cited titles are skipped.
pub fn find_deadlines(text: &str) -> Vec<Deadline> {
    let titles = title_ranges(text);
    let periods = period_ranges(text);
    let mut ti = 0;
    let mut out = Vec::new();
    for caps in date_re().captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        while ti < titles.len() && titles[ti].1 < m.start() {
            ti += 1;
        }
        if ti < titles.len() && titles[ti].0 < m.start() && m.start() < titles[ti].1 {
            continue;
        }
        if periods
            .iter()
            .any(|&(s, e)| s <= m.start() && m.start() < e)
        {
            continue;
        }
        // Quotes around `“十三五”` do not count when reading the context.
        let unquote = |s: String| -> String { s.chars().filter(|c| !is_quote(*c)).collect() };
        let before = unquote(chars_before(text, m.start(), 5));
        let after = unquote(chars_after(text, m.end(), 6));
        if let Some(n) = caps.get(1) {
            // A past period is a baseline, not a deadline: `巩固“十三五”成果`,
            // `“十三五”以来`, `在“十三五”基础上`.
            let past = ["巩固", "总结", "回顾", "延续", "对比"]
                .iter()
                .any(|w| before.ends_with(w))
                || [
                    "成果",
                    "以来",
                    "基础",
                    "经验",
                    "期间取得",
                    "时期取得",
                    "取得",
                    "的成果",
                    "的基础",
                    "末",
                ]
                .iter()
                .any(|w| after.starts_with(w));
            // `国家“十四五”规划102项重大工程`, `编制“十五五”规划`: the period
            // names a plan, not a deadline.
            let names_a_plan = ["规划", "纲要", "专项规划", "发展规划"]
                .iter()
                .any(|w| after.starts_with(w));
            if past || names_a_plan {
                continue;
            }
            if let Some(d) = five_year_end(n.as_str()).and_then(Deadline::year) {
                out.push(d);
            }
            continue;
        }
        if before.ends_with('比')
            || before.ends_with('较')
            || before.ends_with('与')
            || before.ends_with('自')
            || before.ends_with('从')
            || before.ends_with("相比")
            || before.chars().last().is_some_and(|c| c.is_ascii_digit())
        {
            continue;
        }
        // `以2020年为基准` is a baseline; `2024年起` / `2024年开始` a start.
        if (before.ends_with('以') && after.starts_with('为'))
            || after.starts_with("为基准")
            || after.starts_with("基准")
            || after.starts_with('起')
            || after.starts_with("开始")
            || after.starts_with("以后")
        {
            continue;
        }
        if after.starts_with("以来")
            || after.starts_with("基础上")
            || after.starts_with("水平")
            || after.starts_with("相比")
            || after.starts_with("度")
            || after.starts_with("的基")
        {
            continue;
        }
        let year_only = caps.get(3).is_none() && caps.get(5).is_none();
        // `2025年“数据要素×”大赛`: the year names an edition of an event.
        if year_only && text[m.end()..].starts_with(['“', '"', '「', '《']) {
            continue;
        }
        // `2016年安排500亿元`: the year of a budget, not a deadline.
        if year_only && budget_re().is_match(&text[m.end()..]) {
            continue;
        }
        let y: i32 = match caps.get(2).and_then(|y| y.as_str().parse().ok()) {
            Some(y) => y,
            None => continue,
        };
        let month: Option<u32> = caps.get(3).and_then(|m| m.as_str().parse().ok());
        let day: Option<u32> = caps.get(4).and_then(|d| d.as_str().parse().ok());
        // Half years and quarters end with a month: 上半年 → June 30.
        let period_month = caps.get(5).map(|p| match p.as_str() {
            "上半年" => 6,
            "下半年" => 12,
            q if q.contains('一') || q.contains('1') => 3,
            q if q.contains('二') || q.contains('2') => 6,
            q if q.contains('三') || q.contains('3') => 9,
            _ => 12,
        });
        let d = match (month, day, period_month) {
            (Some(mo), Some(da), _) => Deadline::day(y, mo, da),
            (Some(mo), None, _) => Deadline::month(y, mo),
            (None, _, Some(pm)) => Deadline::month(y, pm),
            _ => Deadline::year(y),
        };
        if let Some(d) = d {
            out.push(d);
        }
    }
    out
}

fn period_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"\d{4}\s*年\s*\d{1,2}\s*月\s*(?:\d{1,2}\s*日)?\s*(?:至|到|—+|–|－|-|~|～)\s*(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*(?:\d{1,2}\s*日)?(?:底|末)?",
        )
        .expect("static regex")
    })
}

/// Byte ranges of periods written with their first and last month or day
/// (`2019年1月1日至12月31日`, `2019年1月1日至2020年12月31日`, `2023年4月—6月`):
/// such a period says during which time a measure applies or work goes on
/// (`…，对参保企业，返还标准可按…`), not by when something must be done, so
/// neither end is a deadline. Plans write completion limits with 前/底前/到
/// (`2019年12月31日前完成`), and a term with only its end (`实施期限至2022年
/// 4月30日`, `延长至…`) stays one. Year spans (`2021—2025年`) are not periods
/// here: their last year is the target year of the work.
pub fn period_ranges(text: &str) -> Vec<(usize, usize)> {
    period_re()
        .find_iter(text)
        .filter(|m| {
            // `…至12月底前完成`: the end is a limit after all.
            !text[m.end()..].trim_start().starts_with(['前', '以'])
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

fn budget_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^\s*(?:[\p{Han}]{0,6}?)(?:安排|下达|拨付|投入|筹集|筹措|预算)[^,，。;；]{0,10}?\d[\d.,]*\s*(?:多|余)?\s*(?:亿|万|千)?元")
            .expect("static regex")
    })
}

fn month_cell_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?(?:底|末|中旬|上旬|下旬)?")
            .expect("static regex")
    })
}

/// A deadline cell that opens with a month but no 前 (`9月投入使用`, `12月`):
/// the column says it is the time limit, so the month is the deadline, in the
/// plan's year. (In running text such a month is not read: `9月投入使用`
/// there may report what happened.)
pub fn month_cell(cell: &str, year: i32) -> Option<Deadline> {
    let c = month_cell_re().captures(cell.trim())?;
    let month: u32 = c[1].parse().ok()?;
    match c.get(2).and_then(|d| d.as_str().parse::<u32>().ok()) {
        Some(day) => Deadline::day(year, month, day),
        None => Deadline::month(year, month),
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」')
}

fn yearless_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?(?:底|末|中旬|上旬|下旬)?|(年底|年末|上半年|下半年))\s*(?:前|以前|之前)")
            .expect("static regex")
    })
}

/// A deadline written without a year (`6月底前`, `年底前`, `9月30日前`), in
/// the plan's year (from its title or issue date). Recurring dates (`每年6月底前`)
/// and dates after a year (`2025年6月底前`, read by [`find_deadlines`]) are not
/// taken. The latest one wins.
pub fn yearless_deadline(text: &str, year: i32) -> Option<Deadline> {
    let mut best: Option<Deadline> = None;
    for caps in yearless_re().captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        if !is_yearless_at(text, m.start()) {
            continue;
        }
        let d = match (
            caps.get(1).and_then(|m| m.as_str().parse::<u32>().ok()),
            caps.get(2).and_then(|d| d.as_str().parse::<u32>().ok()),
            caps.get(3).map(|p| p.as_str()),
        ) {
            (Some(mo), Some(da), _) => Deadline::day(year, mo, da),
            (Some(mo), None, _) => Deadline::month(year, mo),
            (None, _, Some("上半年")) => Deadline::month(year, 6),
            (None, _, Some(_)) => Deadline::month(year, 12),
            _ => None,
        };
        if let Some(d) = d
            && best.is_none_or(|b| d.date > b.date)
        {
            best = Some(d);
        }
    }
    best
}

/// The unit of a relative deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelativeUnit {
    Days,
    Weeks,
    Months,
    /// Needs the holiday calendar of the year: not computed by the parser.
    WorkingDays,
}

/// A deadline stated relative to this document's issue (`自本意见印发之日起30日内`,
/// `印发后3个月内`): a number of days, weeks or months after 印发之日.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelativeDeadline {
    /// As written (`印发之日起30日内`).
    pub phrase: String,
    pub amount: u32,
    pub unit: RelativeUnit,
}

impl RelativeDeadline {
    /// The day it ends for a document issued on `issued`: the issue day itself
    /// is not counted (`30日内` from 11月16日 ends on 12月16日), a month ends on
    /// the same day of the month (or the month's last day). `None` for working
    /// days, which depend on the holiday calendar.
    pub fn from_issue(&self, issued: NaiveDate) -> Option<Deadline> {
        let date = match self.unit {
            RelativeUnit::Days => issued.checked_add_days(chrono::Days::new(self.amount.into()))?,
            RelativeUnit::Weeks => {
                issued.checked_add_days(chrono::Days::new(u64::from(self.amount) * 7))?
            }
            RelativeUnit::Months => issued.checked_add_months(chrono::Months::new(self.amount))?,
            RelativeUnit::WorkingDays => return None,
        };
        Deadline::day(date.year(), date.month(), date.day())
    }
}

fn relative_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?:印发|下发|发布|公布|出台)\s*(?:之日起|之日后|之日|后)\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(个\s*工作日|个\s*月|月|日|天|周|个星期)\s*(?:内|之内|以内)",
        )
        .expect("static regex")
    })
}

/// `30`, `三十`, `两`, `十五` → the number.
fn small_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .find(c)
            .map(|i| (i / 3) as u32)
            .or((c == '两').then_some(2))
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// Deadlines stated relative to the issue of this document
/// (`各省级人民政府要在本意见印发之日起30日内，制定具体实施办法`). The issue
/// meant is this document's: a cited document's (`《…办法》印发之日起…`) is
/// not, as its date is not known here.
pub fn relative_deadlines(text: &str) -> Vec<RelativeDeadline> {
    let mut out = Vec::new();
    for c in relative_re().captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        // `本意见印发…` is this document; `《…》印发…` is another one.
        let before = chars_before(text, m.start(), 12);
        let this_document = before
            .rfind('本')
            .is_some_and(|i| !before[i..].contains('》'));
        if before.ends_with('》') || (!this_document && before.contains('》')) {
            continue;
        }
        let Some(amount) = small_number(&c[1]) else {
            continue;
        };
        let unit = match c[2]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .as_str()
        {
            "个工作日" => RelativeUnit::WorkingDays,
            "个月" | "月" => RelativeUnit::Months,
            "周" | "个星期" => RelativeUnit::Weeks,
            _ => RelativeUnit::Days,
        };
        out.push(RelativeDeadline {
            phrase: m.as_str().to_string(),
            amount,
            unit,
        });
    }
    out
}

/// A date without a year starts at `at`: not after a year (`2025年6月底前`),
/// not recurring (`每年6月底前`, `各月`).
fn is_yearless_at(text: &str, at: usize) -> bool {
    let before = chars_before(text, at, 3);
    !(before.ends_with('年')
        || before.ends_with('每')
        || before.ends_with("每年")
        || before.ends_with('各')
        || before.chars().last().is_some_and(|c| c.is_ascii_digit()))
}

/// The first date without a year (`5月底前`) as written, if the text has one.
pub fn yearless_phrase(text: &str) -> Option<String> {
    yearless_re()
        .find_iter(text)
        .find(|m| is_yearless_at(text, m.start()))
        .map(|m| m.as_str().to_string())
}

const ONGOING_MARKERS: &[&str] = &[
    "持续推进",
    "长期坚持",
    "长期推进",
    "持续开展",
    "长期开展",
    "常态化",
    "持续实施",
    "持续推动",
    "持续抓好",
    "久久为功",
];

/// Does the text describe ongoing work (持续推进, 长期坚持 …)?
pub fn is_ongoing(text: &str) -> bool {
    ONGOING_MARKERS.iter().any(|m| text.contains(m))
}

/// Is the task *as a whole* continuing work? Its title or the opening of its
/// text says so (`持续优化…服务`, `加强宣传。持续推进绿色低碳宣传`), or its text
/// ends with the time of the work (`…，长期坚持`). A marker inside one of
/// several actions (`实施A改革，持续推进B`, `完善常态化防控机制`) describes that
/// action, not the task: such a task is not ongoing, and without a date it is
/// warned about (NO_DEADLINE).
pub fn is_ongoing_task(text: &str) -> bool {
    let opens = |s: &str| {
        // an outline marker (`(二)`, `3.`) is no part of the sentence
        let s = s.trim_start_matches(|c: char| !is_han(c));
        let s = strip_outline_marker(s);
        ONGOING_MARKERS.iter().any(|m| s.starts_with(m))
            || ["持续", "长期", "常态化"].iter().any(|m| s.starts_with(m))
    };
    let sentences: Vec<&str> = text
        .split(['。', ';', '；', '\n', '！', '？'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect();
    let Some(first) = sentences.first() else {
        return false;
    };
    if opens(first) {
        return true;
    }
    // A short title sentence (`加强宣传`) is followed by the work itself.
    if first.chars().count() <= 30
        && !first.contains([',', '，'])
        && sentences.get(1).is_some_and(|s| opens(s))
    {
        return true;
    }
    // `…，长期坚持`: the last segment is the time of the work.
    sentences
        .last()
        .and_then(|s| s.rsplit([',', '，']).next())
        .map(str::trim)
        .is_some_and(|seg| ONGOING_MARKERS.contains(&seg) || seg == "长期")
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// `(二)加强…` / `二、加强…` without the marker.
fn strip_outline_marker(s: &str) -> &str {
    let numerals = |c: char| "一二三四五六七八九十".contains(c);
    let rest = s.trim_start_matches(numerals);
    if rest.len() != s.len()
        && let Some(r) = rest.strip_prefix(['、', ')', '）', '.'])
    {
        return r.trim_start();
    }
    s
}

/// The deadline of a task text: the latest deadline it names. When it names
/// none, the task is ongoing if it is continuing work as a whole
/// ([`is_ongoing_task`]).
pub fn task_deadline(text: &str) -> (Option<Deadline>, bool) {
    // A date on a line of its own is a signature or issue date (`国务院` /
    // `2018年11月16日` after the last task), never a deadline: deadlines are
    // written in the task's sentences (`2025年6月底前完成`).
    let text: String = if text.lines().any(is_date_line) {
        text.lines()
            .filter(|l| !is_date_line(l))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        text.to_string()
    };
    let found = find_deadlines(&text);
    let latest = found.into_iter().max_by_key(|d| d.date);
    match latest {
        Some(d) => (Some(d), false),
        None => (None, is_ongoing_task(&text)),
    }
}

/// `2018年11月16日` alone on its line (spaces around allowed).
fn is_date_line(line: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$").expect("static regex")
    })
    .is_match(line)
}

fn explicit_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?:完成时限|完成时间|完成期限|时间节点|时限要求)\s*(?:均为|为|是)?\s*[:：]?\s*([^()（）;；。,，\n]{1,30})",
        )
        .expect("static regex")
    })
}

/// An explicit completion limit written with its label (`完成时限：2024年6月底前`,
/// `(完成期限为2023年)`, `完成时限：长期坚持`), which overrides the dates the
/// task text names. `None` when the text has no such label with a readable
/// value.
pub fn explicit_deadline(text: &str) -> Option<(Option<Deadline>, bool)> {
    let mut best: Option<(Option<Deadline>, bool)> = None;
    for caps in explicit_re().captures_iter(text) {
        let (d, ongoing) = parse_deadline_cell(&caps[1]);
        match (d, &best) {
            (Some(d), Some((Some(b), _))) if d.date <= b.date => {}
            (Some(d), _) => best = Some((Some(d), false)),
            (None, None) if ongoing => best = Some((None, true)),
            _ => {}
        }
    }
    best
}

/// The time written at the end of a responsibility clause, after the
/// agencies — the convention of the 分工意见 series (`（A、B负责，2023年底前完成）`,
/// `（国务院各部门分别负责，年内持续推进）`, `（A牵头，长期坚持）`): the clause's last
/// segment when it reads as a time and names no role. Like a labelled
/// completion limit it is the task's time and overrides the dates of the
/// text. `None` when no clause ends so.
pub fn clause_time(clause_text: &str) -> Option<String> {
    clause_text.lines().rev().find_map(|clause| {
        let inner = clause
            .trim()
            .trim_start_matches(['(', '（'])
            .trim_end_matches([')', '）', '。']);
        let seg = inner.rsplit([',', '，', ';', '；']).next()?.trim();
        if seg.len() == inner.trim().len()
            || seg.chars().count() > 24
            || ["负责", "牵头", "配合", "参与", "落实", "分工"]
                .iter()
                .any(|w| seg.contains(w))
        {
            return None;
        }
        let reads_as_time = !find_deadlines(seg).is_empty()
            || yearless_phrase(seg).is_some()
            || is_ongoing(seg)
            || seg.starts_with("年内")
            || seg.starts_with("长期");
        reads_as_time.then(|| seg.to_string())
    })
}

fn iso_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?$").expect("static regex")
    })
}

/// Parses a deadline cell of a spreadsheet (`2025年底前`, `2025-06-30`,
/// `2025.12`, `持续推进`, `长期`).
pub fn parse_deadline_cell(cell: &str) -> (Option<Deadline>, bool) {
    let c = cell.trim();
    if c.is_empty() {
        return (None, false);
    }
    if let Some(caps) = iso_re().captures(c) {
        let y: i32 = caps[1].parse().unwrap_or(0);
        let m: u32 = caps[2].parse().unwrap_or(0);
        let d = match caps.get(3).and_then(|d| d.as_str().parse::<u32>().ok()) {
            Some(day) => Deadline::day(y, m, day),
            None => Deadline::month(y, m),
        };
        if d.is_some() {
            return (d, false);
        }
    }
    if c.chars().all(|ch| ch.is_ascii_digit()) && c.len() == 4 {
        return (c.parse().ok().and_then(Deadline::year), false);
    }
    if c.contains("长期") || c.contains("持续") || c.contains("常态") {
        let (d, _) = task_deadline(c);
        return (d, d.is_none());
    }
    task_deadline(c)
}

fn default_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"未(?:注明|标明|列明|明确|标注)[^。\n\d]{0,12}?(?:时限|时间|期限|日期)[^。\n\d]{0,10}?(\d{4})\s*年")
            .expect("static regex")
    })
}

/// A footnote default such as `上表中未注明的，完成时限均为2025年`.
pub fn find_default_deadline(text: &str) -> Option<Deadline> {
    default_re()
        .captures(text)
        .and_then(|c| c[1].parse().ok())
        .and_then(Deadline::year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_alone_on_its_line_is_a_signature_not_a_deadline() {
        let body = "要引导企业履行社会责任。\n国务院\n2018年11月16日   \n（此件公开发布）";
        assert_eq!(task_deadline(body).0, None);
        // In a sentence it is one.
        let (d, _) = task_deadline("2018年11月16日前完成清理。");
        assert_eq!(d.map(|d| d.date.to_string()).as_deref(), Some("2018-11-16"));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn explicit_completion_limit_overrides_text_dates() {
        let (dl, ongoing) =
            explicit_deadline("到2025年完成。(市财政局负责;完成时限:2024年6月底前)").unwrap();
        assert_eq!(dl.unwrap().date, d(2024, 6, 30));
        assert_eq!(dl.unwrap().precision, Precision::Month);
        assert!(!ongoing);
        assert_eq!(
            explicit_deadline("(完成期限为2023年)")
                .unwrap()
                .0
                .unwrap()
                .date,
            d(2023, 12, 31)
        );
        assert_eq!(explicit_deadline("完成时限：长期坚持"), Some((None, true)));
        assert_eq!(explicit_deadline("到2025年完成"), None);
    }

    #[test]
    fn by_year() {
        let (dl, ongoing) = task_deadline("到2025年,新增大宗固废综合利用率达到60%");
        assert_eq!(dl.unwrap().date, d(2025, 12, 31));
        assert_eq!(dl.unwrap().precision, Precision::Year);
        assert!(!ongoing);
    }

    #[test]
    fn end_of_year_before() {
        let dl = task_deadline("2023年底前完成超低排放改造").0.unwrap();
        assert_eq!(dl.date, d(2023, 12, 31));
        let dl = task_deadline("2023年年底前,焦化企业全面完成改造")
            .0
            .unwrap();
        assert_eq!(dl.date, d(2023, 12, 31));
    }

    #[test]
    fn five_year_plans() {
        assert_eq!(
            task_deadline("“十四五”时期,合理控制煤炭消费增长")
                .0
                .unwrap()
                .date,
            d(2025, 12, 31)
        );
        assert_eq!(
            task_deadline("“十四五”期间,水运集装箱运输量年均增长10%")
                .0
                .unwrap()
                .date,
            d(2025, 12, 31)
        );
        assert_eq!(
            task_deadline("“十五五”时期逐步减少").0.unwrap().date,
            d(2030, 12, 31)
        );
    }

    #[test]
    fn completion_term() {
        let dl = task_deadline("编制融合清单(完成期限为2023年)").0.unwrap();
        assert_eq!(dl.date, d(2023, 12, 31));
        assert_eq!(dl.precision, Precision::Year);
    }

    #[test]
    fn month_and_day() {
        let dl = task_deadline("2026年12月底前建成").0.unwrap();
        assert_eq!(dl.date, d(2026, 12, 31));
        assert_eq!(dl.precision, Precision::Month);
        let dl = task_deadline("2024年2月完成").0.unwrap();
        assert_eq!(dl.date, d(2024, 2, 29));
        let dl = task_deadline("于2024年6月15日前报送").0.unwrap();
        assert_eq!(dl.date, d(2024, 6, 15));
        assert_eq!(dl.precision, Precision::Day);
    }

    #[test]
    fn half_years_and_quarters() {
        let dl = task_deadline("2024年上半年完成").0.unwrap();
        assert_eq!(dl.date, d(2024, 6, 30));
        assert_eq!(dl.precision, Precision::Month);
        assert_eq!(
            task_deadline("2024年第三季度").0.unwrap().date,
            d(2024, 9, 30)
        );
        assert_eq!(
            task_deadline("2024年下半年").0.unwrap().date,
            d(2024, 12, 31)
        );
    }

    #[test]
    fn latest_wins_and_baselines_are_skipped() {
        let dl = task_deadline("到2025年,能耗比2020年下降15.5%。到2030年,达到峰值。")
            .0
            .unwrap();
        assert_eq!(dl.date, d(2030, 12, 31));
        assert!(task_deadline("单位GDP排放比2005年下降68%").0.is_none());
        assert!(
            task_deadline("按照《山东省能源发展“十四五”规划》推进")
                .0
                .is_none()
        );
    }

    #[test]
    fn ongoing_is_the_task_as_a_whole() {
        // title or opening sentence
        assert!(task_deadline("持续优化跨境往来综合服务。推动通行证电子化办理。").1);
        assert!(task_deadline("加强宣传。持续推进绿色低碳宣传。").1);
        assert!(task_deadline("（三）长期坚持节约用水。").1);
        // the time of the work at the end
        assert!(task_deadline("开展节水宣传，长期坚持").1);
        // one action among several, or an adjective
        assert!(!task_deadline("建设农业智慧大脑。推进营销体系建设，持续实施出村进城工程。").1);
        assert!(!task_deadline("实施证照分离改革全覆盖，持续推进一网通办。").1);
        assert!(!task_deadline("坚持总体防控策略，完善常态化防控举措。").1);
    }

    #[test]
    fn budget_years_and_event_editions_are_no_deadlines() {
        assert_eq!(task_deadline("中央财政2016年安排500亿元专项资金").0, None);
        assert_eq!(task_deadline("2016年中央财政安排1000亿元奖补资金").0, None);
        assert_eq!(task_deadline("做好2025年“数据要素×”大赛组织").0, None);
        // a year with its work stays a deadline
        assert_eq!(
            task_deadline("2016年完成改造2836户")
                .0
                .map(|d| d.date.to_string()),
            Some("2016-12-31".into())
        );
        assert_eq!(
            task_deadline("2025年6月底前完成平台建设")
                .0
                .map(|d| d.date.to_string()),
            Some("2025-06-30".into())
        );
    }

    #[test]
    fn a_period_with_its_first_and_last_day_is_no_deadline() {
        // when a measure applies, not by when work is done
        assert_eq!(
            task_deadline("2019年1月1日至12月31日，对参保企业，返还标准可按6个月确定。").0,
            None
        );
        assert_eq!(
            task_deadline("2019年1月1日至2020年12月31日，将补贴申领条件放宽至参保1年以上。").0,
            None
        );
        assert!(period_ranges("2023年4月—6月，开展专项整治").len() == 1);
        // a term with only its end, a year span and a limit stay deadlines
        assert_eq!(
            task_deadline("政策实施期限延长至2022年4月30日。")
                .0
                .map(|d| d.date.to_string()),
            Some("2022-04-30".into())
        );
        assert_eq!(
            task_deadline("2021—2025年累计完成改造100个")
                .0
                .map(|d| d.date.to_string()),
            Some("2025-12-31".into())
        );
        assert!(period_ranges("2024年1月至6月底前完成排查").is_empty());
    }

    #[test]
    fn a_deadline_relative_to_the_issue_date() {
        let r =
            relative_deadlines("各省级人民政府要在本意见印发之日起30日内，制定出台具体实施办法。");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].phrase, "印发之日起30日内");
        assert_eq!(
            r[0].from_issue(d(2018, 11, 16))
                .map(|d| (d.date, d.precision)),
            Some((d(2018, 12, 16), Precision::Day))
        );
        let r = relative_deadlines("自本方案印发之日起三个月内完成清理");
        assert_eq!((r[0].amount, r[0].unit), (3, RelativeUnit::Months));
        assert_eq!(
            r[0].from_issue(d(2023, 11, 30)).map(|d| d.date),
            Some(d(2024, 2, 29))
        );
        // working days need the holiday calendar
        let r = relative_deadlines("本通知印发后15个工作日内报送");
        assert_eq!(r[0].unit, RelativeUnit::WorkingDays);
        assert_eq!(r[0].from_issue(d(2024, 1, 2)), None);
        // another document's issue is not this one's
        assert!(relative_deadlines("按照《实施细则》印发之日起30日内的要求").is_empty());
        assert!(relative_deadlines("本办法自发布之日起施行").is_empty());
        assert_eq!(small_number("十五"), Some(15));
        assert_eq!(small_number("二十"), Some(20));
    }

    #[test]
    fn the_phrase_of_a_date_without_a_year() {
        assert_eq!(
            yearless_phrase("5月底前实现上线运行").as_deref(),
            Some("5月底前")
        );
        assert_eq!(yearless_phrase("2016年5月底前实现"), None);
        assert_eq!(yearless_phrase("每年6月底前报送"), None);
    }

    #[test]
    fn the_time_at_the_end_of_a_responsibility_clause() {
        assert_eq!(
            clause_time("(国务院各部门分别负责,年内持续推进)").as_deref(),
            Some("年内持续推进")
        );
        assert_eq!(
            clause_time("（财政部、税务总局负责，2023年底前完成）").as_deref(),
            Some("2023年底前完成")
        );
        assert_eq!(
            clause_time("（A牵头，B配合，6月底前完成）").as_deref(),
            Some("6月底前完成")
        );
        // a clause of agencies only, or ending in a role
        assert_eq!(clause_time("（A牵头，B、C按职责分工负责）"), None);
        assert_eq!(clause_time("（市财政局负责）"), None);
    }

    #[test]
    fn yearless_forms_in_the_plan_year() {
        assert_eq!(
            yearless_deadline("年底前完成", 2024).map(|d| d.date.to_string()),
            Some("2024-12-31".into())
        );
        assert_eq!(
            month_cell("9月投入使用", 2016).map(|d| d.date.to_string()),
            Some("2016-09-30".into())
        );
        assert_eq!(
            month_cell("12月底前", 2016).map(|d| d.date.to_string()),
            Some("2016-12-31".into())
        );
        assert_eq!(month_cell("投入使用", 2016), None);
    }

    #[test]
    fn ongoing() {
        let (dl, ongoing) = task_deadline("持续推进农村地区清洁取暖");
        assert!(dl.is_none());
        assert!(ongoing);
        assert!(task_deadline("长期坚持").1);
        assert!(!task_deadline("加强宣传").1);
    }

    #[test]
    fn past_periods_baselines_and_start_years_are_no_deadlines() {
        assert!(find_deadlines("巩固“十三五”成果,推进工作").is_empty());
        assert!(find_deadlines("在\"十三五\"基础上进一步提升").is_empty());
        assert!(find_deadlines("以2020年为基准,下降10%").is_empty());
        assert!(find_deadlines("2024年起全面推行").is_empty());
        assert_eq!(find_deadlines("“十四五”时期完成").len(), 1);
        // a period naming a plan is no deadline
        assert!(find_deadlines("聚焦国家“十四五”规划102项重大工程").is_empty());
        assert!(find_deadlines("科学编制数字广东“十五五”规划").is_empty());
        assert_eq!(find_deadlines("2024年底前完成").len(), 1);
    }

    #[test]
    fn dates_without_a_year_take_the_plans_year() {
        assert_eq!(
            yearless_deadline("6月底前完成", 2024).unwrap().date,
            d(2024, 6, 30)
        );
        assert_eq!(
            yearless_deadline("年底前建成", 2024).unwrap().date,
            d(2024, 12, 31)
        );
        assert_eq!(
            yearless_deadline("9月30日前报送,11月底前验收", 2024)
                .unwrap()
                .date,
            d(2024, 11, 30)
        );
        assert!(yearless_deadline("每年6月底前报送", 2024).is_none());
        assert!(yearless_deadline("2025年6月底前", 2024).is_none());
    }

    #[test]
    fn footnote_default() {
        let dl = find_default_deadline("注:上表中未注明的,完成时限均为2025年。").unwrap();
        assert_eq!(dl.date, d(2025, 12, 31));
        assert!(find_default_deadline("到2025年").is_none());
        for t in [
            "注：表中未注明时限的，均于2025年底前完成。",
            "本表未注明完成时间的任务，完成时限均为2025年。",
            "未明确完成期限的，2025年底前完成",
            "注：未标注时间的事项均在2025年年底前完成",
        ] {
            let dl = find_default_deadline(t).unwrap_or_else(|| panic!("no default in {t}"));
            assert_eq!(dl.date.to_string(), "2025-12-31", "{t}");
        }
    }

    #[test]
    fn cells() {
        assert_eq!(
            parse_deadline_cell("2025-06-30").0.unwrap().date,
            d(2025, 6, 30)
        );
        assert_eq!(
            parse_deadline_cell("2025.12").0.unwrap().precision,
            Precision::Month
        );
        assert_eq!(parse_deadline_cell("2025").0.unwrap().date, d(2025, 12, 31));
        assert_eq!(parse_deadline_cell("持续推进"), (None, true));
        assert_eq!(
            parse_deadline_cell("2024年底前").0.unwrap().date,
            d(2024, 12, 31)
        );
    }

    #[test]
    fn invalid_dates_do_not_panic() {
        // An impossible month falls back to nothing rather than a bogus date.
        assert!(
            task_deadline("2024年13月")
                .0
                .is_none_or(|d| d.date.to_string() != "2024-13-31")
        );
        assert!(Deadline::day(2023, 2, 30).is_none());
        assert!(Deadline::month(2023, 0).is_none());
        assert!(find_deadlines("99999年").is_empty());
    }
}
