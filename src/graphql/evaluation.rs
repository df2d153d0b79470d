//! Annual evaluation (年度评估): schemes and criteria, inputs (indicator values, manual
//! scores, adjustments), compute / publish / correct, results with their breakdown, and a
//! leader's history. Thin resolvers over `services::evaluation`, which authorises.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{
    evaluation, evaluation_result, evaluation_scheme, indicator_value, manual_adjustment,
    manual_score,
};

use super::node::gid;
use super::{AGENCY_ROWS, EVALUATION_ROWS, state, viewer};
use crate::auth::Actor;
use crate::evaluation::{CriterionKind, CriterionResult, Scheme, SubjectResult, round2};
use crate::services::evaluation as svc;
use crate::services::parse_id;

/// Reads of the evaluation subsystem.
#[derive(Default)]
pub struct EvaluationQuery;

/// Writes of the evaluation subsystem.
#[derive(Default)]
pub struct EvaluationMutation;

/// An evaluation scheme (考核方案).
pub struct EvaluationScheme(pub evaluation_scheme::Model);

#[Object]
impl EvaluationScheme {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("EvaluationScheme", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The scheme as JSON (the format `saveEvaluationScheme` accepts).
    async fn definition(&self) -> String {
        self.0.definition.to_string()
    }
    /// The criteria (评价指标), a flat list forming a tree through `parentKey`.
    async fn criteria(&self) -> Result<Vec<EvaluationCriterion>> {
        let scheme: Scheme = svc::parse_scheme(&self.0)?;
        Ok(scheme
            .criteria
            .iter()
            .map(|c| {
                let (kind, sources, metric) = match &c.kind {
                    CriterionKind::Group => ("group", vec![], None),
                    CriterionKind::Computed { metric } => {
                        ("computed", vec![], serde_json::to_string(metric).ok())
                    }
                    CriterionKind::Indicator {
                        source_agencies, ..
                    } => ("indicator", source_agencies.clone(), None),
                    CriterionKind::Manual { .. } => ("manual", vec![], None),
                };
                EvaluationCriterion {
                    key: c.key.clone(),
                    parent_key: c.parent.clone(),
                    title: c.title.clone(),
                    weight: c.weight,
                    kind: kind.into(),
                    metric,
                    source_agencies: sources,
                    veto_below: c.veto_below,
                }
            })
            .collect())
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One criterion of a scheme.
#[derive(SimpleObject)]
pub struct EvaluationCriterion {
    pub key: String,
    pub parent_key: Option<String>,
    pub title: String,
    /// Weight among its siblings.
    pub weight: f64,
    /// group / computed / indicator / manual
    pub kind: String,
    /// For computed criteria, the metric as JSON.
    pub metric: Option<String>,
    /// For indicators, the data-source agencies (数据来源单位).
    pub source_agencies: Vec<String>,
    pub veto_below: Option<f64>,
}

/// One revision of a year's evaluation.
pub struct Evaluation(pub evaluation::Model);

#[Object]
impl Evaluation {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Evaluation", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn scheme(&self, ctx: &Context<'_>) -> Result<EvaluationScheme> {
        let (m, _) = svc::scheme_by_id(&state(ctx).db.conn, self.0.scheme_id).await?;
        Ok(EvaluationScheme(m))
    }
    /// draft / computed / published
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// The published revision this one corrects.
    async fn supersedes_id(&self) -> Option<ID> {
        self.0.supersedes_id.map(|i| gid("Evaluation", i))
    }
    async fn correction_reason(&self) -> Option<&str> {
        self.0.correction_reason.as_deref()
    }
    async fn corrected_by(&self) -> Option<ID> {
        self.0.corrected_by.map(|i| gid("User", i))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn computed_at(&self) -> Option<DateTime<Utc>> {
        self.0.computed_at
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn published_by(&self) -> Option<&str> {
        self.0.published_by_name.as_deref()
    }
    /// Results in rank order; agency staff see only their own agency's.
    #[graphql(complexity = "AGENCY_ROWS * child_complexity")]
    async fn results(&self, ctx: &Context<'_>) -> Result<Vec<EvaluationResult>> {
        let v = viewer(ctx)?;
        Ok(svc::results(&state(ctx).db.conn, v, self.0.id)
            .await?
            .into_iter()
            .map(EvaluationResult)
            .collect())
    }
}

/// The result of one subject (考核结果).
pub struct EvaluationResult(pub evaluation_result::Model);

impl EvaluationResult {
    fn parsed(&self) -> Option<SubjectResult> {
        serde_json::from_value(self.0.breakdown.clone()).ok()
    }
}

#[Object]
impl EvaluationResult {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("EvaluationResult", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn evaluation_id(&self) -> ID {
        gid("Evaluation", self.0.evaluation_id)
    }
    /// The subject agency's id.
    async fn agency_id(&self) -> ID {
        gid("Agency", self.0.agency_id)
    }
    /// The subject agency's name.
    async fn subject(&self) -> &str {
        &self.0.subject_name
    }
    /// Final score, rounded to 2 decimals.
    async fn score(&self) -> f64 {
        round2(self.0.score)
    }
    async fn grade(&self) -> &str {
        &self.0.grade
    }
    async fn rank(&self) -> i32 {
        self.0.rank
    }
    /// 一票否决
    async fn vetoed(&self) -> bool {
        self.0.vetoed
    }
    async fn veto_reasons(&self) -> Vec<String> {
        self.parsed().map(|r| r.veto_reasons).unwrap_or_default()
    }
    /// Σ of the criteria contributions before adjustments, rounded.
    async fn weighted_score(&self) -> Option<f64> {
        self.parsed().map(|r| round2(r.weighted_score))
    }
    /// Σ of the adjustments applied, rounded.
    async fn adjustment_total(&self) -> Option<f64> {
        self.parsed().map(|r| round2(r.adjustment_total))
    }
    async fn warnings(&self) -> Vec<String> {
        self.parsed().map(|r| r.warnings).unwrap_or_default()
    }
    /// The whole breakdown (criteria tree, evidence, adjustments) as JSON.
    #[graphql(complexity = 5)]
    async fn breakdown(&self) -> String {
        self.0.breakdown.to_string()
    }
    /// The criteria tree flattened in document order (drill-down); `key` narrows to one.
    async fn criteria(&self, key: Option<String>) -> Vec<CriterionScore> {
        let mut out = Vec::new();
        if let Some(r) = self.parsed() {
            for c in &r.criteria {
                flatten(c, None, 0, &mut out);
            }
        }
        if let Some(k) = key {
            out.retain(|c| c.key == k);
        }
        out
    }
    /// Adjustments applied (rules and manual) as JSON.
    async fn adjustments(&self) -> String {
        self.parsed()
            .map(|r| serde_json::to_string(&r.adjustments).unwrap_or_default())
            .unwrap_or_else(|| "[]".into())
    }
    /// The agency's leaders (head / deputy) recorded at publication.
    async fn leaders(&self) -> Vec<EvaluationLeader> {
        serde_json::from_value::<Vec<svc::Leader>>(self.0.leaders.clone())
            .unwrap_or_default()
            .into_iter()
            .map(EvaluationLeader::from)
            .collect()
    }
}

fn flatten(c: &CriterionResult, parent: Option<&str>, depth: i32, out: &mut Vec<CriterionScore>) {
    out.push(CriterionScore {
        key: c.key.clone(),
        parent_key: parent.map(str::to_owned),
        depth,
        title: c.title.clone(),
        kind: c.kind.clone(),
        raw_value: c.raw_value,
        score: round2(c.score),
        weight: c.weight,
        scheme_weight: c.scheme_weight.unwrap_or(c.weight),
        applicable: c.applicable,
        effective_weight: c.effective_weight,
        contribution: round2(c.contribution),
        notes: c.notes.clone(),
        veto: c.veto.clone(),
        evidence: c
            .evidence
            .iter()
            .map(|e| EvidenceItem {
                kind: serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                record_id: evidence_record(e),
                favourable: e.favourable,
                detail: e.detail.clone(),
            })
            .collect(),
    });
    for ch in &c.children {
        flatten(ch, Some(&c.key), depth + 1, out);
    }
}

/// The global id of the record behind a piece of evidence.
fn evidence_record(e: &crate::evaluation::Evidence) -> ID {
    use crate::evaluation::EvidenceKind;
    let kind = match e.kind {
        EvidenceKind::Task | EvidenceKind::Report => "Task",
        EvidenceKind::Supervision => "SupervisionRecord",
        EvidenceKind::Event => "AuditEvent",
    };
    gid(kind, e.id)
}

/// One criterion of a result.
#[derive(SimpleObject)]
pub struct CriterionScore {
    pub key: String,
    pub parent_key: Option<String>,
    pub depth: i32,
    pub title: String,
    pub kind: String,
    /// The measured value (a rate as a fraction, days, count, indicator value, manual score).
    pub raw_value: Option<f64>,
    /// Normalised 0–100, rounded.
    pub score: f64,
    /// Weight among its siblings as applied: the scheme's weight, or more when a sibling was
    /// not applicable and its weight was spread (0 for a criterion not applicable).
    pub weight: f64,
    /// Weight among its siblings in the scheme.
    pub scheme_weight: f64,
    /// False when there was nothing to count in the year (no led task due, no report due
    /// …): the criterion scores nothing and its weight goes to its siblings (see `notes`).
    pub applicable: bool,
    pub effective_weight: f64,
    /// Points added to the total, rounded.
    pub contribution: f64,
    pub notes: Vec<String>,
    pub veto: Option<String>,
    pub evidence: Vec<EvidenceItem>,
}

/// A record behind a value.
#[derive(SimpleObject)]
pub struct EvidenceItem {
    /// task / report / supervision / event
    pub kind: String,
    /// The global id of the record: the task (for `task` and for `report`, whose period is
    /// in `detail`), the supervision record or the audit event; `node(id:)` fetches it.
    pub record_id: ID,
    pub favourable: bool,
    pub detail: String,
}

/// A leader recorded with a published result.
#[derive(SimpleObject)]
pub struct EvaluationLeader {
    pub name: String,
    pub email: String,
    /// head (主要负责人) / deputy (分管负责人)
    pub role: String,
}

impl From<svc::Leader> for EvaluationLeader {
    fn from(l: svc::Leader) -> Self {
        Self {
            name: l.name,
            email: l.email,
            role: l.role,
        }
    }
}

/// One year of a leader's history.
pub struct LeaderHistoryEntry(svc::LeaderHistoryEntry);

#[Object]
impl LeaderHistoryEntry {
    async fn leader(&self) -> EvaluationLeader {
        self.0.leader.clone().into()
    }
    async fn year(&self) -> i32 {
        self.0.evaluation.year
    }
    async fn evaluation(&self) -> Evaluation {
        Evaluation(self.0.evaluation.clone())
    }
    async fn result(&self) -> EvaluationResult {
        EvaluationResult(self.0.result.clone())
    }
}

/// An indicator value supplied by a data-source agency.
pub struct IndicatorValue(pub indicator_value::Model);

#[Object]
impl IndicatorValue {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("IndicatorValue", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn criterion_key(&self) -> &str {
        &self.0.criterion_key
    }
    async fn agency_id(&self) -> ID {
        gid("Agency", self.0.agency_id)
    }
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn target(&self) -> Option<f64> {
        self.0.target
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn source_agency_id(&self) -> ID {
        gid("Agency", self.0.source_agency_id)
    }
    async fn entered_by(&self) -> ID {
        gid("User", self.0.entered_by)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A manual score (评议打分).
pub struct ManualScore(pub manual_score::Model);

#[Object]
impl ManualScore {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("ManualScore", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn agency_id(&self) -> ID {
        gid("Agency", self.0.agency_id)
    }
    async fn criterion_key(&self) -> &str {
        &self.0.criterion_key
    }
    async fn score(&self) -> f64 {
        self.0.score
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn entered_by(&self) -> ID {
        gid("User", self.0.entered_by)
    }
}

/// A manual bonus or deduction.
pub struct ManualAdjustment(pub manual_adjustment::Model);

#[Object]
impl ManualAdjustment {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("ManualAdjustment", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn agency_id(&self) -> ID {
        gid("Agency", self.0.agency_id)
    }
    /// Signed points.
    async fn amount(&self) -> f64 {
        self.0.amount
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn entered_by(&self) -> ID {
        gid("User", self.0.entered_by)
    }
}

fn scheme_name(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or(svc::DEFAULT_SCHEME)
}

#[Object]
impl EvaluationQuery {
    /// All stored evaluation schemes.
    async fn evaluation_schemes(&self, ctx: &Context<'_>) -> Result<Vec<EvaluationScheme>> {
        viewer(ctx)?;
        Ok(svc::list_schemes(&state(ctx).db.conn)
            .await?
            .into_iter()
            .map(EvaluationScheme)
            .collect())
    }

    async fn evaluation_scheme(&self, ctx: &Context<'_>, name: String) -> Result<EvaluationScheme> {
        viewer(ctx)?;
        Ok(EvaluationScheme(
            svc::scheme_by_name(&state(ctx).db.conn, &name).await?.0,
        ))
    }

    /// Evaluation revisions, newest first; `scheme` by name.
    #[graphql(complexity = "EVALUATION_ROWS * child_complexity")]
    async fn evaluations(
        &self,
        ctx: &Context<'_>,
        year: Option<i32>,
        scheme: Option<String>,
    ) -> Result<Vec<Evaluation>> {
        viewer(ctx)?;
        let db = &state(ctx).db.conn;
        let scheme_id = match scheme {
            Some(n) => Some(svc::scheme_by_name(db, &n).await?.0.id),
            None => None,
        };
        Ok(svc::list(db, year, scheme_id)
            .await?
            .into_iter()
            .map(Evaluation)
            .collect())
    }

    async fn evaluation(&self, ctx: &Context<'_>, id: ID) -> Result<Evaluation> {
        viewer(ctx)?;
        let id = parse_id("evaluation", &id)?;
        Ok(Evaluation(svc::get(&state(ctx).db.conn, id).await?))
    }

    /// Indicator values of a year (staff: those their agency supplied or that concern it).
    async fn indicator_values(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
    ) -> Result<Vec<IndicatorValue>> {
        let v = viewer(ctx)?;
        let db = &state(ctx).db.conn;
        let (s, _) = svc::scheme_by_name(db, scheme_name(&scheme)).await?;
        Ok(svc::indicator_values(db, v, year, s.id)
            .await?
            .into_iter()
            .map(IndicatorValue)
            .collect())
    }

    async fn manual_scores(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
    ) -> Result<Vec<ManualScore>> {
        let v = viewer(ctx)?;
        let db = &state(ctx).db.conn;
        let (s, _) = svc::scheme_by_name(db, scheme_name(&scheme)).await?;
        Ok(svc::manual_scores(db, v, year, s.id)
            .await?
            .into_iter()
            .map(ManualScore)
            .collect())
    }

    async fn manual_adjustments(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
    ) -> Result<Vec<ManualAdjustment>> {
        let v = viewer(ctx)?;
        let db = &state(ctx).db.conn;
        let (s, _) = svc::scheme_by_name(db, scheme_name(&scheme)).await?;
        Ok(svc::manual_adjustments(db, v, year, s.id)
            .await?
            .into_iter()
            .map(ManualAdjustment)
            .collect())
    }

    /// A leader's published results across years, by contact email or name.
    async fn leader_history(
        &self,
        ctx: &Context<'_>,
        email: Option<String>,
        name: Option<String>,
    ) -> Result<Vec<LeaderHistoryEntry>> {
        let v = viewer(ctx)?;
        Ok(
            svc::leader_history(&state(ctx).db.conn, v, email.as_deref(), name.as_deref())
                .await?
                .into_iter()
                .map(LeaderHistoryEntry)
                .collect(),
        )
    }
}

#[Object]
impl EvaluationMutation {
    /// Creates or replaces (by name) a scheme from its JSON. Office only; an invalid scheme
    /// (weights not summing to 1, cycles …) is INVALID_INPUT and nothing is written.
    async fn save_evaluation_scheme(
        &self,
        ctx: &Context<'_>,
        definition: String,
    ) -> Result<EvaluationScheme> {
        let v = viewer(ctx)?;
        v.require_office()?;
        mutate!(ctx, |tx, now| svc::save_scheme(
            tx,
            Actor::User(v),
            &definition,
            now
        ))
        .map(EvaluationScheme)
    }

    /// Enters an indicator value for a subject. Only staff of a data-source agency the
    /// criterion names may do so.
    #[allow(clippy::too_many_arguments)]
    async fn set_indicator_value(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
        criterion_key: String,
        agency_id: ID,
        value: f64,
        target: Option<f64>,
        note: Option<String>,
    ) -> Result<IndicatorValue> {
        let v = viewer(ctx)?;
        v.require_agency_staff()?;
        let input = svc::IndicatorInput {
            year,
            scheme: scheme_name(&scheme).to_owned(),
            criterion_key,
            agency_id: parse_id("agency", &agency_id)?,
            value,
            target,
            note,
        };
        mutate!(ctx, |tx, now| svc::set_indicator_value(tx, v, input, now)).map(IndicatorValue)
    }

    /// Enters a manual score (0–100, with a reason). Office only.
    #[allow(clippy::too_many_arguments)]
    async fn set_manual_score(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
        agency_id: ID,
        criterion_key: String,
        score: f64,
        reason: String,
    ) -> Result<ManualScore> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let agency_id = parse_id("agency", &agency_id)?;
        mutate!(ctx, |tx, now| svc::set_manual_score(
            tx,
            v,
            year,
            scheme_name(&scheme),
            agency_id,
            &criterion_key,
            score,
            &reason,
            now
        ))
        .map(ManualScore)
    }

    /// Adds a manual bonus (positive) or deduction (negative) with a reason. Office only.
    async fn add_manual_adjustment(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
        agency_id: ID,
        amount: f64,
        reason: String,
    ) -> Result<ManualAdjustment> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let agency_id = parse_id("agency", &agency_id)?;
        mutate!(ctx, |tx, now| svc::add_manual_adjustment(
            tx,
            v,
            year,
            scheme_name(&scheme),
            agency_id,
            amount,
            &reason,
            now
        ))
        .map(ManualAdjustment)
    }

    /// Computes (or recomputes) a year: results stored, status computed. Office only.
    /// `subjects` (agency ids) defaults to the previous computation's, else the scheme's
    /// default subjects. A published year is INVALID_TRANSITION.
    async fn compute_evaluation(
        &self,
        ctx: &Context<'_>,
        year: i32,
        scheme: Option<String>,
        subjects: Option<Vec<ID>>,
    ) -> Result<Evaluation> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let subjects = subjects
            .map(|ids| {
                ids.iter()
                    .map(|i| parse_id("agency", i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        mutate!(ctx, |tx, now| svc::compute(
            tx,
            Actor::User(v),
            year,
            Some(scheme_name(&scheme)),
            subjects,
            now
        ))
        .map(Evaluation)
    }

    /// Publishes a computed revision; its results never change afterwards. Office only.
    async fn publish_evaluation(&self, ctx: &Context<'_>, id: ID) -> Result<Evaluation> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let id = parse_id("evaluation", &id)?;
        mutate!(ctx, |tx, now| svc::publish(tx, Actor::User(v), id, now)).map(Evaluation)
    }

    /// Corrects a published revision: a new revision recording who, when and why; the old
    /// one stays readable. Office only.
    async fn correct_evaluation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> Result<Evaluation> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let id = parse_id("evaluation", &id)?;
        mutate!(ctx, |tx, now| svc::correct(
            tx,
            Actor::User(v),
            id,
            &reason,
            now
        ))
        .map(Evaluation)
    }
}
