//! Prints the gold-set table (tasks found vs labelled, precision / recall of
//! (task, agency, role) assignments) for the README.
//!
//! `cargo run -p duban-import --release --example gold_report`

use std::path::Path;
use std::time::Instant;

use duban_import::eval::{Paths, score, table};

fn main() {
    let paths = Paths::from_manifest_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    let registry = paths.load_registry();
    let verbose = std::env::args().any(|a| a == "-v" || a == "--verbose");
    let mut scores = Vec::new();
    for (seed, bytes, gold) in paths.load_all() {
        let start = Instant::now();
        let plan = match duban_import::parse_bytes(&bytes, &registry) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{seed}: {} {e}", e.code());
                continue;
            }
        };
        let mut sc = score(&seed, &plan, &gold);
        sc.parse_millis = start.elapsed().as_secs_f64() * 1000.0;
        if verbose {
            for d in &sc.diffs {
                println!("{seed}: {d}");
            }
        }
        scores.push(sc);
    }
    print!("{}", table(&scores));
    let tp: usize = scores.iter().map(|s| s.true_pos).sum();
    let pred: usize = scores.iter().map(|s| s.predicted).sum();
    let exp: usize = scores.iter().map(|s| s.expected).sum();
    println!(
        "\nall seeds: {} assignments labelled, precision {:.1}%, recall {:.1}%",
        exp,
        100.0 * tp as f64 / pred.max(1) as f64,
        100.0 * tp as f64 / exp.max(1) as f64
    );
}
