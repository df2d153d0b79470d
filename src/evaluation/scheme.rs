//! Evaluation schemes (考核方案 / 评价指标体系): the serde format stored by the service and
//! exposed by the GraphQL layer, and its validation.
//!
//! A scheme is a **flat list** of criteria (评价指标) that form a tree through `parent` keys.
//! Every set of siblings (including the roots) carries weights that sum to 1 (±1e-6).
//! Inner nodes are `group`s; leaves are `computed` (from the task record), `indicator`
//! (a value supplied by a data-source agency) or `manual` (a score entered by a person).
//!
//! ```json
//! {
//!   "name": "agency-performance", "title": "…", "subject_kind": "agency",
//!   "grades": [{"label": "优秀", "min_score": 90}, …, {"label": "不合格", "min_score": 0}],
//!   "quota": [{"grade": "优秀", "max_share": 0.2}],
//!   "ranking": "standard",
//!   "criteria": [
//!     {"key": "work", "parent": null, "title": "任务落实", "weight": 0.6, "kind": "group"},
//!     {"key": "on_time", "parent": "work", "title": "按时完成率", "weight": 0.5,
//!      "kind": "computed", "metric": "on_time_completion_rate"},
//!     {"key": "overdue", "parent": "work", "title": "逾期天数", "weight": 0.5,
//!      "kind": "computed", "metric": {"overdue_task_days": {"points_per_day": 0.5}}},
//!     {"key": "pm25", "parent": null, "title": "PM2.5浓度", "weight": 0.2, "kind": "indicator",
//!      "source_agencies": ["省生态环境厅"], "direction": "at_most", "target": 35, "unit": "μg/m³"},
//!     {"key": "review", "parent": null, "title": "评议", "weight": 0.2, "kind": "manual",
//!      "veto_below": 60}
//!   ],
//!   "adjustment_rules": [
//!     {"key": "urging", "title": "被催办", "effect": "deduction", "points_per_event": 1,
//!      "cap": 5, "trigger": {"supervision_level": "urging"}},
//!     {"key": "summons", "title": "被约谈", "effect": "deduction", "points_per_event": 0,
//!      "cap": 0, "veto": true, "trigger": {"supervision_level": "summons"}}
//!   ]
//! }
//! ```
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::EvalError;

/// Tolerance for "sibling weights sum to 1".
pub const WEIGHT_TOLERANCE: f64 = 1e-6;

/// Who a scheme evaluates (考核对象).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A member agency (成员单位), e.g. 市生态环境局.
    Agency,
    /// A local government (县（市、区）政府 / 管委会, or a city for a provincial index).
    LocalGovernment,
}

/// An evaluation scheme (考核方案). Build with serde, then call [`Scheme::validate`]
/// (also done by [`super::evaluate`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scheme {
    /// Stable machine name, e.g. `agency-performance`.
    pub name: String,
    /// Human title, e.g. 市直部门年度考核方案.
    pub title: String,
    /// Free-text description: provenance, deviations from the source document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What kind of subject is evaluated.
    pub subject_kind: SubjectKind,
    /// The default subjects are the local governments directly under this one (canonical
    /// name or alias in the agency registry), e.g. 浙江省人民政府 for a provincial index of
    /// its cities. Without it, the default subjects are the agencies of `subject_kind` with
    /// tasks relevant to the evaluated year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects_under: Option<String>,
    /// Grade bands (等次), best first; the last band must start at 0 and is the lowest
    /// grade (forced on vetoed subjects). Defaults to 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格.
    #[serde(default = "default_grades")]
    pub grades: Vec<GradeBand>,
    /// Quotas on grades (名额限制), e.g. at most 20% 优秀. Empty = no quota.
    #[serde(default)]
    pub quota: Vec<GradeQuota>,
    /// How ties are ranked.
    #[serde(default)]
    pub ranking: RankingMethod,
    /// The criteria (评价指标), a flat list forming a tree through `parent`.
    pub criteria: Vec<CriterionDef>,
    /// Bonus (加分) and deduction (扣分) rules applied after the weighted score.
    #[serde(default)]
    pub adjustment_rules: Vec<AdjustmentRule>,
}

/// One grade band (等次): subjects whose displayed score is ≥ `min_score` (and below the
/// band above) get `label`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradeBand {
    /// Label shown, e.g. 优秀.
    pub label: String,
    /// Inclusive lower bound on the score rounded to 2 decimals.
    pub min_score: f64,
}

/// The default grades: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 below 60.
pub fn default_grades() -> Vec<GradeBand> {
    [
        ("优秀", 90.0),
        ("良好", 80.0),
        ("合格", 60.0),
        ("不合格", 0.0),
    ]
    .into_iter()
    .map(|(label, min_score)| GradeBand {
        label: label.to_string(),
        min_score,
    })
    .collect()
}

/// A quota on one grade (名额/比例限制): at most `floor(max_share × N)` of the N evaluated
/// subjects may hold `grade`; the lowest-ranked ones beyond it drop to the next grade.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradeQuota {
    /// Label of the limited grade; must be one of the scheme's grades except the lowest.
    pub grade: String,
    /// Largest share of subjects allowed, in (0, 1].
    pub max_share: f64,
    /// What happens when subjects tied at the boundary would exceed the quota.
    #[serde(default)]
    pub ties: QuotaTies,
}

/// Tie handling at a quota boundary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaTies {
    /// Default: the quota is a hard ceiling ("at most"); if admitting every subject tied at
    /// the boundary would exceed it, all of the tied subjects drop (the grade may stay
    /// under-filled). Nobody is separated from an equal score by an arbitrary order.
    #[default]
    DropAll,
    /// All subjects tied at the boundary keep the grade (the quota may be exceeded).
    KeepAll,
}

/// Ranking method (排名) for equal scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankingMethod {
    /// Standard competition ranking, "1, 2, 2, 4" (default).
    #[default]
    Standard,
    /// Dense ranking, "1, 2, 2, 3".
    Dense,
}

/// One criterion (评价指标) of the tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionDef {
    /// Unique key within the scheme.
    pub key: String,
    /// Key of the parent criterion, `null` for a root.
    #[serde(default)]
    pub parent: Option<String>,
    /// Title, e.g. PM2.5浓度改善率.
    pub title: String,
    /// Weight (权重) among its siblings, in [0, 1]; siblings sum to 1. A weight of 0 is
    /// allowed for a pure veto criterion (否决性指标) that adds no points.
    pub weight: f64,
    /// Optional unweighted display grouping, e.g. 评价内容 "(一)协同效果" in 附件2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Free-text explanation (scoring rule, provenance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Veto (一票否决): if the criterion's normalised score (0–100) is below this, the
    /// subject is vetoed and gets the lowest grade whatever its total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub veto_below: Option<f64>,
    /// What the criterion is and how it is scored.
    #[serde(flatten)]
    pub kind: CriterionKind,
}

/// How a criterion obtains its 0–100 score. Serialised with a `kind` tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CriterionKind {
    /// An inner node: the weighted mean of its children's scores.
    Group,
    /// Computed from the subject's record for the year (系统自动计算).
    Computed {
        /// Which fact is measured.
        metric: Metric,
    },
    /// A value supplied by a data-source agency (数据来源单位), scored against a target.
    Indicator {
        /// The agencies that supply the value, as named by the source document.
        #[serde(alias = "source_agency", deserialize_with = "one_or_many")]
        source_agencies: Vec<String>,
        /// Unit of the value, e.g. %, μg/m³.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// Which way is better.
        direction: Direction,
        /// Default target (目标值); a subject's supplied value may carry its own target
        /// (e.g. each city's assigned target), which takes precedence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<f64>,
        /// Largest attainment ratio credited, in (0, 1]; default 1 (100%).
        /// Score = 100 × min(attainment, cap).
        #[serde(default = "default_cap")]
        cap: f64,
    },
    /// A score (0–100) entered by a person with a reason (评议打分); missing → 0 and a warning.
    Manual {
        /// Who is expected to score it, e.g. 领导小组办公室.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scored_by: Option<String>,
    },
}

fn default_cap() -> f64 {
    1.0
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// Direction of an indicator (指标方向).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (不低于): attainment = value / target.
    AtLeast,
    /// Lower is better (不高于): attainment = target / value.
    AtMost,
    /// Closer is better (等于): attainment = 1 − |value − target| / |target|.
    Equal,
}

/// A fact computed from the record of the evaluated year. Externally tagged in JSON:
/// `"on_time_completion_rate"` or `{"overdue_task_days": {"points_per_day": 0.5}}`.
///
/// "In the year" means dated within 1 Jan – 31 Dec of the record's year; the record is
/// judged as of 31 Dec. Cancelled tasks (and their reports) are ignored everywhere.
/// A criterion with nothing to count (a rate with no item, overdue days or escalations of a
/// subject with no led task due or open in the year and no report due) is *not applicable*:
/// its weight is spread over its siblings (see [`super::scoring`]), never full marks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// 按时完成率: of tasks the subject leads whose *judged* deadline (the original deadline
    /// when an extension was granted — 按原定时间考核 — else the current one) falls in the
    /// year, the share completed on or before that deadline. Score = 100 × rate.
    OnTimeCompletionRate,
    /// 完成率: of led tasks whose judged deadline (the original one when an extension was
    /// granted, 按原定时间考核) is on or before 31 Dec and that were still open on 1 Jan (or
    /// due in the year), the share completed by 31 Dec. Score = 100 × rate.
    CompletionRate,
    /// 逾期天数 (lower is better): over led tasks, the days within the year after the judged
    /// deadline until completion (or 31 Dec). Score = max(0, 100 − points_per_day × days).
    OverdueTaskDays {
        /// Points lost per overdue task-day (k).
        points_per_day: f64,
    },
    /// 进展报送及时率: of progress reports due in the year, the share submitted on or before
    /// the due date (a missing report is late). Score = 100 × rate.
    ReportsOnTimeRate,
    /// 被督办次数 (lower is better): escalations of exactly `level` received in the year.
    /// Score = max(0, 100 − points_per_item × count).
    SupervisionReceived {
        /// The rung counted.
        level: SupervisionLevel,
        /// Points lost per escalation received.
        points_per_item: f64,
    },
    /// 配合完成率: like [`Metric::CompletionRate`] but over tasks where the subject is a
    /// participant (配合单位) or implementer (负责落实). Score = 100 × rate.
    ContributionRate,
}

/// The supervision ladder (提醒 → 催办 → 督办 → 通报 → 约谈).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    /// 提醒
    Reminder,
    /// 催办
    Urging,
    /// 督办
    Supervision,
    /// 通报 (通报批评)
    Notice,
    /// 约谈 (约谈问责)
    Summons,
}

impl SupervisionLevel {
    /// Parses the service's level string: English snake_case or the Chinese term.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "reminder" | "提醒" => Self::Reminder,
            "urging" | "催办" => Self::Urging,
            "supervision" | "督办" => Self::Supervision,
            "notice" | "通报" | "通报批评" => Self::Notice,
            "summons" | "约谈" | "约谈问责" => Self::Summons,
            _ => return None,
        })
    }

    /// The Chinese term.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Reminder => "提醒",
            Self::Urging => "催办",
            Self::Supervision => "督办",
            Self::Notice => "通报",
            Self::Summons => "约谈",
        }
    }
}

/// A bonus (加分) or deduction (扣分) rule: each matching event in the year adds or removes
/// `points_per_event`, the rule's total limited to `cap` points. With `veto`, any matching
/// event also vetoes the subject (一票否决).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentRule {
    /// Unique key among the rules.
    pub key: String,
    /// Title, e.g. 被催办扣分.
    pub title: String,
    /// Bonus or deduction.
    pub effect: AdjustmentEffect,
    /// Points per event, ≥ 0 (the sign comes from `effect`).
    pub points_per_event: f64,
    /// Largest total (absolute) of this rule, ≥ 0.
    pub cap: f64,
    /// Which events count.
    pub trigger: Trigger,
    /// Whether one matching event vetoes the subject.
    #[serde(default)]
    pub veto: bool,
}

/// Sign of an adjustment rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentEffect {
    /// 加分
    Bonus,
    /// 扣分
    Deduction,
}

/// What an adjustment rule counts. Externally tagged:
/// `{"supervision_level": "urging"}` or `{"event_type": "completion_returned"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Supervision facts of this rung received in the year.
    SupervisionLevel(SupervisionLevel),
    /// Events of this type in the year (supplied by the service, e.g. `completion_returned`
    /// 办结退回, `commendation` 表扬).
    EventType(String),
}

/// The validated tree: indices into `Scheme::criteria`.
#[derive(Debug)]
pub(crate) struct Tree {
    /// Root indices in document order.
    pub roots: Vec<usize>,
    /// Children of each criterion in document order.
    pub children: Vec<Vec<usize>>,
}

impl Scheme {
    /// Parses a scheme from JSON and validates it.
    pub fn from_json(json: &str) -> Result<Self, EvalError> {
        let scheme: Scheme = serde_json::from_str(json).map_err(|e| EvalError::InvalidJson {
            message: e.to_string(),
        })?;
        scheme.validate()?;
        Ok(scheme)
    }

    /// Validates the scheme (run on save): non-empty unique keys, known parents, no
    /// cycles, groups with children and leaves without, sibling weights summing to 1,
    /// sane grades, quotas and adjustment rules.
    pub fn validate(&self) -> Result<(), EvalError> {
        self.tree().map(|_| ())
    }

    /// The criterion with this key.
    pub fn criterion(&self, key: &str) -> Option<&CriterionDef> {
        self.criteria.iter().find(|c| c.key == key)
    }

    pub(crate) fn tree(&self) -> Result<Tree, EvalError> {
        let invalid = |key: &str, message: String| EvalError::InvalidCriterion {
            key: key.to_string(),
            message,
        };
        if self.name.trim().is_empty() || self.title.trim().is_empty() {
            return Err(EvalError::InvalidScheme {
                message: "name and title must not be empty".into(),
            });
        }
        if self.criteria.is_empty() {
            return Err(EvalError::InvalidScheme {
                message: "a scheme needs at least one criterion".into(),
            });
        }
        // Keys.
        let mut index = HashMap::new();
        for (i, c) in self.criteria.iter().enumerate() {
            if c.key.trim().is_empty() {
                return Err(invalid(&c.key, "key must not be empty".into()));
            }
            if index.insert(c.key.clone(), i).is_some() {
                return Err(EvalError::DuplicateKey { key: c.key.clone() });
            }
        }
        // Parents.
        let mut parent_of = vec![None; self.criteria.len()];
        for (i, c) in self.criteria.iter().enumerate() {
            if let Some(p) = &c.parent {
                let Some(&pi) = index.get(p) else {
                    return Err(EvalError::UnknownParent {
                        key: c.key.clone(),
                        parent: p.clone(),
                    });
                };
                parent_of[i] = Some(pi);
            }
        }
        // Cycles: walking up from any node must reach a root within n steps.
        for start in 0..self.criteria.len() {
            let mut seen = HashSet::new();
            let mut at = start;
            while let Some(p) = parent_of[at] {
                if !seen.insert(at) {
                    // `at` is on the cycle: collect it in order.
                    let mut cycle = vec![self.criteria[at].key.clone()];
                    let mut k = parent_of[at].expect("on a cycle");
                    while k != at {
                        cycle.push(self.criteria[k].key.clone());
                        k = parent_of[k].expect("on a cycle");
                    }
                    return Err(EvalError::Cycle { keys: cycle });
                }
                at = p;
            }
        }
        let mut roots = Vec::new();
        let mut children = vec![Vec::new(); self.criteria.len()];
        for (i, p) in parent_of.iter().enumerate() {
            match p {
                Some(p) => children[*p].push(i),
                None => roots.push(i),
            }
        }
        // Per-criterion checks.
        for (i, c) in self.criteria.iter().enumerate() {
            if !c.weight.is_finite() || !(0.0..=1.0).contains(&c.weight) {
                return Err(invalid(
                    &c.key,
                    format!("weight {} must be between 0 and 1", c.weight),
                ));
            }
            if let Some(v) = c.veto_below
                && (!v.is_finite() || !(0.0..=100.0).contains(&v))
            {
                return Err(invalid(&c.key, format!("veto_below {v} must be 0–100")));
            }
            match (&c.kind, children[i].is_empty()) {
                (CriterionKind::Group, true) => {
                    return Err(invalid(&c.key, "a group needs at least one child".into()));
                }
                (CriterionKind::Group, false) => {}
                (_, false) => {
                    return Err(invalid(
                        &c.key,
                        "only a group criterion may have children".into(),
                    ));
                }
                (CriterionKind::Computed { metric }, true) => match metric {
                    Metric::OverdueTaskDays { points_per_day: k }
                    | Metric::SupervisionReceived {
                        points_per_item: k, ..
                    } if !k.is_finite() || *k < 0.0 => {
                        return Err(invalid(&c.key, format!("points {k} must be ≥ 0")));
                    }
                    _ => {}
                },
                (
                    CriterionKind::Indicator {
                        source_agencies,
                        target,
                        cap,
                        ..
                    },
                    true,
                ) => {
                    if source_agencies.iter().all(|s| s.trim().is_empty()) {
                        return Err(invalid(
                            &c.key,
                            "an indicator names its source agency".into(),
                        ));
                    }
                    if let Some(t) = target
                        && !t.is_finite()
                    {
                        return Err(invalid(&c.key, "target must be a finite number".into()));
                    }
                    if !cap.is_finite() || *cap <= 0.0 || *cap > 1.0 {
                        return Err(invalid(&c.key, format!("cap {cap} must be in (0, 1]")));
                    }
                }
                (CriterionKind::Manual { .. }, true) => {}
            }
        }
        // Sibling weights.
        let check = |parent: Option<&str>, sibs: &[usize]| -> Result<(), EvalError> {
            let sum: f64 = sibs.iter().map(|&i| self.criteria[i].weight).sum();
            if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
                return Err(EvalError::WeightSum {
                    parent: parent.map(str::to_string),
                    sum,
                    keys: sibs.iter().map(|&i| self.criteria[i].key.clone()).collect(),
                });
            }
            Ok(())
        };
        check(None, &roots)?;
        for (i, sibs) in children.iter().enumerate() {
            if !sibs.is_empty() {
                check(Some(&self.criteria[i].key), sibs)?;
            }
        }
        self.validate_grades()?;
        self.validate_rules()?;
        Ok(Tree { roots, children })
    }

    fn validate_grades(&self) -> Result<(), EvalError> {
        let err = |message: String| EvalError::InvalidScheme { message };
        let Some(last) = self.grades.last() else {
            return Err(err("at least one grade is required".into()));
        };
        if last.min_score != 0.0 {
            return Err(err(format!(
                "the lowest grade {} must start at 0",
                last.label
            )));
        }
        let mut labels = HashSet::new();
        for (i, g) in self.grades.iter().enumerate() {
            if g.label.trim().is_empty() || !labels.insert(g.label.as_str()) {
                return Err(err(format!(
                    "grade labels must be non-empty and unique: {:?}",
                    g.label
                )));
            }
            if !g.min_score.is_finite() || !(0.0..=100.0).contains(&g.min_score) {
                return Err(err(format!("grade {} min_score must be 0–100", g.label)));
            }
            if i > 0 && g.min_score >= self.grades[i - 1].min_score {
                return Err(err(
                    "grades must be listed best first with decreasing min_score".into(),
                ));
            }
        }
        let mut quota_grades = HashSet::new();
        for q in &self.quota {
            if !self.grades[..self.grades.len() - 1]
                .iter()
                .any(|g| g.label == q.grade)
            {
                return Err(err(format!(
                    "quota names {:?}, which is not a grade above the lowest",
                    q.grade
                )));
            }
            if !quota_grades.insert(q.grade.as_str()) {
                return Err(err(format!("two quotas for grade {}", q.grade)));
            }
            if !q.max_share.is_finite() || q.max_share <= 0.0 || q.max_share > 1.0 {
                return Err(err(format!(
                    "quota share {} for {} must be in (0, 1]",
                    q.max_share, q.grade
                )));
            }
        }
        Ok(())
    }

    fn validate_rules(&self) -> Result<(), EvalError> {
        let mut keys = HashSet::new();
        for r in &self.adjustment_rules {
            let err = |message: String| EvalError::InvalidRule {
                key: r.key.clone(),
                message,
            };
            if r.key.trim().is_empty() || !keys.insert(r.key.as_str()) {
                return Err(err("rule keys must be non-empty and unique".into()));
            }
            if !r.points_per_event.is_finite() || r.points_per_event < 0.0 {
                return Err(err("points_per_event must be ≥ 0".into()));
            }
            if !r.cap.is_finite() || r.cap < 0.0 {
                return Err(err("cap must be ≥ 0".into()));
            }
            if !r.veto && (r.points_per_event == 0.0 || r.cap == 0.0) {
                return Err(err(
                    "a rule that is not a veto needs positive points_per_event and cap".into(),
                ));
            }
            if let Trigger::EventType(t) = &r.trigger
                && t.trim().is_empty()
            {
                return Err(err("event_type must not be empty".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
