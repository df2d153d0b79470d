use super::*;

fn roles(s: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let c = parse_clause(s).expect("a clause");
    (c.leads, c.participants, c.implementers)
}

#[test]
fn labelled_fields_with_local_governments_after_the_departments() {
    let (l, p, i) =
        roles("牵头单位:市委组织部,配合单位:市人力资源和社会保障局、市财政局,各区、县级市");
    assert_eq!(l, ["市委组织部"]);
    assert_eq!(p, ["市人力资源和社会保障局", "市财政局"]);
    assert_eq!(i, ["各区、县级市"]);
}

#[test]
fn responsible_department_and_scope_fields() {
    let (l, p, i) = roles("负责部门:省发展改革委、省财政厅;适用范围:全省");
    assert_eq!(l, ["省发展改革委", "省财政厅"]);
    assert!(p.is_empty() && i.is_empty());
}

#[test]
fn lead_and_cooperating_responsibility_labels() {
    let (l, p, _) = roles("牵头责任单位:省商务厅;协同责任单位:省发展改革委、省财政厅等");
    assert_eq!(l, ["省商务厅"]);
    assert_eq!(p, ["省发展改革委", "省财政厅"]);
}

#[test]
fn a_label_whose_value_is_a_clause() {
    let (l, p, i) = roles("部门分工:省发展改革委牵头,各地、各部门配合");
    assert_eq!(l, ["省发展改革委"]);
    assert_eq!(p, ["各部门"]);
    assert_eq!(i, ["各地"]);
}

#[test]
fn a_labelled_field_followed_by_a_verb() {
    let (l, _, _) = roles("责任单位:省发展改革委、省大数据中心按职责分工负责");
    assert_eq!(l, ["省发展改革委", "省大数据中心"]);
}

#[test]
fn a_person_label_names_no_agency() {
    let (l, p, _) = roles("牵头负责领导:刘惠;牵头责任单位:省发展改革委");
    assert_eq!(l, ["省发展改革委"]);
    assert!(p.is_empty());
}

#[test]
fn local_government_groups_are_one_entry() {
    assert_eq!(split_list("各区、县级市"), ["各区、县级市"]);
    assert_eq!(
        split_list("市财政局、各州、市人民政府"),
        ["市财政局", "各州、市人民政府"]
    );
    assert_eq!(
        split_list("各有关部门、各有关单位"),
        ["各有关部门", "各有关单位"]
    );
    assert_eq!(split_list("各区、市财政局"), ["各区", "市财政局"]);
}

#[test]
fn named_local_governments_after_an_explicit_lead_implement() {
    let (_, p, i) = roles("牵头单位:市委组织部;配合单位:市科协,越秀区");
    assert_eq!(p, ["市科协"]);
    assert_eq!(i, ["越秀区"]);
    let (l, p, i) = roles("牵头单位:区发改局;责任单位:立山经济开发区,各街道、区直各部门");
    assert_eq!(l, ["区发改局"]);
    assert_eq!(p, ["区直各部门"]);
    assert_eq!(i, ["立山经济开发区", "各街道"]);
}

#[test]
fn the_first_listed_rule_is_read_and_is_no_agency() {
    for rule in [
        "国家发展改革委、财政部、商务部等负责。列第一位者为牵头单位,下同",
        "国家发展改革委、财政部、商务部按职责分工负责,排在第一位的部门为牵头部门",
    ] {
        let c = parse_clause(rule).unwrap();
        assert!(c.first_listed_rule, "{rule}");
        assert!(!c.explicit_lead);
        assert_eq!(c.leads, ["国家发展改革委", "财政部", "商务部"], "{rule}");
        assert!(c.participants.is_empty());
    }
    assert!(parse_clause("财政部牵头,商务部参与").unwrap().explicit_lead);
}

#[test]
fn standing_implementers_of_every_kind() {
    let c = parse_clause("省发展改革委、省市场监管局按职责分工负责。具体任务均涉及相关市(州)人民政府,不再做分工,下同").unwrap();
    assert_eq!(c.leads, ["省发展改革委", "省市场监管局"]);
    assert_eq!(c.standing_implementers, ["相关市(州)人民政府"]);
    let c = parse_clause("市财政局牵头,各县市区政府负责落实,下同").unwrap();
    assert_eq!(c.implementers, ["各县市区政府"]);
    assert_eq!(c.standing_implementers, ["各县市区政府"]);
}

#[test]
fn local_governments_after_co_leads_implement() {
    let (l, p, i) =
        roles("省发展改革委、交通运输厅等省有关部门和各地级以上市人民政府按职责分工负责");
    assert_eq!(l, ["省发展改革委", "交通运输厅"]);
    assert!(p.is_empty());
    assert_eq!(i, ["各地级以上市人民政府"]);
    // a local government named first leads
    let (l, _, _) = roles("各县区政府、市财政局按职责分工负责");
    assert_eq!(l, ["各县区政府", "市财政局"]);
}

#[test]
fn a_comma_between_kinds_of_bodies_is_no_column_break() {
    let (l, p, _) = roles("省发展改革委、商务厅,省税务局按职责分工负责");
    assert_eq!(l, ["省发展改革委", "商务厅", "省税务局"]);
    assert!(p.is_empty());
    // one name, then a list: the lead column and the participant column
    let (l, p, _) = roles("市住房城乡建设局,市发展改革委、市自然资源局按职责分工负责");
    assert_eq!(l, ["市住房城乡建设局"]);
    assert_eq!(p, ["市发展改革委", "市自然资源局"]);
}

#[test]
fn a_clause_cut_off_at_the_end_is_read() {
    let f = find_clauses("全面开放市场。(牵头单位:省发展改革委;责任单位:省编办、省环保厅、");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].clause.leads, ["省发展改革委"]);
    assert_eq!(f[0].clause.participants, ["省编办", "省环保厅"]);
    // a name cut in the middle is dropped
    let f = find_clauses("内容。(省发展改革委牵头,省工业和信息化厅、省");
    assert_eq!(f[0].clause.participants, ["省工业和信息化厅"]);
    // an open bracket of prose is no clause
    assert!(find_clauses("全面开放市场(包括").is_empty());
}

#[test]
fn local_governments_after_an_explicit_lead_implement() {
    let (l, p, i) = roles("省发展改革委、财政厅牵头;省林业厅,各州、市人民政府配合");
    assert_eq!(l, ["省发展改革委", "财政厅"]);
    assert_eq!(p, ["省林业厅"]);
    assert_eq!(i, ["各州、市人民政府"]);
}

#[test]
fn an_etc_closes_the_list_before_and() {
    // `A、B等和各省级人民政府负责`: 等 ends the departments, 和 joins the
    // local governments, who implement.
    let (l, p, i) = roles("商务部、农业农村部等和各有关省级人民政府负责");
    assert_eq!(l, ["商务部", "农业农村部"]);
    assert!(p.is_empty());
    assert_eq!(i, ["各有关省级人民政府"]);
}

#[test]
fn each_leading_is_written_as_leads() {
    // `分别牵头` names every body as a lead (an explicit 牵头), with or
    // without a label before it.
    let c = parse_clause("责任单位:市人力社保局、市农业农村局分别牵头").unwrap();
    assert_eq!(c.leads, ["市人力社保局", "市农业农村局"]);
    assert!(c.explicit_lead);
    let c = parse_clause("市发改委、市财政局分别牵头负责").unwrap();
    assert_eq!(c.leads, ["市发改委", "市财政局"]);
    assert!(c.explicit_lead);
}

#[test]
fn a_rule_in_brackets_after_the_last_name_is_no_part_of_it() {
    let c = parse_clause(
        "责任单位:市发改委、市经信局、市卫生健康委(除标注“分别牵头”外,列第一位为牵头或汇总单位,下同)",
    )
    .unwrap();
    assert!(c.first_listed_rule);
    let all: Vec<String> = c.leads.iter().chain(&c.participants).cloned().collect();
    assert_eq!(all, ["市发改委", "市经信局", "市卫生健康委"]);
    // `下同` belongs to the rule: no standing implementers
    assert!(c.standing_implementers.is_empty());
}

#[test]
fn division_labels_mark_internal_units() {
    let c = parse_clause("责任科室:组干科、机关党委").unwrap();
    assert_eq!(c.internal_units, ["组干科", "机关党委"]);
    assert_eq!(c.leads, ["组干科", "机关党委"]);
    let c = parse_clause("牵头处室:规划处;配合处室:财务处、办公室").unwrap();
    assert_eq!(c.internal_units, ["规划处", "财务处", "办公室"]);
    assert_eq!(c.leads, ["规划处"]);
    assert_eq!(c.participants, ["财务处", "办公室"]);
    assert!(
        parse_clause("责任单位:市财政局")
            .unwrap()
            .internal_units
            .is_empty()
    );
    // only the names under the division label are divisions
    let c = parse_clause("责任科室:基础教育科;配合单位:团市委、财政局").unwrap();
    assert_eq!(c.internal_units, ["基础教育科"]);
}

#[test]
fn guidance_leads_only_where_no_lead_is_named() {
    let c = parse_clause("生态环境部、住房城乡建设部指导").unwrap();
    assert_eq!(c.leads, ["生态环境部", "住房城乡建设部"]);
    let c = parse_clause("市农业农村局牵头,市财政局配合,省农业农村厅指导").unwrap();
    assert_eq!(c.leads, ["市农业农村局"]);
    assert_eq!(c.participants, ["市财政局"]);
    let c = parse_clause("商务部会同有关部门加强指导").unwrap();
    assert!(
        c.leads
            .iter()
            .chain(&c.participants)
            .all(|n| !n.contains("加强"))
    );
}

#[test]
fn a_bare_body_word_after_and_shares_the_place_before_it() {
    let (l, _, i) =
        roles("牵头单位:市水利局;责任单位:各县(市、区)党委和人民政府,高新区党工委和管委会");
    assert_eq!(l, ["市水利局"]);
    assert_eq!(i, ["各县(市、区)党委和人民政府", "高新区党工委和管委会"]);
    // two bodies with places of their own are two
    let (l, _, _) = roles("市发展改革委和市财政局负责");
    assert_eq!(l, ["市发展改革委", "市财政局"]);
}

#[test]
fn places_and_their_governments_are_local_governments() {
    for g in [
        "杭州市政府",
        "杭州市",
        "某某县政府",
        "相关乡镇办",
        "各乡镇街道",
    ] {
        assert!(is_local_government_group(g), "{g}");
    }
    for n in ["城市", "超市", "市政府办公室", "省政府"] {
        assert!(!is_local_government_group(n), "{n}");
    }
}

#[test]
fn a_zones_committee_is_a_local_government_at_any_level() {
    assert!(is_local_government_group("省沈抚示范区管委会"));
    assert!(is_local_government_group("市高新区管委会"));
    assert!(!is_local_government_group("省发展改革委"));
}

#[test]
fn header_cells_in_traditional_characters() {
    use crate::sheet::{Col, classify_header};
    assert_eq!(classify_header("責任單位"), Some(Col::Lead));
    assert_eq!(classify_header("項目名稱"), Some(Col::Task));
    assert_eq!(classify_header("建設時間"), Some(Col::Deadline));
    assert_eq!(classify_header("2022年预期目标"), Some(Col::Target));
}
