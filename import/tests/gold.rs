//! Gold-set evaluation: every seed plan against its hand-labelled tasks and
//! (task, agency, role) assignments in `tests/gold/`.

use std::path::Path;

use duban_import::eval::{Paths, score, table};
use duban_import::parse_bytes;

#[test]
fn gold_sets() {
    let paths = Paths::from_manifest_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    let registry = paths.load_registry();
    let all = paths.load_all();
    assert_eq!(all.len(), 5, "five gold files");
    let mut scores = Vec::new();
    for (seed, bytes, gold) in &all {
        let plan = parse_bytes(bytes, &registry).unwrap_or_else(|e| panic!("{seed}: {e}"));
        let sc = score(seed, &plan, gold);
        if !sc.diffs.is_empty() {
            eprintln!("--- {seed}");
            for d in &sc.diffs {
                eprintln!("  {d}");
            }
        }
        scores.push(sc);
    }
    eprintln!("{}", table(&scores));
    for sc in &scores {
        if sc.seed.starts_with("002") {
            // The deliberately messy seed: flattened tables, page marks.
            assert!(
                sc.precision() >= 0.95,
                "{}: precision {:.3}",
                sc.seed,
                sc.precision()
            );
            assert!(
                sc.recall() >= 0.95,
                "{}: recall {:.3}",
                sc.seed,
                sc.recall()
            );
            assert!(
                sc.tasks_matched * 100 >= sc.tasks_labelled * 95,
                "{}: tasks",
                sc.seed
            );
        } else {
            assert_eq!(sc.tasks_found, sc.tasks_labelled, "{}: task count", sc.seed);
            assert_eq!(
                sc.tasks_matched, sc.tasks_labelled,
                "{}: task codes/titles",
                sc.seed
            );
            assert_eq!(sc.precision(), 1.0, "{}: precision", sc.seed);
            assert_eq!(sc.recall(), 1.0, "{}: recall", sc.seed);
        }
    }
}
