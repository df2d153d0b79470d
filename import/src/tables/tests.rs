use super::*;

fn reg() -> Registry {
    let names = [
        "浙江省生态环境厅",
        "浙江省经济和信息化厅",
        "浙江省交通运输厅",
        "浙江省发展和改革委员会",
        "浙江省能源局",
        "浙江省住房和城乡建设厅",
    ];
    let mut entries: Vec<crate::RegistryEntry> = names
        .iter()
        .map(|n| crate::RegistryEntry {
            name: n.to_string(),
            short_name: None,
            aliases: vec![],
            level: "province".into(),
            kind: "department".into(),
            parent: None,
        })
        .collect();
    entries[1].aliases.push("浙江省经信厅".into());
    entries[3].aliases.push("浙江省发展改革委".into());
    entries[5].aliases.push("浙江省建设厅".into());
    Registry::from_entries(entries)
}

fn zj() -> Region {
    Region {
        province: Some("浙江省".into()),
        ..Region::default()
    }
}

fn rows(lists: &[TaskList]) -> Vec<&ListRow> {
    lists
        .iter()
        .flat_map(|l| l.items.iter())
        .filter_map(|i| match i {
            ListItem::Row(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn splits_run_together_columns() {
    let text = "一、目标清单序号指标目标牵头单位参与单位1主要污染物总量减排完成控制目标。省生态环境厅省经信厅、省交通运输厅2风光装机实现倍增。省发展改革委、省能源局3打造60个标杆项目。省生态环境厅、省发展改革委(省能源局)按职责分工负责省建设厅4编制清单(完成期限为2023年)。待国家分工明确后确定省经信厅注:上表中未注明的,完成时限均为2025年。";
    let lists = find_flat_lists(text, &zj(), &reg());
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].kind, ListKind::Target);
    assert_eq!(
        lists[0].default_deadline.unwrap().date.to_string(),
        "2025-12-31"
    );
    let r = rows(&lists);
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].leads, ["省生态环境厅"]);
    assert_eq!(r[0].participants, ["省经信厅", "省交通运输厅"]);
    assert_eq!(r[1].leads, ["省发展改革委", "省能源局"]);
    assert!(r[1].participants.is_empty());
    assert_eq!(r[2].leads, ["省生态环境厅", "省发展改革委(省能源局)"]);
    assert_eq!(r[2].participants, ["省建设厅"]);
    assert!(r[3].lead_undecided);
    assert_eq!(r[3].participants, ["省经信厅"]);
    assert_eq!(r[3].text, "编制清单(完成期限为2023年)。");
}

#[test]
fn page_break_inside_a_row() {
    let text = "二、任务清单序号工作任务牵头单位参与单位一、加强源头防控(一)强化管控1统筹考虑要求,完善能源基础省发展改革委(省能源局)省经信厅—19—序号工作任务牵头单位参与单位设施建设。二、推进协同控制(二)推进发展2聚焦行业开展协同。省生态环境厅省经信厅".to_string()
    .replace("—19—", &PAGE_MARK.to_string());
    let lists = find_flat_lists(&text, &zj(), &reg());
    assert_eq!(lists.len(), 1);
    let items = &lists[0].items;
    assert!(
        matches!(&items[0], ListItem::Heading { level: 1, title, .. } if title == "加强源头防控")
    );
    assert!(matches!(&items[1], ListItem::Heading { level: 2, title, .. } if title == "强化管控"));
    let r = rows(&lists);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].text, "统筹考虑要求,完善能源基础设施建设。");
    assert_eq!(r[0].leads, ["省发展改革委(省能源局)"]);
    assert_eq!(r[0].participants, ["省经信厅"]);
    assert_eq!(r[1].leads, ["省生态环境厅"]);
}

#[test]
fn table_pasted_one_row_per_line() {
    let text = "二、任务清单\n序号 工作任务 牵头单位 配合单位 完成时限\n一、加强源头防控\n1 推进能源基础设施建设。 省发展改革委 省经信厅 2025年底前\n2 完善交通运输结构，\n推动公转铁。 省交通运输厅 省生态环境厅、省建设厅 2024年6月底前\n二、推进协同控制\n3 开展减污降碳协同创新。 省生态环境厅 省经信厅 长期坚持\n注：表中未注明时限的，均于2025年底前完成。\n三、保障措施\n(一)加强组织领导。";
    let lists = find_flat_lists(text, &zj(), &reg());
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].kind, ListKind::Task);
    assert_eq!(
        lists[0].default_deadline.unwrap().date.to_string(),
        "2025-12-31"
    );
    // The list stops at the footnote: the body chapter stays outside.
    assert!(text[lists[0].range.end..].contains("三、保障措施"));
    let headings = lists[0]
        .items
        .iter()
        .filter(|i| matches!(i, ListItem::Heading { .. }))
        .count();
    assert_eq!(headings, 2);
    let r = rows(&lists);
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].text, "推进能源基础设施建设。");
    assert_eq!(r[0].leads, ["省发展改革委"]);
    assert_eq!(r[0].participants, ["省经信厅"]);
    assert_eq!(r[0].deadline_cell.as_deref(), Some("2025年底前"));
    assert_eq!(
        r[1].text,
        "完善交通运输结构,推动公转铁。".replace(',', "，")
    );
    assert_eq!(r[1].participants, ["省生态环境厅", "省建设厅"]);
    assert_eq!(r[1].deadline_cell.as_deref(), Some("2024年6月底前"));
    assert_eq!(r[2].deadline_cell.as_deref(), Some("长期坚持"));
}

#[test]
fn text_no_row_takes_is_reported() {
    let text = "序号 工作任务 牵头单位\n1 推进A。 省发展改革委\n2 推进B。 省经信厅\n另有若干事项待定,请各地结合实际研究。";
    let lists = find_flat_lists(text, &zj(), &reg());
    assert_eq!(rows(&lists).len(), 2);
    // The trailing sentence is no row: it is kept in the last row or
    // reported, never lost silently.
    let last = rows(&lists)[1].text.clone();
    assert!(
        last.contains("另有若干事项") || lists[0].dropped.is_some(),
        "{lists:?}"
    );
}

#[test]
fn pasted_list_ends_at_a_body_chapter() {
    let text = "序号 工作任务 牵头单位\n1 推进A。 省发展改革委\n2 推进B。 省经信厅\n三、保障措施\n(一)加强组织领导。";
    let lists = find_flat_lists(text, &zj(), &reg());
    assert_eq!(rows(&lists).len(), 2);
    assert!(text[lists[0].range.end..].starts_with("三、保障措施"));
}

#[test]
fn row_numbers_glued_to_values() {
    let text = "序号指标目标牵头单位参与单位1降低20个百分点、10个百分点。省生态环境厅、省经信厅260%的开发区建成清新园区。省生态环境厅";
    let lists = find_flat_lists(text, &zj(), &reg());
    let r = rows(&lists);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].text, "降低20个百分点、10个百分点。");
    assert!(r.iter().any(|row| row.text.starts_with("60%的开发区")));
}
