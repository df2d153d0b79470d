//! Quantified targets (目标/指标): `非化石能源消费比重提高至13%左右`,
//! `单位地区生产总值二氧化碳排放比2005年下降68%以上`, `创建20个创新城市`.
//!
//! A target is an indicator, a value with unit, a direction (at least / at
//! most / equal), the year it is due and a baseline when one is stated.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

/// Which way a target value binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// 达到 / 提高至 / 以上 / 不低于; also reductions "下降68%以上" (the
    /// reduction must be at least the value).
    AtLeast,
    /// 降至 / 控制在 / 以内 / 不高于.
    AtMost,
    /// 为 / 稳定在 / 保持在.
    Equal,
}

/// A target found in a text, before it is attached to a task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetDraft {
    pub indicator: String,
    pub value: f64,
    pub unit: Option<String>,
    pub direction: Direction,
    pub target_year: Option<i32>,
    pub baseline: Option<String>,
}

const UNITS: &str = r"微克/立方米|毫克/立方米|个百分点|克标准煤/千瓦时|千克标准煤|万吨标准煤|吨标准煤|万吨/年|吨/日|吨/年|万千瓦时|亿千瓦时|万千瓦|千瓦|兆瓦|GWh|GW|MW|万吨|亿吨|吨|亿立方米|万立方米|立方米|万平方米|平方米|公里|千米|万亩|亩|万辆|辆|万人|人次|万元|亿元|倍|%|个|座|家|条|所|项|处|户|台|套|艘|根|名|人|天";

fn value_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(&format!(r"(\d+(?:\.\d+)?)\s*({UNITS})")).expect("static regex"))
}

fn year_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?:到|至|在)?(\d{4})\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?(?:底|末)?(?:前)?",
        )
        .expect("static regex")
    })
}

fn baseline_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?:比|较|与)\s*(\d{4})\s*年(?:相比|水平)?").expect("static regex")
    })
}

/// Verbs that introduce a value, with the direction they imply. Longer verbs
/// first so that `提高至` wins over `提高`.
const VERBS: &[(&str, Direction, bool)] = &[
    // (verb, direction, is_reduction_of_a_quantity)
    ("降低至", Direction::AtMost, false),
    ("下降至", Direction::AtMost, false),
    ("减少至", Direction::AtMost, false),
    ("降至", Direction::AtMost, false),
    ("控制在", Direction::AtMost, false),
    ("不高于", Direction::AtMost, false),
    ("不超过", Direction::AtMost, false),
    ("提高至", Direction::AtLeast, false),
    ("提高到", Direction::AtLeast, false),
    ("提升至", Direction::AtLeast, false),
    ("提升到", Direction::AtLeast, false),
    ("增加至", Direction::AtLeast, false),
    ("增长至", Direction::AtLeast, false),
    ("不低于", Direction::AtLeast, false),
    ("超过", Direction::AtLeast, false),
    ("达到", Direction::AtLeast, false),
    ("达", Direction::AtLeast, false),
    ("稳定在", Direction::Equal, false),
    ("保持在", Direction::Equal, false),
    ("为", Direction::Equal, false),
    ("累计提高", Direction::AtLeast, false),
    ("提高", Direction::AtLeast, false),
    ("提升", Direction::AtLeast, false),
    ("增长", Direction::AtLeast, false),
    ("下降", Direction::AtLeast, true),
    ("降低", Direction::AtLeast, true),
    ("减少", Direction::AtLeast, true),
    ("累计创建", Direction::AtLeast, false),
    ("创建", Direction::AtLeast, false),
    ("建成", Direction::AtLeast, false),
    ("建设", Direction::AtLeast, false),
    ("新增", Direction::AtLeast, false),
    ("打造", Direction::AtLeast, false),
    ("培育", Direction::AtLeast, false),
    ("修复", Direction::AtLeast, false),
    ("完成", Direction::AtLeast, false),
    ("淘汰", Direction::AtLeast, false),
];

/// Verbs whose object follows the value (`创建20个创新城市`): the indicator is
/// the verb plus the counted noun.
const COUNT_VERBS: &[&str] = &[
    "累计创建",
    "创建",
    "建成",
    "建设",
    "新增",
    "打造",
    "培育",
    "修复",
    "完成",
    "淘汰",
];

fn strip_lead_in(s: &str) -> String {
    let mut t = s.trim().to_string();
    loop {
        let before = t.clone();
        if let Some(m) = year_re().find(&t)
            && m.start() == 0
        {
            t = t[m.end()..]
                .trim_start_matches([',', '，', ' '])
                .to_string();
        }
        for p in ["全市", "全省", "累计", "力争", "确保", "基本", "其中", "并"] {
            if let Some(r) = t.strip_prefix(p) {
                t = r.to_string();
            }
        }
        if t == before {
            break;
        }
    }
    t.trim_matches(|c: char| matches!(c, ',' | '，' | '、' | ' ' | ':' | '：'))
        .to_string()
}

/// Extracts quantified targets from a text. `default_year` is used when the
/// sentence names no year of its own.
pub fn extract_targets(text: &str, default_year: Option<i32>) -> Vec<TargetDraft> {
    let mut out = Vec::new();
    for sentence in text.split(['。', ';', '；', '\n']) {
        let mut year = default_year;
        let mut last_indicator: Option<(String, Direction, bool)> = None;
        for clause in sentence.split([',', '，']) {
            for caps in year_re().captures_iter(clause) {
                let Some(m) = caps.get(0) else { continue };
                let pre = clause[..m.start()].chars().next_back();
                let is_baseline = matches!(pre, Some('比' | '较' | '与'));
                let marked = m.as_str().starts_with(['到', '至', '在']);
                if !is_baseline && (marked || clause[..m.start()].trim().is_empty()) {
                    year = caps[1].parse().ok().or(year);
                }
            }
            for vm in value_re().captures_iter(clause) {
                let whole = vm.get(0).expect("match");
                let num_str = &vm[1];
                let unit = vm[2].to_string();
                // A number directly followed by 年 is a year, never a value.
                if clause[whole.end()..].starts_with('年') {
                    continue;
                }
                let Ok(value) = num_str.parse::<f64>() else {
                    continue;
                };
                if !value.is_finite() {
                    continue;
                }
                let head_full = &clause[..whole.start()];
                // Only the last 40 chars matter (keeps long clauses linear).
                let head_start = head_full.char_indices().rev().nth(39).map_or(0, |(i, _)| i);
                let head = &head_full[head_start..];
                let tail: String = clause[whole.end()..].chars().take(6).collect();
                // Find the verb closest before the value.
                let mut best: Option<(usize, &str, Direction, bool)> = None;
                for (verb, dir, red) in VERBS {
                    if let Some(pos) = head.rfind(verb) {
                        let end = pos + verb.len();
                        let better = match best {
                            None => true,
                            Some((bpos, bverb, _, _)) => {
                                end > bpos + bverb.len()
                                    || (end == bpos + bverb.len() && verb.len() > bverb.len())
                            }
                        };
                        if better {
                            best = Some((pos, verb, *dir, *red));
                        }
                    }
                }
                let mut baseline = None;
                // A verb counts only when it is close to the value and no
                // earlier value sits between them (`达到24%`); otherwise the
                // value continues an enumeration (`创建20个…、50个…`).
                let best = best.filter(|(pos, verb, _, _)| {
                    let gap_text = &head[pos + verb.len()..];
                    let gap = gap_text.chars().count();
                    let clean_gap = !gap_text.chars().any(|c| c.is_ascii_digit())
                        && !gap_text.contains(['、', ',', '，'])
                        && !gap_text.contains("以及");
                    clean_gap && (gap <= 8 || (COUNT_VERBS.contains(verb) && gap <= 14))
                });
                // `1万吨标准煤的数据中心`, `60%的开发区`: a value qualifying a
                // noun is no target.
                let after_unit = tail
                    .trim_start_matches("及以上")
                    .trim_start_matches("以上")
                    .trim_start_matches("以下");
                if after_unit.starts_with('的') {
                    continue;
                }
                let (indicator, mut direction, reduction) = match best {
                    Some((pos, verb, dir, red)) => {
                        let gap_text = head[pos + verb.len()..].trim();
                        let mut subject = head[..pos].to_string();
                        if let Some(b) = baseline_re().captures(&subject) {
                            baseline = Some(b[1].to_string());
                            let r = b.get(0).map(|m| m.range()).unwrap_or(0..0);
                            subject.replace_range(r, "");
                        }
                        // A date phrase before the subject (`2024年6月底前全程网办率`)
                        // is no part of the indicator.
                        if let Some(m) = year_re().find_iter(&subject).last() {
                            subject = subject[m.end()..]
                                .trim_start_matches([',', '，', ' '])
                                .to_string();
                        }
                        // The subject starts after an earlier value or an
                        // opening bracket (`…不低于20%(缺水城市利用率`).
                        if let Some(cut) = subject
                            .char_indices()
                            .filter(|(_, c)| {
                                c.is_ascii_digit() || matches!(c, '%' | '(' | ')' | '（' | '）')
                            })
                            .map(|(i, c)| i + c.len_utf8())
                            .next_back()
                        {
                            subject = subject[cut..].to_string();
                        }
                        let subject = subject
                            .trim_end_matches("分别")
                            .trim_end_matches("力争")
                            .trim_end_matches("确保")
                            .to_string();
                        let mut ind = strip_lead_in(&subject);
                        let counted = matches!(
                            unit.as_str(),
                            "个" | "座"
                                | "家"
                                | "条"
                                | "所"
                                | "项"
                                | "处"
                                | "户"
                                | "台"
                                | "套"
                                | "艘"
                                | "名"
                        );
                        if COUNT_VERBS.contains(&verb)
                            && (ind.is_empty() || counted || !gap_text.is_empty())
                        {
                            let noun: String = clause[whole.end()..]
                                .trim_start_matches("及以上")
                                .trim_start_matches("以上")
                                .trim_start_matches("左右")
                                .chars()
                                .take_while(|c| !matches!(c, '、' | ',' | '，' | '(' | '（'))
                                .collect();
                            ind = format!("{verb}{gap_text}{}", noun.trim());
                        } else if red {
                            ind = format!("{ind}降幅");
                        }
                        if ind.is_empty() || ind == "降幅" {
                            match &last_indicator {
                                Some((i, _, _)) => ind = i.clone(),
                                None => continue,
                            }
                        }
                        (ind, dir, red)
                    }
                    None => {
                        let Some((prev, dir, red)) = &last_indicator else {
                            continue;
                        };
                        let h = head.trim_end();
                        if !h.is_empty() && !h.ends_with('、') && !h.ends_with('和') {
                            continue;
                        }
                        let noun: String = clause[whole.end()..]
                            .chars()
                            .take_while(|c| !matches!(c, '、' | ',' | '，'))
                            .collect();
                        let ind = if noun.trim().is_empty() {
                            prev.clone()
                        } else {
                            let verb = COUNT_VERBS
                                .iter()
                                .find(|v| prev.starts_with(*v))
                                .copied()
                                .unwrap_or("");
                            format!("{verb}{}", noun.trim())
                        };
                        (ind, *dir, *red)
                    }
                };
                if tail.starts_with("以上") || tail.starts_with("及以上") {
                    direction = Direction::AtLeast;
                } else if tail.starts_with("以下")
                    || tail.starts_with("以内")
                    || tail.starts_with("及以下")
                {
                    direction = Direction::AtMost;
                }
                if reduction {
                    // A reduction "by at least X" stays at-least.
                    direction = match direction {
                        Direction::AtMost if tail.starts_with("以上") => Direction::AtLeast,
                        d => d,
                    };
                }
                let indicator: String = indicator.chars().take(80).collect();
                last_indicator = Some((indicator.clone(), direction, reduction));
                out.push(TargetDraft {
                    indicator,
                    value,
                    unit: Some(unit),
                    direction,
                    target_year: year,
                    baseline: baseline.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_raised_to() {
        let t = extract_targets("到2025年,非化石能源消费比重提高至13%左右", None);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].indicator, "非化石能源消费比重");
        assert_eq!(t[0].value, 13.0);
        assert_eq!(t[0].unit.as_deref(), Some("%"));
        assert_eq!(t[0].direction, Direction::AtLeast);
        assert_eq!(t[0].target_year, Some(2025));
    }

    #[test]
    fn reduction_against_baseline() {
        let t = extract_targets(
            "到2030年,单位地区生产总值二氧化碳排放比2005年下降68%以上",
            None,
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].indicator, "单位地区生产总值二氧化碳排放降幅");
        assert_eq!(t[0].value, 68.0);
        assert_eq!(t[0].direction, Direction::AtLeast);
        assert_eq!(t[0].baseline.as_deref(), Some("2005"));
        assert_eq!(t[0].target_year, Some(2030));
    }

    #[test]
    fn counted_creations() {
        let t = extract_targets(
            "创建20个创新城市、50个创新园区,建设200个标杆项目。",
            Some(2025),
        );
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].indicator, "创建创新城市");
        assert_eq!(t[0].value, 20.0);
        assert_eq!(t[0].unit.as_deref(), Some("个"));
        assert_eq!(t[1].indicator, "创建创新园区");
        assert_eq!(t[1].value, 50.0);
        assert_eq!(t[2].indicator, "建设标杆项目");
        assert_eq!(t[2].target_year, Some(2025));
    }

    #[test]
    fn at_most() {
        let t = extract_targets(
            "到2025年,煤电机组正常工况下平均供电煤耗降至295克标准煤/千瓦时",
            None,
        );
        assert_eq!(t[0].direction, Direction::AtMost);
        assert_eq!(t[0].unit.as_deref(), Some("克标准煤/千瓦时"));
        let t = extract_targets("全省用水总量控制在186.8亿立方米以内", None);
        assert_eq!(t[0].direction, Direction::AtMost);
        assert_eq!(t[0].value, 186.8);
    }

    #[test]
    fn concentration_limits() {
        let t = extract_targets("到2024年底,全市PM2.5平均浓度控制在28微克/立方米以内", None);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].unit.as_deref(), Some("微克/立方米"));
        assert_eq!(t[0].direction, Direction::AtMost);
        assert_eq!(t[0].target_year, Some(2024));
    }

    #[test]
    fn equal_and_suffixes() {
        let t = extract_targets("新能源车辆占比为100%", None);
        assert_eq!(t[0].direction, Direction::Equal);
        let t = extract_targets("畜禽粪污资源化利用率保持在92%以上", None);
        assert_eq!(t[0].direction, Direction::AtLeast);
        let t = extract_targets("绿色出行比例不低于70%", None);
        assert_eq!(t[0].direction, Direction::AtLeast);
    }

    #[test]
    fn counted_noun_before_value() {
        let t = extract_targets("到2030年,累计建成加氢站15座。", None);
        assert_eq!(t[0].indicator, "建成加氢站");
        let t = extract_targets(
            "到2025年,新增绿色建筑3500万平方米。创建节水型企业1000家以上。",
            None,
        );
        assert_eq!(t[0].indicator, "新增绿色建筑");
        assert_eq!(t[1].indicator, "创建节水型企业");
    }

    #[test]
    fn qualifying_values_are_not_targets() {
        assert!(
            extract_targets("将年综合能耗超过1万吨标准煤的数据中心全部纳入监测", None).is_empty()
        );
        let t = extract_targets("城市再生水利用率不低于20%(缺水城市利用率不低于25%)", None);
        assert_eq!(t[1].indicator, "缺水城市利用率");
    }

    #[test]
    fn no_targets_in_plain_prose() {
        assert!(extract_targets("加强宣传引导,倡导绿色低碳生活方式。", None).is_empty());
        assert!(extract_targets("推动时代永福1.1GW光伏发电项目建设", None).is_empty());
    }
}
