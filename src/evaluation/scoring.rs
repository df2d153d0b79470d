//! Scoring one subject: the weighted criteria tree, adjustments, veto and the final clamp.
//!
//! Total = Σ over leaves of (effective weight × leaf score), which equals Σ over roots of
//! (weight × root score) since a group's score is the weighted mean of its children.
//! A computed criterion with nothing to count in the year (no led task due, no report due
//! …) is *not applicable*: it scores nothing and its weight is spread over its applicable
//! siblings in proportion to their weights (a group none of whose children applies is
//! itself not applicable); the breakdown notes this on every criterion concerned and keeps
//! the scheme's weight in `scheme_weight`. If nothing at all applies the weighted score is
//! 0 with a warning — never full marks for an empty record.
//! Final score = clamp(total + rule adjustments + manual adjustments, 0, 100): an
//! evaluation score lives on the 0–100 scale, so bonuses cannot push it above 100 nor
//! deductions below 0; `clamped` records when this happened.
use super::EvalError;
use super::input::SubjectInput;
use super::metrics::{self, Year};
use super::result::{
    AppliedAdjustment, CriterionResult, Evidence, EvidenceKind, SubjectResult, cents,
};
use super::scheme::{
    AdjustmentEffect, CriterionKind, Direction, Scheme, SupervisionLevel, Tree, Trigger,
};

/// Attainment ratio (达成度) of an indicator value against its target, before the cap.
///
/// * `at_least` (higher is better): value / target; a non-positive target is met (1) when
///   value ≥ target, else 0; a negative value counts as 0.
/// * `at_most` (lower is better): target / value; a value ≤ 0 against a positive target is 1;
///   a non-positive target is met (1) when value ≤ target, else 0.
/// * `equal`: 1 − |value − target| / |target|, floored at 0; with a zero target, 1 if the
///   value is 0 (±1e-9), else 0.
pub fn attainment(direction: Direction, value: f64, target: f64) -> f64 {
    let met = |ok: bool| if ok { 1.0 } else { 0.0 };
    match direction {
        Direction::AtLeast if target > 0.0 => value.max(0.0) / target,
        Direction::AtLeast => met(value >= target),
        Direction::AtMost if target > 0.0 => {
            if value <= 0.0 {
                1.0
            } else {
                target / value
            }
        }
        Direction::AtMost => met(value <= target),
        Direction::Equal if target == 0.0 => met(value.abs() <= 1e-9),
        Direction::Equal => (1.0 - (value - target).abs() / target.abs()).max(0.0),
    }
}

/// Normalised indicator score: 100 × min(attainment, cap).
pub fn indicator_score(direction: Direction, value: f64, target: f64, cap: f64) -> f64 {
    100.0 * attainment(direction, value, target).min(cap)
}

struct Ctx<'a> {
    scheme: &'a Scheme,
    tree: &'a Tree,
    input: &'a SubjectInput,
    warnings: Vec<String>,
    vetoes: Vec<String>,
}

/// Scores one subject (grade and rank are filled in later by grading; here they are the
/// threshold grade and 0). The scheme's tree and the input must already be validated.
pub(crate) fn score_subject(
    scheme: &Scheme,
    tree: &Tree,
    input: &SubjectInput,
) -> Result<SubjectResult, EvalError> {
    let year = Year::new(input.record.year).ok_or(EvalError::InvalidSubject {
        subject_id: input.subject_id,
        message: format!("invalid year {}", input.record.year),
    })?;
    let mut ctx = Ctx {
        scheme,
        tree,
        input,
        warnings: Vec::new(),
        vetoes: Vec::new(),
    };
    let mut criteria: Vec<CriterionResult> = tree
        .roots
        .iter()
        .map(|&i| node(&mut ctx, i))
        .collect::<Result<_, _>>()?;
    if !spread_weights(&mut criteria) {
        ctx.warnings.push(format!(
            "no criterion is applicable: nothing to evaluate in {}; weighted score 0",
            input.record.year
        ));
    }
    apply_effective_weights(&mut criteria, 1.0);
    let weighted_score: f64 = criteria.iter().map(|c| c.contribution).sum();

    let mut adjustments = Vec::new();
    for rule in &scheme.adjustment_rules {
        let evidence: Vec<Evidence> = match &rule.trigger {
            Trigger::SupervisionLevel(level) => input
                .record
                .supervisions
                .iter()
                .filter(|s| {
                    year.contains(s.at) && SupervisionLevel::parse(&s.level) == Some(*level)
                })
                .map(|s| Evidence {
                    kind: EvidenceKind::Supervision,
                    id: s.id,
                    favourable: rule.effect == AdjustmentEffect::Bonus,
                    detail: format!(
                        "{} on {}{}",
                        level.chinese(),
                        s.at,
                        s.doc_number
                            .as_deref()
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default()
                    ),
                })
                .collect(),
            Trigger::EventType(t) => input
                .events
                .iter()
                .filter(|e| year.contains(e.at) && &e.event_type == t)
                .map(|e| Evidence {
                    kind: EvidenceKind::Event,
                    id: e.id,
                    favourable: rule.effect == AdjustmentEffect::Bonus,
                    detail: format!(
                        "{} on {}{}{}",
                        e.event_type,
                        e.at,
                        e.task_id
                            .map(|t| format!(" about task {t}"))
                            .unwrap_or_default(),
                        e.note
                            .as_deref()
                            .map(|n| format!(": {n}"))
                            .unwrap_or_default()
                    ),
                })
                .collect(),
        };
        if evidence.is_empty() {
            continue;
        }
        let n = evidence.len();
        let sign = match rule.effect {
            AdjustmentEffect::Bonus => 1.0,
            AdjustmentEffect::Deduction => -1.0,
        };
        let uncapped = rule.points_per_event * n as f64;
        let applied = uncapped.min(rule.cap);
        let mut reason = format!(
            "{n} × {} = {uncapped} point(s){}",
            rule.points_per_event,
            if applied < uncapped {
                format!(", capped at {}", rule.cap)
            } else {
                String::new()
            }
        );
        if rule.veto {
            let why = format!("{}: {n} event(s) (veto rule)", rule.title);
            reason.push_str("; veto");
            ctx.vetoes.push(why);
        }
        adjustments.push(AppliedAdjustment {
            rule_key: Some(rule.key.clone()),
            title: rule.title.clone(),
            events: n as u32,
            uncapped_amount: sign * uncapped,
            amount: sign * applied,
            capped: applied < uncapped,
            evidence,
            reason: Some(reason),
        });
    }
    for m in &input.manual_adjustments {
        adjustments.push(AppliedAdjustment {
            rule_key: None,
            title: m.reason.clone(),
            events: 1,
            uncapped_amount: m.points,
            amount: m.points,
            capped: false,
            evidence: Vec::new(),
            reason: Some(match &m.by {
                Some(by) => format!("manual adjustment by {by}: {}", m.reason),
                None => format!("manual adjustment: {}", m.reason),
            }),
        });
    }
    let adjustment_total: f64 = adjustments.iter().map(|a| a.amount).sum();
    let unclamped = weighted_score + adjustment_total;
    let score = unclamped.clamp(0.0, 100.0);
    let clamped = score != unclamped;
    if clamped {
        ctx.warnings.push(format!(
            "score {unclamped:.2} clamped to {score:.2} (scores stay within 0–100)"
        ));
    }
    Ok(SubjectResult {
        subject_id: input.subject_id,
        subject_name: input.subject_name.clone(),
        score,
        weighted_score,
        adjustment_total,
        clamped,
        grade: String::new(),
        threshold_grade: String::new(),
        grade_note: None,
        rank: 0,
        vetoed: !ctx.vetoes.is_empty(),
        veto_reasons: ctx.vetoes,
        criteria,
        adjustments,
        warnings: ctx.warnings,
    })
}

/// Spreads the weight of siblings that are not applicable over the applicable ones, in
/// proportion to their scheme weights, and notes it on each so a reader sees why a weight
/// differs from the scheme. Returns false when nothing among them is applicable (or only
/// zero-weight criteria are), in which case every weight becomes 0.
fn spread_weights(siblings: &mut [CriterionResult]) -> bool {
    let applicable: f64 = siblings
        .iter()
        .filter(|c| c.applicable)
        .map(|c| c.weight)
        .sum();
    let missing: Vec<String> = siblings
        .iter()
        .filter(|c| !c.applicable)
        .map(|c| format!("{} ({})", c.title, c.key))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let any = applicable > 0.0;
    let receivers: Vec<String> = siblings
        .iter()
        .filter(|c| c.applicable && c.weight > 0.0)
        .map(|c| format!("{} ({})", c.title, c.key))
        .collect();
    for c in siblings.iter_mut() {
        let w = c.weight;
        c.scheme_weight = Some(w);
        if !c.applicable || !any {
            c.weight = 0.0;
            c.applicable = false;
            if any {
                c.notes.push(format!(
                    "not applicable: its weight {w} is spread over {}",
                    receivers.join("、")
                ));
            }
        } else {
            c.weight = w / applicable;
            if w > 0.0 {
                c.notes.push(format!(
                    "weight {w} raised to {:.4} because {} {} not applicable",
                    c.weight,
                    missing.join("、"),
                    if missing.len() == 1 { "is" } else { "are" }
                ));
            }
        }
    }
    any
}

/// Sets effective weights (product of applied weights from the root) and contributions.
fn apply_effective_weights(list: &mut [CriterionResult], parent: f64) {
    for c in list {
        c.effective_weight = parent * c.weight;
        c.contribution = if c.applicable {
            c.effective_weight * c.score
        } else {
            0.0
        };
        apply_effective_weights(&mut c.children, c.effective_weight);
    }
}

fn node(ctx: &mut Ctx<'_>, i: usize) -> Result<CriterionResult, EvalError> {
    let scheme = ctx.scheme;
    let c = &scheme.criteria[i];
    let mut notes = Vec::new();
    let mut evidence = Vec::new();
    let mut children = Vec::new();
    let mut applicable = true;
    let (kind, raw_value, score) = match &c.kind {
        CriterionKind::Group => {
            let kids = ctx.tree.children[i].clone();
            for k in kids {
                children.push(node(ctx, k)?);
            }
            applicable = spread_weights(&mut children);
            if !applicable {
                notes
                    .push("not applicable: none of its criteria had anything to count".to_string());
            }
            let s = children
                .iter()
                .filter(|ch| ch.applicable)
                .map(|ch| ch.weight * ch.score)
                .sum();
            ("group", None, s)
        }
        CriterionKind::Computed { metric } => {
            let o = metrics::compute(metric, &ctx.input.record).ok_or_else(|| {
                EvalError::InvalidSubject {
                    subject_id: ctx.input.subject_id,
                    message: format!("invalid year {}", ctx.input.record.year),
                }
            })?;
            evidence = o.evidence;
            notes = o.notes;
            applicable = o.applicable;
            ("computed", o.raw, o.score)
        }
        CriterionKind::Indicator {
            source_agencies,
            unit,
            direction,
            target,
            cap,
        } => {
            let unit = unit.as_deref().unwrap_or("");
            match ctx.input.indicator_values.get(&c.key) {
                None => {
                    notes.push(format!(
                        "warning: no value supplied by {}; scored 0",
                        source_agencies.join("、")
                    ));
                    ("indicator", None, 0.0)
                }
                Some(v) => match v.target.or(*target) {
                    None => {
                        notes.push("warning: no target set; scored 0".to_string());
                        ("indicator", Some(v.value), 0.0)
                    }
                    Some(t) => {
                        let a = attainment(*direction, v.value, t);
                        let s = 100.0 * a.min(*cap);
                        notes.push(format!(
                            "value {}{unit} against target {t}{unit} ({direction:?}, source {}): attainment {:.2}%, capped at {:.0}% → {s:.2}",
                            v.value,
                            source_agencies.join("、"),
                            a * 100.0,
                            cap * 100.0
                        ));
                        if let Some(n) = &v.note {
                            notes.push(n.clone());
                        }
                        ("indicator", Some(v.value), s)
                    }
                },
            }
        }
        CriterionKind::Manual { .. } => match ctx.input.manual_scores.get(&c.key) {
            None => {
                notes.push("warning: no score entered; scored 0".to_string());
                ("manual", None, 0.0)
            }
            Some(m) => {
                notes.push(match &m.by {
                    Some(by) => format!("scored {} by {by}: {}", m.score, m.reason),
                    None => format!("scored {}: {}", m.score, m.reason),
                });
                ("manual", Some(m.score), m.score)
            }
        },
    };
    for n in &notes {
        if let Some(w) = n.strip_prefix("warning: ") {
            ctx.warnings.push(format!("{} ({}): {w}", c.key, c.title));
        }
    }
    let mut veto = None;
    if applicable
        && let Some(min) = c.veto_below
        && cents(score) < cents(min)
    {
        let why = format!("{} scored {score:.2}, below the veto line {min}", c.title);
        ctx.vetoes.push(why.clone());
        veto = Some(why);
    }
    Ok(CriterionResult {
        key: c.key.clone(),
        title: c.title.clone(),
        kind: kind.to_string(),
        raw_value,
        score,
        weight: c.weight,
        scheme_weight: None,
        applicable,
        // Set by apply_effective_weights once the applicable siblings are known.
        effective_weight: 0.0,
        contribution: 0.0,
        evidence,
        notes,
        veto,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attainment_by_direction() {
        assert_eq!(attainment(Direction::AtLeast, 40.0, 50.0), 0.8);
        assert_eq!(attainment(Direction::AtLeast, 60.0, 50.0), 1.2);
        assert_eq!(indicator_score(Direction::AtLeast, 60.0, 50.0, 1.0), 100.0);
        assert_eq!(attainment(Direction::AtLeast, -3.0, 50.0), 0.0);
        assert_eq!(attainment(Direction::AtLeast, 0.0, 0.0), 1.0);
        assert_eq!(attainment(Direction::AtLeast, -1.0, 0.0), 0.0);
        assert_eq!(attainment(Direction::AtMost, 40.0, 30.0), 0.75);
        assert_eq!(attainment(Direction::AtMost, 0.0, 30.0), 1.0);
        assert_eq!(attainment(Direction::AtMost, 1.0, 0.0), 0.0);
        assert_eq!(attainment(Direction::AtMost, 0.0, 0.0), 1.0);
        assert_eq!(attainment(Direction::Equal, 90.0, 100.0), 0.9);
        assert_eq!(attainment(Direction::Equal, 110.0, 100.0), 0.9);
        assert_eq!(attainment(Direction::Equal, 300.0, 100.0), 0.0);
        assert_eq!(attainment(Direction::Equal, 0.0, 0.0), 1.0);
        assert_eq!(indicator_score(Direction::AtLeast, 45.0, 50.0, 0.8), 80.0);
    }
}
