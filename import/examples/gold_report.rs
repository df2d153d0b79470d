//! Prints, per labelled document (seeds, unseen fixtures, corpus), tasks
//! found vs labelled, precision / recall / F1 of (task, role, agency)
//! assignments and deadline accuracy, then the macro F1.
//!
//! `cargo run -p duban-import --release --example gold_report [-- -v] [-- <name>]`
//! (`-v` prints every difference; a name restricts the report to documents
//! whose name contains it).

use std::path::Path;

use duban_import::eval::{Paths, doc_table, score_all};

fn main() {
    let paths = Paths::from_manifest_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    let registry = paths.load_registry();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v" || a == "--verbose");
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let scores: Vec<_> = score_all(&paths, &registry)
        .into_iter()
        .filter(|s| filter.is_empty() || filter.iter().any(|f| s.doc.contains(f.as_str())))
        .collect();
    if verbose {
        for sc in &scores {
            if let Some(e) = &sc.error {
                println!("{}: parse error {e}", sc.doc);
            }
            for d in &sc.diffs {
                println!("{}: {d}", sc.doc);
            }
        }
        println!();
    }
    print!("{}", doc_table(&scores));
}
