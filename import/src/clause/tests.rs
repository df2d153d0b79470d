use super::*;

fn p(s: &str) -> Clause {
    parse_clause(s).unwrap_or_else(|| panic!("no clause in {s}"))
}

#[test]
fn more_lead_grammar() {
    let c = p("由市发展改革委牵头,市财政局配合");
    assert_eq!(c.leads, ["市发展改革委"]);
    assert_eq!(c.participants, ["市财政局"]);
    let c = p("市生态环境局会同市发展改革委、市财政局负责");
    assert_eq!(c.leads, ["市生态环境局"]);
    assert_eq!(c.participants, ["市发展改革委", "市财政局"]);
    let c = p("市发展改革委(牵头)、市财政局、市统计局");
    assert_eq!(c.leads, ["市发展改革委"]);
    assert_eq!(c.participants, ["市财政局", "市统计局"]);
    let c = p("市教育局、市卫生健康委分别牵头");
    assert_eq!(c.leads, ["市教育局", "市卫生健康委"]);
    assert!(c.participants.is_empty());
    let c = p("市发展改革委牵头,市教育局、市卫生健康委分别负责");
    assert_eq!(c.leads, ["市发展改革委"]);
    assert_eq!(c.participants, ["市教育局", "市卫生健康委"]);
    // Prose before 落实 is no implementer.
    assert!(parse_clause("确保任务落实").is_none());
    let c = p("市财政局负责,某某县落实");
    assert_eq!(c.implementers, ["某某县"]);
}

#[test]
fn standing_rule_as_a_plain_sentence() {
    let t = "二、重点任务\n以下各项任务均需各县(市、区)政府落实,不再一一列出。\n(一)推进A。";
    let (r, names) = find_plain_standing(t).unwrap();
    assert_eq!(names, ["各县(市、区)政府"]);
    assert!(t[r].ends_with("列出。"));
    let (_, names) =
        find_plain_standing("下列任务均由各区县政府、各开发区管委会负责落实，不再列出。").unwrap();
    assert_eq!(names, ["各区县政府", "各开发区管委会"]);
    // Inside brackets it is a clause, not a plain sentence.
    assert!(find_plain_standing("推进A(以下均需各县区政府落实,不再列出)").is_none());
    assert!(find_plain_standing("以下不再列出。").is_none());
}

#[test]
fn huge_conjunction_lists_do_not_overflow() {
    // 20 000 names joined by 和: the old recursive split overflowed the
    // stack. The list is cut at MAX_LIST_CHARS and flagged.
    let cell = "市财政局和".repeat(20_000);
    let items = split_list(&cell);
    assert!(!items.is_empty() && items.len() <= MAX_LIST_CHARS / 5 + 1);
    assert!(items.iter().all(|i| i.starts_with("市财政局")));
    let c = p(&format!("{cell}负责"));
    assert!(c.truncated);
    assert!(!c.leads.is_empty());
    // A short list is not flagged.
    assert!(!p("市财政局和市统计局负责").truncated);
    // The iterative split keeps document order.
    let mut out = Vec::new();
    split_conjunction(&"市财政局和市统计局和".repeat(3_000), &mut out);
    assert_eq!(out.len(), 6_000);
    assert_eq!(&out[..2], ["市财政局", "市统计局"]);
}

#[test]
fn single_lead() {
    let c = p("市生态环境局牵头负责");
    assert_eq!(c.leads, ["市生态环境局"]);
    let c = p("市生态环境局负责");
    assert_eq!(c.leads, ["市生态环境局"]);
}

#[test]
fn co_leads_by_division_of_duties() {
    let c = p("市生态环境局、市发展改革委、市工业和信息化局按职责分工负责");
    assert_eq!(
        c.leads,
        ["市生态环境局", "市发展改革委", "市工业和信息化局"]
    );
    assert!(c.participants.is_empty());
}

#[test]
fn lead_with_participants() {
    let c = p("市生态环境局牵头,市发展改革委、市科技局按职责分工负责");
    assert_eq!(c.leads, ["市生态环境局"]);
    assert_eq!(c.participants, ["市发展改革委", "市科技局"]);
    let c = p("A局牵头,B局、C局配合");
    assert_eq!(c.leads, ["A局"]);
    assert_eq!(c.participants, ["B局", "C局"]);
    let c = p("省发展改革委牵头，省财政厅参与");
    assert_eq!(c.participants, ["省财政厅"]);
}

#[test]
fn comma_separates_lead_column() {
    let c = p("市住房城乡建设局,市发展改革委、市自然资源局等按职责分工负责");
    assert_eq!(c.leads, ["市住房城乡建设局"]);
    assert_eq!(c.participants, ["市发展改革委", "市自然资源局"]);
    let c = p("市科技局、市教育局,市发展改革委、市财政局等按职责分工负责");
    assert_eq!(c.leads, ["市科技局", "市教育局"]);
    assert_eq!(c.participants, ["市发展改革委", "市财政局"]);
    // one name after the comma: co-leads of another kind
    let c = p("市科技局、市教育局,市税务局按职责分工负责");
    assert_eq!(c.leads, ["市科技局", "市教育局", "市税务局"]);
}

#[test]
fn implementers() {
    let c = p("市能源局、市住房城乡建设局按职责分工负责,各县市区政府、管委会负责落实");
    assert_eq!(c.leads, ["市能源局", "市住房城乡建设局"]);
    assert_eq!(c.implementers, ["各县市区政府", "管委会"]);
    let c = p("各县区政府结合实际落实");
    assert_eq!(c.implementers, ["各县区政府"]);
    let c = p("市碳达峰碳中和工作领导小组办公室和各县市区政府、管委会负责落实");
    assert_eq!(
        c.implementers,
        ["市碳达峰碳中和工作领导小组办公室", "各县市区政府", "管委会"]
    );
}

#[test]
fn standing_rule() {
    let c = p(
        "市发展改革委、各县区政府、各开发区管委会等按职责分工负责。以下均需各县区政府、各开发区管委会落实,不再列出",
    );
    // local governments named after the departments implement
    assert_eq!(c.leads, ["市发展改革委"]);
    assert_eq!(c.implementers, ["各县区政府", "各开发区管委会"]);
    assert_eq!(c.standing_implementers, ["各县区政府", "各开发区管委会"]);
    let c = p("省生态环境厅,以下各项工作均需各市、县(市、区)落实,以下不再列出");
    assert_eq!(c.leads, ["省生态环境厅"]);
    // `各市、县(市、区)`: one group, the 各 applies to every part
    assert_eq!(c.standing_implementers, ["各市、县(市、区)"]);
}

#[test]
fn undecided_and_reference() {
    let c = p("待国家分工明确后确定");
    assert!(c.lead_undecided);
    assert!(c.leads.is_empty());
    let c = p("具体参照《浙江省全域“无废城市”建设工作方案》职责分工");
    assert!(c.by_reference);
}

#[test]
fn nested_alias_and_etc() {
    let c = p("市发展改革委、市营商局(市大数据管理局)等按职责分工负责");
    assert_eq!(c.leads, ["市发展改革委", "市营商局(市大数据管理局)"]);
}

#[test]
fn etc_tail_naming_no_agency() {
    let c = p("省科技厅牵头,省教育厅、财政厅等省有关部门配合");
    assert_eq!(c.participants, ["省教育厅", "财政厅"]);
    let c = p("市公安局牵头,市应急局等市直相关单位配合");
    assert_eq!(c.participants, ["市应急局"]);
    // 等 inside a name stays.
    assert_eq!(clean_item("市高等教育单位"), "市高等教育单位");
}

#[test]
fn generic_groups_without_verb() {
    let found = find_clauses("形成工作合力。(各区市、各有关部门、单位)");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].clause.leads, ["各区市", "各有关部门", "单位"]);
}

#[test]
fn prose_brackets_are_not_clauses() {
    assert!(find_clauses("严控高耗能、高排放、低水平(以下简称“两高一低”)项目").is_empty());
    assert!(find_clauses("所有设区市和60%的县(市、区)通过评估。").is_empty());
    assert!(find_clauses("开发(EOD)模式试点。").is_empty());
    assert!(find_clauses("省发展改革委(省能源局)、省经信厅").is_empty());
}

#[test]
fn find_clause_at_paragraph_end() {
    let t = "依法加快城市建成区重污染企业搬迁改造或关闭退出。(市生态环境局、市发展改革委按职责分工负责)";
    let found = find_clauses(t);
    assert_eq!(found.len(), 1);
    assert_eq!(&t[found[0].end..], "");
    let t = "〔市发展改革委、市营商局(市大数据管理局)等按职责分工负责〕";
    assert_eq!(find_clauses(t).len(), 1);
}

#[test]
fn labelled_columns() {
    let c = p("牵头单位:市发展改革委;配合单位:市财政局、市统计局");
    assert_eq!(c.leads, ["市发展改革委"]);
    assert_eq!(c.participants, ["市财政局", "市统计局"]);
    let c = p("责任单位:市发展改革委、市能源局");
    assert_eq!(c.leads, ["市发展改革委", "市能源局"]);
    let c = p("责任单位:市发展改革委;完成时限:2025年底前");
    assert_eq!(c.leads, ["市发展改革委"]);
    assert!(starts_with_label("责任单位：市发展改革委"));
    assert!(!starts_with_label("责任单位要加强领导"));
}

#[test]
fn split_list_keeps_names_with_he() {
    assert_eq!(
        split_list("市发展和改革委员会、市住房和城乡建设局"),
        ["市发展和改革委员会", "市住房和城乡建设局"]
    );
    assert_eq!(
        split_list("市碳达峰碳中和工作领导小组办公室、各有关部门及各县市区政府"),
        [
            "市碳达峰碳中和工作领导小组办公室",
            "各有关部门",
            "各县市区政府"
        ]
    );
}

/// Institutions (customs, laboratories, banks) in a role list are bodies:
/// `合肥海关` was dropped from the participants without a warning.
#[test]
fn institutions_in_a_role_list_are_kept() {
    let c = p("省商务厅牵头，省财政厅、合肥海关、省税务局配合");
    assert_eq!(c.leads, ["省商务厅"]);
    assert_eq!(c.participants, ["省财政厅", "合肥海关", "省税务局"]);
    let c = p("省科技厅牵头，之江实验室、国家开发银行浙江省分行配合");
    assert_eq!(c.participants, ["之江实验室", "国家开发银行浙江省分行"]);
}
