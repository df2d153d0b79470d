//! Responsibility written in the sentence itself, without brackets, as
//! approvals (批复), notices and many national documents do:
//!
//! * `由A、B和C合作共建` / `由A牵头，B配合` — the bodies after 由 lead (several:
//!   co-leads), the segment after the comma names participants;
//! * `…，A、B负责` / `…，A牵头负责` — the last segment of a sentence is the
//!   clause;
//! * `A、B要加强业务指导，会同C、D…` — the bodies a sentence opens with lead,
//!   those after 会同 participate.
//!
//! Every name must read as the name of a body (a sentence `由企业负责` names
//! no agency), so ordinary prose is never read as a clause.

use std::sync::OnceLock;

use regex::Regex;

use super::{Clause, split_list};
use crate::registry::{clean_item, is_group, reads_as_body};

fn you_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"由([^，,。;；由]{2,120}?)(牵头负责|牵头|负责|合作共建|共同建设|共建|组织实施|统筹推进)")
            .expect("static regex")
    })
}

fn with_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^[，,]\s*([^，,。;；]{2,120}?)(配合|参与|协助|协同)").expect("static regex")
    })
}

fn tail_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^([^，,。;；]{2,120}?)(按职责分工负责|牵头负责|负责)$").expect("static regex")
    })
}

fn subject_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^([^，,。;；]{2,120}?)(?:要|应当|应|须|负责)[^，,。;；]{2,}")
            .expect("static regex")
    })
}

fn together_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"会同([^，,。;；]{2,120})").expect("static regex"))
}

/// The names of a list when every one reads as a body; `广东省和广州市人民政府`
/// is two governments.
fn bodies(list: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for item in split_list(list) {
        let item = clean_item(&item);
        if reads_as_body(&item) || is_group(&item) {
            out.push(item);
        } else {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `广东省和广州市人民政府` → both governments (the ending is shared).
fn shared_ending(list: &str) -> String {
    let mut s = list.to_string();
    for ending in ["人民政府", "政府"] {
        for place in ['省', '市', '县', '区'] {
            let joined = format!("{place}和");
            if let Some(at) = s.find(&joined)
                && s[at..].contains(ending)
                && !s[..at].ends_with(ending)
            {
                s.replace_range(at..at + joined.len(), &format!("{place}{ending}、"));
                return s;
            }
        }
    }
    s
}

/// Names in a list, the last one dropped when it is cut off (an excerpt that
/// ends mid-name: `会同中科院、广东`).
/// The last item may run on into the verb (`会同省统计局做好监测`): its longest
/// beginning that reads as a body is the name.
fn bodies_lenient(list: &str) -> Vec<String> {
    let items: Vec<String> = split_list(&shared_ending(list))
        .into_iter()
        .map(|i| clean_item(&i))
        .collect();
    let n = items.len();
    let mut out = Vec::new();
    for (k, item) in items.into_iter().enumerate() {
        if reads_as_body(&item) || is_group(&item) {
            out.push(item);
        } else if k + 1 == n {
            let ends: Vec<usize> = item.char_indices().map(|(i, _)| i).skip(2).collect();
            if let Some(e) = ends.into_iter().rev().find(|&e| reads_as_body(&item[..e])) {
                out.push(item[..e].to_string());
            }
        }
    }
    out
}

/// The responsibility a sentence states without brackets, if any: the
/// clause and the byte range of the text it was read from.
pub fn find_sentence_clause(text: &str) -> Option<(std::ops::Range<usize>, Clause)> {
    let mut start = 0;
    for sentence in text.split_inclusive(['。', ';', '；', '\n']) {
        let at = start;
        start += sentence.len();
        let s = sentence.trim_end_matches(['。', ';', '；', '\n', ' ']);
        if let Some(c) = you_re().captures(s) {
            let (Some(m), Some(names)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if let Some(leads) = bodies(&shared_ending(names.as_str())) {
                let mut clause = Clause {
                    explicit_lead: c[2].contains("牵头"),
                    leads,
                    ..Clause::default()
                };
                let mut end = m.end();
                if let Some(w) = with_re().captures(&s[m.end()..])
                    && let (Some(wm), Some(wn)) = (w.get(0), w.get(1))
                    && let Some(parts) = bodies(wn.as_str())
                {
                    clause.participants = parts;
                    end = m.end() + wm.end();
                }
                return Some((at + m.start()..at + end, clause));
            }
        }
        // The last segment of the sentence: `…，A、B负责`.
        let seg_at = s
            .rfind([',', '，'])
            .map(|i| i + s[i..].chars().next().map_or(1, char::len_utf8));
        if let Some(seg_at) = seg_at
            && let Some(c) = tail_re().captures(&s[seg_at..])
            && let Some(leads) = bodies(&c[1])
        {
            let clause = Clause {
                explicit_lead: c[2].contains("牵头"),
                leads,
                ..Clause::default()
            };
            return Some((at + seg_at..at + s.len(), clause));
        }
        // `A、B要加强指导，会同C…`: the subject leads.
        if let Some(c) = subject_re().captures(s)
            && let Some(names) = c.get(1)
            && let Some(leads) = bodies(names.as_str())
            && !leads.iter().all(|l| is_group(l))
        {
            let mut clause = Clause {
                leads,
                ..Clause::default()
            };
            if let Some(t) = together_re().captures(s) {
                clause.participants = bodies_lenient(&t[1]);
            }
            return Some((at..at + s.len(), clause));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(s: &str) -> Option<(Vec<String>, Vec<String>)> {
        find_sentence_clause(s).map(|(_, c)| (c.leads, c.participants))
    }

    #[test]
    fn you_names_the_leads() {
        let (l, p) = roles("建设区域数据中心，由市发展改革委、市财政局合作共建。").unwrap();
        assert_eq!(l, ["市发展改革委", "市财政局"]);
        assert!(p.is_empty());
        let (l, p) = roles("推进园区改造，由省发展改革委牵头，省财政厅、省统计局配合。").unwrap();
        assert_eq!(l, ["省发展改革委"]);
        assert_eq!(p, ["省财政厅", "省统计局"]);
        let (l, _) = roles("由某某省和某某市人民政府合作共建。").unwrap();
        assert_eq!(l, ["某某省人民政府", "某某市人民政府"]);
    }

    #[test]
    fn the_last_segment_and_the_subject() {
        let (l, _) = roles("完善统计监测制度，省统计局、省财政厅负责。").unwrap();
        assert_eq!(l, ["省统计局", "省财政厅"]);
        let (l, p) = roles("国家林草局、住房城乡建设部要加强业务指导，会同中科院、某某").unwrap();
        assert_eq!(l, ["国家林草局", "住房城乡建设部"]);
        assert_eq!(p, ["中科院"]);
    }

    #[test]
    fn prose_is_no_clause() {
        assert_eq!(roles("坚持以企业为主体，由企业负责实施。"), None);
        assert_eq!(roles("要加强组织领导，确保各项任务落到实处。"), None);
        assert_eq!(roles("各地要结合实际抓好落实。"), None);
        assert_eq!(roles("推动产业升级，提升发展质量。"), None);
    }
}
