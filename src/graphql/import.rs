//! `importPlan`: a document in, a previewed or stored plan out.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Upload};
use base64::Engine;

use super::types::Plan;
use super::{state, viewer};
use crate::auth::Actor;
use crate::error::AppError;
use crate::services;

/// Largest document accepted (the parser's own limit).
const MAX_DOCUMENT_BYTES: usize = duban_import::MAX_INPUT_BYTES;

#[derive(InputObject)]
pub struct ImportPlanInput {
    /// The document as text (plain-text plans, CSV).
    pub text: Option<String>,
    /// The document's bytes in base64 (.docx, Word 97–2003 .doc, .xlsx, GBK text …).
    pub content_base64: Option<String>,
    /// The document as an uploaded file (a GraphQL multipart request, as a browser's file
    /// picker sends it). Give exactly one of `text`, `contentBase64` and `file`.
    pub file: Option<Upload>,
    /// Parse and report only; write nothing.
    #[graphql(default)]
    pub dry_run: bool,
    /// The importing office's region (`宜昌市`, `湖北省宜昌市`, `达州市大竹县`): used when the
    /// document names none (a task sheet without a title row), so that relative names
    /// (`市发展改革委`) are qualified. A region the document names itself wins.
    pub region: Option<String>,
    /// The plan's year as the importing office knows it (`2025`, between 2000 and 2100):
    /// used for dates without a year (`6月底前`, `全年`) when the document states no year of
    /// its own (a task sheet without a title row). A year the document states (title, issue
    /// date, its number) wins. Without it such dates stay unset, each with a NO_PLAN_YEAR
    /// warning. A year out of range is refused with INVALID_INPUT and nothing is read.
    pub plan_year: Option<i32>,
}

/// A convention of the document the importer detected and applied, and where: why each
/// role was given (a first-listed lead rule, numbering gaps, a default deadline …).
#[derive(SimpleObject)]
pub struct ImportConvention {
    /// Stable code: FIRST_LISTED_LEAD, STANDING_IMPLEMENTERS, NUMBERING, DEFAULT_DEADLINE,
    /// REGION_GIVEN, TRADITIONAL_CHARACTERS, CELL_PER_LINE_TABLE …
    pub code: String,
    /// What was read, in words.
    pub description: String,
    /// The task code where it was stated (null: the preamble or the whole document).
    pub from_code: Option<String>,
    /// Codes of the tasks it was applied to (at most 200).
    pub task_codes: Vec<String>,
}

/// Something a person should check before trusting the import.
#[derive(SimpleObject)]
pub struct ImportWarning {
    /// Stable code: UNKNOWN_AGENCY, LEAD_UNDECIDED, NO_DEADLINE …
    pub code: String,
    pub message: String,
    pub task_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct ParsedTaskView {
    pub code: String,
    /// heading / task / target / policy
    pub kind: String,
    pub parent_code: Option<String>,
    pub title: String,
    pub leads: Vec<String>,
    pub participants: Vec<String>,
    pub implementers: Vec<String>,
    pub groups: Vec<String>,
    pub deadline: Option<chrono::NaiveDate>,
    pub precision: Option<String>,
    pub ongoing: bool,
    pub lead_undecided: bool,
    pub warnings: Vec<ImportWarning>,
}

#[derive(SimpleObject)]
pub struct ParsedTargetView {
    pub task_code: Option<String>,
    pub indicator: String,
    pub value: f64,
    pub unit: Option<String>,
    pub direction: String,
    pub target_year: Option<i32>,
    pub baseline: Option<String>,
}

#[derive(SimpleObject)]
pub struct ImportResult {
    pub dry_run: bool,
    /// The stored plan (null on a dry run).
    pub plan: Option<Plan>,
    /// A plan already imported from the same document, if any.
    pub duplicate_of: Option<ID>,
    pub title: String,
    pub document_number: Option<String>,
    pub default_deadline: Option<chrono::NaiveDate>,
    pub tasks: Vec<ParsedTaskView>,
    pub targets: Vec<ParsedTargetView>,
    pub warnings: Vec<ImportWarning>,
    /// Names not in the registry; a real import creates them as unconfirmed agencies.
    pub unconfirmed_agencies: Vec<String>,
    /// The region relative names were qualified with (the document's, else the one given).
    pub region: Option<String>,
    /// How the document was read: the conventions detected and where they apply.
    pub conventions: Vec<ImportConvention>,
}

fn warn(w: &duban_import::Warning) -> ImportWarning {
    ImportWarning {
        code: w.code.clone(),
        message: w.message.clone(),
        task_code: w.task_code.clone(),
    }
}

fn convention(c: &duban_import::Convention) -> ImportConvention {
    ImportConvention {
        code: c.code.clone(),
        description: c.description.clone(),
        from_code: c.from.clone(),
        task_codes: c.tasks.clone(),
    }
}

fn names(v: &[duban_import::AgencyRef]) -> Vec<String> {
    v.iter().map(|a| a.name.clone()).collect()
}

fn to_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn view(p: &duban_import::ParsedPlan) -> (Vec<ParsedTaskView>, Vec<ParsedTargetView>) {
    let tasks = p
        .tasks
        .iter()
        .map(|t| ParsedTaskView {
            code: t.code.clone(),
            kind: to_str(&t.kind),
            parent_code: t
                .parent
                .and_then(|i| p.tasks.get(i))
                .map(|x| x.code.clone()),
            title: t.title.clone(),
            leads: names(&t.leads),
            participants: names(&t.participants),
            implementers: names(&t.implementers),
            groups: t.groups.clone(),
            deadline: t.deadline.map(|d| d.date),
            precision: t.deadline.map(|d| to_str(&d.precision)),
            ongoing: t.ongoing,
            lead_undecided: t.lead_undecided,
            warnings: t.warnings.iter().map(warn).collect(),
        })
        .collect();
    let targets = p
        .targets
        .iter()
        .map(|g| ParsedTargetView {
            task_code: g
                .task_index
                .and_then(|i| p.tasks.get(i))
                .map(|t| t.code.clone()),
            indicator: g.indicator.clone(),
            value: g.value,
            unit: g.unit.clone(),
            direction: to_str(&g.direction),
            target_year: g.target_year,
            baseline: g.baseline.clone(),
        })
        .collect();
    (tasks, targets)
}

/// The parser's own refusal of a document past its size limit (same code, TOO_LARGE).
fn too_large() -> AppError {
    services::import::document_error(duban_import::ImportError::TooLargeContent(format!(
        "more than {MAX_DOCUMENT_BYTES} bytes"
    )))
}

/// The bytes of an uploaded document, refused past the parser's size limit.
fn read_upload(ctx: &Context<'_>, file: &Upload) -> Result<Vec<u8>, AppError> {
    use std::io::Read;
    let value = file
        .value(ctx)
        .map_err(|_| AppError::invalid("the uploaded file is missing from the request"))?;
    let mut bytes = Vec::new();
    value
        .content
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(AppError::internal)?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports a plan document (office only). With `dryRun` it returns the parsed plan with
    /// every doubt flagged and writes nothing; otherwise the plan is written in one
    /// transaction. Importing the same document twice is refused with CONFLICT. `region` and
    /// `planYear` are what the office knows of a document that does not say it itself.
    async fn import_plan(&self, ctx: &Context<'_>, input: ImportPlanInput) -> Result<ImportResult> {
        let v = viewer(ctx)?;
        v.require_office()?;
        // What the office says about the document is checked before the document is read.
        let options = services::import::options(input.region, input.plan_year)?;
        let bytes = match (input.text, input.content_base64, input.file) {
            (Some(t), None, None) => t.into_bytes(),
            (None, Some(b), None) => {
                if b.len() > MAX_DOCUMENT_BYTES / 3 * 4 + 4 {
                    return Err(too_large().into());
                }
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .map_err(|_| AppError::invalid("contentBase64 is not valid base64"))?
            }
            (None, None, Some(f)) => read_upload(ctx, &f)?,
            _ => {
                return Err(
                    AppError::invalid("give exactly one of text, contentBase64 or file").into(),
                );
            }
        };
        let st = state(ctx);
        let registry = services::import::registry(&st.db.conn).await?;
        // Parsing is CPU work; keep it off the async workers.
        let parsed = tokio::task::spawn_blocking(move || {
            services::import::parse(&bytes, &registry, &options)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string().into()))??;
        let (tasks, targets) = view(&parsed);
        let duplicate = services::import::duplicate_of(&st.db.conn, &parsed).await?;
        let plan = if input.dry_run {
            None
        } else {
            let summary = mutate!(ctx, |tx, now| services::import::store(
                tx,
                Actor::User(v),
                &parsed,
                now
            ))?;
            Some(Plan(summary.plan))
        };
        Ok(ImportResult {
            dry_run: input.dry_run,
            plan,
            duplicate_of: duplicate.map(|p| super::node::gid("Plan", p.id)),
            title: parsed.title.clone(),
            document_number: parsed.document_number.clone(),
            default_deadline: parsed.default_deadline.map(|d| d.date),
            tasks,
            targets,
            warnings: parsed.warnings.iter().map(warn).collect(),
            unconfirmed_agencies: parsed.unconfirmed_agencies.clone(),
            region: parsed.region.clone(),
            conventions: parsed.conventions.iter().map(convention).collect(),
        })
    }
}
