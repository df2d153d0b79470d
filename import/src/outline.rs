//! The numbered outline of a plan (提纲):
//!
//! ```text
//! 一、总体要求                   chapter   (章)     code `一`
//! （一）强化生态环境分区管控。……   section   (节)     code `一(一)`
//! 1. 推进煤炭消费替代……           item      (条)     code `一(一)1`
//! ——推动石油化工行业碳达峰。……     sub-item  (子项)   code `一(一)1-1`  (k-th dash bullet)
//! (1) ……                         sub-item            code `一(一)1(1)`
//! ```
//!
//! Markers are accepted only when their number continues the sequence of
//! their level (or starts it at 1), so that `1.` inside a sentence, a second
//! list restarting at `1.` inside a box (专栏) or a stray `三、` do not break
//! the tree. Boxes (`专栏1 …重点项目`) list projects, not tasks, and are
//! skipped up to the next chapter or section.

use std::sync::OnceLock;

use regex::Regex;

use crate::clean::PAGE_MARK;

/// One heading of the outline with the text that belongs to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// 1 chapter, 2 section, 3 item, 4 sub-item.
    pub level: u8,
    pub code: String,
    pub title: String,
    /// Title and body, without the marker.
    pub text: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    Chapter(u32),
    Section(u32),
    Item(u32),
    SubItem(u32),
    Dash,
    Box,
}

fn chapter_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:第([一二三四五六七八九十]{1,3})(?:部分|章)\s*|([一二三四五六七八九十]{1,3})\s*[、.]\s*)")
            .expect("static regex")
    })
}
fn comma_chapter_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^([一二三四五六七八九十]{1,3})\s*[,，]\s*").expect("static regex")
    })
}
fn section_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^[(（]\s*([一二三四五六七八九十]{1,3})\s*[)）]\s*").expect("static regex")
    })
}
fn item_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^(\d{1,3})\s*(?:[、．﹒]|\.(?:\s|[^\d]))").expect("static regex"))
}
/// `11.121人才梯队项目`: an item number followed by a title that itself
/// starts with digits (accepted only when the number is the one expected).
fn digit_title_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^(\d{1,3})[.．﹒](\d)").expect("static regex"))
}

/// How far a number may jump ahead (a gap of missing items, as in documents
/// copied from web pages or revised) and still be read as the next marker
/// when the line reads as a heading.
const MAX_GAP: u32 = 30;

fn subitem_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:[(（]\s*(\d{1,2})\s*[)）]|([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]))\s*")
            .expect("static regex")
    })
}

/// Parses a Chinese numeral up to 99 (一, 十, 十二, 二十, 二十四).
pub fn cn_number(s: &str) -> Option<u32> {
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '一' => 1,
            '二' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => digit(*u).map(|u| 10 + u),
        [t, '十'] => digit(*t).map(|t| t * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

fn circled(c: char) -> Option<u32> {
    let v = c as u32;
    (0x2460..=0x2473).contains(&v).then(|| v - 0x2460 + 1)
}

/// Detects a marker at the start of a line; returns it and the byte length
/// of the marker text.
fn detect(line: &str) -> Option<(Marker, usize)> {
    if line.starts_with("专栏") {
        return Some((Marker::Box, 0));
    }
    if let Some(c) = chapter_re().captures(line) {
        let n = c.get(1).or(c.get(2)).and_then(|m| cn_number(m.as_str()))?;
        return Some((Marker::Chapter(n), c.get(0)?.end()));
    }
    if let Some(c) = section_re().captures(line) {
        let n = cn_number(&c[1])?;
        return Some((Marker::Section(n), c.get(0)?.end()));
    }
    if let Some(c) = item_re().captures(line) {
        let n: u32 = c[1].parse().ok()?;
        // the marker is the digits plus the separator (one char)
        let digits_end = c.get(1)?.end();
        let sep_len = line[digits_end..].trim_start().chars().next()?.len_utf8();
        let ws = line[digits_end..].len() - line[digits_end..].trim_start().len();
        return Some((Marker::Item(n), digits_end + ws + sep_len));
    }
    if let Some(c) = subitem_re().captures(line) {
        let n = match c.get(1) {
            Some(d) => d.as_str().parse().ok()?,
            None => circled(c[2].chars().next()?)?,
        };
        return Some((Marker::SubItem(n), c.get(0)?.end()));
    }
    for dash in ["——", "--", "—"] {
        if let Some(rest) = line.strip_prefix(dash)
            && !rest.starts_with(|c: char| c.is_ascii_digit())
        {
            return Some((Marker::Dash, dash.len()));
        }
    }
    None
}

/// Does the text before a marker end a sentence (so a number at the start of
/// the next line is a heading, not a number wrapped out of prose)?
fn ends_sentence(text: Option<&str>) -> bool {
    let Some(t) = text else { return true };
    t.trim_end().chars().next_back().is_none_or(|c| {
        matches!(c, '。' | '!' | '?' | ';' | '；' | ')' | '）' | '】' | '〕' | '！' | '？' | '”')
            // a bare heading (`(一)推进重点工作`) ends without a mark
            || (t.trim_end().chars().count() <= 40 && !t.contains([',', '，', '、', '。']))
    })
}

/// Is `line` the rest of a sentence hard-wrapped at the end of `text`? True
/// when the last line of `text` is prose (it has a sentence or clause mark)
/// cut off without closing punctuation, and `line` opens no clause, labelled
/// responsibility line or bullet of its own.
fn continues_sentence(text: &str, line: &str) -> bool {
    let last = text.rsplit('\n').next().unwrap_or(text);
    let Some(end) = last.chars().next_back() else {
        return false;
    };
    let prose = last.contains(['。', ',', '，', ';', '；', '、']);
    let open_end = !matches!(
        end,
        '。' | '!' | '?' | ';' | '；' | ':' | '：' | ')' | '）' | '】' | '！' | '？'
    );
    let l = line.trim_start();
    let opens_own = l.starts_with(['(', '（', '【', '—', '-', '注', '●', '·'])
        || crate::clause::starts_with_label(l)
        || l.starts_with("完成时限")
        || l.starts_with("完成时间");
    prose && open_end && !opens_own
}

/// Heading words that open a chapter/section whose title ran into its text
/// in a flattened document (`(一)基本原则协同增效,源头防控。`).
const HEADING_WORDS: &[&str] = &[
    "总体要求",
    "指导思想",
    "基本原则",
    "工作原则",
    "主要目标",
    "总体目标",
    "工作目标",
    "发展目标",
    "重点任务",
    "主要任务",
    "保障措施",
    "组织实施",
    "政策保障",
];

pub(crate) fn split_title(content: &str, flattened: bool, level: u8) -> (String, String) {
    let content = content.trim();
    if flattened && level <= 2 {
        for w in HEADING_WORDS {
            if let Some(rest) = content.strip_prefix(w)
                && !rest.is_empty()
                && !rest.starts_with(['。', ','])
            {
                return (w.to_string(), rest.to_string());
            }
        }
    }
    let stop = content
        .char_indices()
        .take(90)
        .find(|(_, c)| matches!(c, '。' | '!' | '?'));
    if let Some((p, c)) = stop {
        let title = content[..p].trim().to_string();
        let body = content[p + c.len_utf8()..].trim().to_string();
        return (title, body);
    }
    if content.chars().count() <= 50 {
        return (content.to_string(), String::new());
    }
    // No sentence end near the start: the first phrase is the title.
    let cut = content
        .char_indices()
        .take(50)
        .find(|(_, c)| matches!(c, ',' | ';' | ':'))
        .map(|(i, _)| i)
        .unwrap_or_else(|| {
            content
                .char_indices()
                .nth(40)
                .map_or(content.len(), |(i, _)| i)
        });
    (content[..cut].trim().to_string(), content.to_string())
}

/// The parsed outline: lines before the first heading (the header and
/// preamble) and the heading nodes in document order.
#[derive(Clone, Debug, Default)]
pub struct Outline {
    pub preamble: Vec<String>,
    pub nodes: Vec<Node>,
    /// Doubts about the numbering (a number skipped, a typo accepted), for
    /// warnings: (node code, message).
    pub notes: Vec<(String, String)>,
}

/// Parses outline nodes from cleaned lines. `flattened` tells that the lines
/// were cut out of a one-line document (titles then run into text).
pub fn parse_outline(lines: &[String], flattened: bool) -> Outline {
    let mut out = Outline::default();
    let mut nodes: Vec<Node> = Vec::new();
    // Sequence state.
    let mut last_ch = 0u32;
    let mut sec_in_ch = 0u32;
    let mut sec_global = 0u32;
    let mut item_in_parent = 0u32;
    let mut item_global = 0u32;
    let mut sub_in_parent = 0u32;
    let mut cur_ch: Option<usize> = None;
    let mut cur_sec: Option<usize> = None;
    let mut cur_item: Option<usize> = None;
    let mut dash_count: std::collections::HashMap<usize, u32> = std::collections::HashMap::new();
    let mut in_box = false;
    // Last number of the box's own list (`专栏1` lists projects `1.` `2.` …).
    let mut box_last = 0u32;
    let mut last_node: Option<usize> = None;
    let mut codes: std::collections::HashSet<String> = std::collections::HashSet::new();

    // A page mark right after a short heading (`十、加强组织实施—13—加强组织领导。`)
    // separates the heading from the next paragraph; elsewhere it is noise
    // inside a sentence.
    let mut split_lines: Vec<String> = Vec::with_capacity(lines.len());
    for raw in lines {
        if let Some(p) = raw.find(PAGE_MARK) {
            let head = &raw[..p];
            if detect(head.trim()).is_some() && !head.contains('。') && head.chars().count() <= 30
            {
                split_lines.push(head.to_string());
                split_lines.push(raw[p + PAGE_MARK.len_utf8()..].to_string());
                continue;
            }
        }
        split_lines.push(raw.clone());
    }
    for raw in &split_lines {
        let line: String = raw.chars().filter(|&c| c != PAGE_MARK).collect();
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        // `六,加强组织实施` (comma typo for 、) continuing the chapters.
        let detected = detect(line).or_else(|| {
            let c = comma_chapter_re().captures(line)?;
            let n = cn_number(&c[1])?;
            let end = c.get(0)?.end();
            let head = line[end..].split(['。', ',', ';']).next().unwrap_or("");
            (last_ch > 0 && n == last_ch + 1 && head.chars().count() <= 20)
                .then_some((Marker::Chapter(n), end))
        });
        // `11.121人才梯队项目`: the expected item number, then a title that
        // starts with digits.
        let detected = detected.or_else(|| {
            let c = digit_title_re().captures(line)?;
            let n: u32 = c[1].parse().ok()?;
            let expected = n == item_in_parent + 1
                || (item_in_parent == 0 && (n == 1 || (item_global > 0 && n == item_global + 1)));
            (expected && !in_box && (cur_sec.is_some() || cur_ch.is_some()))
                .then(|| (Marker::Item(n), c.get(1).map_or(0, |m| m.end()) + 1))
        });
        let mut accepted: Option<(Marker, usize)> = None;
        let mut skip_note: Option<String> = None;
        // A box ends at the next item of the outline: a number continuing the
        // items before the box but not the box's own list.
        if in_box && let Some((Marker::Item(n), _)) = detected {
            if n == box_last + 1 {
                box_last = n;
            } else if item_in_parent > 0 && n == item_in_parent + 1 {
                in_box = false;
            }
        }
        if let Some((m, len)) = detected {
            // One number missing (`三、` after `一、`) is accepted with a note
            // when the line reads as a heading, not as a number in prose.
            let heading_like = {
                let rest = &line[len.min(line.len())..];
                rest.chars()
                    .next()
                    .is_some_and(|c| !c.is_ascii_digit() && c != '%')
            };
            let ok = match m {
                Marker::Box => true,
                Marker::Chapter(n) => {
                    n == last_ch + 1
                        || (last_ch == 0 && n <= 2 && nodes.is_empty())
                        || (last_ch > 0 && n == last_ch + 2 && heading_like && {
                            skip_note =
                                Some(format!("chapter {} is missing", numeral(last_ch + 1)));
                            true
                        })
                }
                Marker::Section(n) => {
                    n == sec_in_ch + 1
                        || (n == sec_global + 1 && sec_global > 0)
                        || (n == 1 && sec_in_ch == 0)
                        || (sec_in_ch > 0 && n == sec_in_ch + 2 && heading_like && {
                            skip_note =
                                Some(format!("section ({}) is missing", numeral(sec_in_ch + 1)));
                            true
                        })
                }
                Marker::Item(n) => {
                    // The previous number of this list: the items of this
                    // parent, or (numbering running on across chapters and
                    // sections) the last item of the document.
                    let prev = if item_in_parent > 0 {
                        item_in_parent
                    } else {
                        item_global
                    };
                    !in_box
                        && (n == item_in_parent + 1
                            || (n == 1 && item_in_parent == 0)
                            || (n == item_global + 1 && item_global > 0 && item_in_parent == 0)
                            || (prev > 0
                                && n > prev + 1
                                && n <= prev + MAX_GAP
                                && heading_like
                                && ends_sentence(last_node.map(|i| nodes[i].text.as_str()))
                                && {
                                    skip_note = Some(if n == prev + 2 {
                                        format!("item {} is missing", prev + 1)
                                    } else {
                                        format!("items {}–{} are missing", prev + 1, n - 1)
                                    });
                                    true
                                }))
                }
                Marker::SubItem(n) => {
                    !in_box
                        && (cur_item.is_some() || cur_sec.is_some())
                        && (n == sub_in_parent + 1 || (n == 1 && sub_in_parent == 0))
                }
                Marker::Dash => !in_box && last_node.is_some(),
            };
            if ok {
                accepted = Some((m, len));
            }
        }
        let Some((marker, mlen)) = accepted else {
            if in_box {
                continue;
            }
            // Continuation text of the current node (or preamble).
            match last_node {
                Some(i) => {
                    let n = &mut nodes[i];
                    if !n.text.is_empty() && !continues_sentence(&n.text, line) {
                        n.text.push('\n');
                    }
                    n.text.push_str(line);
                }
                None => out.preamble.push(line.to_string()),
            }
            continue;
        };
        if marker == Marker::Box {
            in_box = true;
            box_last = 0;
            continue;
        }
        if matches!(marker, Marker::Chapter(_) | Marker::Section(_)) {
            in_box = false;
        }
        let content = &line[mlen.min(line.len())..];
        let level = match marker {
            Marker::Chapter(_) => 1,
            Marker::Section(_) => 2,
            Marker::Item(_) => 3,
            _ => 4,
        };
        let (title, body) = split_title(content, flattened, level);
        let text = if body.is_empty() {
            title.clone()
        } else if content.trim().starts_with(&title) && !flattened {
            content.trim().to_string()
        } else {
            format!("{title}。{body}")
        };
        let idx = nodes.len();
        let (parent, code) = match marker {
            Marker::Chapter(n) => {
                last_ch = n;
                sec_in_ch = 0;
                item_in_parent = 0;
                cur_ch = Some(idx);
                cur_sec = None;
                cur_item = None;
                (None, numeral(n))
            }
            Marker::Section(n) => {
                sec_in_ch = n;
                sec_global = n;
                item_in_parent = 0;
                cur_sec = Some(idx);
                cur_item = None;
                let code = match cur_ch {
                    Some(c) => format!("{}({})", nodes[c].code, numeral(n)),
                    None => format!("({})", numeral(n)),
                };
                (cur_ch, code)
            }
            Marker::Item(n) => {
                item_in_parent = n;
                item_global = n;
                sub_in_parent = 0;
                cur_item = Some(idx);
                let parent = cur_sec.or(cur_ch);
                let code = match parent {
                    Some(p) => format!("{}{}", nodes[p].code, n),
                    None => n.to_string(),
                };
                (parent, code)
            }
            Marker::SubItem(n) => {
                sub_in_parent = n;
                let parent = cur_item.or(cur_sec).or(cur_ch);
                let code = match parent {
                    Some(p) => format!("{}({})", nodes[p].code, n),
                    None => format!("({n})"),
                };
                (parent, code)
            }
            Marker::Dash | Marker::Box => {
                let parent = cur_item.or(cur_sec).or(cur_ch);
                let k = match parent {
                    Some(p) => {
                        let e = dash_count.entry(p).or_insert(0);
                        *e += 1;
                        *e
                    }
                    None => {
                        let e = dash_count.entry(usize::MAX).or_insert(0);
                        *e += 1;
                        *e
                    }
                };
                let code = match parent {
                    Some(p) => format!("{}-{}", nodes[p].code, k),
                    None => format!("-{k}"),
                };
                (parent, code)
            }
        };
        let code = unique_code(&mut codes, code);
        if let Some(note) = skip_note {
            out.notes
                .push((code.clone(), format!("numbering skips: {note}")));
        }
        if let Some(p) = parent {
            nodes[p].children.push(idx);
        }
        nodes.push(Node {
            level,
            code,
            title,
            text,
            parent,
            children: Vec::new(),
        });
        last_node = Some(idx);
    }
    out.nodes = nodes;
    out
}

fn unique_code(codes: &mut std::collections::HashSet<String>, code: String) -> String {
    let mut candidate = code.clone();
    let mut k = 2;
    while codes.contains(&candidate) {
        candidate = format!("{code}#{k}");
        k += 1;
    }
    codes.insert(candidate.clone());
    candidate
}

/// Chinese numeral for codes (1 → 一, 12 → 十二, 24 → 二十四).
pub fn numeral(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0 => "〇".to_string(),
        1..=9 => D[n as usize].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", D[(n - 10) as usize]),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_ends_at_the_next_outline_item() {
        let o = parse_outline(
            &lines(
                "一、重点任务\n(一)能源\n1.发展光伏。\n2.发展风电。\n专栏1 重点项目\n1.光伏项目。\n2.风电项目。\n3.储能项目。\n3.发展储能。(市能源局负责)\n(二)工业\n1.推动工业。",
            ),
            false,
        );
        let codes: Vec<&str> = o.nodes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "一",
                "一(一)",
                "一(一)1",
                "一(一)2",
                "一(一)3",
                "一(二)",
                "一(二)1"
            ]
        );
        assert!(o.nodes[4].text.contains("发展储能"));
    }

    #[test]
    fn one_missing_number_is_accepted_with_a_note() {
        let o = parse_outline(
            &lines(
                "一、总体要求\n二、重点任务\n(一)推进A\n1.做好甲\n3.做好丙\n(三)推进C\n四、保障措施\n五,加强组织实施\n七、其他",
            ),
            false,
        );
        let codes: Vec<&str> = o.nodes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "一",
                "二",
                "二(一)",
                "二(一)1",
                "二(一)3",
                "二(三)",
                "四",
                "五",
                "七"
            ]
        );
        assert_eq!(o.notes.len(), 4, "{:?}", o.notes);
        // Numbers in prose are not headings: `3.5%` after item 1.
        let o = parse_outline(
            &lines("一、重点任务\n1.做好甲\n3.5%的目标\n二、保障"),
            false,
        );
        assert_eq!(o.nodes.len(), 3);
        // A comma after a numeral that does not continue the chapters stays text.
        let o = parse_outline(&lines("一、重点任务\n三,是加强领导"), false);
        assert_eq!(o.nodes.len(), 1);
    }

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(|l| l.to_string()).collect()
    }

    #[test]
    fn numerals_round_trip() {
        for n in 1..=99 {
            assert_eq!(cn_number(&numeral(n)), Some(n), "{n}");
        }
    }

    #[test]
    fn builds_codes_for_all_levels() {
        let o = parse_outline(
            &lines(
                "方案标题\n一、总体要求\n引言。\n二、重点任务\n(一)推进能源转型\n说明。\n1. 推进煤炭替代。内容。\n2、发展新能源。内容。\n——推动石化。内容。\n——推动钢铁。内容。\n(二)节能降碳。内容。\n1．提升管理。内容。",
            ),
            false,
        );
        assert_eq!(o.preamble, ["方案标题"]);
        let codes: Vec<_> = o.nodes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "一",
                "二",
                "二(一)",
                "二(一)1",
                "二(一)2",
                "二(一)2-1",
                "二(一)2-2",
                "二(二)",
                "二(二)1"
            ]
        );
        assert_eq!(o.nodes[3].title, "推进煤炭替代");
        assert_eq!(o.nodes[0].text, "总体要求\n引言。");
        assert_eq!(o.nodes[5].parent, Some(4));
    }

    #[test]
    fn half_and_full_width_brackets() {
        let o = parse_outline(&lines("一、甲\n（一）乙。内容。\n(二)丙。内容。"), false);
        assert_eq!(o.nodes.len(), 3);
        assert_eq!(o.nodes[2].code, "一(二)");
    }

    #[test]
    fn boxes_are_skipped() {
        let o = parse_outline(
            &lines(
                "一、甲\n(一)乙\n1.任务一。内容。\n专栏1 重点项目\n1.光伏项目。(1)某项目\n2. 风电项目。\n(二)丙\n1.任务。",
            ),
            false,
        );
        let codes: Vec<_> = o.nodes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["一", "一(一)", "一(一)1", "一(二)", "一(二)1"]);
    }

    #[test]
    fn out_of_sequence_markers_are_text() {
        let o = parse_outline(
            &lines("一、甲\n(一)乙。内容。\n3. 不是条目\n五、不是章"),
            false,
        );
        assert_eq!(o.nodes.len(), 2);
        assert!(o.nodes[1].text.contains("3. 不是条目"));
    }

    #[test]
    fn sections_numbered_across_chapters() {
        let o = parse_outline(
            &lines("一、甲\n(一)a。x\n(二)b。x\n二、乙\n(三)c。x"),
            false,
        );
        assert_eq!(o.nodes.last().unwrap().code, "二(三)");
    }

    #[test]
    fn ascii_sentence_ends_in_titles() {
        let o = parse_outline(&lines("一、甲!乙职"), false);
        assert_eq!(o.nodes[0].title, "甲");
        assert_eq!(o.nodes[0].text, "甲!乙职");
    }

    #[test]
    fn flattened_heading_words() {
        let o = parse_outline(
            &lines("一、总体要求\n(一)基本原则协同增效,源头防控。坚持系统观念。"),
            true,
        );
        assert_eq!(o.nodes[1].title, "基本原则");
    }
}

#[cfg(test)]
mod numbering_tests {
    use super::*;

    fn codes(s: &str) -> (Vec<String>, Vec<(String, String)>) {
        let lines: Vec<String> = s.lines().map(|l| l.to_string()).collect();
        let o = parse_outline(&lines, false);
        (o.nodes.iter().map(|n| n.code.clone()).collect(), o.notes)
    }

    #[test]
    fn a_gap_of_several_items_is_read_with_a_note() {
        let (c, notes) = codes("一、重点任务\n1.做好甲。\n30.做好乙。\n34.做好丙。\n35.做好丁。");
        assert_eq!(c, ["一", "一1", "一30", "一34", "一35"]);
        assert_eq!(notes.len(), 2);
        assert!(notes[0].1.contains("2–29"), "{notes:?}");
        assert!(notes[1].1.contains("31–33"), "{notes:?}");
    }

    #[test]
    fn numbering_runs_on_across_chapters_with_gaps() {
        let (c, _) = codes("一、甲\n1.做好甲。\n2.做好乙。\n二、乙\n5.做好丙。\n6.做好丁。");
        assert_eq!(c, ["一", "一1", "一2", "二", "二5", "二6"]);
    }

    #[test]
    fn numbering_restarts_per_chapter() {
        let (c, _) = codes("一、甲\n1.做好甲。\n2.做好乙。\n二、乙\n1.做好丙。");
        assert_eq!(c, ["一", "一1", "一2", "二", "二1"]);
    }

    #[test]
    fn a_title_may_start_with_digits() {
        let (c, _) = codes("一、甲\n(一)乙\n1.某项目。\n2.121人才梯队项目。\n3.5G基站建设。");
        assert_eq!(c, ["一", "一(一)", "一(一)1", "一(一)2", "一(一)3"]);
    }

    #[test]
    fn three_digit_numbers_and_small_full_stop() {
        let (c, _) = codes(
            "一、甲\n1.做好甲。\n20.做好甲。\n40.做好甲。\n60.做好甲。\n80.做好甲。\n99.做好甲。\n100.做好乙。\n101﹒做好丙。",
        );
        assert_eq!(
            c,
            [
                "一", "一1", "一20", "一40", "一60", "一80", "一99", "一100", "一101"
            ]
        );
    }

    #[test]
    fn a_number_in_wrapped_prose_is_no_item() {
        // The line before does not end a sentence: `5.` continues it.
        let (c, _) = codes("一、甲\n1.做好甲工作，确保完成目标任务并且要达到标准的第\n5.项要求。");
        assert_eq!(c, ["一", "一1"]);
    }
}
