//! Plan assembly read end to end through [`crate::parse_text`].

#[cfg(test)]
mod reading {

    #[test]
    fn plan_year_ignores_a_span_in_the_title() {
        let issued = chrono::NaiveDate::from_ymd_opt(2022, 3, 1);
        assert_eq!(
            crate::plan::years::plan_year("某市2024年节能降碳工作要点", issued),
            Some(2024)
        );
        assert_eq!(
            crate::plan::years::plan_year("某市碳达峰实施方案（2021—2030年）", issued),
            Some(2022)
        );
        assert_eq!(
            crate::plan::years::plan_year("某市行动计划(2021-2025年)", issued),
            Some(2022)
        );
        assert_eq!(crate::plan::years::plan_year("某市行动计划", None), None);
    }

    use crate::{Registry, RegistryEntry, TaskKind, parse_text};

    fn reg() -> Registry {
        let e = |name: &str, aliases: &[&str]| RegistryEntry {
            name: name.into(),
            short_name: None,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            level: "city".into(),
            kind: "department".into(),
            parent: Some("抚顺市人民政府".into()),
        };
        Registry::from_entries(vec![
            e("抚顺市发展和改革委员会", &["抚顺市发展改革委"]),
            e("抚顺市生态环境局", &[]),
            e("抚顺市财政局", &[]),
        ])
    }

    #[test]
    fn plain_sentence_standing_rule_applies_to_later_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n以下各项任务均需各县(市、区)政府落实,不再一一列出。\n(一)推进能源转型。内容很具体。(市发展改革委牵头负责)\n(二)加大资金支持。内容很具体。(市财政局负责)",
            &reg(),
        );
        let kinds: Vec<TaskKind> = plan.tasks.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TaskKind::Heading, TaskKind::Task, TaskKind::Task]);
        for t in &plan.tasks[1..] {
            assert_eq!(t.groups, ["各县(市、区)政府"], "{t:?}");
        }
        assert!(!plan.tasks[0].body.contains("不再"));
    }

    #[test]
    fn yearless_dates_use_the_title_year() {
        let plan = parse_text(
            "抚顺市2024年节能工作要点\n一、重点任务\n(一)推进能源转型。6月底前完成方案。(市发展改革委牵头负责)\n(二)加大资金支持。巩固“十三五”成果。(市财政局负责)",
            &reg(),
        );
        let t = plan.tasks.iter().find(|t| t.code == "一(一)").unwrap();
        assert_eq!(t.deadline.unwrap().date.to_string(), "2024-06-30");
        let t = plan.tasks.iter().find(|t| t.code == "一(二)").unwrap();
        assert!(t.deadline.is_none(), "{t:?}");
    }

    #[test]
    fn items_inherit_their_sections_clause() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)推进能源转型。(市发展改革委牵头,市财政局配合)\n1.发展光伏发电项目。建设一批分布式光伏。\n2.发展风电项目。建设一批集中式风电。\n(二)加大资金支持。\n1.设立专项资金支持。(市财政局负责)\n2.完善补贴政策制度。修订补贴办法。\n二、实施步骤\n(一)动员部署阶段。2024年3月前完成动员部署。",
            &reg(),
        );
        let t = |c: &str| plan.tasks.iter().find(|t| t.code == c).unwrap();
        for c in ["一(一)1", "一(一)2"] {
            assert_eq!(t(c).kind, TaskKind::Task);
            assert_eq!(t(c).leads[0].name, "抚顺市发展和改革委员会", "{c}");
            assert_eq!(t(c).participants[0].name, "抚顺市财政局", "{c}");
            assert!(!t(c).warnings.iter().any(|w| w.code == "NO_LEAD"));
        }
        // Without a clause on the section, nothing is inherited.
        assert!(t("一(二)2").leads.is_empty());
        // 实施步骤 is context.
        assert_eq!(t("二(一)").kind, TaskKind::Heading);
    }

    #[test]
    fn text_cut_at_an_attachment_mark_is_reported() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)推进能源转型。内容很具体。(市发展改革委牵头负责)\n(二)加大资金支持。内容很具体。(市财政局负责)\n(三)加强统计。内容很具体。(市财政局负责)\n附件\n重点项目表\n1.建设储能电站。(市发展改革委负责)",
            &reg(),
        );
        assert!(plan.warnings.iter().any(|w| w.code == "TEXT_DROPPED"));
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)推进能源转型。内容很具体。(市发展改革委牵头负责)\n(二)加大资金支持。内容很具体。(市财政局负责)\n(三)加强统计。内容很具体。(市财政局负责)\n附件\n领导小组成员名单",
            &reg(),
        );
        assert!(!plan.warnings.iter().any(|w| w.code == "TEXT_DROPPED"));
    }

    #[test]
    fn pasted_task_table_rows_become_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、总体要求\n坚持系统观念。\n附件\n任务清单\n序号 工作任务 牵头单位 配合单位 完成时限\n1 推进能源转型。 市发展改革委 市财政局 2025年底前\n2 加大资金支持。 市财政局 市生态环境局 2024年6月底前\n注：表中未注明时限的，均于2025年底前完成。",
            &reg(),
        );
        let tasks: Vec<_> = plan
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Task)
            .collect();
        assert_eq!(tasks.len(), 2, "{:#?}", plan.tasks);
        assert_eq!(tasks[0].leads[0].name, "抚顺市发展和改革委员会");
        assert_eq!(tasks[1].participants[0].name, "抚顺市生态环境局");
        assert_eq!(tasks[1].deadline.unwrap().date.to_string(), "2024-06-30");
    }

    #[test]
    fn context_chapters_are_headings_and_work_is_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、总体要求\n(一)指导思想\n坚持系统观念。\n二、重点任务\n(一)推进能源转型。内容。(市发展改革委牵头负责)\n(二)无分工的任务。内容很具体。\n三、保障措施\n(一)加强组织领导。各部门要加强领导。\n(二)加大资金支持。(市财政局负责)",
            &reg(),
        );
        let kinds: Vec<(&str, TaskKind)> = plan
            .tasks
            .iter()
            .map(|t| (t.code.as_str(), t.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("一", TaskKind::Heading),
                ("一(一)", TaskKind::Heading),
                ("二", TaskKind::Heading),
                ("二(一)", TaskKind::Task),
                ("二(二)", TaskKind::Task),
                ("三", TaskKind::Heading),
                ("三(一)", TaskKind::Heading),
                ("三(二)", TaskKind::Task),
            ]
        );
        assert!(plan.tasks[4].warnings.iter().any(|w| w.code == "NO_LEAD"));
        assert_eq!(plan.tasks[3].parent, Some(2));
    }

    #[test]
    fn standing_rule_applies_to_later_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n1.任务甲。内容。(市发展改革委、各县区政府等按职责分工负责。以下均需各县区政府、各开发区管委会落实,不再列出)\n2.任务乙。内容。(市生态环境局负责)\n3.任务丙。内容。(市财政局牵头,各县区政府配合)",
            &reg(),
        );
        let t1 = &plan.tasks[1];
        // local governments named after the departments implement
        let imp: Vec<_> = t1.implementers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(imp, ["各县区政府", "各开发区管委会"]);
        let t2 = &plan.tasks[2];
        let imp: Vec<_> = t2.implementers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(imp, ["各县区政府", "各开发区管委会"]);
        assert_eq!(t2.groups, ["各县区政府", "各开发区管委会"]);
        let t3 = &plan.tasks[3];
        // local governments after an explicit lead implement; the standing
        // rule does not repeat them
        assert!(t3.participants.is_empty());
        let imp: Vec<_> = t3.implementers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(imp, ["各县区政府", "各开发区管委会"]);
    }

    #[test]
    fn undecided_lead_and_unknown_agency_warnings() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)任务甲。内容。(待国家分工明确后确定)\n(二)任务乙。内容。(市气象局负责)",
            &reg(),
        );
        assert!(plan.tasks[1].lead_undecided);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.code == "LEAD_UNDECIDED" && w.task_code.as_deref() == Some("一(一)"))
        );
        let a = &plan.tasks[2].leads[0];
        assert_eq!(a.name, "抚顺市气象局");
        assert_eq!(a.raw, "市气象局");
        assert!(!a.confirmed);
        assert_eq!(plan.unconfirmed_agencies, ["抚顺市气象局"]);
        assert!(plan.warnings.iter().any(|w| w.code == "UNKNOWN_AGENCY"));
    }

    #[test]
    fn unknown_region_qualifies_names() {
        let plan = parse_text(
            "南京市碳达峰实施方案\n一、重点任务\n(一)任务甲。内容。(市发展改革委、市生态环境局按职责分工负责)",
            &reg(),
        );
        assert_eq!(plan.region.as_deref(), Some("南京市"));
        let names: Vec<_> = plan.tasks[1]
            .leads
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["南京市发展改革委", "南京市生态环境局"]);
        assert!(plan.tasks[1].leads.iter().all(|a| !a.confirmed));
    }

    #[test]
    fn labelled_responsibility_lines() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)任务甲。内容。\n牵头单位:市发展改革委\n配合单位:市财政局\n完成时限:2024年6月底前",
            &reg(),
        );
        let t = &plan.tasks[1];
        assert_eq!(t.leads[0].name, "抚顺市发展和改革委员会");
        assert_eq!(t.participants[0].name, "抚顺市财政局");
        assert_eq!(t.deadline.unwrap().date.to_string(), "2024-06-30");
        assert!(!t.body.contains("牵头单位"));
    }

    #[test]
    fn labelled_lead_and_responsible_lines_read_together() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)任务甲。内容到2025年\n完成。\n牵头单位:市发展改革委\n责任单位:市财政局、市统计局\n(完成时限:2024年6月底前)\n(二)任务乙。内容。\n责任单位:市财政局、市统计局",
            &reg(),
        );
        let t = &plan.tasks[1];
        assert_eq!(t.leads.len(), 1);
        assert_eq!(t.participants.len(), 2);
        assert_eq!(t.deadline.unwrap().date.to_string(), "2024-06-30");
        assert!(t.body.contains("内容到2025年完成"), "{}", t.body);
        // 责任单位 alone: co-leads.
        assert_eq!(plan.tasks[2].leads.len(), 2);
        assert!(plan.tasks[2].participants.is_empty());
    }

    #[test]
    fn targets_from_goal_chapter() {
        let plan = parse_text(
            "济宁市测试方案\n一、主要目标\n到2025年,非化石能源消费比重提高至13%左右。到2030年,单位地区生产总值二氧化碳排放比2005年下降68%以上。\n二、重点任务\n(一)任务。内容。(市发展改革委负责)",
            &Registry::empty(),
        );
        assert_eq!(plan.targets.len(), 2);
        assert_eq!(plan.targets[0].target_year, Some(2025));
        assert_eq!(plan.targets[1].baseline.as_deref(), Some("2005"));
        assert_eq!(plan.targets[0].task_index, Some(0));
    }
}

#[cfg(test)]
mod standing_role_tests {
    use crate::{Registry, parse_text};

    fn roles(plan: &crate::ParsedPlan, code: &str) -> (Vec<String>, Vec<String>) {
        let t = plan
            .tasks
            .iter()
            .find(|t| t.code == code)
            .unwrap_or_else(|| panic!("{code}"));
        (
            t.leads.iter().map(|a| a.name.clone()).collect(),
            t.participants.iter().map(|a| a.name.clone()).collect(),
        )
    }

    #[test]
    fn a_clause_rule_applies_from_its_task_on() {
        let plan = parse_text(
            "国务院关于某项工作的意见\n一、重点任务\n(一)甲工作。内容。(国家发展改革委、财政部负责)\n(二)乙工作。内容。(国家发展改革委、财政部、商务部等按职责分工负责。列第一位者为牵头单位,下同)\n(三)丙工作。内容。(商务部、财政部按职责分工负责)\n(四)丁工作。内容。(财政部、商务部牵头,人民银行参与)",
            &Registry::empty(),
        );
        // before the rule: co-leads
        assert_eq!(roles(&plan, "一(一)").0, ["国家发展改革委", "财政部"]);
        assert_eq!(
            roles(&plan, "一(二)"),
            (
                vec!["国家发展改革委".into()],
                vec!["财政部".into(), "商务部".into()]
            )
        );
        assert_eq!(
            roles(&plan, "一(三)"),
            (vec!["商务部".into()], vec!["财政部".into()])
        );
        // an explicit 牵头 overrides the rule
        assert_eq!(roles(&plan, "一(四)").0, ["财政部", "商务部"]);
        let c = plan
            .conventions
            .iter()
            .find(|c| c.code == "FIRST_LISTED_LEAD")
            .unwrap();
        assert_eq!(c.from.as_deref(), Some("一(二)"));
        assert!(c.description.contains("一(二)"));
        // the rule sentence is no agency
        assert!(plan.tasks.iter().all(|t| {
            t.leads
                .iter()
                .chain(&t.participants)
                .all(|a| !a.name.contains("第一位"))
        }));
    }

    #[test]
    fn a_preamble_rule_applies_to_the_whole_document() {
        let plan = parse_text(
            "国务院办公厅关于某项工作的通知\n各部门按照分工落实。排在第一位的部门为牵头部门。\n一、重点任务\n(一)甲工作。内容。(国家发展改革委、财政部负责)",
            &Registry::empty(),
        );
        assert_eq!(
            roles(&plan, "一(一)"),
            (vec!["国家发展改革委".into()], vec!["财政部".into()])
        );
        let c = plan
            .conventions
            .iter()
            .find(|c| c.code == "FIRST_LISTED_LEAD")
            .unwrap();
        assert!(c.from.is_none());
        assert!(
            plan.to_cli_json()["conventions"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
    }
}

#[cfg(test)]
mod duty_tests {
    use crate::{Registry, TaskKind, parse_text};

    fn task<'a>(plan: &'a crate::ParsedPlan, code: &str) -> &'a crate::ParsedTask {
        plan.tasks
            .iter()
            .find(|t| t.code == code)
            .unwrap_or_else(|| {
                panic!(
                    "{code}: {:?}",
                    plan.tasks.iter().map(|t| &t.code).collect::<Vec<_>>()
                )
            })
    }
    fn names(v: &[crate::AgencyRef]) -> Vec<String> {
        v.iter().map(|a| a.name.clone()).collect()
    }

    #[test]
    fn a_paragraph_of_several_clauses_is_one_task_per_clause() {
        let plan = parse_text(
            "国务院办公厅关于某项工作的意见\n一、重点任务\n(一)强化顶层设计。建立甲体系,发挥引领作用。(生态环境部牵头,财政部参与)完善乙制度。(商务部、科技部负责)\n(二)丙工作。推进丙。(财政部负责)",
            &Registry::empty(),
        );
        assert_eq!(task(&plan, "一(一)").kind, TaskKind::Heading);
        let first = task(&plan, "一(一)1");
        assert!(first.title.starts_with("建立甲体系"), "{}", first.title);
        assert_eq!(names(&first.leads), ["生态环境部"]);
        assert_eq!(names(&first.participants), ["财政部"]);
        let second = task(&plan, "一(一)2");
        assert!(second.title.starts_with("完善乙制度"));
        assert_eq!(names(&second.leads), ["商务部", "科技部"]);
        // one clause: the section is the task
        assert_eq!(task(&plan, "一(二)").kind, TaskKind::Task);
        assert!(plan.conventions.iter().any(|c| c.code == "SEVERAL_DUTIES"));
        // every line is accounted for
        assert!(unread(&plan).is_empty(), "{:?}", unread(&plan));
        // brackets with only punctuation between them are one clause
        let plan = parse_text(
            "某某市测试方案\n一、重点任务\n(一)甲工作。完成甲。(牵头单位:市财政局)(配合单位:市商务局、市科技局)",
            &Registry::empty(),
        );
        let t = task(&plan, "一(一)");
        assert_eq!(t.kind, TaskKind::Task);
        assert_eq!(t.leads.len(), 1);
        assert_eq!(t.participants.len(), 2);
    }

    fn unread(plan: &crate::ParsedPlan) -> Vec<&str> {
        plan.context
            .iter()
            .filter(|c| c.kind == "unread")
            .map(|c| c.text.as_str())
            .collect()
    }

    #[test]
    fn a_departments_joint_title_has_no_owner() {
        let plan = parse_text(
            "省教育厅省财政厅关于2024年工作要点\n一、重点任务\n1.甲工作。推进甲。(责任处室:规划处)",
            &Registry::empty(),
        );
        let t = task(&plan, "一1");
        assert!(
            t.leads.iter().all(|a| !a.name.contains("财政厅规划处")),
            "{:?}",
            t.leads
        );
    }

    #[test]
    fn guiding_bodies_answer_for_the_measure() {
        let plan = parse_text(
            "国务院办公厅关于某项工作的意见\n一、重点任务\n(一)甲工作。推进甲。(生态环境部、住房城乡建设部指导)\n(二)乙工作。推进乙。(工业和信息化部指导,商务部参与)",
            &Registry::empty(),
        );
        assert_eq!(
            names(&task(&plan, "一(一)").leads),
            ["生态环境部", "住房城乡建设部"]
        );
        let t = task(&plan, "一(二)");
        assert_eq!(names(&t.leads), ["工业和信息化部"]);
        assert_eq!(names(&t.participants), ["商务部"]);
    }

    #[test]
    fn closing_words_after_the_last_item_are_not_its_text() {
        let plan = parse_text(
            "国务院办公厅关于某项工作的通知\n一、甲工作。推进甲。(财政部负责)\n二、乙工作。推进乙。(商务部负责)\n做好这项工作具有重要意义。\n各有关部门制定的实施办法,于2018年12月31日前报送国务院办公厅。",
            &Registry::empty(),
        );
        let last = task(&plan, "二");
        assert_eq!(last.deadline, None);
        assert!(!last.body.contains("实施办法"));
        assert!(
            plan.context
                .iter()
                .any(|c| c.kind == "closing" && c.text.contains("2018年12月31日"))
        );
        // an item whose paragraph goes on after its clause keeps its text
        let plan = parse_text(
            "国务院办公厅关于某项工作的通知\n一、甲工作。推进甲。(财政部负责)\n二、乙工作。推进乙。(商务部负责),并做好丙项目。\n丙项目2019年底前完成。",
            &Registry::empty(),
        );
        assert!(plan.context.iter().all(|c| c.kind != "closing"));
        // a clause after the title alone heads the item's paragraphs
        let plan = parse_text(
            "某某市测试方案\n一、重点任务\n(一)甲工作。推进甲。(市财政局负责)\n(二)强化督查考核(市督查室牵头,各部门配合)\n将重点工作纳入年度考核,2024年12月底前完成考核。",
            &Registry::empty(),
        );
        assert!(plan.context.iter().all(|c| c.kind != "closing"));
        assert!(task(&plan, "一(二)").deadline.is_some());
    }

    #[test]
    fn a_tab_separated_table_in_a_text_is_a_task_list() {
        let plan = parse_text(
            "国务院办公厅关于推广第二批改革举措的通知\n各省、自治区、直辖市人民政府:\n现将有关事项通知如下。\n附件:推广清单\n序号\t改革举措\t主要内容\t指导部门\t推广范围\n一、知识产权保护方面(共2项)\n1\t甲审判机制\t整合审判资源。\t最高人民法院\t全国\n2\t乙保险机制\t围绕专利保险。\t国家知识产权局、银保监会\t全国\n二、科技金融方面(共1项)\n三、管理体制方面(共1项)\n4\t丁决策容错机制\t以地方立法建立。\t司法部\t全国\n",
            &Registry::empty(),
        );
        let tasks: Vec<&crate::ParsedTask> = plan
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Task)
            .collect();
        assert_eq!(
            tasks.len(),
            3,
            "{:?}",
            plan.tasks
                .iter()
                .map(|t| (&t.code, &t.title))
                .collect::<Vec<_>>()
        );
        assert_eq!(names(&tasks[1].leads), ["国家知识产权局", "银保监会"]);
        assert!(tasks[2].title.contains("丁决策容错机制"));
        assert!(
            unread(&plan)
                .iter()
                .all(|l| !l.contains('\t') && !l.contains("审判机制")),
            "{:?}",
            unread(&plan)
        );
    }
}

#[cfg(test)]
mod owner_tests {
    use crate::{Registry, parse_text};

    fn leads(plan: &crate::ParsedPlan, code: &str) -> Vec<String> {
        let t = plan.tasks.iter().find(|t| t.code == code).unwrap();
        t.leads.iter().map(|a| a.name.clone()).collect()
    }

    #[test]
    fn a_departments_own_plan_names_its_divisions_bare() {
        let plan = parse_text(
            "某某市教育局2024年工作要点\n一、加强党的领导\n1.加强思想理论武装。内容。(责任科室:组干科、机关党委)\n2.加强政治建设。内容。(基础教育科、市财政局负责)",
            &Registry::empty(),
        );
        assert_eq!(
            leads(&plan, "一1"),
            ["某某市教育局组干科", "某某市教育局机关党委"]
        );
        // without a division label only names ending like a division are
        // the department's; another department keeps its own name
        assert_eq!(
            leads(&plan, "一2"),
            ["某某市教育局基础教育科", "某某市财政局"]
        );
    }

    #[test]
    fn a_governments_plan_has_no_owner() {
        let plan = parse_text(
            "某某市人民政府2024年工作要点\n一、重点任务\n1.甲工作。内容。(责任科室:综合科)",
            &Registry::empty(),
        );
        assert_eq!(leads(&plan, "一1"), ["综合科"]);
    }
}

#[cfg(test)]
mod signature_tests {
    #[test]
    fn a_signature_names_the_place_a_relative_title_does_not() {
        let plan = crate::parse_text(
            "区人民政府办公室关于印发重点工作分解方案的通知\n蔡甸区人民政府办公室\n一、主要目标\n(一)地区生产总值增长7%以上。(区发展和改革局)",
            &crate::Registry::empty(),
        );
        assert_eq!(plan.region.as_deref(), Some("蔡甸区"));
    }
}

#[cfg(test)]
mod yearless_tests {
    #[test]
    fn dates_without_a_year_after_a_dated_one_are_in_its_year() {
        let plan = crate::parse_text(
            "某省2017年稳增长意见\n一、推进重大项目建设\n资金须于2017年6月底前下达60%以上、9月底前下达80%以上、11月底前全部下达到位。(省财政厅牵头)",
            &crate::Registry::empty(),
        );
        let t = plan.tasks.iter().find(|t| t.code == "一").unwrap();
        assert_eq!(t.deadline.unwrap().date.to_string(), "2017-11-30");
    }
}

#[cfg(test)]
mod given_region_tests {
    use crate::{ParseOptions, Registry, parse_text, parse_text_with};

    const SHEET: &str = "序号,工作任务,牵头单位,配合单位,完成时限\n1,建设公共服务平台,市发展改革委,市财政局,2025年12月底前\n";

    #[test]
    fn a_sheet_without_a_title_takes_the_callers_region() {
        let reg = Registry::from_entries(Vec::new());
        let bare = parse_text(SHEET, &reg);
        assert!(bare.warnings.iter().any(|w| w.code == "NO_REGION"));
        assert_eq!(bare.tasks[0].leads[0].name, "市发展改革委");
        let opts = ParseOptions {
            region: Some("宜昌市".into()),
            ..Default::default()
        };
        let plan = parse_text_with(SHEET, &reg, &opts);
        assert_eq!(plan.region.as_deref(), Some("宜昌市"));
        assert!(!plan.warnings.iter().any(|w| w.code == "NO_REGION"));
        assert_eq!(plan.tasks[0].leads[0].name, "宜昌市发展改革委");
        assert_eq!(plan.tasks[0].participants[0].name, "宜昌市财政局");
        assert!(plan.conventions.iter().any(|c| c.code == "REGION_GIVEN"));
    }

    #[test]
    fn a_given_region_names_its_levels() {
        let reg = Registry::from_entries(Vec::new());
        let sheet = SHEET
            .replace("市发展改革委", "县发展改革委")
            .replace("市财政局", "省财政厅");
        let opts = ParseOptions {
            region: Some("某某省某州市某某县".into()),
            ..Default::default()
        };
        let plan = parse_text_with(&sheet, &reg, &opts);
        assert_eq!(plan.region.as_deref(), Some("某某县"));
        assert_eq!(plan.tasks[0].leads[0].name, "某某县发展改革委");
        assert_eq!(plan.tasks[0].participants[0].name, "某某省财政厅");
    }

    /// A town's sheet without a title reads like the same table under a
    /// title naming the town: its bare offices are the town's.
    #[test]
    fn a_given_town_owns_the_bare_offices() {
        let reg = Registry::from_entries(Vec::new());
        let sheet = "序号,重点工作,责任科室\n1,建设美丽城镇,乡村振兴办\n";
        let opts = ParseOptions {
            region: Some("某市某某县某某镇".into()),
            ..Default::default()
        };
        let given = parse_text_with(sheet, &reg, &opts);
        let titled = parse_text(&format!("某某镇2024年度重点工作计划\n{sheet}"), &reg);
        assert_eq!(given.region.as_deref(), Some("某某镇"));
        assert_eq!(given.tasks[0].leads[0].name, "某某镇乡村振兴办");
        assert_eq!(titled.tasks[0].leads[0].name, given.tasks[0].leads[0].name);
    }

    /// A development zone's office passes its zone as its region: the zone's
    /// bare bureaus are the zone's, not the county's.
    #[test]
    fn a_given_development_zone_owns_the_bare_offices() {
        let reg = Registry::from_entries(Vec::new());
        let sheet = "序号,重点工作,责任单位\n1,优化项目服务,招商工作部\n";
        let opts = ParseOptions {
            region: Some("某某县某某经济开发区".into()),
            ..Default::default()
        };
        let given = parse_text_with(sheet, &reg, &opts);
        assert_eq!(given.region.as_deref(), Some("某某经济开发区"));
        assert_eq!(given.tasks[0].leads[0].name, "某某经济开发区招商工作部");
    }

    #[test]
    fn the_documents_own_region_wins() {
        let reg = Registry::from_entries(Vec::new());
        let text = format!("湖北省2024年重点工作任务分解表\n{SHEET}");
        let opts = ParseOptions {
            region: Some("宜昌市".into()),
            ..Default::default()
        };
        let plan = parse_text_with(&text, &reg, &opts);
        assert_ne!(plan.region.as_deref(), Some("宜昌市"));
        assert!(!plan.conventions.iter().any(|c| c.code == "REGION_GIVEN"));
    }
}

#[cfg(test)]
mod sentence_clause_tests {
    use crate::{Registry, TaskKind, parse_text};

    fn leads(plan: &crate::ParsedPlan, code: &str) -> Vec<String> {
        let t = plan.tasks.iter().find(|t| t.code == code).unwrap();
        t.leads.iter().map(|a| a.name.clone()).collect()
    }

    #[test]
    fn a_document_without_brackets_states_responsibility_in_sentences() {
        let reg = Registry::from_entries(Vec::new());
        let text = "某某省人民政府关于同意设立某某园区的批复\n一、同意设立某某园区，由省发展改革委、省财政厅合作共建。\n二、园区建设要坚持绿色发展，提升服务功能。\n三、省科技厅要加强业务指导，会同省统计局做好监测。\n";
        let plan = parse_text(text, &reg);
        // (the fictitious province is not read as a region: names stay as written)
        assert_eq!(leads(&plan, "一"), ["省发展改革委", "省财政厅"]);
        assert_eq!(leads(&plan, "三"), ["省科技厅"]);
        let three = plan.tasks.iter().find(|t| t.code == "三").unwrap();
        assert_eq!(three.participants[0].name, "省统计局");
        let two = plan.tasks.iter().find(|t| t.code == "二").unwrap();
        assert_eq!(two.kind, TaskKind::Heading);
        assert!(
            plan.conventions
                .iter()
                .any(|c| c.code == "SENTENCE_CLAUSES")
        );
    }

    #[test]
    fn in_a_document_with_brackets_a_sentence_is_prose() {
        let reg = Registry::from_entries(Vec::new());
        let text = "某某市2024年重点工作分解方案\n一、推进园区建设。（市发展改革委负责）\n二、市考评办要将重点工作纳入绩效考核，确保落到实处。\n";
        let plan = parse_text(text, &reg);
        let two = plan.tasks.iter().find(|t| t.code == "二").unwrap();
        assert!(two.leads.is_empty(), "{:?}", two.leads);
        assert!(
            !plan
                .conventions
                .iter()
                .any(|c| c.code == "SENTENCE_CLAUSES")
        );
    }
}

#[cfg(test)]
mod plan_year_tests {
    use crate::{ParseOptions, Registry, parse_text, parse_text_with};

    const SHEET: &str = "序号,民生实事,责任单位,完成时限\n1,建成综合服务中心,县民政局,5月底前\n2,新建人行天桥,县住建局,9月投入使用\n3,盘活存量土地,县自然资源局,全年\n";

    fn dates(plan: &crate::ParsedPlan) -> Vec<Option<String>> {
        plan.tasks
            .iter()
            .filter(|t| t.kind != crate::TaskKind::Heading)
            .map(|t| t.deadline.map(|d| d.date.to_string()))
            .collect()
    }

    #[test]
    fn a_sheet_without_a_year_takes_the_plan_year_the_office_gives() {
        let reg = Registry::from_entries(Vec::new());
        let bare = parse_text(SHEET, &reg);
        assert_eq!(dates(&bare), vec![None, None, None]);
        // every row whose date needs the year says so
        assert_eq!(
            bare.warnings
                .iter()
                .filter(|w| w.code == "NO_PLAN_YEAR")
                .count(),
            3
        );
        let opts = ParseOptions {
            plan_year: Some(2016),
            ..Default::default()
        };
        let given = parse_text_with(SHEET, &reg, &opts);
        assert_eq!(
            dates(&given),
            vec![
                Some("2016-05-31".into()),
                Some("2016-09-30".into()),
                Some("2016-12-31".into())
            ]
        );
        assert!(!given.warnings.iter().any(|w| w.code == "NO_PLAN_YEAR"));
        let c = given.conventions.iter().find(|c| c.code == "PLAN_YEAR");
        assert_eq!(c.map(|c| c.tasks.len()), Some(3));
    }

    #[test]
    fn the_documents_own_year_wins_over_the_given_one() {
        let reg = Registry::from_entries(Vec::new());
        let text = format!("某县2024年民生实事任务分解表\n{SHEET}");
        let opts = ParseOptions {
            plan_year: Some(2016),
            ..Default::default()
        };
        let plan = parse_text_with(&text, &reg, &opts);
        assert_eq!(dates(&plan)[0].as_deref(), Some("2024-05-31"));
        assert!(!plan.conventions.iter().any(|c| c.code == "PLAN_YEAR"));
    }

    #[test]
    fn without_a_year_of_its_own_a_plan_is_in_the_year_of_the_document_it_implements() {
        let text = "为贯彻落实市委、市政府决策部署，根据《某市人民政府关于印发稳增长若干措施的通知》（某政发〔2015〕3号）和《某市人民政府关于加快项目建设的意见》（某政发〔2016〕13号），结合本区实际，制定如下措施。\n一、提高审批效率\n1.精简审批手续。加快建立中介超市，5月底前实现上线运行。(区政务服务局牵头，区发改局配合)\n";
        let plan = parse_text(text, &Registry::empty());
        let t = plan.tasks.iter().find(|t| t.code == "一1").expect("task");
        assert_eq!(
            t.deadline.map(|d| d.date.to_string()).as_deref(),
            Some("2016-05-31")
        );
        let c = plan
            .conventions
            .iter()
            .find(|c| c.code == "PLAN_YEAR")
            .expect("convention");
        assert!(c.description.contains("〔2016〕13号"), "{}", c.description);
        assert_eq!(c.tasks, vec!["一1".to_string()]);
    }
}

#[cfg(test)]
mod relative_deadline_tests {
    use crate::{Registry, parse_text};

    const BODY: &str = "一、压实责任\n（一）落实地方责任。各省级人民政府要在本意见印发之日起30日内，制定出台具体实施办法。（各省级人民政府负责）\n";

    #[test]
    fn a_deadline_relative_to_the_issue_is_counted_from_the_issue_date() {
        let text = format!("某部关于做好某项工作的意见\n{BODY}某部\n2018年11月16日\n");
        let plan = parse_text(&text, &Registry::empty());
        let t = plan
            .tasks
            .iter()
            .find(|t| t.code == "一(一)")
            .expect("task");
        assert_eq!(
            t.deadline.map(|d| d.date.to_string()).as_deref(),
            Some("2018-12-16")
        );
        assert_eq!(t.relative_deadline, None);
        assert!(
            plan.conventions
                .iter()
                .any(|c| c.code == "RELATIVE_DEADLINE")
        );
    }

    #[test]
    fn without_an_issue_date_it_is_kept_as_written_and_warned() {
        let text = format!("某部关于做好某项工作的意见\n{BODY}");
        let plan = parse_text(&text, &Registry::empty());
        let t = plan
            .tasks
            .iter()
            .find(|t| t.code == "一(一)")
            .expect("task");
        assert_eq!(t.deadline, None);
        assert_eq!(t.relative_deadline.as_deref(), Some("印发之日起30日内"));
        assert!(t.warnings.iter().any(|w| w.code == "RELATIVE_DEADLINE"));
    }
}

#[cfg(test)]
mod clause_time_tests {
    use crate::{Registry, parse_text};

    const PLAN: &str = "某市2023年重点工作分工方案\n一、重点工作\n1.建设公共服务平台。(市财政局负责,2023年底前完成)\n2.做好稳就业工作。(市人社局负责,年内持续推进)\n3.完善养老服务。(市民政局负责,10月底前完成)\n";

    #[test]
    fn the_time_at_the_end_of_a_clause_is_the_tasks() {
        let plan = parse_text(PLAN, &Registry::empty());
        let read: Vec<(Option<String>, bool)> = plan
            .tasks
            .iter()
            .filter(|t| t.kind == crate::TaskKind::Task)
            .map(|t| (t.deadline.map(|d| d.date.to_string()), t.ongoing))
            .collect();
        assert_eq!(
            read,
            vec![
                (Some("2023-12-31".into()), false),
                (None, true),
                (Some("2023-10-31".into()), false)
            ]
        );
    }

    #[test]
    fn a_short_task_line_with_its_clause_is_accounted_for() {
        let plan = parse_text(PLAN, &Registry::empty());
        assert!(
            !plan.warnings.iter().any(|w| w.code == "TEXT_UNREAD"),
            "{:?}",
            plan.context
        );
    }

    /// A sheet's header row decides the columns: it is accounted as the
    /// table's header, as are a title row and a row of column numbers; only
    /// a row read into nothing warns.
    #[test]
    fn a_sheets_header_rows_are_its_header_not_unread_text() {
        let csv = "某县2024年重点工作任务分解表,,,,\n\
                   填报单位:县政府办公室,,,,日期:2024年1月\n\
                   序号,工作任务,牵头单位,配合单位,完成时限\n\
                   1,2,3,4,5\n\
                   1,建设公共服务平台,县财政局,县审计局,2024年底前\n\
                   2,完善养老服务体系,县民政局,,2024年10月\n";
        let plan = parse_text(csv, &Registry::empty());
        assert!(
            !plan.warnings.iter().any(|w| w.code == "TEXT_UNREAD"),
            "{:?}",
            plan.warnings
        );
        let header: Vec<&str> = plan
            .context
            .iter()
            .filter(|c| c.kind == "table_header")
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(
            header,
            vec![
                "填报单位:县政府办公室 日期:2024年1月",
                "序号 工作任务 牵头单位 配合单位 完成时限",
                "1 2 3 4 5"
            ],
            "the title row is the plan's title, kept once"
        );
        assert_eq!(plan.title, "某县2024年重点工作任务分解表");
        let tasks = plan
            .tasks
            .iter()
            .filter(|t| t.kind == crate::TaskKind::Task)
            .count();
        assert_eq!(tasks, 2, "the column numbers are no task");
        // A row of agency cells without a task is read into nothing: it warns.
        let lost = format!("{csv},,县审计局,县统计局,\n");
        let plan = parse_text(&lost, &Registry::empty());
        assert!(
            plan.warnings.iter().any(|w| w.code == "TEXT_UNREAD"),
            "{:?}",
            plan.context
        );
    }

    /// A footnote row read for the default deadline is the table's note.
    #[test]
    fn a_sheets_footnote_is_its_note() {
        let csv = "序号,工作任务,牵头单位,完成时限\n\
                   1,建设公共服务平台,县财政局,\n\
                   注：表中未注明时限的，均于2025年底前完成。,,,\n";
        let plan = parse_text(csv, &Registry::empty());
        assert!(!plan.warnings.iter().any(|w| w.code == "TEXT_UNREAD"));
        assert!(
            !plan.title.contains("表中未注明"),
            "a row under the header is no title: {}",
            plan.title
        );
        assert!(
            plan.context
                .iter()
                .any(|c| c.kind == "table_note" && c.text.contains("表中未注明")),
            "{:?}",
            plan.context
        );
    }

    /// A sheet row's code is its 序号 as written; without a 序号 column, the
    /// list's prefix and running number.
    #[test]
    fn a_sheet_rows_code_is_its_sequence_number_as_written() {
        let csv = "序号,工作任务,牵头单位\n\
                   （一）,建设公共服务平台,县财政局\n\
                   1.1,完善养老服务体系,县民政局\n\
                   7.,推进老旧小区改造,县住建局\n";
        let plan = parse_text(csv, &Registry::empty());
        let codes: Vec<&str> = plan.tasks.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, vec!["(一)", "1.1", "7"]);
        let grid: crate::sheet::Grid = [
            ["工作任务", "牵头单位"],
            ["建设公共服务平台", "县财政局"],
            ["完善养老服务体系", "县民政局"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
        let plan = crate::plan::build_plan(
            vec![crate::docx::Block::Grid(grid)],
            &Registry::empty(),
            &crate::ParseOptions::default(),
        );
        let codes: Vec<&str> = plan.tasks.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, vec!["任务1", "任务2"]);
    }
}
