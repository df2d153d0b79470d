//! Does a string read as the name of a body? Agency-name endings (厅, 局,
//! 委员会 …), level prefixes (省/市/县/区), institutions and names that carry
//! their own place (`杭州市政府`, `之江实验室`), which must not take the
//! plan's prefix.

#[allow(unused_imports)]
use super::*;

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
    // 共青团中央, 团中央
    "团中央",
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
    AGENCY_SUFFIXES.iter().any(|suf| s.ends_with(suf)) || is_division_name(s)
}

/// A department's internal division (`组干科`, `综合股`, `规划处`, `办公室`,
/// `基础教育科室`): the endings of 科/股/科室/处室/股室, not words such as
/// 学科 or 本科.
pub fn is_division_name(s: &str) -> bool {
    let s = s.trim();
    let n = s.chars().count();
    // long only with its department before it (`某某市发展和改革委员会综合科`)
    (3..=40).contains(&n)
        && ["科", "股", "科室", "处室", "股室", "处"]
            .iter()
            .any(|e| s.ends_with(e))
        && ![
            "妇产科",
            "急诊科",
            "麻醉科",
            "精神科",
            "皮肤科",
            "口腔科",
            "放射科",
            "检验科",
            "儿科",
            "眼科",
            "骨科",
            "学科",
            "本科",
            "专科",
            "工科",
            "理科",
            "文科",
            "医科",
            "外科",
            "内科",
            "百科",
            "控股",
            "入股",
            "参股",
            "持股",
            "新股",
            "到处",
            "好处",
            "难处",
            "之处",
            "出处",
            "各处",
            "别处",
            "深处",
            "长处",
            "短处",
            "用处",
            "去处",
        ]
        .iter()
        .any(|w| s.ends_with(w))
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
        // a park: 高新园, 产业园
        "园",
    ];
    has_agency_suffix(n) || MORE.iter().any(|m| n.trim_end_matches(')').ends_with(m))
}

/// Level prefixes that qualify a name and carry over within a list
/// (`省科技厅、工业和信息化厅` → `省工业和信息化厅`).
pub(super) fn level_prefix(s: &str) -> Option<char> {
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

/// A department name without any place or level (`税务局`, `改革办`, a zone's
/// or a party committee's `招商工作部`): short, ending like a government
/// department, no institution. A bare `…部` is not one: it is a national
/// ministry (`商务部`).
pub(super) fn is_bare_department(s: &str) -> bool {
    let n = s.chars().count();
    (3..=8).contains(&n)
        && ["局", "委", "办", "厅", "委员会", "办公室", "工作部"]
            .iter()
            .any(|e| s.ends_with(e))
        || (4..=24).contains(&n)
            && ["领导小组", "工作组", "专班", "指挥部"]
                .iter()
                .any(|e| s.ends_with(e))
            && !is_institution(s)
            && !s.starts_with(['团', '党', '中', '国', '人'])
}

pub fn self_qualified(s: &str) -> bool {
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
