//! The agency registry (单位名录): canonical agency names with aliases, and the
//! rules that turn a name as written in a plan (`市发展改革委`) into a
//! registry record (`济宁市发展和改革委员会`).
//!
//! Names in plans are relative to the issuing region: inside the 济宁 plan
//! `市生态环境局` means 济宁市生态环境局 and `省生态环境厅` means 山东省生态环境厅.
//! The parser therefore *qualifies* a name with the plan's [`Region`] before it
//! looks it up, and every registry entry is stored fully qualified.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::AgencyRef;
use crate::error::ImportError;

/// One agency (单位) of the registry, as stored in `seeds/agencies.json` or in
/// the database.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RegistryEntry {
    /// Canonical, fully qualified name, e.g. `威海市生态环境局`.
    pub name: String,
    /// Short name as used inside its own region's documents, e.g. `市生态环境局`.
    #[serde(default)]
    pub short_name: Option<String>,
    /// Other fully qualified spellings (`济宁市发展改革委`, `济宁市发展和改革局` …).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `province` | `city` | `county` | `other`.
    #[serde(default = "default_other")]
    pub level: String,
    /// `department` | `local_government` | `company` | `bank` | `group` | `other`.
    #[serde(default = "default_other")]
    pub kind: String,
    /// Canonical name of the parent agency (a department's government), if any.
    #[serde(default)]
    pub parent: Option<String>,
}

fn default_other() -> String {
    "other".to_string()
}

/// The registry: canonical entries plus an index from normalised spellings.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    entries: Vec<RegistryEntry>,
    index: HashMap<String, usize>,
    /// Longest indexed spelling in chars, bounds the scanner's look-ahead.
    max_chars: usize,
    /// Last characters of all spellings: a cheap filter before lookups.
    last_chars: std::collections::HashSet<char>,
}

impl Registry {
    /// Builds a registry; later entries never override earlier spellings.
    pub fn from_entries(entries: Vec<RegistryEntry>) -> Registry {
        let mut index = HashMap::new();
        let mut max_chars = 0;
        let mut last_chars = std::collections::HashSet::new();
        for (i, e) in entries.iter().enumerate() {
            let mut spellings: Vec<&str> = vec![e.name.as_str()];
            spellings.extend(e.aliases.iter().map(|s| s.as_str()));
            for s in spellings {
                let key = norm_key(s);
                if key.is_empty() {
                    continue;
                }
                max_chars = max_chars.max(s.chars().count()).max(key.chars().count());
                last_chars.extend(s.chars().next_back());
                last_chars.extend(key.chars().next_back());
                index.entry(key).or_insert(i);
            }
        }
        Registry {
            entries,
            index,
            max_chars,
            last_chars,
        }
    }

    /// Reads the JSON array format of `seeds/agencies.json`.
    pub fn from_json(json: &str) -> Result<Registry, ImportError> {
        let entries: Vec<RegistryEntry> =
            serde_json::from_str(json).map_err(|e| ImportError::BadRegistry(e.to_string()))?;
        Ok(Registry::from_entries(entries))
    }

    /// A registry without entries: every agency becomes unconfirmed.
    pub fn empty() -> Registry {
        Registry::default()
    }

    pub fn entries(&self) -> &[RegistryEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Looks up a fully qualified spelling (any alias) and returns the entry.
    pub fn lookup(&self, qualified: &str) -> Option<&RegistryEntry> {
        let key = norm_key(qualified);
        self.index.get(&key).map(|&i| &self.entries[i])
    }

    /// Province of a city, from the registry's local-government records
    /// (`济宁市人民政府` → parent `山东省人民政府` → `山东省`).
    pub fn province_of(&self, city: &str) -> Option<String> {
        let gov = self.lookup(&format!("{city}人民政府"))?;
        let parent = gov.parent.as_deref()?;
        let prov = parent.strip_suffix("人民政府").unwrap_or(parent);
        if prov.ends_with('省') || prov.ends_with("自治区") || prov.ends_with('市') {
            Some(prov.to_string())
        } else {
            None
        }
    }

    /// Can a registry spelling end with this text? (Cheap pre-check.)
    pub(crate) fn could_end(&self, s: &str) -> bool {
        s.chars()
            .next_back()
            .is_some_and(|c| self.last_chars.contains(&c))
    }

    pub(crate) fn max_chars(&self) -> usize {
        self.max_chars.min(40)
    }
}

/// The region a plan belongs to: names like `市…` / `省…` are relative to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// Prefecture-level city (地级市), e.g. `济宁市`.
    pub city: Option<String>,
    /// Province (省/自治区/直辖市), e.g. `山东省`.
    pub province: Option<String>,
    /// County-level region (县/区) when the plan is a county's, e.g. `新宾县`.
    pub county: Option<String>,
}

impl Region {
    /// The most specific name, used for [`crate::ParsedPlan::region`].
    pub fn name(&self) -> Option<String> {
        self.county
            .clone()
            .or_else(|| self.city.clone())
            .or_else(|| self.province.clone())
    }

    /// Qualifies a relative agency name: `市生态环境局` → `济宁市生态环境局`,
    /// `省生态环境厅` → `山东省生态环境厅`. Names that already carry a place, or
    /// whose level is unknown for this plan, are returned unchanged.
    pub fn qualify(&self, raw: &str) -> String {
        // `团市委` (the Youth League committee of the city) → `团广州市委`.
        if let Some(level) = raw.strip_prefix('团').and_then(|r| r.strip_suffix('委'))
            && level.chars().count() == 1
        {
            let place = match level {
                "市" => self.city.as_ref(),
                "省" => self.province.as_ref(),
                "县" | "区" => self.county.as_ref(),
                _ => None,
            };
            if let Some(p) = place {
                return format!("团{p}委");
            }
        }
        if let Some(rest) = raw.strip_prefix('市') {
            // 市场… is a word, not the level prefix.
            if !rest.starts_with('场')
                && !rest.is_empty()
                && let Some(city) = &self.city
            {
                return format!("{city}{rest}");
            }
        } else if let Some(rest) = raw.strip_prefix('县').or_else(|| raw.strip_prefix('区')) {
            if !rest.is_empty()
                && (!rest.starts_with('市') || rest.starts_with("市场"))
                && let Some(county) = &self.county
            {
                return format!("{county}{rest}");
            }
        } else if let Some(rest) = raw.strip_prefix('省')
            && !rest.is_empty()
            && let Some(prov) = &self.province
        {
            return format!("{prov}{rest}");
        }
        raw.to_string()
    }
}

/// Normalised lookup key: strips whitespace, quotes and the 中共 prefix, and
/// folds the common long/short official spellings into one form so that
/// `市发展和改革委员会` and `市发展改革委` (or `市场监督管理局` / `市场监管局`)
/// meet even if the registry lists only one of them.
pub fn norm_key(s: &str) -> String {
    let mut k: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"' | '\'' | '‘' | '’'))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            _ => crate::clean::to_simplified(c),
        })
        .collect();
    if let Some(rest) = k.strip_prefix("中共") {
        k = rest.to_string();
    }
    // Longer patterns first so that they are not broken by shorter ones.
    const FOLDS: &[(&str, &str)] = &[
        ("人民政府国有资产监督管理委员会", "国资委"),
        ("国有资产监督管理委员会", "国资委"),
        ("发展和改革委员会", "发展改革委"),
        ("发展改革委员会", "发展改革委"),
        ("发改委", "发展改革委"),
        ("发展和改革局", "发展改革局"),
        ("发改局", "发展改革局"),
        ("住房和城乡建设", "住房城乡建设"),
        ("住建局", "住房城乡建设局"),
        ("住建委", "住房城乡建设委"),
        ("住建厅", "住房城乡建设厅"),
        ("工业和信息化", "工信"),
        ("工业信息化", "工信"),
        ("卫健委", "卫生健康委"),
        ("人社局", "人力资源社会保障局"),
        ("人社厅", "人力资源社会保障厅"),
        // A city has one natural-resources bureau, whichever name it bears.
        ("自然资源和规划", "自然资源"),
        ("交通局", "交通运输局"),
        ("市场监督管理局", "市场监管局"),
        ("人力资源和社会保障", "人力资源社会保障"),
        ("地方金融监督管理局", "地方金融监管局"),
        ("卫生健康委员会", "卫生健康委"),
        ("科学技术局", "科技局"),
        ("科学技术厅", "科技厅"),
        ("经济和信息化厅", "经信厅"),
        ("经济和信息化局", "经信局"),
        ("中国人民银行", "人民银行"),
        ("人民政府办公室", "政府办公室"),
    ];
    for (long, short) in FOLDS {
        if k.contains(long) {
            k = k.replace(long, short);
        }
    }
    k
}

/// True for generic groups (各有关部门, 领导小组各成员单位, 各县区政府 …) that name
/// a set of agencies rather than one agency.
pub fn is_group(name: &str) -> bool {
    let n = name.trim();
    if n.is_empty() {
        return false;
    }
    n.starts_with('各')
        || n.contains("各部门")
        || n.contains("各单位")
        || n.contains("各专班")
        || n.contains("成员单位")
        || n.contains("有关部门")
        || n.contains("相关部门")
        || n.contains("有关单位")
        || n.contains("相关单位")
        || n.contains("各级")
        || n.contains("县市区")
        || n.contains("县(市、区)")
        || n.contains("县（市、区）")
        || (n.starts_with("区市") && !n.starts_with("区市场"))
        || n == "管委会"
        || n == "开发区管委会"
}

/// Suffixes that end an agency name (厅, 局, 委员会 …); used to recognise
/// names that are not in the registry.
const AGENCY_SUFFIXES: &[&str] = &[
    "委员会",
    "办公室",
    "管委会",
    "部门",
    "单位",
    "办事处",
    "领导小组",
    "中心支行",
    "分行",
    "支行",
    "分局",
    "集团",
    "公司",
    "中心",
    "学院",
    "党校",
    "政府",
    "车务段",
    "监管局",
    "厅",
    "局",
    "委",
    "办",
    "部",
    "院",
    "会",
    "联",
    "科协",
    "队",
    "署",
    "处",
    "所",
    "段",
    "站",
    "社",
    "行",
];

/// Does this string end like an agency name?
pub fn has_agency_suffix(s: &str) -> bool {
    let s = s.trim_end_matches(')');
    AGENCY_SUFFIXES.iter().any(|suf| s.ends_with(suf))
}

/// Does this unconfirmed name read as the name of a body (an agency, a
/// local government, an institution)? A rule sentence, a role word, a place
/// word alone or prose does not: such a string is warned about, never
/// assigned.
pub fn reads_as_body(name: &str) -> bool {
    let n = name.trim();
    // A trailing note in brackets (`市统计局(完成时限:…)`) is no part of it.
    let n = match (n.ends_with([')', '）']), n.find(['(', '（'])) {
        (true, Some(open)) if open > 0 => &n[..open],
        _ => n,
    };
    let len = n.chars().count();
    if !(2..=40).contains(&len) {
        return false;
    }
    const ROLE_WORDS: &[&str] = &[
        "牵头单位",
        "牵头部门",
        "责任单位",
        "责任部门",
        "配合单位",
        "配合部门",
        "参与单位",
        "协办单位",
        "落实单位",
        "实施单位",
        "主责单位",
        "有关",
        "相关",
        "其他",
        "其余",
    ];
    if ROLE_WORDS.contains(&n)
        || [
            "为牵头",
            "下同",
            "不再",
            "第一位",
            "按职责",
            "负责",
            "。",
            "，",
        ]
        .iter()
        .any(|w| n.contains(w))
    {
        return false;
    }
    const MORE: &[&str] = &[
        "实验室",
        "大学",
        "海关",
        "小组",
        "专班",
        "机构",
        "医院",
        "法院",
        "街道",
        "开发区",
        "高新区",
        "新区",
        "园区",
        "镇",
        "乡",
        "县",
        "市",
        "区",
        "州",
        "旗",
        "军",
        "台",
        "馆",
        "库",
        "团",
        "社区",
        "村",
        "示范区",
        "指挥部",
    ];
    has_agency_suffix(n) || MORE.iter().any(|m| n.trim_end_matches(')').ends_with(m))
}

/// Level prefixes that qualify a name and carry over within a list
/// (`省科技厅、工业和信息化厅` → `省工业和信息化厅`).
fn level_prefix(s: &str) -> Option<char> {
    let c = s.chars().next()?;
    match c {
        '省' | '市' | '县' | '区' => {
            if s.starts_with("市场")
                || (s.starts_with("区市") && !s.starts_with("区市场"))
                || s.starts_with("县市区")
            {
                None
            } else {
                Some(c)
            }
        }
        _ => None,
    }
}

/// Does the name carry its own place or organisation qualifier, so that a
/// level prefix must not be carried onto it (`抚顺雷锋学院`, `国网济宁供电公司`)?
/// Institutions that are no department of a government level: the level
/// prefix of a list never carries onto them (`省科技厅、之江实验室`).
pub fn is_institution(s: &str) -> bool {
    const ENDS: &[&str] = &[
        "实验室",
        "大学",
        "学院",
        "研究院",
        "研究所",
        "公司",
        "集团",
        "银行",
        "分行",
        "支行",
        "医院",
        "海关",
        "机场",
        "协会",
        "商会",
        "基金会",
        "交易所",
        "总局",
        "科学院",
        "工程院",
    ];
    ENDS.iter().any(|e| s.ends_with(e))
}

/// A department name without any place or level (`税务局`, `改革办`): short,
/// ending like a government department, no institution.
fn is_bare_department(s: &str) -> bool {
    let n = s.chars().count();
    (3..=8).contains(&n)
        && ["局", "委", "办", "厅", "委员会", "办公室"]
            .iter()
            .any(|e| s.ends_with(e))
        || (4..=24).contains(&n)
            && ["领导小组", "工作组", "专班", "指挥部"]
                .iter()
                .any(|e| s.ends_with(e))
            && !is_institution(s)
            && !s.starts_with(['团', '党', '中', '国', '人'])
}

fn self_qualified(s: &str) -> bool {
    if level_prefix(s).is_some() || s.starts_with('各') {
        return true;
    }
    // Words that contain 市/县/省/区/州 without naming a place (城市管理局,
    // 市场监管局, 园区).
    let mut body: String = s.to_string();
    for w in [
        "城市",
        "市场",
        "市政",
        "都市",
        "县域",
        "节省",
        "省级",
        "市级",
        "县级",
        "区域",
        "社区",
        "园区",
        "开发区",
        "示范区",
        "自贸区",
        "地区",
        "区级",
        "州级",
    ] {
        body = body.replace(w, "");
    }
    // A name that carries its own place anywhere (`农业发展银行云南省分行`,
    // `杭州市政府`), starts with a province (`广东金融监管局`) or is an
    // institution (`之江实验室`) takes no carried prefix.
    body.contains('省')
        || body.contains('市')
        || body.contains('县')
        || body.contains('区')
        || body.contains('州')
        || crate::header::PROVINCES
            .iter()
            .any(|(full, short)| s.starts_with(full) || s.starts_with(short))
        || is_institution(s)
        || s.starts_with("国网")
        || s.starts_with("国铁")
        || s.starts_with("人民银行")
        || s.starts_with("中国")
        || s.starts_with("国家")
        || s.starts_with("人行")
        || s.starts_with("中共")
}

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
            && let Some(parts) = segment_names(&raw, region, registry)
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
            && is_bare_department(&outer) =>
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        Registry::from_json(
            r#"[
            {"name":"济宁市发展和改革委员会","short_name":"市发展改革委","aliases":["济宁市发展改革委","济宁市发展和改革局"],"level":"city","kind":"department","parent":"济宁市人民政府"},
            {"name":"济宁市住房和城乡建设局","short_name":"市住房城乡建设局","aliases":[],"level":"city","kind":"department","parent":"济宁市人民政府"},
            {"name":"济宁市人民政府","short_name":"市政府","aliases":[],"level":"city","kind":"local_government","parent":"山东省人民政府"},
            {"name":"山东省科学技术厅","short_name":"省科技厅","aliases":[],"level":"province","kind":"department","parent":null},
            {"name":"山东省工业和信息化厅","short_name":"省工业和信息化厅","aliases":[],"level":"province","kind":"department","parent":null},
            {"name":"浙江省发展和改革委员会","short_name":"省发展改革委","aliases":[],"level":"province","kind":"department","parent":null}
        ]"#,
        )
        .unwrap()
    }

    fn jining(r: &Registry) -> Region {
        Region {
            city: Some("济宁市".into()),
            province: r.province_of("济宁市"),
            county: None,
        }
    }

    #[test]
    fn aliases_and_folds_resolve_to_one_record() {
        let r = reg();
        let region = jining(&r);
        for raw in ["市发展改革委", "市发展和改革委员会", "市发展和改革局"] {
            let got = resolve_one(raw, None, &region, &r).unwrap();
            assert_eq!(got.agency.name, "济宁市发展和改革委员会", "{raw}");
            assert!(got.agency.confirmed);
        }
        let got = resolve_one("市住房城乡建设局", None, &region, &r).unwrap();
        assert_eq!(got.agency.name, "济宁市住房和城乡建设局");
    }

    #[test]
    fn common_abbreviations_fold() {
        let r = reg();
        let region = jining(&r);
        for (raw, want) in [
            ("市发改委", "济宁市发展和改革委员会"),
            ("市住建局", "济宁市住房和城乡建设局"),
            ("省工信厅", "山东省工业和信息化厅"),
        ] {
            let got = resolve_one(raw, None, &region, &r).unwrap();
            assert_eq!(got.agency.name, want, "{raw}");
            assert!(got.agency.confirmed, "{raw}");
        }
    }

    #[test]
    fn city_words_are_no_place_qualifier() {
        let r = reg();
        let region = jining(&r);
        let items: Vec<String> = ["市发展改革委", "城市管理局", "市场监管局"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = resolve_list(&items, &region, &r);
        let names: Vec<_> = got.iter().map(|g| g.agency.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "济宁市发展和改革委员会",
                "济宁市城市管理局",
                "济宁市市场监管局"
            ]
        );
    }

    #[test]
    fn province_comes_from_registry_parent() {
        let r = reg();
        assert_eq!(r.province_of("济宁市").as_deref(), Some("山东省"));
        assert_eq!(r.province_of("南京市"), None);
    }

    #[test]
    fn level_prefix_carries_within_a_list() {
        let r = reg();
        let region = jining(&r);
        let items = vec!["省科技厅".to_string(), "工业和信息化厅".to_string()];
        let got = resolve_list(&items, &region, &r);
        let names: Vec<_> = got.iter().map(|g| g.agency.name.as_str()).collect();
        assert_eq!(names, ["山东省科学技术厅", "山东省工业和信息化厅"]);
    }

    #[test]
    fn unknown_names_are_kept_unconfirmed_and_qualified() {
        let r = reg();
        let region = jining(&r);
        let got = resolve_one("市气象局", None, &region, &r).unwrap();
        assert_eq!(got.agency.name, "济宁市气象局");
        assert!(!got.agency.confirmed);
        let unknown_region = Region {
            city: Some("南京市".into()),
            ..Region::default()
        };
        let got = resolve_one("市发展改革委", None, &unknown_region, &r).unwrap();
        assert_eq!(got.agency.name, "南京市发展改革委");
        assert!(!got.agency.confirmed);
    }

    #[test]
    fn parenthetical_alias_and_notes() {
        let r = reg();
        let zj = Region {
            province: Some("浙江省".into()),
            ..Region::default()
        };
        let got = resolve_one("省发展改革委(省能源局)", None, &zj, &r).unwrap();
        assert_eq!(got.agency.name, "浙江省发展和改革委员会");
        let got = resolve_one("省统计局(负责区域碳排放核算)", None, &zj, &r).unwrap();
        assert_eq!(got.agency.name, "浙江省统计局");
        assert!(!got.agency.confirmed);
    }

    #[test]
    fn groups_are_kept_as_groups() {
        let r = reg();
        let region = jining(&r);
        let items: Vec<String> = ["各有关部门", "单位"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = resolve_list(&items, &region, &r);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|g| g.is_group));
        assert_eq!(got[1].agency.name, "各有关单位");
        let items: Vec<String> = ["各县市区政府", "管委会"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = resolve_list(&items, &region, &r);
        assert_eq!(got[1].agency.name, "各管委会");
        assert!(is_group("市“无废城市”建设试点工作领导小组各成员单位"));
        assert!(!is_group("市生态环境局"));
    }

    #[test]
    fn run_together_names_are_segmented() {
        let r = reg();
        let region = jining(&r);
        let items = vec!["市发展改革委市住房城乡建设局".to_string()];
        let got = resolve_list(&items, &region, &r);
        let names: Vec<_> = got.iter().map(|g| g.agency.name.as_str()).collect();
        assert_eq!(names, ["济宁市发展和改革委员会", "济宁市住房和城乡建设局"]);
        // unknown parts: no split, one unconfirmed name
        let items = vec!["市发展改革委市气象台站".to_string()];
        assert_eq!(resolve_list(&items, &region, &r).len(), 1);
    }

    #[test]
    fn trailing_etc_is_stripped() {
        assert_eq!(clean_item("市气象局等"), "市气象局");
        assert_eq!(clean_item("市商务局等单位"), "市商务局");
        assert_eq!(clean_item("省经信厅等省级相关部门"), "省经信厅");
    }

    #[test]
    fn bad_json_is_an_error() {
        assert_eq!(Registry::from_json("{").unwrap_err().code(), "BAD_REGISTRY");
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    fn names(items: &[&str]) -> Vec<String> {
        let r = Registry::empty();
        let region = Region {
            province: Some("浙江省".into()),
            city: None,
            county: None,
        };
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        resolve_list(&items, &region, &r)
            .into_iter()
            .map(|x| x.agency.name)
            .collect()
    }

    #[test]
    fn the_youth_league_committee_takes_its_place_inside() {
        let region = Region {
            province: None,
            city: Some("广州市".into()),
            county: None,
        };
        assert_eq!(region.qualify("团市委"), "团广州市委");
    }

    #[test]
    fn the_level_prefix_carries_only_onto_that_levels_departments() {
        assert_eq!(
            names(&["省科技厅", "工业和信息化厅"]),
            ["浙江省科技厅", "浙江省工业和信息化厅"]
        );
        // a name with its own place, a province's short name, an institution
        assert_eq!(
            names(&[
                "省发展改革委",
                "杭州市政府",
                "广东金融监管局",
                "之江实验室",
                "农业发展银行云南省分行"
            ]),
            [
                "浙江省发展改革委",
                "杭州市政府",
                "广东金融监管局",
                "之江实验室",
                "农业发展银行云南省分行"
            ]
        );
        // never carried from a word that merely starts with the level; a bare
        // department of a local plan is that place's
        assert_eq!(
            names(&["市场监管总局", "财政厅"]),
            ["市场监管总局", "浙江省财政厅"]
        );
    }
}

#[cfg(test)]
mod validation_tests {
    use super::reads_as_body;

    #[test]
    fn only_names_of_bodies_are_agencies() {
        for ok in [
            "杭州市发展改革委",
            "之江实验室",
            "国网浙江省电力有限公司",
            "立山经济开发区",
            "各区",
            "越秀区",
            "全区经济运行各专班",
            "人民银行杭州中心支行",
        ] {
            assert!(reads_as_body(ok), "{ok}");
        }
        for no in [
            "列第一位者为牵头单位",
            "牵头单位",
            "确保任务落实",
            "下同",
            "2025年底前",
            "有关",
        ] {
            assert!(!reads_as_body(no), "{no}");
        }
    }
}
