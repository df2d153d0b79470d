//! Plans the parser was not developed on (tests/fixtures/unseen/), written
//! independently of the seeds and labelled by hand from DOMAIN.md: a county
//! plan, a province plan with a standing rule and `待国家分工明确后确定`, a
//! city task sheet (CSV) and a city plan with mixed full/half-width
//! punctuation, hard wraps, page numbers and labelled responsibility lines.

mod common;

use chrono::NaiveDate;
use common::registry;
use duban_import::{ParsedPlan, ParsedTask, Precision, TaskKind, parse_bytes};

fn parse(name: &str) -> ParsedPlan {
    let path = format!(
        "{}/tests/fixtures/unseen/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_bytes(&bytes, &registry()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Hand label of one task: code, title prefix, leads, participants,
/// implementers, deadline (`YYYY-MM-DD`, precision) and ongoing.
struct Label {
    code: &'static str,
    title: &'static str,
    leads: &'static [&'static str],
    participants: &'static [&'static str],
    implementers: &'static [&'static str],
    deadline: Option<(&'static str, Precision)>,
    ongoing: bool,
    undecided: bool,
}

const fn l(
    code: &'static str,
    title: &'static str,
    leads: &'static [&'static str],
    participants: &'static [&'static str],
    implementers: &'static [&'static str],
    deadline: Option<(&'static str, Precision)>,
) -> Label {
    Label {
        code,
        title,
        leads,
        participants,
        implementers,
        deadline,
        ongoing: false,
        undecided: false,
    }
}

const fn ongoing(mut lb: Label) -> Label {
    lb.ongoing = true;
    lb
}

const fn undecided(mut lb: Label) -> Label {
    lb.undecided = true;
    lb
}

fn names(v: &[duban_import::AgencyRef]) -> Vec<&str> {
    v.iter().map(|a| a.name.as_str()).collect()
}

/// Checks the tasks (kind Task) of a plan against the labels, in order, and
/// returns the mismatches (empty when all agree).
fn check(plan: &ParsedPlan, labels: &[Label]) -> Vec<String> {
    let tasks: Vec<&ParsedTask> = plan
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Task)
        .collect();
    let mut errs = Vec::new();
    if tasks.len() != labels.len() {
        errs.push(format!(
            "task count {} != labelled {}: {:?}",
            tasks.len(),
            labels.len(),
            tasks.iter().map(|t| &t.code).collect::<Vec<_>>()
        ));
    }
    for lb in labels {
        let Some(t) = tasks.iter().find(|t| t.code == lb.code) else {
            errs.push(format!("{}: not found", lb.code));
            continue;
        };
        let c = lb.code;
        if !t.title.starts_with(lb.title) {
            errs.push(format!("{c}: title {:?}", t.title));
        }
        if names(&t.leads) != lb.leads {
            errs.push(format!(
                "{c}: leads {:?} != {:?}",
                names(&t.leads),
                lb.leads
            ));
        }
        if names(&t.participants) != lb.participants {
            errs.push(format!(
                "{c}: participants {:?} != {:?}",
                names(&t.participants),
                lb.participants
            ));
        }
        if names(&t.implementers) != lb.implementers {
            errs.push(format!(
                "{c}: implementers {:?} != {:?}",
                names(&t.implementers),
                lb.implementers
            ));
        }
        let want = lb.deadline.map(|(d, p)| {
            (
                NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("label date"),
                p,
            )
        });
        let got = t.deadline.map(|d| (d.date, d.precision));
        if got != want {
            errs.push(format!("{c}: deadline {got:?} != {want:?}"));
        }
        if t.ongoing != lb.ongoing {
            errs.push(format!("{c}: ongoing {}", t.ongoing));
        }
        if t.lead_undecided != lb.undecided {
            errs.push(format!("{c}: lead_undecided {}", t.lead_undecided));
        }
    }
    errs
}

fn assert_labels(name: &str, labels: &[Label]) -> ParsedPlan {
    let plan = parse(name);
    let errs = check(&plan, labels);
    assert!(errs.is_empty(), "{name}:\n  {}", errs.join("\n  "));
    plan
}

use Precision::{Month, Year};

#[test]
fn county_plan() {
    const Y: &str = "沂南县";
    let plan = assert_labels(
        "county_yinan.txt",
        &[
            l(
                "二(一)",
                "实施老旧小区改造",
                &["沂南县住房城乡建设局"],
                &["沂南县发展改革局", "沂南县财政局"],
                &["各镇人民政府", "各街道办事处"],
                Some(("2024-12-31", Month)),
            ),
            l(
                "二(二)",
                "完善市政管网设施",
                &["沂南县住房城乡建设局", "沂南县水务局", "沂南县城市管理局"],
                &[],
                &[],
                Some(("2024-10-31", Month)),
            ),
            // `等单位配合`: the trailing 等单位 names no agency.
            l(
                "二(三)",
                "畅通城区道路",
                &["沂南县交通运输局"],
                &["沂南县公安局", "沂南县自然资源局"],
                &[],
                None,
            ),
            ongoing(l(
                "二(四)",
                "加强城市精细化管理",
                &["沂南县综合行政执法局"],
                &[],
                &[],
                None,
            )),
            l(
                "二(五)",
                "开展县城绿化美化",
                &["沂南县城市管理局"],
                &["沂南县自然资源局"],
                &[],
                Some(("2024-06-30", Month)),
            ),
        ],
    );
    assert_eq!(plan.region.as_deref(), Some(Y));
    // 保障措施 carries no clause: headings, not tasks.
    assert!(
        plan.tasks
            .iter()
            .filter(|t| t.code.starts_with('三'))
            .all(|t| t.kind == TaskKind::Heading)
    );
}

#[test]
fn province_plan_with_standing_rule() {
    const LOCAL: &[&str] = &["各省辖市政府", "济源示范区管委会"];
    let plan = assert_labels(
        "province_henan.txt",
        &[
            // carried level prefix (`省发展改革委、工业和信息化厅`), trailing
            // `等省有关部门`, and the standing rule written in this clause.
            l(
                "二(一)1",
                "培育战略性新兴产业集群",
                &["河南省发展改革委", "河南省工业和信息化厅"],
                &["河南省科技厅", "河南省财政厅"],
                LOCAL,
                None,
            ),
            l(
                "二(一)2",
                "改造提升传统产业",
                &["河南省工业和信息化厅"],
                &["河南省生态环境厅", "河南省应急管理厅"],
                LOCAL,
                Some(("2025-12-31", Year)),
            ),
            // “十五五”时期 → end of 2030.
            l(
                "二(一)3",
                "前瞻布局未来产业",
                &["河南省科技厅", "河南省发展改革委", "河南省工业和信息化厅"],
                &[],
                LOCAL,
                Some(("2030-12-31", Year)),
            ),
            undecided(l("二(二)1", "建设制造业创新中心", &[], &[], LOCAL, None)),
            ongoing(l(
                "二(二)2",
                "强化企业创新主体地位",
                &["河南省科技厅"],
                &["河南省工业和信息化厅", "河南省税务局", "河南省统计局"],
                LOCAL,
                None,
            )),
            l(
                "三(一)",
                "强化组织领导",
                &["领导小组各成员单位"],
                &[],
                LOCAL,
                None,
            ),
        ],
    );
    assert_eq!(plan.region.as_deref(), Some("河南省"));
    assert!(plan.warnings.iter().any(|w| w.code == "LEAD_UNDECIDED"));
    let t = plan.tasks.iter().find(|t| t.code == "三(一)").unwrap();
    assert!(t.groups.iter().any(|g| g == "领导小组各成员单位"));
}

#[test]
fn city_task_sheet_csv() {
    let plan = assert_labels(
        "city_yichang_sheet.csv",
        &[
            l(
                "1",
                "编制宜昌市低空经济发展规划",
                &["宜昌市发展改革委"],
                &["宜昌市交通运输局", "宜昌市自然资源和规划局"],
                &[],
                Some(("2024-09-30", Month)),
            ),
            l(
                "2",
                "建设通用机场及起降点",
                &["宜昌市交通运输局"],
                &["宜昌市发展改革委", "宜昌市自然资源和规划局"],
                // local governments named after the departments implement
                &["各县市区政府"],
                Some(("2025-12-31", Month)),
            ),
            // `市科技局、商务局`: the level prefix carries over.
            ongoing(l(
                "3",
                "培育低空经济市场主体",
                &["宜昌市经信局"],
                &["宜昌市科技局", "宜昌市商务局"],
                &[],
                None,
            )),
            ongoing(l(
                "4",
                "加强低空飞行安全监管",
                &["宜昌市公安局"],
                &["宜昌市应急管理局", "宜昌市气象局"],
                &[],
                None,
            )),
            undecided(l(
                "5",
                "争取国家低空空域管理改革试点",
                &[],
                &[],
                &[],
                Some(("2026-12-31", Year)),
            )),
        ],
    );
    assert_eq!(plan.region.as_deref(), Some("宜昌市"));
}

#[test]
fn city_plan_with_mixed_punctuation_wraps_and_labelled_lines() {
    let plan = assert_labels(
        "city_yibin_mixed.txt",
        &[
            // `牵头单位：A` / `责任单位：B、C` on their own lines: A leads, the
            // 责任单位 next to an explicit lead participate; the explicit
            // `完成时限` is the deadline.
            l(
                "二(一)",
                "深化“一网通办”改革",
                &["宜宾市政务服务管理局"],
                &["宜宾市大数据中心", "宜宾市司法局"],
                &[],
                Some(("2024-06-30", Month)),
            ),
            l(
                "二(二)",
                "优化企业开办服务",
                &["宜宾市市场监管局"],
                &["宜宾市公安局", "宜宾市税务局"],
                &[],
                Some(("2024-12-31", Month)),
            ),
            l(
                "二(三)",
                "降低企业融资成本",
                &["宜宾市地方金融监管局"],
                &["人民银行宜宾市分行", "宜宾市财政局"],
                &["各区县人民政府"],
                None,
            ),
            ongoing(l(
                "二(四)",
                "规范涉企执法检查",
                &["宜宾市司法局"],
                &[],
                &[],
                None,
            )),
        ],
    );
    // Hard wraps and page numbers do not leak into the text.
    let t = plan.tasks.iter().find(|t| t.code == "二(二)").unwrap();
    assert!(t.body.contains("证照联办"), "{}", t.body);
    assert!(!t.body.contains('—'), "{}", t.body);
    let t = plan.tasks.iter().find(|t| t.code == "二(一)").unwrap();
    assert!(t.body.contains("2024年6月底前全程网办率"), "{}", t.body);
    let target = plan
        .targets
        .iter()
        .find(|t| t.indicator.contains("网办率"))
        .expect("网办率 target");
    assert_eq!(target.indicator, "全程网办率");
    assert_eq!(target.value, 85.0);
    assert_eq!(target.target_year, Some(2024));
}
