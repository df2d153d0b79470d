//! Evaluation against hand-labelled gold sets (`tests/gold/*.json`): tasks
//! found vs labelled, and precision / recall of (task, agency, role)
//! assignments. Shared by the `gold` test and the `gold_report` example.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{ParsedPlan, Registry, TaskKind};

#[derive(Debug, Deserialize)]
pub struct GoldTask {
    pub code: String,
    pub kind: String,
    pub title_prefix: String,
    #[serde(default)]
    pub leads: Vec<String>,
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub implementers: Vec<String>,
    #[serde(default)]
    pub lead_undecided: bool,
}

#[derive(Debug, Deserialize)]
pub struct Gold {
    pub seed: String,
    pub tasks: Vec<GoldTask>,
}

/// Scores of one seed.
#[derive(Debug, Clone)]
pub struct Score {
    pub seed: String,
    pub tasks_found: usize,
    pub tasks_labelled: usize,
    /// Labelled tasks found with the same code, kind and title prefix.
    pub tasks_matched: usize,
    pub true_pos: usize,
    pub predicted: usize,
    pub expected: usize,
    /// Human-readable differences (missing / extra assignments).
    pub diffs: Vec<String>,
    pub parse_millis: f64,
}

impl Score {
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.true_pos as f64 / self.predicted as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.true_pos as f64 / self.expected as f64
        }
    }
}

fn kind_str(k: TaskKind) -> &'static str {
    match k {
        TaskKind::Heading => "heading",
        TaskKind::Task => "task",
        TaskKind::Target => "target",
        TaskKind::Policy => "policy",
    }
}

/// A group written as one entry (`各区、县级市`, `各市、县(市、区)`) means each
/// of its parts (`各区`, `各县级市`): both spellings score the same.
pub fn group_parts(name: &str) -> Vec<String> {
    if !name.starts_with('各') || !name.contains('、') {
        return vec![name.to_string()];
    }
    crate::clause::split_top(name, &['、'])
        .into_iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with('各') {
                p.to_string()
            } else {
                format!("各{p}")
            }
        })
        .collect()
}

/// Compares a parsed plan with its gold labels.
pub fn score(seed: &str, plan: &ParsedPlan, gold: &Gold) -> Score {
    let mut expected: BTreeSet<(String, String, &'static str)> = BTreeSet::new();
    for t in &gold.tasks {
        for (v, role) in [
            (&t.leads, "lead"),
            (&t.participants, "participant"),
            (&t.implementers, "implementer"),
        ] {
            for a in v {
                for part in group_parts(a) {
                    expected.insert((t.code.clone(), part, role));
                }
            }
        }
        if t.lead_undecided {
            expected.insert((t.code.clone(), "<undecided>".into(), "lead"));
        }
    }
    let mut predicted: BTreeSet<(String, String, &'static str)> = BTreeSet::new();
    let tasks: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| t.kind != TaskKind::Heading)
        .collect();
    for t in &tasks {
        for (v, role) in [
            (&t.leads, "lead"),
            (&t.participants, "participant"),
            (&t.implementers, "implementer"),
        ] {
            for a in v {
                for part in group_parts(&a.name) {
                    predicted.insert((t.code.clone(), part, role));
                }
            }
        }
        if t.lead_undecided {
            predicted.insert((t.code.clone(), "<undecided>".into(), "lead"));
        }
    }
    let mut diffs = Vec::new();
    let mut matched = 0;
    for g in &gold.tasks {
        match tasks.iter().find(|t| t.code == g.code) {
            Some(t) if t.title.starts_with(&g.title_prefix) && kind_str(t.kind) == g.kind => {
                matched += 1
            }
            Some(t) => diffs.push(format!(
                "task {}: title/kind {:?}/{} vs labelled {:?}/{}",
                g.code,
                t.title,
                kind_str(t.kind),
                g.title_prefix,
                g.kind
            )),
            None => diffs.push(format!("task {} ({}) not found", g.code, g.title_prefix)),
        }
    }
    for t in &tasks {
        if !gold.tasks.iter().any(|g| g.code == t.code) {
            diffs.push(format!("extra task {} {:?}", t.code, t.title));
        }
    }
    for e in expected.difference(&predicted) {
        diffs.push(format!("missing {} {} {}", e.0, e.2, e.1));
    }
    for p in predicted.difference(&expected) {
        diffs.push(format!("extra   {} {} {}", p.0, p.2, p.1));
    }
    Score {
        seed: seed.to_string(),
        tasks_found: tasks.len(),
        tasks_labelled: gold.tasks.len(),
        tasks_matched: matched,
        true_pos: expected.intersection(&predicted).count(),
        predicted: predicted.len(),
        expected: expected.len(),
        diffs,
        parse_millis: 0.0,
    }
}

/// The workspace layout: seeds in `seeds/plans` (preferred) or
/// `../shared/seeds`, registry in `seeds/agencies.json`, gold in
/// `import/tests/gold`.
pub struct Paths {
    pub seeds: PathBuf,
    pub registry: PathBuf,
    pub gold: PathBuf,
}

impl Paths {
    pub fn from_manifest_dir(manifest: &Path) -> Paths {
        let workspace = manifest.join("..");
        let own = workspace.join("seeds/plans");
        let shared = manifest.join("../../shared/seeds");
        let seeds = if own.is_dir() { own } else { shared };
        Paths {
            seeds,
            registry: workspace.join("seeds/agencies.json"),
            gold: manifest.join("tests/gold"),
        }
    }

    pub fn load_registry(&self) -> Registry {
        let json =
            std::fs::read_to_string(&self.registry).expect("seeds/agencies.json is readable");
        Registry::from_json(&json).expect("seeds/agencies.json is valid")
    }

    /// (seed file stem, seed bytes, gold) for every gold file, sorted.
    pub fn load_all(&self) -> Vec<(String, Vec<u8>, Gold)> {
        let mut out = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(&self.gold)
            .expect("gold directory")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        entries.sort();
        for p in entries {
            let gold: Gold =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("gold readable"))
                    .expect("gold json");
            let seed_path = self.seeds.join(format!("{}.txt", gold.seed));
            let bytes = std::fs::read(&seed_path)
                .unwrap_or_else(|e| panic!("seed {} missing: {e}", seed_path.display()));
            out.push((gold.seed.clone(), bytes, gold));
        }
        out
    }
}

/// Formats the score table (Markdown).
pub fn table(scores: &[Score]) -> String {
    let mut s = String::from(
        "| seed | tasks found / labelled | matched | assignments (gold) | precision | recall |\n|---|---|---|---|---|---|\n",
    );
    for sc in scores {
        s.push_str(&format!(
            "| {} | {} / {} | {} | {} | {:.1}% | {:.1}% |\n",
            sc.seed,
            sc.tasks_found,
            sc.tasks_labelled,
            sc.tasks_matched,
            sc.expected,
            sc.precision() * 100.0,
            sc.recall() * 100.0
        ));
    }
    s
}

// ---------------------------------------------------------------------------
// Corpus scoring: documents labelled by people who have not read the parser
// (`tests/corpus/<slug>/label.json`, format in `tests/corpus/README.md`), and
// the unseen fixtures (`tests/fixtures/unseen/*.label.json`, same format).
// Tasks are matched by their title prefix (normalised for matching only),
// agencies by the registry's normalised key after qualifying relative names
// with the document's region.

/// A labelled deadline.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LabelDeadline {
    pub date: String,
    pub precision: String,
}

/// One labelled task of a corpus document.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelTask {
    #[serde(default)]
    pub number: String,
    /// Seeds: the task code the gold set was written against.
    #[serde(default)]
    pub code: Option<String>,
    pub title_prefix: String,
    #[serde(default)]
    pub leads: Vec<String>,
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub implementers: Vec<String>,
    /// `None` when the label set does not label deadlines (seeds).
    #[serde(default, deserialize_with = "labelled")]
    pub deadline: Option<Option<LabelDeadline>>,
    #[serde(default)]
    pub ongoing: Option<bool>,
    #[serde(default)]
    pub lead_undecided: bool,
}

/// A present field (even `null`) is labelled: `Some(None)` is "no deadline".
fn labelled<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<LabelDeadline>>, D::Error> {
    Ok(Some(Option::<LabelDeadline>::deserialize(d)?))
}

/// A labelled document.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub document: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub region: String,
    pub tasks: Vec<LabelTask>,
}

impl Label {
    /// The seed gold sets in the corpus format (no deadlines labelled).
    pub fn from_gold(gold: &Gold) -> Label {
        Label {
            document: gold.seed.clone(),
            source: String::new(),
            title: String::new(),
            level: String::new(),
            region: String::new(),
            tasks: gold
                .tasks
                .iter()
                .map(|t| LabelTask {
                    number: t.code.clone(),
                    code: Some(t.code.clone()),
                    title_prefix: t.title_prefix.clone(),
                    leads: t.leads.clone(),
                    participants: t.participants.clone(),
                    implementers: t.implementers.clone(),
                    deadline: None,
                    ongoing: None,
                    lead_undecided: t.lead_undecided,
                })
                .collect(),
        }
    }
}

/// Normalisation used only to match text: letters, digits and CJK
/// characters only (full-width forms folded), so that punctuation, spacing
/// and the title/body split do not decide a match.
pub fn match_norm(s: &str) -> String {
    let s = crate::clean::strip_pinyin(s);
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => crate::clean::to_simplified(c),
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The region of a label (`浙江省`, `杭州市`, `某某县`, `国家`).
fn label_region(label: &Label, registry: &Registry) -> crate::registry::Region {
    let r = label.region.trim();
    let mut region = crate::registry::Region::default();
    if r.ends_with('省') || r.ends_with("自治区") {
        region.province = Some(r.to_string());
    } else if r.ends_with('市') {
        region.city = Some(r.to_string());
        region.province = registry.province_of(r);
    } else if r.ends_with('县') || r.ends_with('区') {
        region.county = Some(r.to_string());
    }
    region
}

/// The key two spellings of one agency share.
pub fn agency_key(name: &str, region: &crate::registry::Region, registry: &Registry) -> String {
    let q = region.qualify(name.trim());
    if let Some(e) = registry.lookup(&q) {
        return norm_key(&e.name);
    }
    // `省市场监管局（省知识产权局）`: a name with its other name in brackets is
    // the outer name, as the parser resolves it
    if let Some(open) = q.find(['(', '（'])
        && q.ends_with([')', '）'])
        && open > 0
        && let Some(e) = registry.lookup(&q[..open])
    {
        return norm_key(&e.name);
    }
    norm_key(&q)
}

use crate::registry::norm_key;

/// Scores of one corpus document (or seed / fixture).
#[derive(Debug, Clone, Default)]
pub struct DocScore {
    pub doc: String,
    /// `seed`, `fixture` or `corpus`.
    pub set: String,
    pub tasks_found: usize,
    pub tasks_labelled: usize,
    pub tasks_matched: usize,
    pub true_pos: usize,
    pub predicted: usize,
    pub expected: usize,
    pub deadlines_right: usize,
    pub deadlines_labelled: usize,
    pub diffs: Vec<String>,
    pub parse_millis: f64,
    /// The parse failed (error code).
    pub error: Option<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

impl DocScore {
    pub fn precision(&self) -> f64 {
        ratio(self.true_pos, self.predicted)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.true_pos, self.expected)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    pub fn task_f1(&self) -> f64 {
        let (p, r) = (
            ratio(self.tasks_matched, self.tasks_found),
            ratio(self.tasks_matched, self.tasks_labelled),
        );
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    pub fn deadline_accuracy(&self) -> f64 {
        ratio(self.deadlines_right, self.deadlines_labelled)
    }
}

fn precision_name(p: crate::Precision) -> &'static str {
    match p {
        crate::Precision::Year => "year",
        crate::Precision::Month => "month",
        crate::Precision::Day => "day",
    }
}

/// Scores a parsed plan against a corpus label.
pub fn score_label(set: &str, plan: &ParsedPlan, label: &Label, registry: &Registry) -> DocScore {
    // Both sides are qualified with the label's region (the plan's when the
    // label names none, as in the seed gold sets).
    let region = match (&plan.region, label.region.trim().is_empty()) {
        (Some(name), true) => label_region(
            &Label {
                region: name.clone(),
                ..label.clone()
            },
            registry,
        ),
        _ => label_region(label, registry),
    };
    let plan_region = region.clone();
    let tasks: Vec<&crate::ParsedTask> = plan
        .tasks
        .iter()
        .filter(|t| t.kind != TaskKind::Heading)
        .collect();
    let texts: Vec<(String, String)> = tasks
        .iter()
        .map(|t| {
            let title = match_norm(&t.title);
            let body = match_norm(&t.body);
            let full = if body.starts_with(&title) {
                body
            } else {
                format!("{title}{body}")
            };
            (title, full)
        })
        .collect();
    let starts = |i: usize, p: &str| texts[i].0.starts_with(p) || texts[i].1.starts_with(p);
    // Match labels to parsed tasks in document order.
    let mut taken = vec![false; tasks.len()];
    let mut pairs: Vec<Option<usize>> = Vec::new();
    let mut cursor = 0;
    for lt in &label.tasks {
        let p = match_norm(&lt.title_prefix);
        let by_code = lt.code.as_ref().and_then(|c| {
            (0..tasks.len()).find(|&i| !taken[i] && &tasks[i].code == c && starts(i, &p))
        });
        let found = by_code
            .or_else(|| (cursor..tasks.len()).find(|&i| !taken[i] && starts(i, &p)))
            .or_else(|| (0..cursor.min(tasks.len())).find(|&i| !taken[i] && starts(i, &p)));
        if let Some(i) = found {
            taken[i] = true;
            cursor = i + 1;
        }
        pairs.push(found);
    }
    type Triple = (usize, String, &'static str);
    let mut expected: BTreeSet<Triple> = BTreeSet::new();
    let mut names: std::collections::HashMap<String, String> = Default::default();
    for (li, lt) in label.tasks.iter().enumerate() {
        for (v, role) in [
            (&lt.leads, "lead"),
            (&lt.participants, "participant"),
            (&lt.implementers, "implementer"),
        ] {
            for a in v.iter().flat_map(|a| group_parts(a)) {
                let k = agency_key(&a, &region, registry);
                names.entry(k.clone()).or_insert_with(|| a.clone());
                expected.insert((li, k, role));
            }
        }
        if lt.lead_undecided {
            expected.insert((li, "<undecided>".into(), "lead"));
        }
    }
    // Parsed tasks are numbered after the labels: unmatched ones are extra.
    let slot = |ti: usize| -> usize {
        pairs
            .iter()
            .position(|p| *p == Some(ti))
            .unwrap_or(label.tasks.len() + ti)
    };
    let mut predicted: BTreeSet<Triple> = BTreeSet::new();
    for (ti, t) in tasks.iter().enumerate() {
        let s = slot(ti);
        for (v, role) in [
            (&t.leads, "lead"),
            (&t.participants, "participant"),
            (&t.implementers, "implementer"),
        ] {
            for a in v.iter().flat_map(|a| group_parts(&a.name)) {
                let k = agency_key(&a, &plan_region, registry);
                names.entry(k.clone()).or_insert_with(|| a.clone());
                predicted.insert((s, k, role));
            }
        }
        if t.lead_undecided {
            predicted.insert((s, "<undecided>".into(), "lead"));
        }
    }
    let mut sc = DocScore {
        doc: label.document.clone(),
        set: set.to_string(),
        tasks_found: tasks.len(),
        tasks_labelled: label.tasks.len(),
        tasks_matched: pairs.iter().filter(|p| p.is_some()).count(),
        true_pos: expected.intersection(&predicted).count(),
        predicted: predicted.len(),
        expected: expected.len(),
        ..DocScore::default()
    };
    let label_name = |li: usize| -> String {
        if li < label.tasks.len() {
            let lt = &label.tasks[li];
            format!("{} {}", lt.number, lt.title_prefix)
        } else {
            let t = tasks[li - label.tasks.len()];
            format!(
                "(extra {}) {}",
                t.code,
                t.title.chars().take(20).collect::<String>()
            )
        }
    };
    for (li, (lt, p)) in label.tasks.iter().zip(&pairs).enumerate() {
        match p {
            None => sc
                .diffs
                .push(format!("task not found: {} {}", lt.number, lt.title_prefix)),
            Some(ti) => {
                let t = tasks[*ti];
                if let Some(want) = &lt.deadline {
                    sc.deadlines_labelled += 1;
                    let got = t.deadline.map(|d| LabelDeadline {
                        date: d.date.to_string(),
                        precision: precision_name(d.precision).to_string(),
                    });
                    let ongoing_ok = lt.ongoing.is_none_or(|o| o == t.ongoing);
                    if &got == want && ongoing_ok {
                        sc.deadlines_right += 1;
                    } else {
                        sc.diffs.push(format!(
                            "deadline {} ({}): {:?} ongoing {} vs labelled {:?} ongoing {:?}",
                            label_name(li),
                            t.code,
                            got.map(|d| format!("{} {}", d.date, d.precision)),
                            t.ongoing,
                            want.as_ref().map(|d| format!("{} {}", d.date, d.precision)),
                            lt.ongoing
                        ));
                    }
                }
            }
        }
    }
    for (ti, t) in tasks.iter().enumerate() {
        if !taken[ti] {
            sc.diffs.push(format!(
                "extra task {} {}",
                t.code,
                t.title.chars().take(30).collect::<String>()
            ));
        }
    }
    for e in expected.difference(&predicted) {
        sc.diffs.push(format!(
            "missing {} {} {}",
            label_name(e.0),
            e.2,
            names[&e.1]
        ));
    }
    for p in predicted.difference(&expected) {
        sc.diffs.push(format!(
            "extra   {} {} {}",
            label_name(p.0),
            p.2,
            names[&p.1]
        ));
    }
    sc
}

/// Every labelled document: seeds (gold sets), unseen fixtures and corpus
/// documents, as (set, name, bytes, label).
pub fn load_labelled(paths: &Paths) -> Vec<(String, String, Vec<u8>, Label)> {
    let mut out = Vec::new();
    for (seed, bytes, gold) in paths.load_all() {
        out.push(("seed".to_string(), seed, bytes, Label::from_gold(&gold)));
    }
    let fixtures = paths.gold.join("../fixtures/unseen");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for p in files {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let Some(stem) = name.strip_suffix(".label.json") else {
            continue;
        };
        let label: Label = serde_json::from_str(&std::fs::read_to_string(&p).expect("label"))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let src = files_with_stem(&fixtures, stem).expect("fixture source");
        out.push((
            "fixture".to_string(),
            stem.to_string(),
            std::fs::read(src).expect("fixture"),
            label,
        ));
    }
    let corpus = paths.gold.join("../corpus");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let Ok(text) = std::fs::read_to_string(d.join("label.json")) else {
            continue;
        };
        let label: Label =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        // The text, and the table too when the labeller provided one
        // (scored as `<slug>.csv`).
        let name = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        for (file, suffix) in [
            ("source.txt", ""),
            ("source.docx", ".docx"),
            ("source.xlsx", ".xlsx"),
            ("source.csv", ".csv"),
        ] {
            let p = d.join(file);
            if p.is_file() {
                out.push((
                    "corpus".to_string(),
                    format!("{name}{suffix}"),
                    std::fs::read(p).expect("corpus source"),
                    label.clone(),
                ));
            }
        }
    }
    out
}

fn files_with_stem(dir: &Path, stem: &str) -> Option<PathBuf> {
    let p = dir.join(stem);
    p.is_file().then_some(p)
}

/// Parses and scores every labelled document.
pub fn score_all(paths: &Paths, registry: &Registry) -> Vec<DocScore> {
    load_labelled(paths)
        .into_iter()
        .map(|(set, name, bytes, label)| {
            let start = std::time::Instant::now();
            // Imported by the office of the labelled region: a document that
            // names no region of its own (a task sheet without a title row)
            // is read with it, as `importPlan(input: {region})` does.
            let region = label.region.trim();
            // Likewise the plan year the office knows: the year of the
            // labelled title (`2016年民生实事目标任务分解表`), for a sheet that
            // names none.
            let options = crate::ParseOptions {
                region: (!region.is_empty() && region != "国家").then(|| region.to_string()),
                plan_year: crate::plan::title_year(&label.title),
            };
            match crate::parse_bytes_with(&bytes, registry, &options) {
                Ok(plan) => {
                    let mut sc = score_label(&set, &plan, &label, registry);
                    sc.doc = name;
                    sc.parse_millis = start.elapsed().as_secs_f64() * 1000.0;
                    sc
                }
                Err(e) => DocScore {
                    doc: name,
                    set,
                    tasks_labelled: label.tasks.len(),
                    expected: label
                        .tasks
                        .iter()
                        .map(|t| t.leads.len() + t.participants.len() + t.implementers.len())
                        .sum(),
                    error: Some(e.code().to_string()),
                    ..DocScore::default()
                },
            }
        })
        .collect()
}

/// The per-document table (Markdown) and the macro F1 line.
pub fn doc_table(scores: &[DocScore]) -> String {
    let mut s = String::from(
        "| set | document | tasks found / labelled | matched | task F1 | assignments | P | R | F1 | deadlines right |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for sc in scores {
        s.push_str(&format!(
            "| {} | {} | {} / {} | {} | {:.2} | {} | {:.3} | {:.3} | {:.3} | {} |\n",
            sc.set,
            sc.doc,
            sc.tasks_found,
            sc.tasks_labelled,
            sc.tasks_matched,
            sc.task_f1(),
            sc.expected,
            sc.precision(),
            sc.recall(),
            sc.f1(),
            if sc.deadlines_labelled == 0 {
                "—".to_string()
            } else {
                format!("{}/{}", sc.deadlines_right, sc.deadlines_labelled)
            }
        ));
    }
    s.push_str(&format!("\nmacro F1 {:.3}", macro_f1(scores)));
    for set in ["seed", "fixture", "corpus"] {
        let v: Vec<DocScore> = scores.iter().filter(|s| s.set == set).cloned().collect();
        if !v.is_empty() {
            s.push_str(&format!(" · {set} {:.3} ({})", macro_f1(&v), v.len()));
        }
    }
    let (dr, dl): (usize, usize) = scores.iter().fold((0, 0), |(a, b), s| {
        (a + s.deadlines_right, b + s.deadlines_labelled)
    });
    s.push_str(&format!(" · deadlines {dr}/{dl}\n"));
    s
}

/// Mean of the per-document (task, role, agency) F1.
pub fn macro_f1(scores: &[DocScore]) -> f64 {
    if scores.is_empty() {
        return 1.0;
    }
    scores.iter().map(|s| s.f1()).sum::<f64>() / scores.len() as f64
}
