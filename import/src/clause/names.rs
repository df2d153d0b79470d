//! Lists of names inside a segment: top-level splitting (brackets kept
//! whole), local-government groups kept together (`各区、县级市`), conjunctions
//! (`A和B`) and the test whether a piece reads as an agency name.

#[allow(unused_imports)]
use super::*;

/// Splits `s` on the given separators outside brackets and quotes.
pub(crate) fn split_top<'a>(s: &'a str, seps: &[char]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if is_open(c) || c == '《' {
            depth += 1;
        } else if (is_close(c) || c == '》') && depth > 0 {
            depth -= 1;
        } else if depth == 0 && seps.contains(&c) {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// Splits a list of names on 、 , ; and on 和/及/与 when both sides are names
/// (`市领导小组办公室和各县市区政府`), never inside `发展和改革`.
pub fn split_list(s: &str) -> Vec<String> {
    let (s, _) = cap_chars(s, MAX_LIST_CHARS);
    let mut out = Vec::new();
    for piece in split_top(s, &['、', ',', '，', ';', '；']) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        split_conjunction(piece, &mut out);
    }
    let items: Vec<String> = out
        .into_iter()
        .map(|p| clean_item(&p))
        .filter(|p| !p.is_empty())
        .collect();
    merge_local_groups(items)
}

/// A level word of local government standing alone in a list after a `各…`
/// group: `县级市` in `各区、县级市`, `市人民政府` in `各州、市人民政府`.
fn is_bare_level(s: &str) -> bool {
    let base = s
        .strip_suffix("人民政府")
        .or_else(|| s.strip_suffix("政府"))
        .unwrap_or(s);
    matches!(
        base,
        "县级市"
            | "县"
            | "区"
            | "市"
            | "州"
            | "旗"
            | "镇"
            | "乡"
            | "乡镇"
            | "街道"
            | "县(市"
            | "市(州"
    ) || (base.chars().count() <= 6
        && base.starts_with(['县', '区', '市', '州'])
        && base.contains(['(', '（']))
}

/// `各区、县级市` is one group (the 各 applies to every part): the list
/// items after a `各…` local-government group that are bare level words are
/// joined back to it.
fn merge_local_groups(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    let mut open = false;
    for it in items {
        if open
            && is_bare_level(&it)
            && let Some(last) = out.last_mut()
        {
            last.push('、');
            last.push_str(&it);
            continue;
        }
        open = it.starts_with('各')
            && (is_bare_level(it.trim_start_matches('各')) || is_local_government_group(&it));
        out.push(it);
    }
    out
}

/// A group of local governments (implementers when named after the
/// departments): `各区、县级市`, `各县(市、区)人民政府`, `各地`, `相关市(州)人民政府`,
/// `各开发区管委会`.
pub fn is_local_government_group(s: &str) -> bool {
    let s = s.trim();
    let grouped = s.starts_with('各') || s.starts_with("相关") || s.starts_with("有关");
    if !grouped {
        // A named local government or zone (`立山经济开发区`, `某某县人民政府`,
        // `某某街道办事处`, `高新区管委会`).
        // a zone's committee, whatever level names it (`省沈抚示范区管委会`)
        let zone = s.ends_with("管委会")
            && ["示范区", "开发区", "高新区", "新区", "园区", "试验区"]
                .iter()
                .any(|z| s.contains(z));
        if zone {
            return true;
        }
        let named = (s.ends_with("开发区")
            || s.ends_with("高新区")
            || s.ends_with("示范区")
            || s.ends_with("新区")
            || s.ends_with("管委会")
            || s.ends_with("街道办事处")
            || s.ends_with("人民政府")
            || s.ends_with("镇政府"))
            && s.chars().count() >= 4
            && !s.starts_with(['省', '市', '县', '区']);
        // a city's or county's government by its place (`杭州市政府`, `某某县政府`),
        // or the place alone in a provincial list (`杭州市`)
        let government = (s.ends_with("市政府") || s.ends_with("县政府") || s.ends_with("区政府"))
            && s.chars().count() >= 4
            && !s.starts_with(['省', '市', '县', '区']);
        let city = (3..=4).contains(&s.chars().count())
            && s.ends_with('市')
            && !s.starts_with(['省', '市', '县', '区', '城', '都'])
            && !["超市", "门市", "股市", "楼市", "夜市", "集市", "城市"]
                .iter()
                .any(|w| s.ends_with(w));
        if government || city {
            return true;
        }
        // a district or county by its name (`越秀区`, `从化县`)
        let place = (2..=4).contains(&s.chars().count())
            && s.ends_with(['区', '县'])
            && !s.starts_with(['省', '市', '县', '区', '各'])
            && ![
                "社区", "园区", "片区", "城区", "景区", "新区", "市区", "郊区", "辖区",
            ]
            .iter()
            .any(|w| s.ends_with(w));
        return named || place;
    }
    let rest = s
        .trim_start_matches("各")
        .trim_start_matches("有关")
        .trim_start_matches("相关");
    let first = rest.split(['、', '(', '（']).next().unwrap_or(rest);
    rest == "地"
        || rest.starts_with("地级")
        || rest.starts_with("街道")
        || s.ends_with("政府")
        || s.ends_with("管委会")
        || is_bare_level(first)
        || matches!(
            first,
            "区市"
                | "县市区"
                | "县区"
                | "县市"
                | "市县"
                | "州市"
                | "市州"
                | "镇街"
                | "镇(街道)"
                | "乡镇办"
                | "镇办"
                | "乡镇街道"
                | "镇街道"
                | "乡镇(街道)"
                | "开发区"
                | "园区"
        )
}

pub(super) fn split_conjunction(piece: &str, out: &mut Vec<String>) {
    // Iterative (an explicit stack, left part first) so a cell with
    // thousands of 和 cannot overflow the call stack.
    let mut stack: Vec<&str> = vec![piece];
    'pieces: while let Some(piece) = stack.pop() {
        for conj in ["以及", "和", "及", "与"] {
            let mut search_from = 0;
            while let Some(rel) = piece[search_from..].find(conj) {
                let at = search_from + rel;
                let left = &piece[..at];
                let right = &piece[at + conj.len()..];
                // `各县(市、区)党委和人民政府`, `高新区党工委和管委会`: a bare body
                // word after 和 shares the place before it: one entry
                let bare_word = matches!(
                    right,
                    "人民政府" | "政府" | "管委会" | "党工委" | "管理委员会"
                );
                let right_ok = !bare_word
                    && (right.starts_with('各')
                        || right.starts_with('省')
                        || right.starts_with('市')
                        || right.starts_with('县')
                        || (has_agency_suffix(right) && right.chars().count() >= 3));
                // `A、B等和各省级人民政府`: the "etc." closes the list before 和
                let left_name = left.strip_suffix('等').unwrap_or(left);
                if has_agency_suffix(left_name) && right_ok && left_name.chars().count() >= 2 {
                    stack.push(right);
                    stack.push(left);
                    continue 'pieces;
                }
                search_from = at + conj.len();
            }
        }
        out.push(piece.to_string());
    }
}

/// Strict test for bare lists: every item must end like an agency or be a
/// generic group.
pub fn looks_like_agency(s: &str) -> bool {
    let s = clean_item(s);
    let n = s.chars().count();
    if !(2..=40).contains(&n) || s.contains('。') {
        return false;
    }
    if s.chars().filter(|c| c.is_ascii_digit()).count() > 2 {
        return false;
    }
    // `单位` / `部门` alone continue a group (`各有关部门、单位`).
    is_group(&s)
        || (n >= 3 && has_agency_suffix(&s))
        || matches!(s.as_str(), "单位" | "部门")
        || is_local_government_group(&s)
}

/// Lenient test for names before a responsibility verb.
pub(super) fn looks_like_agency_loose(s: &str) -> bool {
    let s = clean_item(s);
    let n = s.chars().count();
    // Besides agency suffixes, places and a few institutions (`某某县`,
    // `某某街道`, `市气象台`, `某某大学`); prose such as `确保任务` is no name.
    const EXTRA: &[&str] = &[
        "县",
        "区",
        "市",
        "镇",
        "乡",
        "街道",
        "台",
        "大学",
        "学校",
        "医院",
        "法院",
        "组",
        "军",
        "园区",
        "开发区",
    ];
    // A trailing note in brackets (`市统计局(完成时限:…)`) is no part of the
    // name's ending.
    let base = match (s.ends_with(')'), s.find('(')) {
        (true, Some(open)) if open > 0 => &s[..open],
        _ => s.as_str(),
    };
    (2..=40).contains(&n)
        && !s.contains('。')
        && (looks_like_agency(&s)
            || (n <= 20
                && (has_agency_suffix(base)
                    || EXTRA.iter().any(|x| base.ends_with(x))
                    // institutions are bodies too (`合肥海关`, `之江实验室`):
                    // dropping them here lost them without a warning
                    || crate::registry::is_institution(base))))
}
