//! The corpus scorer over seeds, unseen fixtures and the real-plan corpus
//! (`tests/corpus/`): every document keeps at least the (task, role, agency)
//! F1 it reaches today (`tests/corpus/floors.tsv`), so a change that loses a
//! family of conventions fails here. Raise a floor when a document improves.

mod common;

use duban_import::eval::{doc_table, macro_f1, score_all};

#[test]
fn every_document_keeps_its_floor() {
    let scores = score_all(&common::paths(), &common::registry());
    eprintln!("{}", doc_table(&scores));
    let floors = std::fs::read_to_string(format!(
        "{}/tests/corpus/floors.tsv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("floors.tsv");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in floors
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split('\t');
        let (Some(doc), Some(floor)) = (it.next(), it.next()) else {
            continue;
        };
        let floor: f64 = floor.trim().parse().expect("floor");
        match scores.iter().find(|s| s.doc == doc) {
            Some(s) if s.f1() + 1e-9 >= floor => checked += 1,
            Some(s) => failures.push(format!("{doc}: F1 {:.3} < floor {floor:.3}", s.f1())),
            None => failures.push(format!("{doc}: not scored")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 9);
    // seeds and fixtures stay perfect
    for s in scores.iter().filter(|s| s.set != "corpus") {
        assert!(s.f1() >= 0.995, "{}: {:.3}", s.doc, s.f1());
    }
    eprintln!("macro F1 {:.3}", macro_f1(&scores));
}
