//! The layering of `src/` stays true: a lower layer never names a higher one.
//!
//! ```text
//! domain (vocabularies, rules, time and calendar)      ← error
//!   ← pure cores: evaluation/, notify::{ladder, templates, ical}, the import crate
//!   ← auth, config, db
//!   ← services (use cases over the database)
//!   ← notify's database side: store, sweep, outbox, feed, mailer
//!   ← app (state and clock)
//!   ← graphql, notify::worker, demo (the demo world's simulated year)
//!   ← server
//!   ← cli
//! ```
//!
//! The test reads the source files and looks at every `crate::…` path outside comments, so
//! `use` lines, grouped imports (`crate::{a, b}`) and inline paths all count. It also checks
//! that only the application's clock reads the system time.

use std::path::{Path, PathBuf};

/// Which top-level modules (or `module::submodule`s) a file may not name.
struct Rule {
    /// Files whose path under `src/` starts with one of these.
    files: &'static [&'static str],
    forbidden: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        files: &["domain/", "error.rs"],
        forbidden: &[
            "services",
            "notify",
            "evaluation",
            "db",
            "auth",
            "config",
            "app",
            "graphql",
            "server",
            "cli",
        ],
    },
    // Pure cores: no database, no services, no clock.
    Rule {
        files: &[
            "evaluation/",
            "notify/ladder.rs",
            "notify/templates.rs",
            "notify/ical.rs",
            "notify/notice_doc.rs",
        ],
        forbidden: &[
            "services",
            "db",
            "auth",
            "app",
            "notify::store",
            "notify::sweep",
            "notify::outbox",
            "notify::feed",
            "notify::mailer",
            "notify::worker",
            "graphql",
            "server",
            "cli",
        ],
    },
    Rule {
        files: &["auth/", "config.rs", "db.rs", "storage/", "metrics.rs"],
        forbidden: &[
            "services",
            "notify",
            "evaluation",
            "app",
            "graphql",
            "server",
            "cli",
        ],
    },
    Rule {
        files: &["services/"],
        forbidden: &[
            "app",
            "notify::store",
            "notify::sweep",
            "notify::outbox",
            "notify::feed",
            "notify::mailer",
            "notify::worker",
            "graphql",
            "server",
            "cli",
        ],
    },
    Rule {
        files: &[
            "notify/store.rs",
            "notify/sweep",
            "notify/outbox.rs",
            "notify/feed.rs",
            "notify/mailer.rs",
            "notify/documents.rs",
        ],
        forbidden: &["app", "notify::worker", "graphql", "server", "cli"],
    },
    Rule {
        files: &["app/"],
        forbidden: &[
            "services",
            "notify",
            "evaluation",
            "graphql",
            "server",
            "cli",
        ],
    },
    Rule {
        files: &["graphql/", "notify/worker.rs"],
        forbidden: &["server", "cli"],
    },
    // The demo world acts through the services and the sweep, as users and the worker do.
    Rule {
        files: &["demo/"],
        forbidden: &["graphql", "notify::worker", "server", "cli"],
    },
    Rule {
        files: &["server.rs", "server/"],
        forbidden: &["cli"],
    },
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's text without `//` comments (doc comments included). Good enough for Rust
/// written here: a `//` inside a string literal only hides the rest of that line.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every `crate::a` and `crate::a::b` path named in `code`, expanding `crate::{a, b::c}`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `duban_crate::` or the like
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(j, _)| j);
            for item in split_top_level(&group[..end]) {
                out.push(path_head(item.trim()));
            }
            continue;
        }
        out.push(path_head(rest));
    }
    out
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// `a::b::C` → `a::b`; `a::{b, c}` → `a` (the group's members are checked by the caller
/// only at the top level, which is what the rules name).
fn path_head(s: &str) -> String {
    let first = ident(s);
    let after = &s[first.len()..];
    match after.strip_prefix("::") {
        Some(r) if r.starts_with(|c: char| c.is_lowercase()) => format!("{first}::{}", ident(r)),
        _ => first.to_owned(),
    }
}

fn names(path: &str, module: &str) -> bool {
    path == module || path.starts_with(&format!("{module}::"))
}

#[test]
fn lower_layers_never_name_higher_ones() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let paths = crate_paths(&code);
        for rule in RULES {
            if !rule.files.iter().any(|f| rel.starts_with(f)) {
                continue;
            }
            for p in &paths {
                if let Some(m) = rule.forbidden.iter().find(|m| names(p, m)) {
                    violations.push(format!("src/{rel} names crate::{p} (a layer above: {m})"));
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "lower layers name higher ones:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn only_the_application_clock_reads_the_system_time() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "app/clock.rs" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for needle in ["Utc::now", "Local::now", "SystemTime::now"] {
            if code.contains(needle) {
                offenders.push(format!("src/{rel}: {needle}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "read the time through app::Clock instead:\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_paths() {
    let code = code_of(
        "use crate::{graphql::AppState, services::{tasks, plans}};\n\
         // use crate::server;\n\
         let x = crate::notify::sweep::run();",
    );
    assert_eq!(crate_paths(&code), ["graphql", "services", "notify::sweep"]);
    // Rules naming `notify` also catch `notify::sweep`.
    assert!(names("notify::sweep", "notify"));
    assert!(!names("notifyx", "notify"));
}
