use super::*;

fn reg() -> Registry {
    Registry::from_json(
        r#"[
        {"name":"济宁市发展和改革委员会","short_name":"市发展改革委","aliases":["济宁市发展改革委","济宁市发展和改革局"],"level":"city","kind":"department","parent":"济宁市人民政府"},
        {"name":"济宁市住房和城乡建设局","short_name":"市住房城乡建设局","aliases":[],"level":"city","kind":"department","parent":"济宁市人民政府"},
        {"name":"济宁市人民政府","short_name":"市政府","aliases":[],"level":"city","kind":"local_government","parent":"山东省人民政府"},
        {"name":"山东省科学技术厅","short_name":"省科技厅","aliases":[],"level":"province","kind":"department","parent":null},
        {"name":"山东省工业和信息化厅","short_name":"省工业和信息化厅","aliases":[],"level":"province","kind":"department","parent":null},
        {"name":"浙江省发展和改革委员会","short_name":"省发展改革委","aliases":[],"level":"province","kind":"department","parent":null}
    ]"#,
    )
    .unwrap()
}

fn jining(r: &Registry) -> Region {
    Region {
        city: Some("济宁市".into()),
        province: r.province_of("济宁市"),
        county: None,
    }
}

#[test]
fn aliases_and_folds_resolve_to_one_record() {
    let r = reg();
    let region = jining(&r);
    for raw in ["市发展改革委", "市发展和改革委员会", "市发展和改革局"] {
        let got = resolve_one(raw, None, &region, &r).unwrap();
        assert_eq!(got.agency.name, "济宁市发展和改革委员会", "{raw}");
        assert!(got.agency.confirmed);
    }
    let got = resolve_one("市住房城乡建设局", None, &region, &r).unwrap();
    assert_eq!(got.agency.name, "济宁市住房和城乡建设局");
}

#[test]
fn common_abbreviations_fold() {
    let r = reg();
    let region = jining(&r);
    for (raw, want) in [
        ("市发改委", "济宁市发展和改革委员会"),
        ("市住建局", "济宁市住房和城乡建设局"),
        ("省工信厅", "山东省工业和信息化厅"),
    ] {
        let got = resolve_one(raw, None, &region, &r).unwrap();
        assert_eq!(got.agency.name, want, "{raw}");
        assert!(got.agency.confirmed, "{raw}");
    }
}

#[test]
fn city_words_are_no_place_qualifier() {
    let r = reg();
    let region = jining(&r);
    let items: Vec<String> = ["市发展改革委", "城市管理局", "市场监管局"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let got = resolve_list(&items, &region, &r);
    let names: Vec<_> = got.iter().map(|g| g.agency.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "济宁市发展和改革委员会",
            "济宁市城市管理局",
            "济宁市市场监管局"
        ]
    );
}

#[test]
fn province_comes_from_registry_parent() {
    let r = reg();
    assert_eq!(r.province_of("济宁市").as_deref(), Some("山东省"));
    assert_eq!(r.province_of("南京市"), None);
}

#[test]
fn level_prefix_carries_within_a_list() {
    let r = reg();
    let region = jining(&r);
    let items = vec!["省科技厅".to_string(), "工业和信息化厅".to_string()];
    let got = resolve_list(&items, &region, &r);
    let names: Vec<_> = got.iter().map(|g| g.agency.name.as_str()).collect();
    assert_eq!(names, ["山东省科学技术厅", "山东省工业和信息化厅"]);
}

#[test]
fn unknown_names_are_kept_unconfirmed_and_qualified() {
    let r = reg();
    let region = jining(&r);
    let got = resolve_one("市气象局", None, &region, &r).unwrap();
    assert_eq!(got.agency.name, "济宁市气象局");
    assert!(!got.agency.confirmed);
    let unknown_region = Region {
        city: Some("南京市".into()),
        ..Region::default()
    };
    let got = resolve_one("市发展改革委", None, &unknown_region, &r).unwrap();
    assert_eq!(got.agency.name, "南京市发展改革委");
    assert!(!got.agency.confirmed);
}

#[test]
fn parenthetical_alias_and_notes() {
    let r = reg();
    let zj = Region {
        province: Some("浙江省".into()),
        ..Region::default()
    };
    let got = resolve_one("省发展改革委(省能源局)", None, &zj, &r).unwrap();
    assert_eq!(got.agency.name, "浙江省发展和改革委员会");
    let got = resolve_one("省统计局(负责区域碳排放核算)", None, &zj, &r).unwrap();
    assert_eq!(got.agency.name, "浙江省统计局");
    assert!(!got.agency.confirmed);
}

#[test]
fn groups_are_kept_as_groups() {
    let r = reg();
    let region = jining(&r);
    let items: Vec<String> = ["各有关部门", "单位"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let got = resolve_list(&items, &region, &r);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|g| g.is_group));
    assert_eq!(got[1].agency.name, "各有关单位");
    let items: Vec<String> = ["各县市区政府", "管委会"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let got = resolve_list(&items, &region, &r);
    assert_eq!(got[1].agency.name, "各管委会");
    assert!(is_group("市“无废城市”建设试点工作领导小组各成员单位"));
    assert!(!is_group("市生态环境局"));
}

#[test]
fn run_together_names_are_segmented() {
    let r = reg();
    let region = jining(&r);
    let items = vec!["市发展改革委市住房城乡建设局".to_string()];
    let got = resolve_list(&items, &region, &r);
    let names: Vec<_> = got.iter().map(|g| g.agency.name.as_str()).collect();
    assert_eq!(names, ["济宁市发展和改革委员会", "济宁市住房和城乡建设局"]);
    // unknown parts: no split, one unconfirmed name
    let items = vec!["市发展改革委市气象台站".to_string()];
    assert_eq!(resolve_list(&items, &region, &r).len(), 1);
}

#[test]
fn trailing_etc_is_stripped() {
    assert_eq!(clean_item("市气象局等"), "市气象局");
    assert_eq!(clean_item("市商务局等单位"), "市商务局");
    assert_eq!(clean_item("省经信厅等省级相关部门"), "省经信厅");
}

#[test]
fn bad_json_is_an_error() {
    assert_eq!(Registry::from_json("{").unwrap_err().code(), "BAD_REGISTRY");
}
