//! Phase 2: the header (title, 文号, issuers, issue date) from the lines
//! before the first outline marker, and the region relative names are
//! qualified with: from the title and issuers, else a signature line, else the
//! province of the 文号.

use std::sync::OnceLock;

use regex::Regex;

use crate::ParseOptions;
use crate::clean;
use crate::header::{Header, infer_region, parse_header, split_title_line};
use crate::registry::{Region, Registry};
use crate::sheet::Grid;

/// What the front of the document says.
pub(super) struct Front {
    pub header: Header,
    pub region: Region,
    /// Issuers by their canonical names where known.
    pub issuers: Vec<String>,
    /// The lines before the first outline marker (at most 80).
    pub preamble: Vec<String>,
    /// The region is the caller's ([`ParseOptions::region`]): the document
    /// names none.
    pub region_given: bool,
    /// The one department whose own plan this is (`芜湖市教育局2024年工作要点`,
    /// an issuer `某某厅`): its internal divisions (`组干科`, `规划处`) are
    /// named bare.
    pub owner: Option<String>,
}

/// The department a plan belongs to: its one issuer when that is a
/// department (not a government or its general office), else a title that
/// opens with a department's name followed by the year or `关于`. `None` for
/// a government's plan or a joint one.
pub(super) fn issuing_department(
    title: &str,
    issuers: &[String],
    region: &Region,
) -> Option<String> {
    let is_department = |n: &str| {
        let n = n.trim();
        (3..=30).contains(&n.chars().count())
            && ["局", "厅", "委员会", "委", "办公室", "办"]
                .iter()
                .any(|e| n.ends_with(e))
            && !n.contains("政府")
            // a general office (国务院办公厅, 省委办公厅) is no department with divisions
            && !n.ends_with("办公厅")
            && !n.contains("委办")
            // two departments (`省教育厅省财政厅`): a joint plan has no one owner
            && !n.char_indices().any(|(i, c)| {
                matches!(c, '厅' | '局') && n[i + c.len_utf8()..].starts_with(['省', '市', '县', '区'])
            })
            && !n.ends_with("党委")
            && !n.ends_with("市委")
            && !n.ends_with("省委")
            && !n.ends_with("县委")
            && !n.ends_with("区委")
    };
    if let [one] = issuers
        && is_department(one)
    {
        return Some(region.qualify(one.trim()));
    }
    if !issuers.is_empty() {
        return None;
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r"^(\p{Han}{3,30}?(?:委员会|办公室|局|厅|委|办))(?:[0-9〇零一二三四五六七八九]{4}年|关于)")
            .expect("static regex")
    });
    let name = re.captures(title.trim())?.get(1)?.as_str();
    is_department(name).then(|| region.qualify(name))
}

/// A government's signature or issuer line: `蔡甸区人民政府办公室`, also with its
/// city, `济南市钢城区人民政府办公室` (city in group 1, the place in group 2).
fn signature_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"^(?:([\p{Han}]{2,4}?市))?([\p{Han}]{2,4}?(?:区|县|市))人民政府(?:办公室|办公厅)?$",
        )
        .expect("static regex")
    })
}

/// Reads the front; splits the title from the rest of a one-line document.
pub(super) fn read_front(
    lines: &mut Vec<String>,
    grids: &[Grid],
    registry: &Registry,
    options: &ParseOptions,
) -> Front {
    // A one-line document: split its title from the rest.
    if let Some(first) = lines.first()
        && let Some((title, rest)) = split_title_line(first)
    {
        lines[0] = title;
        lines.insert(1, rest);
    }
    // Header and region from the lines before the first outline marker.
    let first_marker = lines
        .iter()
        .position(|l| clean::starts_with_marker(l))
        .unwrap_or(lines.len());
    let preamble: Vec<String> = lines[..first_marker.min(80)].to_vec();
    let tail_start = lines.len().saturating_sub(6);
    let mut header = parse_header(&preamble, &lines[tail_start..]);
    if header.title.is_empty() {
        // A sheet: its title row, above its header row (a one-cell row
        // under the header is a grouping row or a footnote).
        let is_header = |r: &Vec<String>| {
            r.iter()
                .any(|c| crate::sheet::classify_header(c) == Some(crate::sheet::Col::Lead))
        };
        if let Some(t) = grids
            .iter()
            .flat_map(|g| g.iter().take(3).take_while(|r| !is_header(r)))
            .find_map(|r| {
                let ne: Vec<&String> = r.iter().filter(|c| !c.is_empty()).collect();
                (ne.len() == 1 && ne[0].chars().count() <= 60).then(|| ne[0].clone())
            })
        {
            header.title = t;
        }
    }
    let sample: String = lines.join("\n").chars().take(200_000).collect();
    let mut region = infer_region(&header.title, &header.issuers, &sample, registry);
    // `区人民政府办公室关于…` names the level only: a signature line
    // (`蔡甸区人民政府办公室`) names the place.
    let sig = signature_re();
    if region.name().is_none()
        && let Some(c) = lines.iter().take(120).find_map(|l| sig.captures(l.trim()))
    {
        let place = c[2].to_string();
        if !matches!(place.as_str(), "区" | "县" | "市")
            && !place.starts_with(['省', '市', '县', '区'])
        {
            if place.ends_with('市') && c.get(1).is_none() {
                region.city = Some(place);
            } else {
                region.county = Some(place);
                if let Some(city) = c.get(1) {
                    region.city = Some(city.as_str().to_string());
                    region.province = registry.province_of(city.as_str());
                }
            }
        }
    }
    // A city read from the title or text, and an issuer or signature naming a
    // district of it (`济南市钢城区人民政府办公室`): the plan is the district's.
    if region.county.is_none()
        && let Some(city) = region.city.clone()
        && let Some(county) = header
            .issuers
            .iter()
            .chain(lines.iter().take(120))
            .filter_map(|l| sig.captures(l.trim()))
            .find(|c| c.get(1).is_some_and(|m| m.as_str() == city))
            .map(|c| c[2].to_string())
            .filter(|p| !p.ends_with('市') && !p.starts_with(['省', '市', '县', '区']))
    {
        region.county = Some(county);
    }
    if region.name().is_none()
        && let Some(p) = header
            .document_number
            .as_deref()
            .and_then(crate::header::province_of_document_number)
    {
        region.province = Some(p.to_string());
    }
    let mut region_given = false;
    if region.name().is_none()
        && let Some(given) = options
            .region
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
    {
        // The caller's region, read like a title naming it.
        region = given_region(given, registry);
        region_given = region.name().is_some();
    }

    // Issuers to canonical names where known.
    let issuers: Vec<String> = header
        .issuers
        .iter()
        .map(|i| {
            registry
                .lookup(&region.qualify(i))
                .map(|e| e.name.clone())
                .unwrap_or_else(|| i.clone())
        })
        .collect();

    let owner = issuing_department(&header.title, &issuers, &region);
    Front {
        header,
        region,
        issuers,
        preamble,
        region_given,
        owner,
    }
}

/// The region of a name the caller gives: `湖北省宜昌市`, `宜昌市`,
/// `达州市大竹县`, `蔡甸区`, `宁波市象山县泗洲头镇`: the finest place is the
/// plan's, as when a title names it (a town's bare offices, `乡村振兴办`, are
/// the town's: `泗洲头镇乡村振兴办`), so a town's sheet without a title reads
/// like the same table with its title. A development zone or park under a
/// county (`霍山县霍山经济开发区`) is such a finest place too: its plans name its
/// own bureaus bare (`招商工作部`).
fn given_region(given: &str, registry: &Registry) -> Region {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(
            r"^(\p{Han}{2,}?(?:省|自治区))?(\p{Han}{2,}?市)?(\p{Han}{1,}?(?:县|区|旗))?(\p{Han}+?(?:镇|乡|街道|开发区|园区|示范区))?$",
        )
        .expect("static regex")
    });
    let mut region = Region::default();
    if let Some(c) = re.captures(given) {
        region.province = c.get(1).map(|m| m.as_str().to_string());
        region.city = c.get(2).map(|m| m.as_str().to_string());
        region.county = c.get(3).map(|m| m.as_str().to_string());
        // A town (or zone) takes the county's place, as `header::infer_region`
        // reads a title naming the town.
        if let Some(town) = c.get(4) {
            region.county = Some(town.as_str().to_string());
        }
        if region.province.is_none()
            && let Some(city) = &region.city
        {
            region.province = registry.province_of(city);
        }
    }
    if region.name().is_none() {
        region = infer_region(given, &[], given, registry);
    }
    region
}
