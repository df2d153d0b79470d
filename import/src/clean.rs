//! Text clean-up before parsing: character normalisation, page numbers and
//! page marks, web boilerplate, the news intro before `全文如下`, a garbled
//! duplicate preview before the clean copy, hard-wrapped lines, and whole
//! documents on one line.
//!
//! Everything here works line by line or with linear scans so that a 10 MB
//! text stays fast.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

/// Placeholder left where an inline page mark (`—19—`) was: body text joins
/// across it, the flattened-table parser treats it as a cell boundary.
pub const PAGE_MARK: char = '\u{1}';

/// Character normalisation: full-width ASCII → ASCII for digits, letters and
/// the punctuation that the grammar cares about; ideographic space → space;
/// zero-width characters and other controls removed; CR/LF unified.
pub fn normalize_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(m) = normalize_char(c) {
            out.push(m);
        }
    }
    out
}

/// [`normalize_chars`] for one character (`None`: the character is dropped).
pub fn normalize_char(c: char) -> Option<char> {
    {
        let mapped = match c {
            '\r' => return None,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{00ad}' => {
                return None;
            }
            '\u{3000}' | '\u{00a0}' | '\t' => ' ',
            '（' => '(',
            '）' => ')',
            '，' => ',',
            '：' => ':',
            '；' => ';',
            '！' => '!',
            '？' => '?',
            '．' | '﹒' => '.',
            '％' => '%',
            '﹝' => '〔',
            '﹞' => '〕',
            '－' => '-',
            '／' => '/',
            '＋' => '+',
            c @ '０'..='９' | c @ 'Ａ'..='Ｚ' | c @ 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c if c.is_control() && c != '\n' => return None,
            c if (c as u32) >= 0x4E00 => to_simplified(c),
            c => c,
        };
        Some(mapped)
    }
}

/// Gives back the document's own characters for text the parser derived
/// from its normalised form: stored titles and bodies read exactly as the
/// document does (full-width punctuation, traditional characters), while the
/// grammar works on the normalised text. The derived text is aligned with the
/// source by its non-blank characters; whitespace and text the parser added
/// (a joining `。`) are kept as derived.
pub struct Restorer {
    raw: Vec<char>,
    /// (normalised char, index into `raw`) of every non-blank source char.
    comp: Vec<(char, usize)>,
    /// Positions in `comp` of each character (for the anchor search).
    index: std::collections::HashMap<char, Vec<usize>>,
    cursor: usize,
    /// Anchors not found: after [`Restorer::MAX_MISSES`] the restorer gives up
    /// (a pathological document must not make the parse slow).
    misses: usize,
}

impl Restorer {
    /// Sources above this size are not restored (derived text is kept as
    /// normalised): the index would cost more than the parse.
    pub const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;

    pub fn new(source: &str) -> Restorer {
        let source = if source.len() > Self::MAX_SOURCE_BYTES {
            ""
        } else {
            source
        };
        let raw: Vec<char> = source.chars().collect();
        // Pinyin annotations (`發(fā)展`) are no part of the text read.
        let mut skip = vec![false; raw.len()];
        if source.contains([
            'ā', 'á', 'ǎ', 'à', 'ē', 'é', 'ě', 'è', 'ī', 'í', 'ǐ', 'ì', 'ō', 'ó', 'ǒ', 'ò', 'ū',
            'ú', 'ǔ', 'ù',
        ]) {
            let starts: Vec<usize> = source.char_indices().map(|(b, _)| b).collect();
            for m in pinyin_re().find_iter(source) {
                let a = starts.partition_point(|&b| b < m.start());
                let z = starts.partition_point(|&b| b < m.end());
                skip[a..z].iter_mut().for_each(|x| *x = true);
            }
        }
        let comp: Vec<(char, usize)> = raw
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip[*i])
            .filter_map(|(i, &c)| {
                normalize_char(c)
                    .filter(|m| !m.is_whitespace())
                    .map(|m| (m, i))
            })
            .collect();
        let mut index: std::collections::HashMap<char, Vec<usize>> = Default::default();
        for (j, &(c, _)) in comp.iter().enumerate() {
            index.entry(c).or_default().push(j);
        }
        Restorer {
            raw,
            comp,
            index,
            cursor: 0,
            misses: 0,
        }
    }

    const MAX_MISSES: usize = 50;

    fn matches_at(&self, pat: &[char], j: usize) -> bool {
        j + pat.len() <= self.comp.len()
            && pat
                .iter()
                .enumerate()
                .all(|(k, &p)| self.comp[j + k].0 == p)
    }

    fn find(&self, pat: &[char], from: usize, to: usize) -> Option<usize> {
        let first = *pat.first()?;
        let to = to.min(self.comp.len());
        if to.saturating_sub(from) <= 64 {
            return (from..to).find(|&j| self.matches_at(pat, j));
        }
        let pos = self.index.get(&first)?;
        let at = pos.partition_point(|&p| p < from);
        pos[at..]
            .iter()
            .take_while(|&&p| p < to)
            .copied()
            .find(|&p| self.matches_at(pat, p))
    }

    /// The document's spelling of `derived` (unchanged when it cannot be
    /// found in the source).
    pub fn restore(&mut self, derived: &str) -> String {
        let chars: Vec<char> = derived.chars().collect();
        let solid: Vec<char> = chars
            .iter()
            .copied()
            .filter(|c| !c.is_whitespace())
            .collect();
        if solid.is_empty() {
            return derived.to_string();
        }
        if self.misses >= Self::MAX_MISSES {
            return derived.to_string();
        }
        let anchor: Vec<char> = solid.iter().copied().take(8).collect();
        let Some(start) = self
            .find(&anchor, self.cursor, usize::MAX)
            .or_else(|| self.find(&anchor, 0, self.cursor))
        else {
            self.misses += 1;
            return derived.to_string();
        };
        self.cursor = start;
        let mut out = String::with_capacity(derived.len() + 8);
        let mut j = start;
        let mut k = 0; // index into `solid`
        for &c in &chars {
            if c.is_whitespace() {
                out.push(c);
                continue;
            }
            if j < self.comp.len() && self.comp[j].0 == c {
                out.push(self.raw[self.comp[j].1]);
                j += 1;
            } else {
                // Resynchronise on the next few characters (text the
                // clean-up removed from the source, such as a page mark).
                let next: Vec<char> = solid[k..].iter().copied().take(4).collect();
                match self.find(&next, j, j + 400) {
                    Some(j2) if next.len() >= 2 || j2 == j => {
                        out.push(self.raw[self.comp[j2].1]);
                        j = j2 + 1;
                    }
                    _ => out.push(c),
                }
            }
            k += 1;
        }
        out
    }
}

/// The simplified form of a traditional character (identity for others):
/// documents written in traditional characters (`牽頭負責`, `發展改革委`) are
/// read with the same grammar; stored text keeps the document's characters.
pub fn to_simplified(c: char) -> char {
    match crate::t2s_table::T2S.binary_search_by(|(t, _)| t.cmp(&c)) {
        Ok(i) => crate::t2s_table::T2S[i].1,
        Err(_) => c,
    }
}

/// Pinyin annotations left by a web copy after characters (`機構(gòu)`,
/// `發(fā)展`): a parenthesised latin syllable with a tone mark.
fn pinyin_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)").expect("static regex")
    })
}

/// The key text is matched by: letters, digits and ideographs only,
/// full-width forms folded, traditional characters simplified, no pinyin
/// annotations (normalisation for matching only, never for stored text).
pub fn match_key(s: &str) -> String {
    let s = strip_pinyin(s);
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => to_simplified(c),
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn any_marker_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^\s*(?:第[一二三四五六七八九十]{1,3}(?:部分|章)|[一二三四五六七八九十]{1,3}\s*[、.,]|\(\s*[一二三四五六七八九十\d]{1,3}\s*\)|\d{1,3}\s*[.、]|[①-⑳]|——|—)")
            .expect("static regex")
    })
}

/// The matching key of a source line without its outline marker (`（一）`,
/// `1.`), which no title keeps.
pub fn line_key(line: &str) -> String {
    let n = normalize_chars(line);
    let rest = match any_marker_re().find(&n) {
        Some(m) => &n[m.end()..],
        None => n.as_str(),
    };
    match_key(rest)
}

/// `s` without pinyin annotations (for matching).
pub fn strip_pinyin(s: &str) -> std::borrow::Cow<'_, str> {
    pinyin_re().replace_all(s, "")
}

/// Is this a CJK ideograph or CJK punctuation (where spaces are not words
/// separators but layout noise)?
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF
        | 0x2000..=0x206F | 0x2460..=0x24FF)
}

/// Removes spaces next to CJK characters (`达到 24%` → `达到24%`) and trims.
/// `7 铁路投资8000亿元以上 发展改革委`: a row number, a blank, cells
/// separated by blanks, the last one a name.
pub fn table_row_line(line: &str) -> bool {
    let t = line.trim();
    let mut words = t.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    let rest: Vec<&str> = words.collect();
    first.len() <= 3
        && first.chars().all(|c| c.is_ascii_digit())
        && rest.len() >= 2
        && rest.last().is_some_and(|w| {
            let n = w.chars().count();
            (2..=40).contains(&n)
                && (crate::registry::has_agency_suffix(w) || w.ends_with("发展改革"))
        })
}

fn collapse_spaces(line: &str) -> String {
    let chars: Vec<char> = line.trim().chars().collect();
    // Short lines of space-separated names (signature blocks:
    // `威海市生态环境局 威海市发展和改革委`) keep one space between words.
    let keep_word_spaces = (chars.len() <= 60
        && line.split_whitespace().count() >= 2
        && line.split_whitespace().all(|w| {
            w.chars().count() >= 4 && w.chars().all(|c| is_cjk(c) && c != '、' && c != ',')
        }))
        // A table row pasted as a line (`3 安排财政赤字… 财政部`): its blanks
        // are the cell boundaries.
        || table_row_line(line);
    let mut out = String::with_capacity(line.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().next_back();
            let next = chars[i + 1..].iter().find(|&&n| n != ' ').copied();
            let cjk_adjacent = prev.is_some_and(is_cjk) || next.is_some_and(is_cjk);
            if (cjk_adjacent && !keep_word_spaces) || prev == Some(' ') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn page_line_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:[-—–\s]*\d{1,4}[-—–\s]*|第\s*\d+\s*页(?:\s*[,/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
            .expect("static regex")
    })
}

fn inline_page_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[—–]\s?\d{1,3}\s?[—–]|-\s\d{1,3}\s-").expect("static regex"))
}

fn url_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?:(?:资料|信息)?来源|原文链接|网址)?[:]?\s*https?://[\x21-\x7e]+")
            .expect("static regex")
    })
}

const BOILERPLATE: &[&str] = &[
    "付费",
    "下载文档",
    "本站",
    "客服",
    "VIP",
    "回到顶部",
    "确认删除",
    "内容提供者",
    "已认证",
    "扫一扫",
    "分享到",
    "打印本页",
    "关闭窗口",
    "责任编辑",
    "ICP备",
    "免责声明",
    "浏览次数",
    "阅读次数",
    "点击这里",
    "上一篇",
    "下一篇",
    "违规举报",
    "碎片内容",
    "网友上传",
    "【打印】",
    "【关闭】",
    "网站地图",
    "版权所有",
    "相关阅读",
    "相关链接",
];

/// Keywords that never occur in plan prose: one is enough.
const STRONG_BOILERPLATE: &[&str] = &[
    "回到顶部",
    "确认删除",
    "扫一扫",
    "分享到",
    "打印本页",
    "关闭窗口",
    "ICP备",
    "浏览次数",
    "阅读次数",
    "上一篇",
    "下一篇",
    "【打印】",
    "【关闭】",
    "网站地图",
];

fn boilerplate_hits(line: &str) -> usize {
    if line.chars().count() >= 160 {
        return 0;
    }
    BOILERPLATE.iter().filter(|k| line.contains(*k)).count()
}

/// Any keyword: used for the document's tail.
fn is_boilerplate(line: &str) -> bool {
    boilerplate_hits(line) > 0
}

/// Boilerplate anywhere in the text: a strong keyword or two keywords. A task
/// line mentioning 付费 or 客服 alone stays.
fn is_boilerplate_anywhere(line: &str) -> bool {
    boilerplate_hits(line) >= 2
        || (line.chars().count() < 160 && STRONG_BOILERPLATE.iter().any(|k| line.contains(k)))
}

/// The result of cleaning: one string per logical line, no empty lines.
#[derive(Clone, Debug, Default)]
pub struct CleanText {
    pub lines: Vec<String>,
}

impl CleanText {
    pub fn joined(&self) -> String {
        self.lines.join("\n")
    }
}

/// Full clean-up of a decoded text.
pub fn clean(text: &str) -> CleanText {
    let mut norm = normalize_chars(text);
    if norm.contains([
        'ā', 'á', 'ǎ', 'à', 'ē', 'é', 'ě', 'è', 'ī', 'í', 'ǐ', 'ì', 'ō', 'ó', 'ǒ', 'ò', 'ū', 'ú',
        'ǔ', 'ù',
    ]) {
        norm = pinyin_re().replace_all(&norm, "").into_owned();
    }
    let mut lines: Vec<String> = Vec::new();
    for raw in norm.split('\n') {
        let mut line = collapse_spaces(raw);
        if line.is_empty() || page_line_re().is_match(&line) {
            continue;
        }
        if line.contains("http") {
            line = url_re().replace_all(&line, "").trim().to_string();
        }
        if inline_page_re().is_match(&line) {
            line = inline_page_re()
                .replace_all(&line, PAGE_MARK.to_string().as_str())
                .into_owned();
        }
        // Leading tags such as `【政策】`.
        if line.starts_with('【')
            && let Some(end) = line.find('】')
        {
            let rest = line[end + '】'.len_utf8()..].trim().to_string();
            if !rest.is_empty() {
                line = rest;
            }
        }
        if line.is_empty() {
            continue;
        }
        lines.push(line);
    }
    drop_boilerplate(&mut lines);
    drop_intro(&mut lines);
    drop_duplicate_copy(&mut lines);
    join_hard_wraps(&mut lines);
    lines.retain(|l| !l.trim().is_empty());
    CleanText { lines }
}

fn drop_boilerplate(lines: &mut Vec<String>) {
    // A tail that is boilerplate or short fragments (`碳中和`, `已认证` …) is cut
    // as a whole from its first boilerplate line; elsewhere only lines that
    // are surely boilerplate (see `is_boilerplate_anywhere`) are dropped.
    let junk = |l: &String| is_boilerplate(l) || l.chars().count() <= 24 || boilerplate_numbered(l);
    let suffix = lines.iter().rev().take_while(|l| junk(l)).count();
    let from = lines.len() - suffix;
    // The tail starts at a line that is surely boilerplate: a strong or
    // double keyword, a web notice about 文档/本站, or a keyword standing
    // almost alone (`客服`, `已认证`).
    let marks_tail = |l: &String| {
        is_boilerplate_anywhere(l)
            || (is_boilerplate(l) && (l.chars().count() <= 8 || boilerplate_numbered(l)))
    };
    if let Some(first) = lines[from..].iter().position(marks_tail) {
        lines.truncate(from + first);
    }
    lines.retain(|l| !is_boilerplate_anywhere(l) && !l.starts_with("抄送") && !l.ends_with("印发"));
    // Numbered web notices (`1、当您付费下载文档后…`) are caught by keywords.
}

fn boilerplate_numbered(l: &str) -> bool {
    l.contains("文档") || l.contains("本站")
}

fn drop_intro(lines: &mut Vec<String>) {
    let pos = lines.iter().position(|l| {
        let t = l.trim_end_matches([':', ' ']);
        matches!(
            t,
            "全文如下" | "以下为全文" | "原文如下" | "方案全文如下" | "全文"
        )
    });
    if let Some(p) = pos
        && p + 1 < lines.len()
    {
        lines.drain(..=p);
    }
}

fn bigrams(s: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn looks_like_title(l: &str) -> bool {
    let n = l.chars().count();
    (6..=60).contains(&n)
        && [
            "方案", "意见", "规划", "计划", "办法", "通知", "措施", "细则", "要点",
        ]
        .iter()
        .any(|k| l.contains(k))
}

/// Drops a garbled, hard-wrapped preview that precedes a clean copy of the
/// same document (or a garbled copy after a clean one). The copies are found
/// by a title line that recurs at the start of a later line, and confirmed by
/// character-bigram overlap; the copy with the longer average line (i.e. the
/// less hard-wrapped one) is kept.
fn drop_duplicate_copy(lines: &mut Vec<String>) {
    let limit = lines.len().min(80);
    for i in 0..limit {
        if !looks_like_title(&lines[i]) {
            continue;
        }
        let title: String = lines[i].chars().take(16).collect();
        if title.chars().count() < 6 {
            continue;
        }
        let Some(j) = (i + 2..lines.len()).find(|&j| lines[j].starts_with(&title)) else {
            continue;
        };
        let a: String = lines[i..j].concat();
        let a_chars = a.chars().count();
        if a_chars < 40 {
            continue;
        }
        let b: String = lines[j..].concat();
        let b_prefix: String = b.chars().take(a_chars + a_chars / 5).collect();
        let ga = bigrams(&a);
        let gb = bigrams(&b_prefix);
        if ga.is_empty() {
            continue;
        }
        let shared = ga.iter().filter(|g| gb.contains(g)).count();
        let sim = shared as f64 / ga.len() as f64;
        if sim < 0.6 {
            continue;
        }
        let avg_a = a_chars as f64 / (j - i) as f64;
        let b_lines = lines.len() - j;
        let avg_b = b.chars().count() as f64 / b_lines.max(1) as f64;
        if avg_b >= avg_a {
            lines.drain(i..j);
        } else {
            // The later copy is the worse one: keep the first and drop the
            // duplicate part of the second.
            let b_len = b.chars().count();
            if b_len <= a_chars + a_chars / 5 {
                lines.truncate(j);
            }
        }
        return;
    }
}

fn marker_start_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十\d]{1,3}\)|\d{1,2}[.、]|——|专栏|附件)")
            .expect("static regex")
    })
}

/// Starts with an outline marker?
pub fn starts_with_marker(l: &str) -> bool {
    marker_start_re().is_match(l)
}

/// Joins hard-wrapped lines (a PDF copied as text: every line about the same
/// width, paragraphs broken mid-sentence). Only applied when the document
/// really is hard-wrapped, so that a heading line is never glued to its
/// paragraph in normal text.
fn join_hard_wraps(lines: &mut Vec<String>) {
    if lines.len() < 8 {
        return;
    }
    let mut counts = std::collections::HashMap::new();
    for l in lines.iter() {
        let n = l.chars().count();
        if (12..=90).contains(&n) {
            *counts.entry(n).or_insert(0usize) += 1;
        }
    }
    let Some((&width, _)) = counts.iter().max_by_key(|(n, c)| (**c, **n)) else {
        return;
    };
    let near = lines
        .iter()
        .filter(|l| {
            let n = l.chars().count();
            n + 3 >= width && n <= width + 1
        })
        .count();
    if near * 10 < lines.len() * 4 {
        return;
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut prev_full = false;
    for l in lines.drain(..) {
        let n = l.chars().count();
        let ends_sentence = out
            .last()
            .and_then(|p: &String| p.chars().next_back())
            .is_some_and(|c| matches!(c, '。' | '!' | '?' | ';' | ':' | ')' | '”'));
        // A labelled responsibility line (`责任单位：…`) or a completion
        // limit starts a line of its own, never a wrapped continuation.
        let own_line = starts_with_marker(&l)
            || crate::clause::starts_with_label(&l)
            || l.starts_with("完成时限")
            || l.starts_with("完成时间");
        if prev_full && !ends_sentence && !own_line && !out.is_empty() {
            if let Some(last) = out.last_mut() {
                last.push_str(&l);
            }
        } else {
            out.push(l);
        }
        prev_full = n + 4 >= width && n <= width + 2;
    }
    *lines = out;
}

fn split_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(concat!(
            r"([。;!?”\x{1}])\s*([一二三四五六七八九十]{1,3}、)",
            r"|()(\([一二三四五六七八九十]{1,3}\))",
            r"|([。;)\x{1}])\s*(\d{1,2}[.、][\p{Han}“])",
            r"|([。;\x{1}])\s*(——|专栏\d)",
        ))
        .expect("static regex")
    })
}

/// Breaks very long lines (a whole document on one line) before outline
/// markers so that the outline parser sees one heading per line.
pub fn split_long_lines(lines: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        if l.chars().count() < 300 {
            out.push(l);
            continue;
        }
        let mut start = 0;
        for caps in split_re().captures_iter(&l) {
            // The marker group is the second of each alternative pair.
            let marker = [2, 4, 6, 8].iter().find_map(|&g| caps.get(g));
            let Some(m) = marker else { continue };
            if m.start() > start {
                let piece = l[start..m.start()].trim();
                if !piece.is_empty() {
                    out.push(piece.to_string());
                }
                start = m.start();
            }
        }
        let piece = l[start..].trim();
        if !piece.is_empty() {
            out.push(piece.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lines_with_a_boilerplate_word_stay() {
        let c = clean(
            "一、重点任务\n1.推行排污权有偿使用和付费制度。\n2.推进VIP通道建设。\n二、保障措施\n加强领导。\n分享到:\n1、当您付费下载文档后,您只拥有了使用权限\n客服\n已认证",
        );
        assert!(c.lines.iter().any(|l| l.contains("付费制度")));
        assert!(c.lines.iter().any(|l| l.contains("VIP通道")));
        assert!(
            !c.lines
                .iter()
                .any(|l| l.contains("分享到") || l.contains("当您付费"))
        );
        // Two keywords on one line mid-text are boilerplate.
        let c = clean("一、重点任务\n本站客服电话:123\n1.推进A。");
        assert!(!c.lines.iter().any(|l| l.contains("本站")));
    }

    #[test]
    fn normalizes_full_width() {
        assert_eq!(
            normalize_chars("（一）２０２５年，达到１３％"),
            "(一)2025年,达到13%"
        );
        assert_eq!(normalize_chars("a\r\nb\u{200b}c"), "a\nbc");
    }

    #[test]
    fn collapses_layout_spaces() {
        assert_eq!(collapse_spaces("  2025 年,达到 24% "), "2025年,达到24%");
        assert_eq!(collapse_spaces("GDP growth"), "GDP growth");
        assert_eq!(
            collapse_spaces("威海市生态环境局 威海市农业农村局"),
            "威海市生态环境局 威海市农业农村局"
        );
    }

    #[test]
    fn drops_page_numbers_and_marks() {
        let c = clean("第一行内容。\n2\n- 3 -\n第二行—19—继续。");
        assert_eq!(
            c.lines,
            vec![
                "第一行内容。".to_string(),
                format!("第二行{PAGE_MARK}继续。")
            ]
        );
    }

    #[test]
    fn drops_boilerplate_tail() {
        let c = clean(
            "方案正文。\n1、当您付费下载文档后,您只拥有了使用权限\n碎片内容\n碳中和\n回到顶部",
        );
        assert_eq!(c.lines, vec!["方案正文。"]);
    }

    #[test]
    fn drops_intro_before_full_text() {
        let c = clean("近日,某方案发布!\n全文如下:\n某市碳达峰实施方案\n一、总体要求");
        assert_eq!(c.lines[0], "某市碳达峰实施方案");
    }

    #[test]
    fn drops_garbled_preview() {
        let mut text = String::from("某市减污降碳实施方案\n");
        let body = "为深入贯彻落实党中央国务院关于碳达峰碳中和重大战略决策,全面落实省委省政府部署要求,结合我市实际,制定本实施方案。一、总体要求(一)强化分区管控。优化空间布局。";
        // a hard-wrapped preview with missing characters
        let chars: Vec<char> = body.chars().collect();
        for chunk in chars.chunks(20) {
            let s: String = chunk.iter().filter(|c| **c != '国').collect();
            text.push_str(&s);
            text.push('\n');
        }
        text.push_str("某市减污降碳实施方案");
        text.push_str(body);
        let c = clean(&text);
        assert_eq!(c.lines.len(), 1, "{:?}", c.lines);
        assert!(c.lines[0].contains("国务院"));
    }

    #[test]
    fn joins_hard_wrapped_paragraphs() {
        let mut text = String::new();
        for _ in 0..5 {
            text.push_str("一二三四五六七八九十一二三四五六七八九十\n");
            text.push_str("甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸\n");
            text.push_str("结束。\n");
        }
        let c = clean(&text);
        assert_eq!(c.lines.len(), 5);
    }

    #[test]
    fn splits_one_line_documents() {
        let long = format!(
            "{}一、总体要求(一)基本原则。内容。二、重点任务(一)任务甲。内容。1.子项。内容。",
            "前言。".repeat(120)
        );
        let parts = split_long_lines(vec![long]);
        assert!(parts.iter().any(|p| p.starts_with("一、总体要求")));
        assert!(parts.iter().any(|p| p.starts_with("(一)基本原则")));
        assert!(parts.iter().any(|p| p.starts_with("二、重点任务")));
        assert!(parts.iter().any(|p| p.starts_with("1.子项")));
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    #[test]
    fn derived_text_gets_the_documents_characters_back() {
        let src = "一、重点任务\n（一）推进煤炭替代，发展新能源。（市发展改革委牵头）\n（二）發展規劃：到2025年。";
        let mut r = Restorer::new(src);
        assert_eq!(
            r.restore("推进煤炭替代,发展新能源"),
            "推进煤炭替代，发展新能源"
        );
        assert_eq!(r.restore("发展规划:到2025年"), "發展規劃：到2025年");
        // text that is not in the source stays as derived
        assert_eq!(r.restore("完全不同的文字"), "完全不同的文字");
    }

    #[test]
    fn traditional_characters_are_read_as_simplified() {
        assert_eq!(
            normalize_chars("省發展改革委牽頭負責"),
            "省发展改革委牵头负责"
        );
        assert!(crate::t2s_table::T2S.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn pinyin_annotations_of_a_web_copy_are_dropped() {
        let c = clean("各直屬機構(gòu)：\n發(fā)展改革委");
        assert_eq!(c.lines, ["各直属机构:", "发展改革委"]);
    }
}
