//! Global object identification (the Relay spec): every object with a row behind it
//! implements `Node`, its `id` is a global id (see [`crate::domain::global_id`]), and
//! `node(id:)` / `nodes(ids:)` fetch any of them again — what Relay's and Apollo's caches
//! need to normalise and refetch by id. The integer stays readable as `rowId`.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::attachments::{Attachment, CompletionRequest};
use super::evaluation::{
    Evaluation, EvaluationResult, EvaluationScheme, IndicatorValue, ManualAdjustment, ManualScore,
};
use super::notify::{OutboxMessage, SupervisionRecord};
use super::types::{
    Agency, Assignment, AuditEvent, Contact, ExtensionRequest, Plan, ProgressReport, Target, Task,
    User,
};
use super::{state, viewer};
use crate::domain::global_id;
use crate::error::AppError;
use crate::services::nodes::{self, MAX_NODES, Row};

/// The global id of row `row` of GraphQL type `type_name`.
pub(crate) fn gid(type_name: &str, row: i64) -> ID {
    ID(global_id::encode(type_name, row))
}

/// The global id of a row named by a stored kind (`"task"`, `"progress_report"`: an audit
/// event's entity, an attachment's owner).
pub(crate) fn gid_of_kind(kind: &str, row: i64) -> ID {
    gid(&global_id::type_name_of(kind), row)
}

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Global object id: opaque, unique across all types."
))]
pub enum Node {
    Agency(Agency),
    Assignment(Assignment),
    Attachment(Attachment),
    AuditEvent(AuditEvent),
    CompletionRequest(CompletionRequest),
    Contact(Contact),
    Evaluation(Evaluation),
    EvaluationResult(EvaluationResult),
    EvaluationScheme(EvaluationScheme),
    ExtensionRequest(ExtensionRequest),
    IndicatorValue(IndicatorValue),
    ManualAdjustment(ManualAdjustment),
    ManualScore(ManualScore),
    OutboxMessage(OutboxMessage),
    Plan(Plan),
    ProgressReport(ProgressReport),
    SupervisionRecord(SupervisionRecord),
    Target(Target),
    Task(Task),
    User(User),
}

impl From<Row> for Node {
    fn from(row: Row) -> Self {
        match row {
            Row::Agency(m) => Node::Agency(Agency::from(m)),
            Row::Assignment(m) => Node::Assignment(Assignment(m)),
            Row::Attachment(m) => Node::Attachment(Attachment(m)),
            Row::AuditEvent(m) => Node::AuditEvent(AuditEvent(m)),
            Row::CompletionRequest(m) => Node::CompletionRequest(CompletionRequest(m)),
            Row::Contact(m) => Node::Contact(Contact(m)),
            Row::Evaluation(m) => Node::Evaluation(Evaluation(m)),
            Row::EvaluationResult(m) => Node::EvaluationResult(EvaluationResult(m)),
            Row::EvaluationScheme(m) => Node::EvaluationScheme(EvaluationScheme(m)),
            Row::ExtensionRequest(m) => Node::ExtensionRequest(ExtensionRequest(m)),
            Row::IndicatorValue(m) => Node::IndicatorValue(IndicatorValue(m)),
            Row::ManualAdjustment(m) => Node::ManualAdjustment(ManualAdjustment(m)),
            Row::ManualScore(m) => Node::ManualScore(ManualScore(m)),
            Row::OutboxMessage(m) => Node::OutboxMessage(OutboxMessage(m)),
            Row::Plan(m) => Node::Plan(Plan(m)),
            Row::ProgressReport(m) => Node::ProgressReport(ProgressReport(m)),
            Row::SupervisionRecord(m) => Node::SupervisionRecord(SupervisionRecord(m)),
            Row::Target(m) => Node::Target(Target(m)),
            Row::Task(m) => Node::Task(Task(m)),
            Row::User(m) => Node::User(User(m)),
        }
    }
}

/// `(type, row)` of a global id; INVALID_INPUT for anything that is not one.
fn key(id: &ID) -> Result<(String, i64), AppError> {
    let shown: String = id.chars().take(64).collect();
    global_id::decode(id)
        .ok_or_else(|| AppError::invalid(format!("{shown:?} is not a global object id")))
}

/// `node` and `nodes`.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when nothing with that id exists or the viewer may
    /// not read it (the two are not told apart).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let v = viewer(ctx)?;
        let key = key(&id)?;
        let mut rows = nodes::load(&state(ctx).db.conn, v, &[key]).await?;
        Ok(rows.pop().flatten().map(Node::from))
    }

    /// Objects by global id, in the order given, null where `node` would be; at most 100,
    /// read in one statement per type.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        let v = viewer(ctx)?;
        if ids.len() > MAX_NODES {
            return Err(AppError::invalid(format!("at most {MAX_NODES} ids per call")).into());
        }
        let keys = ids.iter().map(key).collect::<Result<Vec<_>, _>>()?;
        Ok(nodes::load(&state(ctx).db.conn, v, &keys)
            .await?
            .into_iter()
            .map(|r| r.map(Node::from))
            .collect())
    }
}
