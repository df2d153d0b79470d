//! No silent loss: over every labelled document (seeds, unseen fixtures and
//! the corpus), every non-blank line of the source ends up in exactly one
//! kind of place — a heading or task (title, body, clause or code), the
//! header or preamble, a table's header or note, or the `unread` context with a `TEXT_UNREAD` warning — and no
//! line that reads as a task (an outline item carrying a responsibility
//! clause) is among the unread ones.

mod common;

use duban_import::clean::{line_key, match_key, normalize_chars, starts_with_marker};
use duban_import::eval::load_labelled;
use duban_import::parse_bytes;

#[test]
fn every_source_line_is_accounted_for() {
    let reg = common::registry();
    let mut report = Vec::new();
    for (set, name, bytes, _) in load_labelled(&common::paths()) {
        let Ok(plan) = parse_bytes(&bytes, &reg) else {
            continue;
        };
        let Ok(text) = duban_import::decode::decode_text(&bytes) else {
            continue; // .docx / .xlsx
        };
        let mut read = String::new();
        for s in std::iter::once(&plan.title)
            .chain(plan.document_number.iter())
            .chain(plan.issuers.iter())
        {
            read.push_str(&match_key(s));
            read.push('|');
        }
        // A task's title, body and clause run on: a line may hold the end of
        // the body and the clause (`规模。（A牵头，B配合）` after a hard wrap).
        let own = |t: &duban_import::ParsedTask| {
            format!(
                "{}{}{}",
                match_key(&t.title),
                match_key(&t.body),
                match_key(&t.clause_text)
            )
        };
        for t in &plan.tasks {
            // A table row's 序号 cell is read as the task's code.
            read.push_str(&match_key(&t.code));
            read.push('|');
            read.push_str(&own(t));
            read.push('|');
            // a row's number runs on into its text, or into the category
            // cells read as its heading; a paragraph read as several duties
            // runs on from its heading into them
            read.push_str(&match_key(&t.code));
            read.push_str(&own(t));
            read.push('|');
            if let Some(p) = t.parent.and_then(|p| plan.tasks.get(p)) {
                read.push_str(&match_key(&t.code));
                read.push_str(&own(p));
                read.push_str(&own(t));
                read.push('|');
            }
        }
        for (i, t) in plan.tasks.iter().enumerate() {
            read.push_str(&own(t));
            for c in plan.tasks.iter().filter(|c| c.parent == Some(i)).take(3) {
                read.push_str(&own(c));
            }
            read.push('|');
        }
        let mut context = String::new();
        for c in &plan.context {
            context.push_str(&match_key(&c.text));
            context.push('|');
        }
        let unread: Vec<&str> = plan
            .context
            .iter()
            .filter(|c| c.kind == "unread")
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(
            unread.is_empty(),
            !plan.warnings.iter().any(|w| w.code == "TEXT_UNREAD"),
            "{name}: unread context and TEXT_UNREAD warnings go together"
        );
        // A task sheet's lines are rows: its cells are the units read.
        let sheet =
            duban_import::sheet::csv_task_list(text.trim_start_matches('\u{feff}')).is_some();
        let units: Vec<String> = if sheet {
            text.lines()
                .flat_map(|l| {
                    l.split([',', '\t'])
                        .map(|c| c.trim_matches('"').to_string())
                })
                .collect()
        } else {
            text.lines().map(|l| l.to_string()).collect()
        };
        let mut lines = 0;
        for line in &units {
            let key: String = line_key(line.trim()).chars().take(16).collect();
            if key.chars().count() < 2 {
                continue;
            }
            lines += 1;
            assert!(
                read.contains(&key) || context.contains(&key),
                "{set} {name}: line lost: {line}"
            );
        }
        for u in &unread {
            let t = normalize_chars(u.trim());
            let t = t.as_str();
            assert!(
                !(starts_with_marker(t) && (t.contains("牵头") || t.contains("责任单位"))),
                "{set} {name}: a task was left unread: {t}"
            );
        }
        report.push(format!(
            "{set} {name}: {lines} lines, {} unread",
            unread.len()
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert!(report.len() >= 9, "seeds and fixtures at least");
}
