use super::{is_division_name, reads_as_body};

#[test]
fn only_names_of_bodies_are_agencies() {
    for ok in [
        "杭州市发展改革委",
        "之江实验室",
        "国网浙江省电力有限公司",
        "立山经济开发区",
        "各区",
        "越秀区",
        "全区经济运行各专班",
        "人民银行杭州中心支行",
    ] {
        assert!(reads_as_body(ok), "{ok}");
    }
    for no in [
        "列第一位者为牵头单位",
        "牵头单位",
        "确保任务落实",
        "下同",
        "2025年底前",
        "有关",
    ] {
        assert!(!reads_as_body(no), "{no}");
    }
}

#[test]
fn divisions_read_as_bodies_and_subjects_do_not() {
    for n in ["组干科", "综合股", "规划处", "基础教育科", "人事处室"] {
        assert!(is_division_name(n), "{n}");
        assert!(reads_as_body(n), "{n}");
    }
    for n in ["重点学科", "本科", "普通本科", "国有控股", "难处"] {
        assert!(!is_division_name(n), "{n}");
    }
    assert!(reads_as_body("共青团中央"));
}

#[test]
fn names_run_together_are_cut_where_one_ends() {
    use super::split_by_endings;
    assert_eq!(
        split_by_endings("晋陵公司轨道公司").unwrap(),
        ["晋陵公司", "轨道公司"]
    );
    assert_eq!(
        split_by_endings("五星街道南大街街道荷花池街道").unwrap(),
        ["五星街道", "南大街街道", "荷花池街道"]
    );
    assert_eq!(
        split_by_endings("高新园(邹区镇)各街道").unwrap(),
        ["高新园(邹区镇)", "各街道"]
    );
    // one name, not two
    for one in [
        "五星街道办事处",
        "城投集团公司",
        "国网公司党委",
        "交通集团分公司",
    ] {
        assert!(split_by_endings(one).is_none(), "{one}");
    }
}
