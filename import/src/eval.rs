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

/// Compares a parsed plan with its gold labels.
pub fn score(seed: &str, plan: &ParsedPlan, gold: &Gold) -> Score {
    let mut expected: BTreeSet<(String, String, &'static str)> = BTreeSet::new();
    for t in &gold.tasks {
        for a in &t.leads {
            expected.insert((t.code.clone(), a.clone(), "lead"));
        }
        for a in &t.participants {
            expected.insert((t.code.clone(), a.clone(), "participant"));
        }
        for a in &t.implementers {
            expected.insert((t.code.clone(), a.clone(), "implementer"));
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
        for a in &t.leads {
            predicted.insert((t.code.clone(), a.name.clone(), "lead"));
        }
        for a in &t.participants {
            predicted.insert((t.code.clone(), a.name.clone(), "participant"));
        }
        for a in &t.implementers {
            predicted.insert((t.code.clone(), a.name.clone(), "implementer"));
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
