//! Parses one document and prints the CLI JSON.
//!
//! `cargo run -p duban-import --example parse -- <file> [agencies.json]`
//! (`DUBAN_REGION=宜昌市`: the importing office's region, for a sheet naming none;
//! `DUBAN_PLAN_YEAR=2016`: the plan's year, for a sheet naming none)

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: parse <file> [agencies.json]");
        std::process::exit(2);
    };
    let reg_path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../seeds/agencies.json")
    });
    let registry = match std::fs::read_to_string(&reg_path) {
        Ok(json) => duban_import::Registry::from_json(&json).expect("valid registry"),
        Err(_) => duban_import::Registry::empty(),
    };
    let bytes = std::fs::read(&file).expect("readable file");
    let options = duban_import::ParseOptions {
        region: std::env::var("DUBAN_REGION").ok(),
        plan_year: std::env::var("DUBAN_PLAN_YEAR")
            .ok()
            .and_then(|y| y.parse().ok()),
    };
    match duban_import::parse_bytes_with(&bytes, &registry, &options) {
        Ok(plan) => println!(
            "{}",
            serde_json::to_string_pretty(&plan.to_cli_json()).expect("json")
        ),
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            std::process::exit(1);
        }
    }
}
