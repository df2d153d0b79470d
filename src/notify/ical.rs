//! An iCalendar (RFC 5545) feed of an agency's deadlines, so staff can subscribe to them
//! in Outlook, WPS or a phone calendar.
//!
//! Deadlines are dates, not instants, so every event is an all-day `VEVENT`
//! (`DTSTART;VALUE=DATE`, `DTEND` the next day) and no time zone is needed.
//!
//! Written by hand on purpose. The `icalendar` crate (0.17, tried 2026-12-02 on this feed's
//! events) is worse here: it writes a URL value's CR/LF through unescaped (a stored URL could
//! inject a property such as `ATTACH`), keeps bare CR and control characters in TEXT values,
//! always emits its own `PRODID` (a second one is invalid, RFC 5545 §3.6), and writes
//! `all_day` events with `DTEND` equal to `DTSTART`. Its folding was right; so is ours (tests
//! below).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One all-day event of the feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEvent {
    /// Globally unique and stable across renderings (e.g. `task-42-deadline@duban`), so
    /// calendar clients update the event instead of duplicating it.
    pub uid: String,
    /// The day of the event.
    pub date: NaiveDate,
    /// One-line title.
    pub summary: String,
    /// Free text; newlines are kept.
    pub description: String,
    /// Link to the task; omitted when empty.
    pub url: String,
    /// When the event's information last changed (the task's `updated_at`): written as
    /// `LAST-MODIFIED` and as `DTSTAMP` (RFC 5545 §3.8.7.2: with `METHOD`, the time the
    /// event's information was created or last revised).
    pub modified: DateTime<Utc>,
    /// Revision counter (the task's `version`), written as `SEQUENCE` so clients replace
    /// an older copy of the event (e.g. after a deadline extension).
    pub sequence: u32,
}

/// RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

/// Renders the feed. Output uses CRLF line endings and folds long lines.
///
/// `DTSTAMP` (required by RFC 5545) and `LAST-MODIFIED` are the time the event's
/// information last changed, with `SEQUENCE` its revision, so the output is deterministic
/// (a feed fetched twice is byte-identical) yet changes whenever the task does.
#[must_use]
pub fn render_calendar(agency_name: &str, events: &[CalendarEvent]) -> String {
    let mut out = String::new();
    let mut line = |content: String| {
        out.push_str(&fold(&content));
        out.push_str("\r\n");
    };
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//duban//notify//ZH-CN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!(
        "X-WR-CALNAME:{}",
        escape_text(&format!("{agency_name}督办任务"))
    ));
    line("X-WR-TIMEZONE:Asia/Shanghai".into());
    for event in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&event.uid)));
        let stamp = event.modified.format("%Y%m%dT%H%M%SZ");
        line(format!("DTSTAMP:{stamp}"));
        line(format!("LAST-MODIFIED:{stamp}"));
        line(format!("SEQUENCE:{}", event.sequence));
        line(format!(
            "DTSTART;VALUE=DATE:{}",
            event.date.format("%Y%m%d")
        ));
        let end = event.date + Duration::days(1);
        line(format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        line(format!("SUMMARY:{}", escape_text(&event.summary)));
        if !event.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape_text(&event.description)));
        }
        let url = clean_uri(&event.url);
        if !url.is_empty() {
            line(format!("URL:{url}"));
        }
        // All-day deadlines should not show people as busy.
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma are
/// backslash-escaped, any line break becomes `\n`, other control characters are dropped.
#[must_use]
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                // CRLF is one line break.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A URI value is not TEXT and must not be escaped, but control characters (a stored
/// CR/LF would end the property) are removed.
fn clean_uri(s: &str) -> String {
    s.trim().chars().filter(|c| !c.is_control()).collect()
}

/// Folds a content line (RFC 5545 §3.1): at most 75 octets per physical line, continuation
/// lines start with a space (which counts towards their 75), and a UTF-8 character is
/// never split (a Chinese character is 3 octets).
#[must_use]
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 64 * 3);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CalendarEvent {
        CalendarEvent {
            uid: "task-42-deadline@duban".into(),
            date: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            summary: "【牵头】推进煤炭消费替代和转型升级".into(),
            description: "方案：济宁市碳达峰实施方案\n责任：市发展改革委牵头，市生态环境局配合"
                .into(),
            url: "https://duban.example.cn/tasks/42".into(),
            modified: DateTime::parse_from_rfc3339("2025-05-06T07:08:09Z")
                .unwrap()
                .with_timezone(&Utc),
            sequence: 3,
        }
    }

    #[test]
    fn structure_and_crlf() {
        let ics = render_calendar("济宁市生态环境局", &[event()]);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        // Every line break is CRLF.
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20250630\r\n"));
        assert!(ics.contains("\r\nDTEND;VALUE=DATE:20250701\r\n"));
        // DTSTAMP is when the event last changed, never derived from the deadline.
        assert!(ics.contains("\r\nDTSTAMP:20250506T070809Z\r\n"));
        assert!(ics.contains("\r\nLAST-MODIFIED:20250506T070809Z\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:3\r\n"));
        assert!(ics.contains("\r\nUID:task-42-deadline@duban\r\n"));
        assert!(ics.contains("\r\nURL:https://duban.example.cn/tasks/42\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
        assert_eq!(ics.matches("END:VEVENT").count(), 1);
    }

    #[test]
    fn text_escaping() {
        assert_eq!(escape_text(r"a,b;c\d"), r"a\,b\;c\\d");
        assert_eq!(escape_text("一\r\n二\n三\r四"), r"一\n二\n三\n四");
        assert_eq!(escape_text("x\u{7}y"), "xy");
        let e = CalendarEvent {
            summary: "A,B;C".into(),
            ..event()
        };
        let ics = render_calendar("局", &[e]);
        assert!(ics.contains("\r\nSUMMARY:A\\,B\\;C\r\n"));
        // Full-width punctuation is ordinary text.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("市发展改革委牵头，市生态环境局配合"));
        assert!(unfolded.contains(r"济宁市碳达峰实施方案\n责任"));
    }

    #[test]
    fn folding_never_splits_utf8_and_respects_75_octets() {
        let long = CalendarEvent {
            summary: "推进煤炭消费替代和转型升级，严格合理控制煤炭消费增长，".repeat(6),
            description: "a".repeat(200),
            ..event()
        };
        let ics = render_calendar("济宁市发展和改革委员会", std::slice::from_ref(&long));
        for physical in ics.split("\r\n") {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical}",
                physical.len()
            );
        }
        // Unfolding (remove CRLF + space) restores the logical line exactly.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}", escape_text(&long.summary))));
        assert!(unfolded.contains(&format!("DESCRIPTION:{}", "a".repeat(200))));
        // Folding actually happened, and continuation lines start with one space.
        assert!(ics.contains("\r\n "));
    }

    #[test]
    fn fold_edges() {
        let exactly = "x".repeat(75);
        assert_eq!(fold(&exactly), exactly);
        let over = "x".repeat(76);
        assert_eq!(fold(&over), format!("{}\r\n x", "x".repeat(75)));
        // 25 Chinese characters = 75 octets fit; the 26th goes to the next line.
        let han = "督".repeat(26);
        assert_eq!(fold(&han), format!("{}\r\n 督", "督".repeat(25)));
        // Continuation lines hold 74 octets after the space: 24 characters (72 octets).
        let more = fold(&"办".repeat(25 + 24 + 1));
        let parts: Vec<_> = more.split("\r\n").collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1], format!(" {}", "办".repeat(24)));
    }

    #[test]
    fn url_control_characters_removed_and_empty_fields_omitted() {
        let e = CalendarEvent {
            url: "https://x.example.cn/t/1\r\nATTACH:evil".into(),
            description: String::new(),
            ..event()
        };
        let ics = render_calendar("局", &[e]);
        assert!(ics.contains("\r\nURL:https://x.example.cn/t/1ATTACH:evil\r\n"));
        assert!(!ics.contains("\r\nATTACH"));
        assert!(!ics.contains("DESCRIPTION"));
        let e = CalendarEvent {
            url: String::new(),
            ..event()
        };
        assert!(!render_calendar("局", &[e]).contains("URL:"));
    }

    #[test]
    fn empty_feed_is_valid() {
        let ics = render_calendar("济宁市生态环境局", &[]);
        assert!(ics.contains("X-WR-CALNAME:济宁市生态环境局督办任务\r\n"));
        assert!(!ics.contains("VEVENT"));
    }
}
