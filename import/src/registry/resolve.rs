//! Resolving names as written to registry records: cleaning an item,
//! qualifying it with the plan's region (a level prefix carried from the
//! previous item where the name has none), looking it up, and splitting a run
//! of names written without separators.

#[allow(unused_imports)]
use super::*;

/// An agency name resolved against the registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub agency: AgencyRef,
    pub is_group: bool,
}

/// Splits `市营商局(市大数据管理局)` into outer and inner name. Inner parts that
/// are not names (`县(市、区)`, notes such as `(负责区域碳排放核算)`) are
/// handled by the caller.
fn split_paren(s: &str) -> (String, Option<String>) {
    if let Some(open) = s.find('(')
        && s.ends_with(')')
        && open > 0
    {
        let outer = &s[..open];
        let inner = &s[open + 1..s.len() - 1];
        return (outer.to_string(), Some(inner.to_string()));
    }
    (s.to_string(), None)
}

/// Cleans one list item: trailing 等/等单位, quotes, stray punctuation.
pub fn clean_item(s: &str) -> String {
    let mut t = s.trim().trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '、' | ',' | '，' | '。' | ';' | '；' | ':' | '：')
    });
    for suffix in [
        "等有关单位",
        "等相关单位",
        "等有关部门",
        "等相关部门",
        "等单位",
        "等部门",
        "等",
    ] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest;
            break;
        }
    }
    // `等省级相关部门` / `等省有关部门` / `等市直有关单位`: an "etc." tail
    // naming no agency, after a name that ends like an agency.
    if let Some(pos) = t.rfind('等') {
        let (head, tail) = (&t[..pos], &t[pos + '等'.len_utf8()..]);
        let tail_chars = tail.chars().count();
        if has_agency_suffix(head)
            && head.chars().count() >= 2
            && (1..=10).contains(&tail_chars)
            && ["部门", "单位", "机构"].iter().any(|s| tail.ends_with(s))
        {
            t = head;
        }
    }
    t.trim().to_string()
}

/// Resolves a list of raw names as written in one clause, carrying the level
/// prefix within the list and qualifying with the plan region.
pub fn resolve_list(items: &[String], region: &Region, registry: &Registry) -> Vec<Resolved> {
    let mut out: Vec<Resolved> = Vec::new();
    let mut carried: Option<char> = None;
    let mut prev_group_prefix: Option<String> = None;
    for item in items {
        let mut raw = clean_item(item);
        if raw.chars().count() < 2 && raw != "省" && raw.is_empty() {
            continue;
        }
        // `各有关部门、单位` → 各有关单位: a bare generic noun after a group.
        if matches!(raw.as_str(), "单位" | "部门" | "企业")
            && let Some(p) = &prev_group_prefix
        {
            raw = format!("{p}{raw}");
        }
        // `各县市区政府、管委会` → 各管委会: the distributive 各 carries over.
        if (raw == "管委会" || raw.starts_with("县(市")) && prev_group_prefix.is_some() {
            raw = format!("各{raw}");
        }
        // Names run together without a separator (`市发展改革委市财政局`, a
        // PDF table or a space lost in conversion) are split with the
        // registry when the whole item is covered by known names.
        let unresolved = resolve_one(&raw, carried, region, registry)
            .is_some_and(|r| !r.agency.confirmed && !r.is_group);
        if unresolved
            && raw.chars().count() >= 6
            && let Some(parts) =
                segment_names(&raw, region, registry).or_else(|| split_by_endings(&raw))
        {
            for part in parts {
                if let Some(r) = resolve_one(&part, carried, region, registry)
                    && !out.iter().any(|o| o.agency.name == r.agency.name)
                {
                    out.push(r);
                }
                if let Some(p) = level_prefix(&part) {
                    carried = Some(p);
                }
            }
            prev_group_prefix = None;
            continue;
        }
        let resolved = resolve_one(&raw, carried, region, registry);
        if let Some(p) = level_prefix(&raw) {
            carried = Some(p);
        }
        prev_group_prefix = if raw.starts_with("各有关") {
            Some("各有关".to_string())
        } else if raw.starts_with('各') {
            Some("各".to_string())
        } else {
            None
        };
        if let Some(r) = resolved
            && !out.iter().any(|o| o.agency.name == r.agency.name)
        {
            out.push(r);
        }
    }
    out
}

/// Resolves one cleaned name. `carried` is the level prefix of the previous
/// list item, applied when the name has no qualifier of its own.
pub fn resolve_one(
    raw: &str,
    carried: Option<char>,
    region: &Region,
    registry: &Registry,
) -> Option<Resolved> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if is_group(raw) {
        let name = registry
            .lookup(&region.qualify(raw))
            .map(|e| e.name.clone())
            .unwrap_or_else(|| raw.to_string());
        return Some(Resolved {
            agency: AgencyRef {
                name,
                raw: raw.to_string(),
                confirmed: true,
            },
            is_group: true,
        });
    }
    let (outer, inner) = split_paren(raw);
    // An inner part that is a note or a list (`(负责…)`, `(市、区)`) is dropped
    // for resolution but the outer name stays the agency.
    let inner =
        inner.filter(|i| !i.contains('、') && !i.starts_with("负责") && i.chars().count() >= 2);
    let try_name = |name: &str| -> Option<String> {
        let q = region.qualify(name);
        if let Some(e) = registry.lookup(&q) {
            return Some(e.name.clone());
        }
        registry.lookup(name).map(|e| e.name.clone())
    };
    let mut candidates: Vec<String> = vec![outer.clone()];
    if let Some(p) = carried
        && !self_qualified(&outer)
    {
        candidates.push(format!("{p}{outer}"));
    }
    for c in &candidates {
        if let Some(name) = try_name(c) {
            return Some(confirmed(name, raw));
        }
    }
    if let Some(i) = &inner
        && let Some(name) = try_name(i)
    {
        return Some(confirmed(name, raw));
    }
    // Unknown: keep it, qualified, as an unconfirmed agency. A bare
    // department name of a local plan (`税务局` in a district's plan) is that
    // place's department.
    let base = match carried {
        Some(p) if !self_qualified(&outer) => format!("{p}{outer}"),
        _ if !self_qualified(&outer)
            && region.province.is_some() | region.city.is_some() | region.county.is_some()
            && is_bare_department(&outer)
            // `相关乡镇办`: a group of local offices, not the place's department
            && !(outer.starts_with("相关") || outer.starts_with("有关")) =>
        {
            return Some(Resolved {
                agency: AgencyRef {
                    name: format!("{}{outer}", region.name().unwrap_or_default()),
                    raw: raw.to_string(),
                    confirmed: false,
                },
                is_group: false,
            });
        }
        _ => outer,
    };
    Some(Resolved {
        agency: AgencyRef {
            name: region.qualify(&base),
            raw: raw.to_string(),
            confirmed: false,
        },
        is_group: false,
    })
}

/// Splits a run of registry names (`威海市生态环境局威海市发展和改革委`) by
/// greedy longest match; `None` unless the whole string is covered by at
/// least two known names.
pub fn segment_names(s: &str, region: &Region, registry: &Registry) -> Option<Vec<String>> {
    let max = registry.max_chars().max(3);
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let rest = &s[pos..];
        let ends: Vec<usize> = rest
            .char_indices()
            .skip(1)
            .map(|(i, _)| i)
            .chain(std::iter::once(rest.len()))
            .take(max)
            .collect();
        let mut found = None;
        for &e in ends.iter().rev() {
            let cand = &rest[..e];
            if cand.chars().count() < 3 {
                break;
            }
            if !registry.could_end(cand) {
                continue;
            }
            if registry.lookup(&region.qualify(cand)).is_some() || registry.lookup(cand).is_some() {
                found = Some(e);
                break;
            }
        }
        let e = found?;
        out.push(rest[..e].to_string());
        pos += e;
    }
    (out.len() >= 2).then_some(out)
}

fn confirmed(name: String, raw: &str) -> Resolved {
    Resolved {
        agency: AgencyRef {
            name,
            raw: raw.to_string(),
            confirmed: true,
        },
        is_group: false,
    }
}

/// Names run together without a separator and unknown to the registry
/// (`晋陵公司轨道公司`, `五星街道南大街街道荷花池街道`, `高新园(邹区镇)各街道`, a cell
/// whose line breaks were lost): cut where a name ends in 公司, 集团 or 街道 and
/// another begins (not `…街道办事处`, `…公司党委`), and before a `各…` group; `None`
/// unless every part reads as a body of three characters or more.
pub fn split_by_endings(s: &str) -> Option<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth -= 1,
            _ => {}
        }
        if depth == 0 && c == '各' && cur.chars().count() >= 3 {
            parts.push(std::mem::take(&mut cur));
        }
        cur.push(c);
        let next = chars.get(i + 1).copied();
        if depth == 0
            && ["公司", "集团", "街道"].iter().any(|e| cur.ends_with(e))
            && next
                .is_some_and(|n| !matches!(n, '办' | '党' | '管' | '工' | '分' | '社' | ')' | '）'))
            && chars.len() - i > 3
        {
            parts.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    let ok = parts.len() >= 2
        && parts.iter().all(|p| {
            p.chars().count() >= 3
                && (reads_as_body(p) || crate::clause::is_local_government_group(p))
        });
    ok.then_some(parts)
}
