//! Parses all seed plans N times and prints the mean time per full set.
//!
//! `cargo run -p duban-import --release --example bench -- [N]`

use std::path::Path;
use std::time::Instant;

use duban_import::eval::Paths;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let paths = Paths::from_manifest_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    let registry = paths.load_registry();
    let seeds: Vec<(String, Vec<u8>)> = paths
        .load_all()
        .into_iter()
        .map(|(s, b, _)| (s, b))
        .collect();
    // Warm-up (lazy regexes).
    for (_, b) in &seeds {
        let _ = duban_import::parse_bytes(b, &registry);
    }
    let mut per_seed = vec![0f64; seeds.len()];
    let start = Instant::now();
    for _ in 0..n {
        for (i, (_, b)) in seeds.iter().enumerate() {
            let t = Instant::now();
            let plan = duban_import::parse_bytes(b, &registry).expect("seed parses");
            std::hint::black_box(&plan);
            per_seed[i] += t.elapsed().as_secs_f64();
        }
    }
    let total = start.elapsed().as_secs_f64();
    println!("{} seeds x {n} runs", seeds.len());
    for (i, (s, b)) in seeds.iter().enumerate() {
        println!(
            "  {s} ({} KB): {:.2} ms",
            b.len() / 1024,
            per_seed[i] * 1000.0 / n as f64
        );
    }
    println!("mean per full set: {:.2} ms", total * 1000.0 / n as f64);
}
