//! The `duban` binary itself: import --json, user add, schema.

use std::io::Write;
use std::process::{Command, Stdio};

fn duban(data_dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_duban"));
    c.env("DUBAN_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn import_dry_run_prints_one_json_object_with_canonical_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = duban(dir.path())
        .args([
            "import",
            "seeds/plans/003_ea73b3f3e3f04998.txt",
            "--dry-run",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    assert_eq!(v["document_number"], "济政字〔2023〕39号");
    assert!(
        v["title"]
            .as_str()
            .unwrap()
            .contains("济宁市碳达峰工作方案")
    );
    let tasks = v["tasks"].as_array().unwrap();
    assert!(tasks.len() > 30);
    for key in [
        "code",
        "kind",
        "title",
        "leads",
        "participants",
        "implementers",
        "groups",
        "deadline",
        "precision",
        "ongoing",
    ] {
        assert!(tasks[0].get(key).is_some(), "task lacks {key}");
    }
    // Names are canonical: the registry's 市发展和改革委员会, never the abbreviation 市发展改革委.
    let all: Vec<&str> = tasks
        .iter()
        .flat_map(|t| t["leads"].as_array().unwrap())
        .filter_map(|n| n.as_str())
        .collect();
    assert!(all.contains(&"济宁市发展和改革委员会"), "{all:?}");
    assert!(!all.iter().any(|n| *n == "市发展改革委"));
    assert!(v["warnings"].is_array() && v["targets"].is_array());
    // A dry run wrote no plan.
    let out = duban(dir.path())
        .args(["import", "seeds/plans/003_ea73b3f3e3f04998.txt"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Importing it again is refused with a stable code and a non-zero exit.
    let out = duban(dir.path())
        .args(["import", "seeds/plans/003_ea73b3f3e3f04998.txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CONFLICT"));
}

#[test]
fn import_refuses_broken_files_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.docx");
    std::fs::write(&bad, b"PK\x03\x04 truncated").unwrap();
    let out = duban(dir.path())
        .args(["import", bad.to_str().unwrap(), "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        // the importer's own reason, as over GraphQL
        String::from_utf8_lossy(&out.stderr).contains("BROKEN_DOCUMENT"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--plan-year` dates a yearless task sheet (`6月底前`); a year out of range is refused with
/// INVALID_INPUT before the database is even created.
#[test]
fn import_takes_the_plan_year_of_a_yearless_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("分工表.csv");
    std::fs::write(
        &sheet,
        "序号,工作任务,牵头单位,配合单位,完成时限\n1,完成政务服务事项清单梳理,市政务服务局,市司法局,6月底前\n2,建成一体化政务服务平台,市大数据局,,12月底前\n",
    )
    .unwrap();
    let sheet = sheet.to_str().unwrap();
    let json = |args: &[&str]| {
        let out = duban(dir.path())
            .args(["import", sheet, "--dry-run", "--json"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v
    };
    let deadlines = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["deadline"].clone())
            .collect()
    };
    let no_year = |v: &serde_json::Value| {
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["code"] == "NO_PLAN_YEAR")
            .count()
    };
    let bare = json(&[]);
    assert_eq!(deadlines(&bare), vec![serde_json::Value::Null; 2], "{bare}");
    assert_eq!(no_year(&bare), 2, "{bare}");
    let given = json(&["--plan-year", "2025"]);
    assert_eq!(
        deadlines(&given),
        vec![
            serde_json::json!("2025-06-30"),
            serde_json::json!("2025-12-31")
        ],
        "{given}"
    );
    assert_eq!(no_year(&given), 0, "{given}");
    // Stored, although the sheet has no title row to name the plan by.
    let out = duban(dir.path())
        .args(["import", sheet, "--plan-year", "2025"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("stored plan") && err.contains("with 2 tasks"),
        "{err}"
    );

    let fresh = tempfile::tempdir().unwrap();
    for year in ["1999", "2101", "20255"] {
        let out = duban(fresh.path())
            .args(["import", sheet, "--plan-year", year])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{year}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("INVALID_INPUT"), "{year}: {err}");
    }
    // Refused before the database was opened: nothing was created, let alone stored.
    assert_eq!(std::fs::read_dir(fresh.path()).unwrap().count(), 0);
}

#[test]
fn user_add_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = duban(dir.path())
        .args(["user", "add", "chen", "--role", "office"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-good-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An agency account must name a known agency.
    let mut child = duban(dir.path())
        .args([
            "user",
            "add",
            "li",
            "--role",
            "agency",
            "--agency",
            "不存在的局",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-good-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT_FOUND"));
}

#[test]
fn schema_command_prints_the_checked_in_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let out = duban(dir.path()).arg("schema").output().unwrap();
    let file = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql"),
    )
    .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), file);
}

#[test]
fn evaluate_prints_json_and_writes_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    // No simulated year (tests/demo_world.rs covers it): a draft is computed here.
    let out = duban(dir.path())
        .args(["seed", "--without-activity"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = duban(dir.path())
        .args(["evaluate", "--year", "2025", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let subjects = v.as_array().expect("one object per subject");
    assert!(!subjects.is_empty());
    for key in ["subject", "score", "grade", "rank", "breakdown"] {
        assert!(subjects[0].get(key).is_some(), "missing {key}");
    }
    assert!(subjects[0]["score"].is_number());
    let xlsx = dir.path().join("ranking.xlsx");
    let out = duban(dir.path())
        .args([
            "evaluate",
            "--year",
            "2025",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // Without --output the binary workbook is refused rather than dumped on the terminal.
    let out = duban(dir.path())
        .args(["evaluate", "--year", "2025", "--format", "xlsx"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn ledger_of_the_seeded_plans_as_xlsx_and_csv() {
    use calamine::{Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let out = duban(dir.path()).arg("seed").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xlsx = dir.path().join("ledger.xlsx");
    let out = duban(dir.path())
        .args([
            "ledger",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "wrote N tasks to …"
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    let n: usize = said
        .split_whitespace()
        .skip_while(|w| *w != "wrote")
        .nth(1)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(n > 100, "{said}");
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets.len(), 5, "one sheet per seeded plan: {sheets:?}");
    let mut rows = 0;
    for s in &sheets {
        let range = book.worksheet_range(s).unwrap();
        assert_eq!(range.get_value((0, 1)).unwrap().to_string(), "任务");
        rows += range.height() - 1;
    }
    assert_eq!(rows, n);

    let csv_path = dir.path().join("ledger.csv");
    let out = duban(dir.path())
        .args([
            "ledger",
            "--plan",
            "1",
            "--format",
            "csv",
            "--output",
            csv_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("实施方案,编号,任务,牵头单位"),
        "{}",
        &text[..80]
    );
    let first_sheet = book.worksheet_range(&sheets[0]).unwrap();
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count(),
        first_sheet.height() - 1,
        "plan 1's CSV has the rows of plan 1's sheet"
    );

    // A bad format or an unknown plan is refused with its code, and leaves no file.
    let none = dir.path().join("none.csv");
    for (args, code) in [
        (vec!["--format", "pdf"], "INVALID_INPUT"),
        (vec!["--plan", "9999", "--format", "csv"], "NOT_FOUND"),
    ] {
        let out = duban(dir.path())
            .arg("ledger")
            .args(&args)
            .args(["--output", none.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(code),
            "{args:?}"
        );
        assert!(!none.exists());
    }
}
