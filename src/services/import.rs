//! Storing an imported plan: the pure parser (`duban_import`) turns a document into a
//! `ParsedPlan`; this service resolves its agencies against the registry in the database and
//! writes the plan, its outline, assignments and targets in the caller's transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use duban_import::{AgencyRef, ParseOptions, ParsedPlan, Registry, RegistryEntry};
use entity::{agency, plan};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::audit::{self, Change};
use super::{agencies, plans, targets, tasks};
use crate::auth::Actor;
use crate::domain::AuditAction;
use crate::domain::{
    AgencyKind, AgencyLevel, AssignmentRole, Deadline, PlanStatus, Precision, ReportCadence,
    TargetDirection, TaskKind, text,
};
use crate::error::{AppError, AppResult};

/// The agency registry as the parser wants it, built from the database.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn registry(db: &impl ConnectionTrait) -> AppResult<Registry> {
    let rows = agency::Entity::find().all(db).await?;
    let names: HashMap<i64, String> = rows.iter().map(|a| (a.id, a.name.clone())).collect();
    let entries = rows
        .iter()
        .filter(|a| a.confirmed)
        .map(|a| RegistryEntry {
            name: a.name.clone(),
            short_name: a.short_name.clone(),
            aliases: a
                .aliases
                .as_array()
                .map(|xs| {
                    xs.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            level: a.level.clone(),
            kind: a.kind.clone(),
            parent: a.parent_id.and_then(|p| names.get(&p).cloned()),
        })
        .collect();
    Ok(Registry::from_entries(entries))
}

/// The plan years an importing office may give: a typo (`225`, `20255`) would otherwise date
/// every yearless deadline of a sheet (`6月底前`) silently, centuries off.
pub const PLAN_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// What the importing office tells the parser about a document, checked before anything is
/// read or written: `region` (used when the document names none) and `plan_year` (the year of
/// dates without one, `6月底前`, when the document states no year of its own).
///
/// # Errors
/// INVALID_INPUT for a plan year outside [`PLAN_YEARS`].
pub fn options(region: Option<String>, plan_year: Option<i32>) -> AppResult<ParseOptions> {
    if let Some(y) = plan_year
        && !PLAN_YEARS.contains(&y)
    {
        return Err(AppError::invalid(format!(
            "planYear {y} is out of range ({}..={})",
            PLAN_YEARS.start(),
            PLAN_YEARS.end()
        )));
    }
    Ok(ParseOptions { region, plan_year })
}

/// Parses a document (text, .docx, .xlsx or .csv; encoding detected) with what the importing
/// office knows ([`options`]): its region and the plan year, used when the document states
/// neither.
///
/// # Errors
/// [`AppError::Document`] with the parser's stable reason as its code (EMPTY_DOCUMENT,
/// BROKEN_DOCUMENT, UNSUPPORTED_FORMAT, TOO_LARGE, …).
pub fn parse(bytes: &[u8], registry: &Registry, options: &ParseOptions) -> AppResult<ParsedPlan> {
    duban_import::parse_bytes_with(bytes, registry, options).map_err(document_error)
}

/// The parser's refusal as an API error with its own code.
pub fn document_error(e: duban_import::ImportError) -> AppError {
    match e {
        // The registry is built from the database: not the document's fault.
        duban_import::ImportError::BadRegistry(_) => AppError::internal(e),
        e => AppError::Document {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

/// The plan already imported from the same document, if any.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn duplicate_of(
    db: &impl ConnectionTrait,
    parsed: &ParsedPlan,
) -> AppResult<Option<plan::Model>> {
    Ok(plan::Entity::find()
        .filter(plan::Column::Fingerprint.eq(parsed.fingerprint.clone()))
        .one(db)
        .await?)
}

fn precision(p: duban_import::Precision) -> Precision {
    match p {
        duban_import::Precision::Year => Precision::Year,
        duban_import::Precision::Month => Precision::Month,
        duban_import::Precision::Day => Precision::Day,
    }
}

fn deadline(d: Option<duban_import::Deadline>) -> Option<Deadline> {
    d.map(|d| Deadline {
        date: d.date,
        precision: precision(d.precision),
    })
}

fn kind(k: duban_import::TaskKind) -> TaskKind {
    match k {
        duban_import::TaskKind::Heading => TaskKind::Heading,
        duban_import::TaskKind::Task => TaskKind::Task,
        duban_import::TaskKind::Target => TaskKind::Target,
        duban_import::TaskKind::Policy => TaskKind::Policy,
    }
}

/// Cuts text to the bound the API enforces (documents can be longer than any sane field).
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Guesses level and kind of an agency name the registry did not know.
fn guess(name: &str) -> (AgencyLevel, AgencyKind) {
    let level = if name.starts_with('省') || name.contains("省") && !name.contains("市") {
        AgencyLevel::Province
    } else if name.contains("县") || name.ends_with("区政府") {
        AgencyLevel::County
    } else if name.contains('市') {
        AgencyLevel::City
    } else {
        AgencyLevel::Other
    };
    // Generic groups (各有关部门, 各县区政府, 领导小组各成员单位) are no single agency.
    if duban_import::is_group(name) {
        return (level, AgencyKind::Group);
    }
    let kind = if name.contains("政府") || name.contains("管委会") {
        AgencyKind::LocalGovernment
    } else if name.contains("公司") || name.contains("集团") {
        AgencyKind::Company
    } else if name.contains("银行") || name.contains("分行") {
        AgencyKind::Bank
    } else {
        AgencyKind::Department
    };
    (level, kind)
}

/// The title a plan is stored under: the document's own, else (a task sheet without a title
/// row, which plans refuse to be stored without) one that says so, with the region and the
/// first task to tell such plans apart in a list until the office renames it.
fn plan_title(parsed: &ParsedPlan) -> String {
    let own = parsed.title.trim();
    if !own.is_empty() {
        return clip(own, text::MEDIUM);
    }
    let tasks: Vec<&str> = parsed
        .tasks
        .iter()
        .filter(|t| t.kind != duban_import::TaskKind::Heading)
        .map(|t| t.title.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let region = parsed.region.as_deref().unwrap_or("").trim();
    let mut title = format!("{region}未命名计划（文档无标题）");
    if let Some(first) = tasks.first() {
        title.push('：');
        title.push_str(&clip(first, 40));
        if tasks.len() > 1 {
            title.push_str(&format!("等{}项", tasks.len()));
        }
    }
    clip(&title, text::MEDIUM)
}

/// What a real import wrote.
pub struct ImportSummary {
    pub plan: plan::Model,
    pub tasks: usize,
    pub assignments: usize,
    pub targets: usize,
    pub new_agencies: usize,
}

/// Writes `parsed` as a new active plan. Agency names the registry did not know become
/// unconfirmed agencies (never dropped). The caller's transaction makes it all-or-nothing.
///
/// # Errors
/// CONFLICT when the same document was imported before.
pub async fn store(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    parsed: &ParsedPlan,
    now: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    if let Some(existing) = duplicate_of(db, parsed).await? {
        return Err(AppError::Conflict(format!(
            "this document was already imported as plan {} ({})",
            existing.id, existing.title
        )));
    }
    // Two imports of one document racing past the check above meet at the unique
    // fingerprint index: the loser is told so (CONFLICT), whatever the database.
    let plan = plans::create(
        db,
        viewer,
        plans::PlanInput {
            title: plan_title(parsed),
            document_number: parsed
                .document_number
                .as_deref()
                .map(|d| clip(d, text::SHORT)),
            issuers: parsed
                .issuers
                .iter()
                .take(50)
                .map(|i| clip(i, text::SHORT))
                .collect(),
            issue_date: parsed.issue_date,
            region: parsed.region.as_deref().map(|r| clip(r, text::SHORT)),
            status: PlanStatus::Active,
            default_deadline: deadline(parsed.default_deadline),
        },
        Some(parsed.fingerprint.clone()),
        now,
    )
    .await
    .map_err(|e| match e {
        AppError::Conflict(_) => AppError::Conflict(
            "this document is being imported or was already imported (same fingerprint)".into(),
        ),
        other => other,
    })?;

    let mut agency_ids: HashMap<String, i64> = HashMap::new();
    let mut new_agencies = 0;
    let mut task_ids: Vec<i64> = Vec::with_capacity(parsed.tasks.len());
    let mut assignments = 0;
    for (i, t) in parsed.tasks.iter().enumerate() {
        // Parents precede children in document order; anything else is treated as a root.
        let parent_id = t.parent.filter(|p| *p < i).map(|p| task_ids[p]);
        let title = if t.title.trim().is_empty() {
            t.code.clone()
        } else {
            clip(&t.title, text::MEDIUM)
        };
        let input = tasks::TaskInput {
            plan_id: plan.id,
            parent_id,
            code: clip(
                if t.code.trim().is_empty() {
                    "?"
                } else {
                    &t.code
                },
                text::SHORT,
            ),
            kind: kind(t.kind),
            title,
            body: clip(&t.body, text::LONG),
            deadline: if t.ongoing {
                None
            } else {
                deadline(t.deadline)
            },
            ongoing: t.ongoing,
            // 持续推进 tasks report quarterly until the office sets another cadence.
            report_cadence: t.ongoing.then_some(ReportCadence::Quarterly),
            groups: t
                .groups
                .iter()
                .take(20)
                .map(|g| clip(g, text::SHORT))
                .collect(),
            lead_undecided: t.lead_undecided,
        };
        let task = tasks::create(db, viewer, input, now).await?;
        task_ids.push(task.id);
        let roles: [(&[AgencyRef], AssignmentRole); 3] = [
            (&t.leads, AssignmentRole::Lead),
            (&t.participants, AssignmentRole::Participant),
            (&t.implementers, AssignmentRole::Implementer),
        ];
        for (refs, role) in roles {
            for r in refs {
                let (id, created) = resolve_agency(db, viewer, &mut agency_ids, r, now).await?;
                new_agencies += usize::from(created);
                if !tasks::is_assigned(db, task.id, id, Some(role)).await? {
                    tasks::assign(
                        db,
                        viewer,
                        tasks::AssignmentInput {
                            task_id: task.id,
                            agency_id: id,
                            role,
                            note: None,
                            sub_deadline: None,
                        },
                        now,
                    )
                    .await?;
                    assignments += 1;
                }
            }
        }
    }
    let mut target_count = 0;
    for g in &parsed.targets {
        if !g.value.is_finite() || g.indicator.trim().is_empty() {
            continue;
        }
        let input = targets::TargetInput {
            plan_id: plan.id,
            task_id: g.task_index.and_then(|i| task_ids.get(i).copied()),
            indicator: clip(&g.indicator, text::MEDIUM),
            value: g.value,
            unit: g.unit.as_deref().map(|u| clip(u, 50)),
            direction: match g.direction {
                duban_import::Direction::AtLeast => TargetDirection::AtLeast,
                duban_import::Direction::AtMost => TargetDirection::AtMost,
                duban_import::Direction::Equal => TargetDirection::Equal,
            },
            target_year: g.target_year.filter(|y| (1990..=2100).contains(y)),
            baseline: g.baseline.as_deref().map(|b| clip(b, text::SHORT)),
        };
        targets::create(db, viewer, input, now).await?;
        target_count += 1;
    }
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::PlanImport,
            entity: "plan",
            entity_id: plan.id,
            before: None,
            after: Some(serde_json::json!({
                "title": plan.title,
                "fingerprint": parsed.fingerprint,
                "tasks": task_ids.len(),
                "assignments": assignments,
                "targets": target_count,
                "new_agencies": new_agencies,
                "warnings": parsed.warnings.len(),
            })),
        },
        now,
    )
    .await?;
    Ok(ImportSummary {
        plan,
        tasks: task_ids.len(),
        assignments,
        targets: target_count,
        new_agencies,
    })
}

/// The agency id for a reference, creating an unconfirmed agency for an unknown name.
async fn resolve_agency(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    cache: &mut HashMap<String, i64>,
    r: &AgencyRef,
    now: DateTime<Utc>,
) -> AppResult<(i64, bool)> {
    let name = clip(r.name.trim(), text::SHORT);
    if let Some(id) = cache.get(&name) {
        return Ok((*id, false));
    }
    let (id, created) = match agencies::find_by_name(db, &name).await? {
        Some(a) => (a.id, false),
        None => {
            let (level, kind) = guess(&name);
            let aliases = if r.raw.trim() != name && !r.raw.trim().is_empty() {
                vec![clip(r.raw.trim(), text::SHORT)]
            } else {
                vec![]
            };
            let input = agencies::AgencyInput {
                name: name.clone(),
                short_name: None,
                aliases,
                level,
                kind,
                parent_id: None,
            };
            (
                agencies::create_unconfirmed(db, viewer, input, now)
                    .await?
                    .id,
                true,
            )
        }
    };
    cache.insert(name, id);
    Ok((id, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_without_a_title_is_stored_under_one_saying_so() {
        let reg = Registry::from_entries(Vec::new());
        let sheet = "序号,工作任务,牵头单位,完成时限\n1,建成综合服务中心,县民政局,5月底前\n2,新建人行天桥,县住建局,9月底前\n";
        let opts = options(Some("大竹县".into()), None).unwrap();
        let mut parsed = parse(sheet.as_bytes(), &reg, &opts).unwrap();
        assert_eq!(parsed.title.trim(), "");
        assert_eq!(
            plan_title(&parsed),
            "大竹县未命名计划（文档无标题）：建成综合服务中心等2项"
        );
        parsed.tasks.clear();
        parsed.region = None;
        assert_eq!(plan_title(&parsed), "未命名计划（文档无标题）");
        // A title of its own is kept, trimmed.
        parsed.title = " 某县民生实事任务分解表 ".into();
        assert_eq!(plan_title(&parsed), "某县民生实事任务分解表");
    }

    #[test]
    fn a_plan_year_is_taken_within_the_range_and_refused_outside_it() {
        let o = options(Some("宜昌市".into()), Some(2025)).unwrap();
        assert_eq!(
            (o.region.as_deref(), o.plan_year),
            (Some("宜昌市"), Some(2025))
        );
        assert_eq!(options(None, None).unwrap().plan_year, None);
        for y in [*PLAN_YEARS.start(), *PLAN_YEARS.end()] {
            assert_eq!(options(None, Some(y)).unwrap().plan_year, Some(y));
        }
        for y in [25, 1999, 2101, 20255, -2025, i32::MIN, i32::MAX] {
            let e = options(None, Some(y)).unwrap_err();
            assert_eq!(e.code(), "INVALID_INPUT", "{y}");
        }
    }
}
