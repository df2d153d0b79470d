//! The task builder: applies a responsibility clause to a task (roles
//! resolved against the registry, names validated, the first-listed lead and
//! standing implementer rules, warnings), keeps task codes unique, records the
//! conventions read and adds the targets a task's text states.

use std::collections::HashSet;

use super::body::Body;
use super::front::Front;
use super::years::{PlanYear, with_plan_year};
use crate::clause::Clause;
use crate::deadline::{Deadline, relative_deadlines, yearless_phrase};
use crate::registry::{Region, Registry, Resolved, resolve_list};
use crate::target::extract_targets;
use crate::{ParsedTarget, ParsedTask, TaskKind, Warning};

/// Everything needed while building tasks.
pub(super) struct Builder<'a> {
    pub registry: &'a Registry,
    pub region: Region,
    pub tasks: Vec<ParsedTask>,
    pub targets: Vec<ParsedTarget>,
    pub warnings: Vec<Warning>,
    pub unconfirmed: Vec<String>,
    pub standing: Vec<Resolved>,
    pub codes: HashSet<String>,
    /// The plan's year (title `2024年…`, else issue date, …: [`PlanYear`])
    /// for dates written without one (`6月底前`).
    pub plan_year: Option<i32>,
    /// Why the plan's year is what it is, when the document does not state it.
    pub plan_year_note: Option<String>,
    /// The document's issue date (印发之日), for deadlines relative to it.
    pub issue_date: Option<chrono::NaiveDate>,
    /// The first-listed lead rule is in force (stated in the preamble or in
    /// a clause, from that task on).
    pub first_listed: bool,
    /// How the document was read, for [`ParsedPlan::conventions`].
    pub conventions: Vec<crate::Convention>,
    /// The department whose own plan this is ([`super::front::Front::owner`]).
    pub owner: Option<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        registry: &'a Registry,
        region: Region,
        plan_year: Option<PlanYear>,
    ) -> Builder<'a> {
        Builder {
            registry,
            region,
            tasks: Vec::new(),
            targets: Vec::new(),
            warnings: Vec::new(),
            unconfirmed: Vec::new(),
            standing: Vec::new(),
            codes: HashSet::new(),
            plan_year: plan_year.as_ref().map(|p| p.year),
            plan_year_note: plan_year.as_ref().and_then(PlanYear::explained),
            issue_date: None,
            first_listed: false,
            conventions: Vec::new(),
            owner: None,
        }
    }

    /// The plan-wide rules and warnings known before the first task: a
    /// preamble rule (`排在第一位的部门为牵头部门`) holds for the whole document.
    pub(super) fn start(&mut self, body: &Body, front: &Front) {
        let b = self;
        // A preamble rule (`排在第一位的部门为牵头部门`) holds for the whole document.
        if crate::clause::states_first_listed_rule(&body.outline.preamble.join("\n"))
            || crate::clause::states_first_listed_rule(&front.preamble.join("\n"))
        {
            b.first_listed = true;
            b.convention(
                "FIRST_LISTED_LEAD",
                None,
                "first-listed lead (排在第一位的部门为牵头部门) stated in the preamble: in every list of the document the first body leads and the others participate, unless 牵头 is written".into(),
            );
        }
        if front.region_given
            && let Some(r) = b.region.name()
        {
            b.convention(
                "REGION_GIVEN",
                None,
                format!("the document names no region: relative names (市…/省…/区…) are qualified with the importing office's region {r}"),
            );
        }
        if let Some(first) = body.split_duties.first() {
            b.conventions.push(crate::Convention {
                code: "SEVERAL_DUTIES".into(),
                description: format!(
                    "a paragraph states several measures, each with its own responsibility clause: a heading over one task per clause (from {first}; {} paragraphs)",
                    body.split_duties.len()
                ),
                from: Some(first.clone()),
                tasks: body.split_duties.iter().take(200).cloned().collect(),
            });
        }
        b.warnings.extend(body.dropped_warning.clone());
        for (code, note) in &body.outline.notes {
            b.warnings
                .push(Warning::new("NUMBERING_SKIP", note.clone(), Some(code)));
        }
        if b.region.name().is_none() {
            b.warnings.push(Warning::new(
                "NO_REGION",
                "the plan's region could not be inferred; relative names (市…/省…) stay unqualified",
                None,
            ));
        }
    }

    pub(super) fn unique_code(&mut self, code: String) -> String {
        let mut c = code.clone();
        let mut k = 2;
        while self.codes.contains(&c) {
            c = format!("{code}#{k}");
            k += 1;
        }
        self.codes.insert(c.clone());
        c
    }

    /// In a department's own plan, its internal divisions are named bare
    /// (`（责任科室：组干科、机关党委）`, `规划处`): they are qualified with the
    /// department (`芜湖市教育局组干科`). Every bare name of a clause labelled
    /// 处室/科室/股室 is one; elsewhere a name ending like a division (科, 股,
    /// 处, 科室, 处室) is.
    fn own_units(&self, names: &[String], divisions: &[String]) -> Vec<String> {
        let Some(owner) = &self.owner else {
            return names.to_vec();
        };
        names
            .iter()
            .map(|n| {
                let t = crate::registry::clean_item(n);
                let division = divisions.contains(n) || crate::registry::is_division_name(&t);
                if division
                    && !t.starts_with(owner.as_str())
                    && !crate::registry::self_qualified(&t)
                    && !crate::registry::is_group(&t)
                    && self.registry.lookup(&self.region.qualify(&t)).is_none()
                {
                    format!("{owner}{t}")
                } else {
                    n.clone()
                }
            })
            .collect()
    }

    pub(super) fn resolve(&self, names: &[String]) -> Vec<Resolved> {
        resolve_list(names, &self.region, self.registry)
    }

    /// Applies roles to a task, records standing rules, and warns.
    pub(super) fn convention(&mut self, code: &str, from: Option<&str>, description: String) {
        match self.conventions.iter_mut().find(|c| c.code == code) {
            Some(c) => {
                if let Some(f) = from
                    && !c.tasks.iter().any(|t| t == f)
                    && c.tasks.len() < 200
                {
                    c.tasks.push(f.to_string());
                }
            }
            None => self.conventions.push(crate::Convention {
                code: code.to_string(),
                description,
                from: from.map(|f| f.to_string()),
                tasks: from.map(|f| vec![f.to_string()]).unwrap_or_default(),
            }),
        }
    }

    pub(super) fn assign(&mut self, task: &mut ParsedTask, clause: &Clause, by_reference: bool) {
        if clause.first_listed_rule && !self.first_listed {
            self.first_listed = true;
            let code = task.code.clone();
            self.convention(
                "FIRST_LISTED_LEAD",
                Some(&code),
                format!("first-listed lead (列第一位者为牵头单位) from {code} on: in every later list the first body leads and the others participate, unless 牵头 is written"),
            );
        }
        let mut leads = self.resolve(&self.own_units(&clause.leads, &clause.internal_units));
        let mut participants =
            self.resolve(&self.own_units(&clause.participants, &clause.internal_units));
        let mut implementers =
            self.resolve(&self.own_units(&clause.implementers, &clause.internal_units));
        // Agency names are validated: a string that is not in the registry
        // and does not read as a body is warned about, never assigned.
        for list in [&mut leads, &mut participants, &mut implementers] {
            list.retain(|r| {
                let ok = r.is_group
                    || r.agency.confirmed
                    || crate::registry::reads_as_body(&r.agency.raw);
                if !ok {
                    task.warnings.push(Warning::new(
                        "NOT_AN_AGENCY",
                        format!(
                            "\"{}\" does not read as the name of a body and was not assigned",
                            r.agency.raw
                        ),
                        Some(&task.code),
                    ));
                }
                ok
            });
        }
        if self.first_listed && !clause.explicit_lead && leads.len() > 1 {
            // The standing rule: the first body leads, the rest participate.
            let rest: Vec<Resolved> = leads.drain(1..).collect();
            participants.splice(0..0, rest);
            if task.kind != TaskKind::Heading {
                let code = task.code.clone();
                self.convention("FIRST_LISTED_LEAD", Some(&code), String::new());
            }
        }
        let standing = self.resolve(&clause.standing_implementers);
        participants.retain(|p| !leads.iter().any(|l| l.agency.name == p.agency.name));
        implementers.retain(|p| {
            !leads.iter().any(|l| l.agency.name == p.agency.name)
                && !participants.iter().any(|l| l.agency.name == p.agency.name)
        });
        if !standing.is_empty() {
            // The rule applies from this task on.
            let names: Vec<String> = standing.iter().map(|r| r.agency.name.clone()).collect();
            self.standing = standing;
            let code = task.code.clone();
            self.conventions.retain(|c| {
                c.code != "STANDING_IMPLEMENTERS" || c.from.as_deref() != Some(code.as_str())
            });
            self.conventions.push(crate::Convention {
                code: "STANDING_IMPLEMENTERS".into(),
                description: format!(
                    "standing rule from {code} on: {} implement every later task (以下均…落实/不再列出/下同)",
                    names.join("、")
                ),
                from: Some(code.clone()),
                tasks: vec![code],
            });
        }
        if task.kind != TaskKind::Heading {
            for s in &self.standing {
                let present = leads
                    .iter()
                    .chain(participants.iter())
                    .chain(implementers.iter())
                    .any(|r| r.agency.name == s.agency.name);
                if !present {
                    implementers.push(s.clone());
                }
            }
        }
        let code = task.code.clone();
        if clause.truncated {
            let w = Warning::new(
                "TEXT_TRUNCATED",
                format!(
                    "a responsibility cell or clause longer than {} characters was cut; names after the cut were not read",
                    crate::clause::MAX_LIST_CHARS
                ),
                Some(&code),
            );
            if !task.warnings.contains(&w) {
                task.warnings.push(w);
            }
        }
        for r in leads
            .iter()
            .chain(participants.iter())
            .chain(implementers.iter())
        {
            if r.is_group {
                if !task.groups.contains(&r.agency.name) {
                    task.groups.push(r.agency.name.clone());
                }
            } else if !r.agency.confirmed {
                let w = Warning::new(
                    "UNKNOWN_AGENCY",
                    format!(
                        "agency not in the registry: {} (written \"{}\")",
                        r.agency.name, r.agency.raw
                    ),
                    Some(&code),
                );
                if !task.warnings.contains(&w) {
                    task.warnings.push(w);
                }
                if !self.unconfirmed.contains(&r.agency.name) {
                    self.unconfirmed.push(r.agency.name.clone());
                }
            }
        }
        task.leads = leads.into_iter().map(|r| r.agency).collect();
        task.participants = participants.into_iter().map(|r| r.agency).collect();
        task.implementers = implementers.into_iter().map(|r| r.agency).collect();
        task.lead_undecided = clause.lead_undecided;
        if task.kind == TaskKind::Heading {
            return;
        }
        if clause.lead_undecided {
            task.warnings.push(Warning::new(
                "LEAD_UNDECIDED",
                "the lead agency is not decided yet (待国家分工明确后确定)",
                Some(&code),
            ));
        } else if by_reference || clause.by_reference {
            task.warnings.push(Warning::new(
                "LEAD_BY_REFERENCE",
                "responsibility is given by reference to another document",
                Some(&code),
            ));
        } else if task.leads.is_empty() {
            task.warnings.push(Warning::new(
                "NO_LEAD",
                "no lead agency is named for this task",
                Some(&code),
            ));
        }
    }

    /// The deadline of a task from what its text names (`found`): dates
    /// without a year in the plan's year, and deadlines relative to the
    /// document's issue (`印发之日起30日内`) counted from its issue date. A
    /// relative deadline of a document without an issue date, or in working
    /// days, is kept as written in `relative` and warned about; so is a date
    /// without a year when no year is known. Records the conventions used.
    pub(super) fn settle_deadline(
        &mut self,
        found: (Option<Deadline>, bool),
        text: &str,
        code: &str,
    ) -> Settled {
        let (d, ongoing) = with_plan_year(found, text, self.plan_year);
        if d != found.0 {
            self.note_plan_year(code);
        }
        let mut out = Settled {
            deadline: d,
            ongoing,
            relative: None,
            warnings: Vec::new(),
        };
        if self.plan_year.is_none()
            && d.is_none()
            && let Some(m) = yearless_phrase(text)
        {
            out.warnings.push(Warning::new(
                "NO_PLAN_YEAR",
                format!("`{m}` names no year and neither the document nor the import gives the plan's year: the deadline is not set"),
                Some(code),
            ));
        }
        for rel in relative_deadlines(text) {
            match self
                .issue_date
                .and_then(|i| rel.from_issue(i).map(|d| (i, d)))
            {
                Some((issued, dl)) => {
                    if out.deadline.is_none_or(|b| dl.date > b.date) {
                        out.deadline = Some(dl);
                        out.ongoing = false;
                    }
                    self.convention(
                        "RELATIVE_DEADLINE",
                        Some(code),
                        format!("deadlines stated relative to the document's issue (`{}`) are counted from its issue date {issued}", rel.phrase),
                    );
                }
                None => {
                    let why = if self.issue_date.is_none() {
                        "the document gives no issue date"
                    } else {
                        "working days depend on the holiday calendar"
                    };
                    out.warnings.push(Warning::new(
                        "RELATIVE_DEADLINE",
                        format!("the deadline is relative (`{}`) and {why}: set it from the date the document was issued", rel.phrase),
                        Some(code),
                    ));
                    out.relative.get_or_insert(rel.phrase);
                }
            }
        }
        out
    }

    /// The deadline of a task whose clause ends with its time
    /// ([`crate::deadline::clause_time`]): a date (`2023年底前完成`, `6月底前` in
    /// the plan's year), `年内…完成` (the plan's year), or continuing work
    /// (`年内持续推进`, `长期坚持`).
    pub(super) fn settle_clause_time(&mut self, time: &str, code: &str) -> Settled {
        let found = crate::deadline::parse_deadline_cell(time);
        if found == (None, false)
            && time.starts_with("年内")
            && let Some(d) = self.plan_year.and_then(Deadline::year)
        {
            self.note_plan_year(code);
            return Settled {
                deadline: Some(d),
                ongoing: false,
                relative: None,
                warnings: Vec::new(),
            };
        }
        self.settle_deadline(found, time, code)
    }

    /// Records that the plan's year was applied to a task, when the document
    /// does not state it (given by the office, or from a cited document).
    pub(super) fn note_plan_year(&mut self, code: &str) {
        if let Some(note) = self.plan_year_note.clone() {
            self.convention("PLAN_YEAR", Some(code), note);
        }
    }

    pub(super) fn deadline_warning(&self, task: &mut ParsedTask) {
        if task.kind != TaskKind::Heading && task.deadline.is_none() && !task.ongoing {
            let code = task.code.clone();
            task.warnings.push(Warning::new(
                "NO_DEADLINE",
                "no deadline is stated; set one or mark the task ongoing",
                Some(&code),
            ));
        }
    }

    pub(super) fn add_targets(&mut self, task_index: usize, text: &str, year: Option<i32>) {
        let (leads, participants) = {
            let t = &self.tasks[task_index];
            (t.leads.clone(), t.participants.clone())
        };
        for d in extract_targets(text, year) {
            self.targets.push(ParsedTarget {
                task_index: Some(task_index),
                indicator: d.indicator,
                value: d.value,
                unit: d.unit,
                direction: d.direction,
                target_year: d.target_year,
                baseline: d.baseline,
                leads: leads.clone(),
                participants: participants.clone(),
            });
        }
    }
}

/// A task's deadline as [`Builder::settle_deadline`] read it.
pub(super) struct Settled {
    pub deadline: Option<Deadline>,
    pub ongoing: bool,
    /// A relative deadline that could not be dated, as written.
    pub relative: Option<String>,
    pub warnings: Vec<Warning>,
}
