//! The document header: title (标题), document number (文号, `济政字〔2023〕39号`),
//! issuers (发文单位), issue date (成文日期) and the region the plan belongs to.

use std::sync::OnceLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::registry::{Region, Registry, has_agency_suffix};

/// Header fields found before the outline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    pub title: String,
    pub document_number: Option<String>,
    pub issuers: Vec<String>,
    pub issue_date: Option<NaiveDate>,
}

/// Provinces and provincial-level regions with their short names.
pub const PROVINCES: &[(&str, &str)] = &[
    ("北京市", "北京"),
    ("天津市", "天津"),
    ("上海市", "上海"),
    ("重庆市", "重庆"),
    ("河北省", "河北"),
    ("山西省", "山西"),
    ("辽宁省", "辽宁"),
    ("吉林省", "吉林"),
    ("黑龙江省", "黑龙江"),
    ("江苏省", "江苏"),
    ("浙江省", "浙江"),
    ("安徽省", "安徽"),
    ("福建省", "福建"),
    ("江西省", "江西"),
    ("山东省", "山东"),
    ("河南省", "河南"),
    ("湖北省", "湖北"),
    ("湖南省", "湖南"),
    ("广东省", "广东"),
    ("海南省", "海南"),
    ("四川省", "四川"),
    ("贵州省", "贵州"),
    ("云南省", "云南"),
    ("陕西省", "陕西"),
    ("甘肃省", "甘肃"),
    ("青海省", "青海"),
    ("台湾省", "台湾"),
    ("内蒙古自治区", "内蒙古"),
    ("广西壮族自治区", "广西"),
    ("西藏自治区", "西藏"),
    ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"),
];

/// Prefecture-level cities by province (地级市), so that `省…` names in a
/// city's plan can be qualified even when the registry does not know the city.
const CITIES: &[(&str, &str)] = &[
    (
        "河北省",
        "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水",
    ),
    (
        "山西省",
        "太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁",
    ),
    (
        "内蒙古自治区",
        "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布",
    ),
    (
        "辽宁省",
        "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛",
    ),
    ("吉林省", "长春 吉林 四平 辽源 通化 白山 松原 白城"),
    (
        "黑龙江省",
        "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化",
    ),
    (
        "江苏省",
        "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁",
    ),
    (
        "浙江省",
        "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水",
    ),
    (
        "安徽省",
        "合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    ),
    ("福建省", "福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德"),
    (
        "江西省",
        "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶",
    ),
    (
        "山东省",
        "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽",
    ),
    (
        "河南省",
        "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店",
    ),
    (
        "湖北省",
        "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州",
    ),
    (
        "湖南省",
        "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底",
    ),
    (
        "广东省",
        "广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮",
    ),
    (
        "广西壮族自治区",
        "南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左",
    ),
    ("海南省", "海口 三亚 三沙 儋州"),
    (
        "四川省",
        "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳",
    ),
    ("贵州省", "贵阳 六盘水 遵义 安顺 毕节 铜仁"),
    ("云南省", "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧"),
    ("西藏自治区", "拉萨 日喀则 昌都 林芝 山南 那曲"),
    (
        "陕西省",
        "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛",
    ),
    (
        "甘肃省",
        "兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南",
    ),
    ("青海省", "西宁 海东"),
    ("宁夏回族自治区", "银川 石嘴山 吴忠 固原 中卫"),
    ("新疆维吾尔自治区", "乌鲁木齐 克拉玛依 吐鲁番 哈密"),
];

/// Province of a prefecture-level city from the built-in table.
pub fn province_of_city(city: &str) -> Option<&'static str> {
    let short = city.strip_suffix('市').unwrap_or(city);
    CITIES
        .iter()
        .find(|(_, list)| list.split(' ').any(|c| c == short))
        .map(|(p, _)| *p)
}

fn docnum_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^[\p{Han}]{1,12}\s*[〔\[(【]\s*\d{4}\s*[〕\])】]\s*\d{1,5}\s*号$")
            .expect("static regex")
    })
}

fn date_line_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$").expect("static regex")
    })
}

fn title_prefix_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(.{4,60}?(?:实施方案|工作方案|行动方案|方案|规划|实施意见|意见|计划|办法|细则|要点|清单))(\((?:征求意见稿|试行|草案|送审稿|修订稿|讨论稿)\))?")
            .expect("static regex")
    })
}

fn region_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:关于印发)?((?:[\p{Han}]{2,3}(?:省|自治区))?[\p{Han}]{2,5}?(?:市|州|盟|地区|县|区)|[\p{Han}]{2,8}?(?:省|自治区))")
            .expect("static regex")
    })
}

const TITLE_WORDS: &[&str] = &[
    "方案", "意见", "规划", "计划", "办法", "细则", "要点", "清单", "措施",
];

fn title_like(l: &str) -> bool {
    let n = l.chars().count();
    (5..=70).contains(&n)
        && TITLE_WORDS.iter().any(|w| l.contains(w))
        && !l.ends_with('。')
        && !l.ends_with(':')
        && !l.contains('《')
        && !l.starts_with("为")
        && !l.starts_with("根据")
}

/// Extracts the plan title from a `关于印发X的通知` line.
/// Not from a sentence citing another notice (`根据《昆明市人民政府关于印发…的通知》
/// …，特制定如下政策措施。`): that names the document this one implements.
fn notice_inner(l: &str) -> Option<String> {
    let at = l.find("关于印发")?;
    let before = &l[..at];
    let in_citation = match (before.rfind('《'), before.rfind('》')) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    };
    if in_citation || l.trim_end().ends_with('。') {
        return None;
    }
    let start = at + "关于印发".len();
    let rest = &l[start..];
    let end = rest.rfind("的通知").unwrap_or(rest.len());
    let t = rest[..end].trim_matches(['《', '》']);
    (!t.is_empty()).then(|| t.to_string())
}

/// Reads header fields from the lines before the outline. `first_line` is
/// the first line of the document (for one-line documents).
pub fn parse_header(preamble: &[String], tail: &[String]) -> Header {
    let mut h = Header::default();
    for l in preamble {
        if h.document_number.is_none() && docnum_re().is_match(l) {
            h.document_number = Some(l.split_whitespace().collect());
        }
    }
    let date_idx = preamble.iter().position(|l| date_line_re().is_match(l));
    let parse_date = |l: &str| {
        date_line_re().captures(l).and_then(|c| {
            NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
        })
    };
    if let Some(i) = date_idx {
        h.issue_date = parse_date(&preamble[i]);
        // Issuers: the signature lines right above the date.
        let mut issuers = Vec::new();
        for l in preamble[..i].iter().rev().take(4) {
            let toks: Vec<&str> = l.split_whitespace().collect();
            if toks.is_empty() || l.ends_with('。') || l.ends_with(':') || l.chars().count() > 80 {
                break;
            }
            if !toks
                .iter()
                .all(|t| has_agency_suffix(t) && t.chars().count() <= 30)
            {
                break;
            }
            for t in toks.iter().rev() {
                issuers.push(t.to_string());
            }
        }
        issuers.reverse();
        h.issuers = issuers;
    } else if let Some(d) = tail.iter().rev().take(6).find_map(|l| parse_date(l)) {
        h.issue_date = Some(d);
    }
    // Title: the last title-like line that is not a notice wrapper; else the
    // inner title of a `关于印发…的通知` line; else the start of the first line.
    let candidates: Vec<&String> = preamble.iter().filter(|l| title_like(l)).collect();
    let plain = candidates
        .iter()
        .rev()
        .find(|l| !l.contains("关于印发") && !l.ends_with("通知"));
    if let Some(t) = plain {
        h.title = t.to_string();
    } else if let Some(t) = preamble.iter().find_map(|l| notice_inner(l)) {
        h.title = t;
    } else if let Some(first) = preamble.first() {
        if let Some(c) = title_prefix_re().captures(first) {
            h.title = c.get(0).map_or("", |m| m.as_str()).to_string();
        } else {
            h.title = first.chars().take(40).collect();
        }
    }
    if h.issuers.is_empty() {
        // `济宁市人民政府关于印发…的通知` names its issuer.
        if let Some(l) = preamble
            .iter()
            .find(|l| l.contains("关于印发") && !l.starts_with("关于"))
            && let Some(pos) = l.find("关于印发")
        {
            let issuer = l[..pos].trim();
            if has_agency_suffix(issuer) {
                h.issuers.push(issuer.to_string());
            }
        }
    }
    h
}

/// Splits a one-line document's first line into its title and the rest.
pub fn split_title_line(line: &str) -> Option<(String, String)> {
    if line.chars().count() < 80 {
        return None;
    }
    let c = title_prefix_re().captures(line)?;
    let m = c.get(0)?;
    let title = m.as_str().to_string();
    if !TITLE_WORDS.iter().any(|w| title.contains(w)) {
        return None;
    }
    Some((title, line[m.end()..].to_string()))
}

/// `开发区`, `高新区`, `园区` …: a kind of area, not the name of one.
fn is_generic_area(name: &str) -> bool {
    matches!(
        name,
        "开发区"
            | "经济开发区"
            | "经开区"
            | "高新区"
            | "新区"
            | "园区"
            | "工业园区"
            | "城区"
            | "市区"
            | "辖区"
            | "社区"
            | "景区"
            | "示范区"
            | "自贸区"
            | "保税区"
    )
}

/// Infers the plan region from title and issuers, and its province from the
/// registry or from the province most named in the text.
pub fn infer_region(title: &str, issuers: &[String], text: &str, registry: &Registry) -> Region {
    let mut region = Region::default();
    let mut sources: Vec<&str> = vec![title];
    sources.extend(issuers.iter().map(|s| s.as_str()));
    // Known cities (local governments of the registry) anywhere in the title.
    for e in registry.entries() {
        if e.kind == "local_government" && e.level == "city" {
            let city = e.name.trim_end_matches("人民政府");
            if city.chars().count() >= 2 && title.contains(city) {
                region.city = Some(city.to_string());
                region.province = registry.province_of(city);
                break;
            }
        }
    }
    if region.city.is_some() {
        if region.province.is_none() {
            region.province = province_from_text(text);
        }
        return region;
    }
    for src in sources {
        let src = year_prefix_re().replace(src, "");
        let src = src
            .trim_start_matches("关于印发")
            .trim_start_matches("关于");
        let Some(c) = region_re().captures(src) else {
            continue;
        };
        let mut name = c[1].to_string();
        if name.starts_with('全') || name.starts_with('我') || name.starts_with('本') {
            continue;
        }
        // A generic word for a kind of area (`2025年开发区重点工作`: the zone the
        // issuer runs, unnamed) names no place: qualifying with it would write
        // `开发区改革办`. The caller's region (`ParseOptions.region`) names it.
        if is_generic_area(&name) {
            continue;
        }
        if let Some((full, _)) = PROVINCES.iter().find(|(full, _)| name == *full) {
            region.province = Some(full.to_string());
            break;
        }
        // `辽宁抚顺市` / `山东省济宁市`: a province in front of the city.
        for (full, short) in PROVINCES {
            if let Some(rest) = name.strip_prefix(full).or_else(|| name.strip_prefix(short))
                && rest.chars().count() >= 2
            {
                region.province = Some(full.to_string());
                name = rest.to_string();
                break;
            }
        }
        if matches!(name.as_str(), "北京市" | "天津市" | "上海市" | "重庆市") {
            region.province = Some(name);
            break;
        }
        if name.ends_with('县') || (name.ends_with('区') && !name.ends_with("地区")) {
            region.county = Some(name);
        } else {
            region.city = Some(name);
        }
        break;
    }
    // A town's plan (`泗洲头镇2024年度重点工作计划`): its bare offices are the
    // town's.
    if region.name().is_none() {
        static TOWN: OnceLock<Regex> = OnceLock::new();
        let town = TOWN.get_or_init(|| {
            Regex::new(r"^(?:关于印发)?([\p{Han}]{2,4}?(?:镇|乡|街道))").expect("static regex")
        });
        if let Some(c) = town.captures(title.trim()) {
            region.county = Some(c[1].to_string());
        }
    }
    if region.province.is_none()
        && let Some(city) = &region.city
    {
        region.province = registry.province_of(city);
    }
    if region.province.is_none()
        && let Some(city) = &region.city
    {
        region.province = province_of_city(city).map(|p| p.to_string());
    }
    if region.province.is_none() && (region.city.is_some() || region.county.is_some()) {
        region.province = province_from_text(text);
    }
    region
}

/// The province of a provincial document number (`鄂政发〔2018〕26号` →
/// 湖北省): the province's one-character abbreviation before 政/府.
pub fn province_of_document_number(number: &str) -> Option<&'static str> {
    const ABBR: &[(char, &str)] = &[
        ('京', "北京市"),
        ('津', "天津市"),
        ('沪', "上海市"),
        ('渝', "重庆市"),
        ('冀', "河北省"),
        ('晋', "山西省"),
        ('蒙', "内蒙古自治区"),
        ('辽', "辽宁省"),
        ('吉', "吉林省"),
        ('黑', "黑龙江省"),
        ('苏', "江苏省"),
        ('浙', "浙江省"),
        ('皖', "安徽省"),
        ('闽', "福建省"),
        ('赣', "江西省"),
        ('鲁', "山东省"),
        ('豫', "河南省"),
        ('鄂', "湖北省"),
        ('湘', "湖南省"),
        ('粤', "广东省"),
        ('桂', "广西壮族自治区"),
        ('琼', "海南省"),
        ('川', "四川省"),
        ('贵', "贵州省"),
        ('黔', "贵州省"),
        ('云', "云南省"),
        ('藏', "西藏自治区"),
        ('陕', "陕西省"),
        ('甘', "甘肃省"),
        ('青', "青海省"),
        ('宁', "宁夏回族自治区"),
        ('新', "新疆维吾尔自治区"),
    ];
    let mut chars = number.trim().chars();
    let first = chars.next()?;
    let rest: String = chars.take(3).collect();
    if !(rest.starts_with('政') || rest.starts_with('府')) {
        return None;
    }
    ABBR.iter().find(|(c, _)| *c == first).map(|(_, p)| *p)
}

/// The province the text names most often (`根据《山东省…方案》`).
fn province_from_text(text: &str) -> Option<String> {
    let mut best: Option<(&str, usize)> = None;
    for (full, _) in PROVINCES {
        let n = text.matches(full).count();
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((full, n));
        }
    }
    best.map(|(p, _)| p.to_string())
}

fn year_prefix_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\d{4}\s*年度?").expect("static regex"))
}

#[cfg(test)]
mod number_tests {
    #[test]
    fn a_provincial_document_number_names_the_province() {
        assert_eq!(
            super::province_of_document_number("鄂政发〔2018〕26号"),
            Some("湖北省")
        );
        assert_eq!(
            super::province_of_document_number("粤府〔2021〕22号"),
            Some("广东省")
        );
        assert_eq!(
            super::province_of_document_number("济政字〔2023〕39号"),
            None
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_generic_area_in_a_title_names_no_region() {
        let reg = Registry::from_entries(Vec::new());
        let r = infer_region("2025年开发区重点工作及责任清单", &[], "", &reg);
        assert_eq!(r.name(), None);
        let r = infer_region("2025年高新区重点工作任务分解", &[], "", &reg);
        assert_eq!(r.name(), None);
        // A named zone or district still is one.
        let r = infer_region("蔡甸区2023年政府工作报告重点任务分解", &[], "", &reg);
        assert_eq!(r.name().as_deref(), Some("蔡甸区"));
    }

    #[test]
    fn a_cited_notice_is_not_the_title() {
        let l = "为贯彻落实决策部署,根据《某市人民政府关于印发某市稳增长若干政策措施的通知》(某政发〔2016〕13号),结合某区实际,特制定如下政策措施。";
        assert_eq!(notice_inner(l), None);
        assert_eq!(
            notice_inner("某市人民政府关于印发某市稳增长若干政策措施的通知").as_deref(),
            Some("某市稳增长若干政策措施")
        );
        assert_eq!(
            notice_inner("关于印发《某市稳增长若干政策措施》的通知").as_deref(),
            Some("某市稳增长若干政策措施")
        );
    }

    #[test]
    fn notice_header() {
        let pre = v(&[
            "关于印发济宁市碳达峰工作方案的通知",
            "济宁市人民政府关于印发济宁市碳达峰工作方案的通知",
            "济政字〔2023〕39号",
            "各县(市、区)人民政府,市政府各部门:",
            "现将《济宁市碳达峰工作方案》印发给你们,请认真贯彻执行。",
            "济宁市人民政府",
            "2023年9月19日",
            "(此件公开发布)",
            "济宁市碳达峰工作方案",
            "为深入贯彻落实党中央、国务院关于碳达峰碳中和重大战略决策部署,制定本工作方案。",
        ]);
        let h = parse_header(&pre, &[]);
        assert_eq!(h.title, "济宁市碳达峰工作方案");
        assert_eq!(h.document_number.as_deref(), Some("济政字〔2023〕39号"));
        assert_eq!(h.issuers, ["济宁市人民政府"]);
        assert_eq!(h.issue_date, NaiveDate::from_ymd_opt(2023, 9, 19));
    }

    #[test]
    fn several_issuers_on_signature_lines() {
        let pre = v(&[
            "各区市主管部门:",
            "现印发给你们,请按要求认真贯彻落实。",
            "威海市生态环境局 威海市发展和改革委",
            "威海市工业和信息化局 威海市住房和城乡建设局",
            "2023年8月1日",
            "威海市减污降碳协同增效实施方案",
        ]);
        let h = parse_header(&pre, &[]);
        assert_eq!(h.issuers.len(), 4);
        assert_eq!(h.issuers[0], "威海市生态环境局");
        assert_eq!(h.title, "威海市减污降碳协同增效实施方案");
    }

    #[test]
    fn notice_with_book_title_marks() {
        let pre = v(&[
            "关于印发《威海市减污降碳协同增效实施方案》的通知",
            "各区市:",
        ]);
        assert_eq!(
            parse_header(&pre, &[]).title,
            "威海市减污降碳协同增效实施方案"
        );
    }

    #[test]
    fn one_line_title() {
        let line = format!(
            "浙江省减污降碳协同创新区建设实施方案(征求意见稿)为深入贯彻{}",
            "习近平".repeat(40)
        );
        let (t, rest) = split_title_line(&line).unwrap();
        assert_eq!(t, "浙江省减污降碳协同创新区建设实施方案(征求意见稿)");
        assert!(rest.starts_with("为深入贯彻"));
    }

    #[test]
    fn regions() {
        let r = Registry::empty();
        let reg = infer_region(
            "威海市减污降碳协同增效实施方案",
            &[],
            "根据《山东省减污降碳协同增效实施方案》",
            &r,
        );
        assert_eq!(reg.city.as_deref(), Some("威海市"));
        assert_eq!(reg.province.as_deref(), Some("山东省"));
        let reg = infer_region("浙江省减污降碳协同创新区建设实施方案", &[], "", &r);
        assert_eq!(reg.province.as_deref(), Some("浙江省"));
        assert_eq!(reg.city, None);
        let reg = infer_region("辽宁抚顺市碳达峰实施方案", &[], "", &r);
        assert_eq!(reg.city.as_deref(), Some("抚顺市"));
        assert_eq!(reg.province.as_deref(), Some("辽宁省"));
        let reg = infer_region("2024年南京市碳达峰工作要点", &[], "", &r);
        assert_eq!(reg.city.as_deref(), Some("南京市"));
        assert_eq!(reg.province.as_deref(), Some("江苏省"));
        let reg = infer_region("关于加强管理的意见", &[], "", &r);
        assert_eq!(reg.name(), None);
    }
}

#[cfg(test)]
mod town_tests {
    #[test]
    fn a_towns_plan_is_the_towns_region() {
        let r = super::infer_region(
            "泗洲头镇2024年度重点工作计划",
            &[],
            "",
            &crate::Registry::empty(),
        );
        assert_eq!(r.name().as_deref(), Some("泗洲头镇"));
    }
}
