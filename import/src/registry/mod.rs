//! The agency registry (单位名录): canonical agency names with aliases, and the
//! rules that turn a name as written in a plan (`市发展改革委`) into a
//! registry record (`济宁市发展和改革委员会`).
//!
//! Names in plans are relative to the issuing region: inside the 济宁 plan
//! `市生态环境局` means 济宁市生态环境局 and `省生态环境厅` means 山东省生态环境厅.
//! The parser therefore *qualifies* a name with the plan's [`Region`] before it
//! looks it up, and every registry entry is stored fully qualified.

mod body_names;
#[cfg(test)]
mod prefix_tests;
mod resolve;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod validation_tests;

pub use body_names::*;
pub use resolve::*;

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
