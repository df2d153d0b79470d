use super::*;

fn names(items: &[&str]) -> Vec<String> {
    let r = Registry::empty();
    let region = Region {
        province: Some("浙江省".into()),
        city: None,
        county: None,
    };
    let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    resolve_list(&items, &region, &r)
        .into_iter()
        .map(|x| x.agency.name)
        .collect()
}

#[test]
fn the_youth_league_committee_takes_its_place_inside() {
    let region = Region {
        province: None,
        city: Some("广州市".into()),
        county: None,
    };
    assert_eq!(region.qualify("团市委"), "团广州市委");
}

#[test]
fn the_level_prefix_carries_only_onto_that_levels_departments() {
    assert_eq!(
        names(&["省科技厅", "工业和信息化厅"]),
        ["浙江省科技厅", "浙江省工业和信息化厅"]
    );
    // a name with its own place, a province's short name, an institution
    assert_eq!(
        names(&[
            "省发展改革委",
            "杭州市政府",
            "广东金融监管局",
            "之江实验室",
            "农业发展银行云南省分行"
        ]),
        [
            "浙江省发展改革委",
            "杭州市政府",
            "广东金融监管局",
            "之江实验室",
            "农业发展银行云南省分行"
        ]
    );
    // never carried from a word that merely starts with the level; a bare
    // department of a local plan is that place's
    assert_eq!(
        names(&["市场监管总局", "财政厅"]),
        ["市场监管总局", "浙江省财政厅"]
    );
}
